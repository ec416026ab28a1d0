import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { BuildLog } from './build-log.ts'
import type { InstallResult } from './environments.ts'
import { blameRequirements, installedPackages, pipFailureSummary } from './parse-pip-output.ts'
import { requirementsSubset, type ParsedRequirements, type Requirement } from './requirements.ts'
import { runProcess, type ProcessResult, type RunProcessOptions } from './run-process.ts'

export interface PipInstallOptions {
  /** The environment's own interpreter: pip installs into the environment it runs in. */
  python: string
  /** The child environment: PATH and the PIP_* settings (index, find-links, proxy…) pip honours. */
  env: Readonly<Record<string, string>>
  /** An empty private directory for requirement files; the caller removes it. */
  workDir: string
  /** Where pip's output goes as it runs. */
  log: BuildLog
  /** A pip run past this is killed and the install fails saying so; null = no limit. */
  timeoutMs: number | null
  /** How pip is started (a build sandbox: another account, a mount namespace); default runProcess. */
  run?: ProcessRunner
}

export type ProcessRunner = (file: string, args: readonly string[], options: RunProcessOptions) => Promise<ProcessResult>

const PIP_ARGS = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input']

/**
 * Installs parsed requirements with pip. On failure, finds exactly which requirements fail: those
 * pip names, then the rest tried together with --dry-run (pip stops at its first failure), and
 * when pip names nobody, each one on its own. Changes nothing but what pip itself installs;
 * rolling back is the caller's.
 */
export async function pipInstall(parsed: ParsedRequirements, options: PipInstallOptions): Promise<InstallResult> {
  if (parsed.requirements.length === 0) {
    return { success: true, installedPackages: [], failedPackages: [], errorDetails: [], error: null }
  }
  await writeFile(path.join(options.workDir, 'requirements.txt'), parsed.lines.join('\n'))
  options.log.write(`requirements.txt:\n${parsed.lines.join('\n').replace(/\n*$/, '\n')}`)
  // Relative to pip's cwd (the work dir): pip quotes it as "-r requirements.txt (line 3)", no server path.
  const run = await pip(options, ['-r', 'requirements.txt'])
  if (run.timedOut) return timedOut(parsed, options.timeoutMs!)
  if (run.code === 0) {
    return { success: true, installedPackages: installedPackages(run.stdout), failedPackages: [], errorDetails: [], error: null }
  }
  const failed = await findFailing(parsed, run, options)
  const ordered = parsed.requirements.filter((r) => failed.has(r))
  return {
    success: false,
    installedPackages: [],
    failedPackages: ordered.map((r) => r.name),
    errorDetails: ordered.map((r) => failed.get(r)!.join('\n')),
    error: pipFailureSummary(run.output),
  }
}

async function findFailing(parsed: ParsedRequirements, first: ProcessResult, options: PipInstallOptions): Promise<Map<Requirement, string[]>> {
  const failed = new Map<Requirement, string[]>()
  let pending = [...parsed.requirements]
  let output = first.output
  let checks = 0
  const dryRun = async (subset: readonly Requirement[]): Promise<ProcessResult> => {
    const file = `check-${++checks}.txt`
    // Blanked lines keep the line numbers pip quotes ("-r file (line 3)") those of the original.
    await writeFile(path.join(options.workDir, file), requirementsSubset(parsed, subset))
    options.log.write(`# which requirements fail: ${subset.map((r) => r.name).join(', ')}\n`)
    return pip(options, ['--dry-run', '-r', file])
  }
  for (;;) {
    const blamed = blameRequirements(output, pending)
    if (blamed.size === 0) {
      for (const r of pending) {
        const alone = await dryRun([r])
        if (alone.code !== 0 && !dryRunUnsupported(alone)) failed.set(r, blameRequirements(alone.output, [r]).get(r) ?? [pipFailureSummary(alone.output)])
      }
      break
    }
    for (const [r, reasons] of blamed) failed.set(r, reasons)
    pending = pending.filter((r) => !blamed.has(r))
    if (pending.length === 0) break
    const together = await dryRun(pending)
    if (together.code === 0 || dryRunUnsupported(together)) break
    output = together.output
  }
  // Nobody fails alone (an error at install time, a full disk…): the install failed as a whole.
  if (failed.size === 0) {
    const summary = pipFailureSummary(first.output)
    for (const r of parsed.requirements) failed.set(r, [summary])
  }
  return failed
}

/** pip older than 22.2 has no --dry-run: then only what pip named the first time can be known. */
function dryRunUnsupported(result: ProcessResult): boolean {
  return /no such option: --dry-run/.test(result.output)
}

/** Every requirement failed: pip did not finish in time, and nothing it did is kept. */
function timedOut(parsed: ParsedRequirements, timeoutMs: number): InstallResult {
  const line = `pip did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped (TASKYARD_PIP_TIMEOUT_SECONDS)`
  return {
    success: false,
    installedPackages: [],
    failedPackages: parsed.requirements.map((r) => r.name),
    errorDetails: parsed.requirements.map(() => line),
    error: line,
  }
}

function pip(options: PipInstallOptions, args: readonly string[]): Promise<ProcessResult> {
  const all = [...PIP_ARGS, ...args]
  options.log.command('python', all)
  return (options.run ?? runProcess)(options.python, all, { env: options.env, cwd: options.workDir, onOutput: options.log.write, timeoutMs: options.timeoutMs })
}
