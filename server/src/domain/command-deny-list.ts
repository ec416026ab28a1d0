/**
 * spec 001's security limits: commands refused before anything is sent to a server. A guard rail
 * against mistakes and the obvious, not a sandbox: a shell can always build a name at run time
 * (`$(printf 'su%s' do)`, a script file, an interpreter), so the real limit is the unprivileged
 * account Taskyard logs in as. Checked on the command as the shell reads it (shell-words.ts):
 * quotes, escapes, `$( )`, backticks, prefixes such as `env`, `nice`, `timeout`, and the scripts
 * given to `sh -c`, `bash -c`, `eval`. Pure.
 */
import { readCommands, ShellSyntaxError, type SimpleCommand } from './shell-words.ts'

export const DENY_RULES = ['sudo', 'su', 'rm-root', 'dd-device', 'device-write', 'mkfs', 'shutdown', 'fork-bomb'] as const
export type DenyRule = (typeof DENY_RULES)[number]

export interface DenyListSettings {
  /** false: nothing is checked (an admin's choice, e.g. for local commands on a throwaway machine). */
  enabled: boolean
  /** Rules an admin switched off. */
  disabledRules: readonly DenyRule[]
  /** More program names an admin refuses (basenames, e.g. `iptables`). */
  extraPrograms: readonly string[]
}

export const DEFAULT_DENY_LIST: DenyListSettings = { enabled: true, disabledRules: [], extraPrograms: [] }

export type DenyVerdict = { allowed: true } | { allowed: false; rule: DenyRule | 'extra-program' | 'unreadable'; reason: string }

/** Words that run the rest of the line as a command (their own options skipped). */
const PREFIXES: Record<string, { flagsWithValue: readonly string[]; positional: number }> = {
  env: { flagsWithValue: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'], positional: 0 },
  nice: { flagsWithValue: ['-n', '--adjustment'], positional: 0 },
  ionice: { flagsWithValue: ['-c', '--class', '-n', '--classdata', '-p', '-t'], positional: 0 },
  timeout: { flagsWithValue: ['-s', '--signal', '-k', '--kill-after'], positional: 1 },
  nohup: { flagsWithValue: [], positional: 0 },
  setsid: { flagsWithValue: [], positional: 0 },
  stdbuf: { flagsWithValue: ['-i', '-o', '-e'], positional: 0 },
  time: { flagsWithValue: ['-f', '--format', '-o', '--output'], positional: 0 },
  command: { flagsWithValue: [], positional: 0 },
  builtin: { flagsWithValue: [], positional: 0 },
  exec: { flagsWithValue: ['-a'], positional: 0 },
  xargs: { flagsWithValue: ['-I', '-i', '-n', '-L', '-P', '-s', '-d', '-E', '-a'], positional: 0 },
  chroot: { flagsWithValue: [], positional: 1 },
  watch: { flagsWithValue: ['-n', '--interval', '-d'], positional: 0 },
  busybox: { flagsWithValue: [], positional: 0 },
  strace: { flagsWithValue: ['-e', '-o', '-p', '-s'], positional: 0 },
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh'])
const ESCALATE = new Set(['sudo', 'doas', 'pkexec', 'sudoedit'])
const POWER = new Set(['shutdown', 'reboot', 'halt', 'poweroff'])
const SAFE_DEVICES = new Set(['/dev/null', '/dev/zero', '/dev/stdout', '/dev/stderr', '/dev/tty', '/dev/random', '/dev/urandom', '/dev/full'])

/** Whether the command may be sent; the first refusal found, named. */
export function checkCommand(command: string, settings: DenyListSettings = DEFAULT_DENY_LIST): DenyVerdict {
  if (!settings.enabled) return { allowed: true }
  const on = (rule: DenyRule): boolean => !settings.disabledRules.includes(rule)
  if (on('fork-bomb') && isForkBomb(command)) return refuse('fork-bomb', 'a fork bomb (a function that pipes itself into itself in the background)')
  let commands: SimpleCommand[]
  try {
    commands = expand(command, 0)
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error
    return { allowed: false, rule: 'unreadable', reason: `the command cannot be read as a shell would (${error.message}), so it cannot be checked` }
  }
  const extra = new Set(settings.extraPrograms)
  for (const simple of commands) {
    for (const target of simple.writes) {
      if (on('device-write') && isDiskDevice(target)) return refuse('device-write', `a redirection writes to the device ${target}`)
    }
    const argv = unwrap(simple.words)
    const program = basename(argv[0] ?? '')
    if (program === '') continue
    const args = argv.slice(1)
    if (on('sudo') && ESCALATE.has(program)) return refuse('sudo', `'${program}' runs a command with other privileges`)
    if (on('su') && program === 'su') return refuse('su', `'su' switches to another user`)
    if (on('rm-root') && program === 'rm' && removesRoot(args)) return refuse('rm-root', `'rm ${args.join(' ')}' removes the root file system`)
    if (on('dd-device') && program === 'dd') {
      const target = args.find((a) => a.startsWith('of='))?.slice(3)
      if (target !== undefined && isDevice(target)) return refuse('dd-device', `'dd' writes to the device ${target}`)
    }
    if (on('mkfs') && (/^mkfs(\.|$)/.test(program) || program === 'mke2fs' || program === 'mkswap' || program === 'wipefs')) {
      return refuse('mkfs', `'${program}' formats a device`)
    }
    if (on('shutdown') && (POWER.has(program) || powerVerb(program, args)))
      return refuse('shutdown', `'${[program, ...args].join(' ')}' shuts the machine down or restarts it`)
    if (extra.has(program)) return { allowed: false, rule: 'extra-program', reason: `'${program}' is on this installation's deny-list` }
  }
  return { allowed: true }
}

const refuse = (rule: DenyRule, reason: string): DenyVerdict => ({ allowed: false, rule, reason })

/**
 * The line's simple commands, with the scripts that `sh -c`, `eval` and `su -c` hand to a shell
 * read as commands too (nested up to a depth that no honest command needs).
 */
function expand(line: string, depth: number): SimpleCommand[] {
  if (depth > 8) throw new ShellSyntaxError('shells nested too deeply')
  const out: SimpleCommand[] = []
  const assigned = new Map<string, string>()
  for (const simple of readCommands(line)) {
    const words = simple.words.map((word, i) => (simple.expanded[i] ? resolveVariable(word, assigned) : word))
    // `x=sudo; $x …`: a plain assignment of this line is what the variable holds later on.
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(words[0] ?? '')
    if (assignment && words.length === 1 && assignment[1] && assignment[2] !== undefined) assigned.set(assignment[1], assignment[2])
    const resolved = { ...simple, words }
    out.push(resolved)
    const argv = unwrap(words)
    const program = basename(argv[0] ?? '')
    if (program === 'eval') out.push(...expand(argv.slice(1).join(' '), depth + 1))
    if (SHELLS.has(program)) {
      const script = scriptOf(argv.slice(1))
      if (script !== null) out.push(...expand(script, depth + 1))
    }
  }
  return out
}

function resolveVariable(word: string, assigned: ReadonlyMap<string, string>): string {
  const name = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(word)?.[1]
  return name !== undefined && assigned.has(name) ? (assigned.get(name) as string) : word
}

/** The script of `-c <script>` among a shell's arguments (`-c`, `-xc`, `-ec` …), or null. */
function scriptOf(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (!arg.startsWith('-')) return null
    if (/^-[a-z]*c[a-z]*$/.test(arg)) return args[i + 1] ?? null
  }
  return null
}

/** The command behind assignments and prefixes: `A=1 env -i nice -n 5 timeout 10 sudo ls` → `sudo ls`. */
function unwrap(words: readonly string[]): string[] {
  let i = 0
  for (;;) {
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] as string)) i++
    const prefix = PREFIXES[basename(words[i] ?? '')]
    if (!prefix) return words.slice(i)
    i++
    let positional = prefix.positional
    while (i < words.length) {
      const word = words[i] as string
      if (word === '--') {
        i++
        break
      }
      if (word.startsWith('-') && word.length > 1) {
        i += prefix.flagsWithValue.includes(word) ? 2 : 1
        continue
      }
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) {
        i++
        continue
      }
      if (positional > 0) {
        positional--
        i++
        continue
      }
      break
    }
  }
}

