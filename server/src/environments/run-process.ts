import { spawn } from 'node:child_process'

export interface ProcessResult {
  /** null when the process was ended by a signal. */
  code: number | null
  stdout: string
  stderr: string
  /** Both streams as they arrived, for reading pip's messages in order. */
  output: string
  /** True when the process was killed for running past `timeoutMs`. */
  timedOut: boolean
}

export interface RunProcessOptions {
  env: Readonly<Record<string, string>>
  cwd?: string
  /** Each chunk of either stream as it arrives (a build log). */
  onOutput?: (chunk: string) => void
  /** Past this, the process and everything it started (its process group) get SIGKILL. */
  timeoutMs?: number | null
}

/** Keeps the tail: pip's verdict is at the end of what it prints. */
const MAX_CAPTURE_CHARS = 2 * 1024 * 1024

/**
 * Runs a program with an argument array (never through a shell) and collects what it prints.
 * Resolves whatever the exit code; rejects only when the program cannot be started. With a
 * timeout the program leads a process group of its own, so the builds pip starts end with it.
 */
export function runProcess(file: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? null
    const child = spawn(file, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: timeoutMs !== null })
    let timedOut = false
    const timer =
      timeoutMs === null
        ? null
        : setTimeout(() => {
            timedOut = true
            try {
              process.kill(-child.pid!, 'SIGKILL')
            } catch {
              // Already gone.
            }
          }, timeoutMs)
    let stdout = ''
    let stderr = ''
    let output = ''
    const keep = (s: string) => (s.length > MAX_CAPTURE_CHARS ? s.slice(-MAX_CAPTURE_CHARS) : s)
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      stdout = keep(stdout + chunk)
      output = keep(output + chunk)
      options.onOutput?.(chunk)
    })
    child.stderr.on('data', (chunk: string) => {
      stderr = keep(stderr + chunk)
      output = keep(output + chunk)
      options.onOutput?.(chunk)
    })
    child.on('error', (error) => {
      if (timer) clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      if (timer) clearTimeout(timer)
      resolve({ code, stdout, stderr, output, timedOut })
    })
  })
}
