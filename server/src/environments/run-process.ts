import { spawn } from 'node:child_process'

export interface ProcessResult {
  /** null when the process was ended by a signal. */
  code: number | null
  stdout: string
  stderr: string
  /** Both streams as they arrived, for reading pip's messages in order. */
  output: string
}

/** Keeps the tail: pip's verdict is at the end of what it prints. */
const MAX_CAPTURE_CHARS = 2 * 1024 * 1024

/**
 * Runs a program with an argument array (never through a shell) and collects what it prints.
 * Resolves whatever the exit code; rejects only when the program cannot be started.
 */
export function runProcess(file: string, args: readonly string[], options: { env: Readonly<Record<string, string>>; cwd?: string }): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let output = ''
    const keep = (s: string) => (s.length > MAX_CAPTURE_CHARS ? s.slice(-MAX_CAPTURE_CHARS) : s)
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      stdout = keep(stdout + chunk)
      output = keep(output + chunk)
    })
    child.stderr.on('data', (chunk: string) => {
      stderr = keep(stderr + chunk)
      output = keep(output + chunk)
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr, output }))
  })
}
