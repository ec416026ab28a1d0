#!/usr/bin/env node
/** `taskyard serve | migrate`: the command line. Flags win over TASKYARD_* variables. */
import { parseArgs } from 'node:util'
import { loadConfig } from './config/config.ts'
import { startTaskyard } from './main.ts'

const USAGE = `Usage: taskyard serve [--host H] [--port P] [--data-dir DIR] [--database-url URL]

  serve   start the server (API on http://HOST:PORT)
  Settings also come from TASKYARD_HOST, TASKYARD_PORT, TASKYARD_DATA_DIR, TASKYARD_DATABASE_URL.`

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const command = positionals[0] ?? 'serve'
  if (values.help || command !== 'serve') {
    console.log(USAGE)
    return values.help ? 0 : 2
  }
  const config = loadConfig({
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.port !== undefined ? { port: values.port } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(values['database-url'] !== undefined ? { databaseUrl: values['database-url'] } : {}),
  })
  const server = await startTaskyard(config)
  console.log(`Taskyard is running at ${server.url} (data in ${config.dataDir})`)
  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    console.log(`${signal} received, shutting down`)
    server.close().then(
      () => process.exit(0),
      (e) => {
        console.error(e)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
  return -1
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (error) => {
    console.error(`taskyard: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  },
)
