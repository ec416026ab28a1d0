/**
 * Taskyard's benchmark: four figures, each next to a bound measured in the same run on the same
 * machine, with PASS/FAIL against its target. Each scenario runs in a process of its own
 * (bench/scenario.ts) with a fresh server, data directory and database. See docs/benchmarks.md.
 *
 *   node bench/run.ts [--database-url postgres://user@host/db] [--only throughput,latency,output,reads,idle,scheduler,ssh]
 *                     [--cpu-profile <dir>]
 *
 * Exit code 0 whether targets pass or fail; 1 only when the bench itself fails.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { printFigure, printSummary, progress, type Figure } from './lib/report.ts'

const NAMES = ['throughput', 'latency', 'output', 'reads', 'idle', 'scheduler', 'ssh']
const SCENARIO_SCRIPT = fileURLToPath(new URL('./scenario.ts', import.meta.url))

const USAGE = `usage: node bench/run.ts [--database-url postgres://user@host/db] [--only ${NAMES.join(',')}] [--cpu-profile <dir>]
  --database-url  default: SQLite, a fresh file per scenario. A postgres:// URL: a fresh database
                  per scenario is created on that server and dropped afterwards (CREATE DATABASE needed).
  --only          run only these scenarios (comma-separated).
  --cpu-profile   write a .cpuprofile of each measured phase into this directory (slows everything;
                  summarise with node bench/profile-summary.ts <file>).`

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string' },
      only: { type: 'string' },
      'cpu-profile': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const databaseUrl = values['database-url']
  const pgUrl = databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl) ? databaseUrl : undefined
  if (databaseUrl !== undefined && !pgUrl && databaseUrl !== 'sqlite' && databaseUrl !== 'sqlite:') {
    console.error(`--database-url must be a postgres:// URL (SQLite is the default: one fresh file per scenario)\n${USAGE}`)
    return 1
  }
  const names = values.only
    ? values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : NAMES
  const unknown = names.filter((n) => !NAMES.includes(n))
  if (unknown.length > 0) {
    console.error(`unknown scenario(s) ${unknown.join(', ')}\n${USAGE}`)
    return 1
  }

  const root = await mkdtemp(path.join(tmpdir(), 'taskyard-bench-'))
  let current: ChildProcess | null = null
  let interrupted = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return
    interrupted = true
    progress(`${signal}: stopping the running scenario and removing ${root}`)
    // The scenario process stops its server (and the runs) and drops its database itself.
    if (current?.pid && current.exitCode === null && current.signalCode === null) current.kill('SIGTERM')
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const cpu = cpus()
  console.log(
    `Taskyard bench — ${new Date().toISOString()}, Node ${process.version}, ${cpu.length} CPU(s) ${cpu[0]?.model ?? ''}, database ${pgUrl ? 'PostgreSQL' : 'SQLite'}`,
  )
  const figures: Figure[] = []
  const failed: string[] = []
  const started = performance.now()
  try {
    for (const name of names) {
      if (interrupted) break
      const out = path.join(root, `${name}.json`)
      const args = [SCENARIO_SCRIPT, name, '--root', root, '--out', out]
      if (pgUrl) args.push('--database-url', pgUrl)
      if (values['cpu-profile']) args.push('--cpu-profile', path.resolve(values['cpu-profile']))
      const t0 = performance.now()
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] })
      current = child
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject)
        child.once('exit', (c, s) => resolve(c ?? (s ? 128 : null)))
      })
      current = null
      if (code !== 0) {
        failed.push(name)
        progress(`${name} FAILED (exit code ${code})`)
        continue
      }
      const figure = JSON.parse(await readFile(out, 'utf8')) as Figure
      progress(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
      printFigure(figure)
      figures.push(figure)
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
  if (interrupted) return 130
  printSummary(figures)
  console.log(`\n${figures.filter((f) => f.pass).length}/${figures.length} targets met; bench took ${((performance.now() - started) / 1000).toFixed(0)} s`)
  if (failed.length > 0) {
    console.error(`[bench] scenario(s) failed to run: ${failed.join(', ')}`)
    return 1
  }
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    console.error('[bench] failed:', error)
    process.exitCode = 1
  },
)
