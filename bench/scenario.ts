/**
 * Runs ONE scenario in this process and writes its Figure as JSON to --out. bench/run.ts starts
 * one such process per scenario, so that no scenario inherits another's heap: fork() (hence
 * spawn()) costs more the bigger the process is, and Node does not hand freed memory back.
 *
 *   node bench/scenario.ts <throughput|latency|output|reads|idle|scheduler> --root <dir> --out <file.json>
 *        [--database-url postgres://…] [--cpu-profile <dir>]
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { BenchContext } from './lib/context.ts'
import { enableProfiling, stopProfiling } from './lib/profiler.ts'
import type { Figure } from './lib/report.ts'
import { bigOutput } from './scenarios/big-output.ts'
import { idle } from './scenarios/idle.ts'
import { latency } from './scenarios/latency.ts'
import { reads } from './scenarios/reads.ts'
import { scheduler } from './scenarios/scheduler.ts'
import { sshRuns } from './scenarios/ssh.ts'
import { throughput } from './scenarios/throughput.ts'

export const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<Figure>> = {
  throughput,
  latency,
  output: bigOutput,
  reads,
  idle,
  scheduler,
  ssh: sshRuns,
}

/** Set by SIGINT/SIGTERM: the scenario is being torn down, errors from that are expected. */
let interrupted = false

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      root: { type: 'string' },
      out: { type: 'string' },
      'database-url': { type: 'string' },
      'cpu-profile': { type: 'string' },
    },
  })
  const name = positionals[0]
  const scenario = name ? SCENARIOS[name] : undefined
  if (!scenario || !values.root || !values.out) {
    throw new Error(`usage: node bench/scenario.ts <${Object.keys(SCENARIOS).join('|')}> --root <dir> --out <file>`)
  }
  if (values['cpu-profile']) enableProfiling(values['cpu-profile'])

  const cleanups: (() => Promise<void> | void)[] = []
  const runCleanups = async (): Promise<void> => {
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!()
      } catch (error) {
        console.error('[bench] cleanup failed:', error)
      }
    }
  }
  const onSignal = (): void => {
    if (interrupted) return
    interrupted = true
    void runCleanups().finally(() => process.exit(130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const root = `${values.root}/${name}`
  await mkdir(root, { recursive: true })
  const ctx: BenchContext = {
    root,
    databaseUrl: values['database-url'],
    defer(cleanup) {
      let done = false
      const once = async (): Promise<void> => {
        if (done) return
        done = true
        await cleanup()
      }
      cleanups.push(once)
      return async () => {
        const i = cleanups.indexOf(once)
        if (i >= 0) cleanups.splice(i, 1)
        await once()
      }
    },
  }
  try {
    const figure = await scenario(ctx)
    await writeFile(values.out, JSON.stringify(figure))
  } finally {
    stopProfiling()
    await runCleanups()
  }
}

main().catch((error) => {
  if (!interrupted) console.error('[bench] scenario failed:', error)
  process.exitCode = interrupted ? 130 : 1
})
