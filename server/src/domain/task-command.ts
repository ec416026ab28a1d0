import { TaskyardError, uploadFailed } from './errors.ts'

export const MAX_COMMAND_LENGTH = 8192

const INTERPRETERS = new Set(['python', 'python3', 'sh', 'bash', 'node'])
const PLAIN_PATH = /^[A-Za-z0-9_.,+@%=:/-]+$/
// A command with any of these is shell code we do not try to read.
const SHELL_SYNTAX = /[;&|<>()$`'"\\*?[\]{}~#!]/

/**
 * The task file a command runs, when it names one plainly: `python main.py`, `sh run.sh`,
 * `node app.js`, `./run.sh`. Null for anything else (`python -m pkg`, `sleep 5`, pipes): such a
 * command is the user's to get right.
 */
export function commandFile(command: string): string | null {
  if (SHELL_SYNTAX.test(command)) return null
  const words = command.trim().split(/\s+/)
  const first = words[0] ?? ''
  let target: string | undefined
  if (first.startsWith('./')) target = first
  else if (INTERPRETERS.has(first)) target = words[1]
  if (target === undefined || target.startsWith('-') || target.startsWith('/') || !PLAIN_PATH.test(target)) return null
  const rel = target.replace(/^(\.\/)+/, '').replace(/\/+$/, '')
  if (rel === '' || rel.split('/').some((s) => s === '..' || s === '.')) return null
  return rel
}

/**
 * Refuses a command that runs a file the upload does not hold (a ZIP without main.py, or one
 * where main.py sits in a folder), naming the file and what the upload does hold.
 */
export function assertCommandFileExists(command: string, files: readonly string[]): void {
  const target = commandFile(command)
  if (target === null) return
  if (files.includes(target) || files.some((f) => f.startsWith(`${target}/`))) return
  const shown = files.length <= 10 ? files.join(', ') : `${files.slice(0, 10).join(', ')} and ${files.length - 10} more`
  throw uploadFailed(
    `The command '${command}' runs '${target}', which the upload does not contain (it holds: ${shown || 'nothing'}); give a command that names one of its files`,
  )
}

/** A command is one shell command line of bounded length; a NUL would cut it short unseen. */
export function assertCommand(command: string): void {
  if (command.length > MAX_COMMAND_LENGTH || command.includes('\u0000')) {
    throw new TaskyardError('invalid_input', 'Invalid command', {
      error: `Command must be at most ${MAX_COMMAND_LENGTH} characters without NUL bytes`,
    })
  }
}