const basename = (word: string): string => word.slice(word.lastIndexOf('/') + 1)

/** `rm -r` (any spelling) of `/`, `/*`, `//`, `/.`, `/..` …, or with --no-preserve-root. */
function removesRoot(args: readonly string[]): boolean {
  let recursive = false
  let endOfOptions = false
  const targets: string[] = []
  for (const arg of args) {
    if (!endOfOptions && arg === '--') endOfOptions = true
    else if (!endOfOptions && arg === '--no-preserve-root') return true
    else if (!endOfOptions && (arg === '--recursive' || /^-[a-zA-Z]*[rR][a-zA-Z]*$/.test(arg))) recursive = true
    else if (!endOfOptions && arg.startsWith('-')) continue
    else targets.push(arg)
  }
  return recursive && targets.some(isRootPath)
}

function isRootPath(path: string): boolean {
  // `/`, `//`, `/./`, `/..`, `/*`, `/.*`: every spelling that names the root or all of it.
  const normal = path
    .replace(/\/+/g, '/')
    .split('/')
    .filter((part) => part !== '' && part !== '.' && part !== '..')
  return path.startsWith('/') && (normal.length === 0 || (normal.length === 1 && /^\.?\*$/.test(normal[0] as string)))
}

const isDevice = (target: string): boolean =>
  target.startsWith('/dev/') && !SAFE_DEVICES.has(target) && !target.startsWith('/dev/fd/') && !target.startsWith('/dev/shm/')

const isDiskDevice = (target: string): boolean => /^\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|md|dm-|loop|disk\/|mapper\/)/.test(target)

/** `systemctl poweroff|reboot|halt|kexec`, `init 0|6`, `telinit 0|6`. */
function powerVerb(program: string, args: readonly string[]): boolean {
  if (program === 'systemctl') return args.some((a) => ['poweroff', 'reboot', 'halt', 'kexec', 'suspend', 'hibernate'].includes(a))
  if (program === 'init' || program === 'telinit') return args.some((a) => a === '0' || a === '6')
  return false
}

/** `:(){ :|:& };:` and its renamings and spacings. */
function isForkBomb(command: string): boolean {
  const compact = command.replace(/\s+/g, '')
  const definition = /([^\s(){};|&]+)\(\)\{[^}]*?\1\|\1&/.exec(compact)
  return definition !== null
}
