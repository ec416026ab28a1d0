#!/usr/bin/env node
/** `taskyard serve | --help | --version`: the command line. Flags win over TASKYARD_* variables. */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { loadConfig } from './config/config.ts'
import { SETTINGS } from './config/settings-help.ts'

/** The usage text: commands, then every setting with its flag, variable and default. */
function usage(): string {
  const rows = SETTINGS.map((s) => [s.flag ? `${s.flag}, ${s.variable}` : `    ${s.variable}`, `${s.description} (default: ${s.default})`] as const)
  const width = Math.max(...rows.map(([left]) => left.length))
  return [
    'Usage: taskyard <command> [options]',
    '',
    'Commands:',
    '  serve        start the server (the API on http://HOST:PORT)',
    '  help         show this help (also --help, -h)',
    '  version      print the version (also --version, -v)',
    '',
    'Settings (serve): a flag, or the variable in the environment; flags win.',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    '',
    'Docs: README.md; the API at /api/openapi.json (needs a login); /healthz answers without one.',
  ].join('\n')
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return `taskyard ${pkg.version}`
}

async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    })
  } catch (error) {
    console.error(`taskyard: ${error instanceof Error ? error.message : String(error)}\nRun 'taskyard --help' for the commands and settings.`)
    return 2
  }
  const { values, positionals } = parsed
  const command = positionals[0]
  if (values.help || command === 'help') {
    console.log(usage())
    return 0
  }
  if (values.version || command === 'version') {
    console.log(version())
    return 0
  }
  // No command is a question, not a request to start a server (it used to start one silently).
  if (command === undefined) {
    console.error(usage())
    return 2
  }
  if (command !== 'serve' || positionals.length > 1) {
    console.error(`taskyard: unknown command '${positionals.join(' ')}'\n\n${usage()}`)
    return 2
  }
  const config = loadConfig({
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.port !== undefined ? { port: values.port } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(values['database-url'] !== undefined ? { databaseUrl: values['database-url'] } : {}),
  })
  // Loaded here, not at the top: --help and --version answer without loading the whole server.
  const { startTaskyard } = await import('./main.ts')
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
