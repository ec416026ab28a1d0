/**
 * The shell the SSH executor sends (pure string builders). The remote needs a POSIX sh, Linux
 * /proc and GNU grep (for `-z`); every word from a run is single-quoted.
 *
 * A run's processes are found two ways, as the local executor finds them without cgroups: its
 * process group (sshd starts each session's command with setsid(), so the wrapper's pid is the
 * group and session id), and the markers in their environment (TASKYARD_RUN_ID and
 * TASKYARD_INSTANCE), which catch processes that left the group by setsid or a double fork.
 */
import { shellQuote } from '../../lib/shell-quote.ts'
import type { RunSpec } from '../executor.ts'

export interface RunMarkers {
  runId: number
  instance: string
}

export const PID_LINE = 'taskyard:pid '
export const ERROR_LINE = 'taskyard:error '

/** Login shells that read POSIX sh syntax: the wrapper is given to them directly, one exec fewer. */
const POSIX_SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'ksh', 'ksh93', 'mksh', 'pdksh', 'zsh', 'yash', 'busybox'])

/** Whether a login shell (its path, as `$SHELL` names it) reads the wrapper as it is. */
export const isPosixShell = (shellPath: string): boolean => POSIX_SHELLS.has(shellPath.trim().split('/').pop() ?? '')

/** Prints the login shell's path: read once per connection (any shell expands it). */
export const LOGIN_SHELL_QUERY = 'printf "%s\\n" "$SHELL"'

/**
 * Prints `taskyard:pid <pid>` (or `taskyard:error nocwd|noent`) as its first line, then becomes
 * the run: `exec` keeps the pid, `env -i` gives it exactly the run's environment.
 *
 * SSH carries stdout and stderr as two streams that sshd reads from two pipes, so their relative
 * order is lost on the way. Unless the caller asks for them apart (`streamPaths`), stderr is sent
 * into stdout on the server, and the log keeps the order they were written in exactly.
 *
 * `posixLogin`: the login shell reads POSIX sh (isPosixShell), and runs the script itself. Else
 * (csh, fish…) it only execs /bin/sh on the script: one process more, before the run's.
 */
export function runWrapper(spec: Pick<RunSpec, 'argv' | 'cwd' | 'env' | 'streamPaths' | 'inheritEnv'>, markers: RunMarkers, posixLogin = false): string {
  const { argv, cwd, env } = spec
  // Expanded by the remote shell from the login's environment; a name is never a value from the run.
  const inherited = (spec.inheritEnv ?? []).filter((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !(name in env)).map((name) => `"${name}=$${name}"`)
  const assignments = [
    ...inherited,
    ...Object.entries({ ...env, TASKYARD_RUN_ID: String(markers.runId), TASKYARD_INSTANCE: markers.instance }).map(([k, v]) => shellQuote(`${k}=${v}`)),
  ]
  const path = env.PATH === undefined ? '' : `PATH=${shellQuote(env.PATH)}; export PATH; `
  const program = shellQuote(argv[0] ?? '')
  const script =
    `cd -- ${shellQuote(cwd)} 2>/dev/null || { echo '${ERROR_LINE}nocwd'; exit 127; }; ` +
    `${path}command -v -- ${program} >/dev/null 2>&1 || { echo '${ERROR_LINE}noent'; exit 127; }; ` +
    `echo "${PID_LINE}$$"; ${spec.streamPaths ? '' : 'exec 2>&1; '}exec env -i ${assignments.join(' ')} ${argv.map(shellQuote).join(' ')}`
  // The login shell is sshd's session leader: its pid is the run's group and session. Run by it,
  // the script's leader carries the markers from its last exec on (the run's live signals do not
  // ask for them: signalRun's leaderAlive); run by /bin/sh, from /bin/sh's exec on.
  if (posixLogin) return script
  const marks = `TASKYARD_RUN_ID=${markers.runId} TASKYARD_INSTANCE=${shellQuote(markers.instance)}`
  return `exec env ${marks} /bin/sh -c ${shellQuote(script)}`
}

/** The pids (one a line) of this user's processes carrying both markers, the script's own excluded. */
function markedPids(markers: RunMarkers): string {
  const run = shellQuote(`TASKYARD_RUN_ID=${markers.runId}`)
  const instance = shellQuote(`TASKYARD_INSTANCE=${markers.instance}`)
  return (
    `marked() { f=$(grep -lzxF ${run} /proc/[0-9]*/environ 2>/dev/null); [ -n "$f" ] || return 0; ` +
    `grep -lzxF ${instance} $f 2>/dev/null | sed 's#^/proc/##; s#/environ$##'; }`
  )
}

/**
 * Live (not zombie) processes that are members of the group or marked: a count, each once. One
 * `cat` and one `awk` over /proc (plus `marked`'s grep): the common check, after a run that left
 * nothing, costs those and nothing more.
 */
function aliveCount(pgid: number): string {
  return (
    `alive() { m=$(marked); cat /proc/[0-9]*/stat 2>/dev/null | awk -v g=${pgid} -v m="$m" ` +
    `'BEGIN { k = split(m, a, "\\n"); for (i = 1; i <= k; i++) want[a[i]] = 1 } { p = $1; sub(/^.*\\) /, ""); if ($1 != "Z" && ($3 == g || (p in want))) n++ } END { print n + 0 }'; }`
  )
}

/**
 * Prints how many of the run's processes are alive, sends `signal` to its group and marked
 * processes, and prints how many are alive after: `<before> <after>`.
 * With `waitMs`, waits (polling every 20 ms) up to that long for that count to reach 0 first.
 * When none is alive to begin with, nothing is sent and `0 0` printed after that one check.
 * A pgid whose leader does not carry the markers (a reused number) is left alone, unless
 * `leaderAlive`: the caller knows the leader is the run's, alive (its channel has not reported
 * an exit, so sshd has not reaped it and its number cannot be another's), and it may not carry
 * the markers yet (runWrapper's posixLogin, before its last exec).
 */
export function signalRun(signal: string, pgid: number | null, markers: RunMarkers, waitMs = 0, leaderAlive = false): string {
  const kill = `kill -s ${signal} -- -${pgid} 2>/dev/null; `
  const group =
    pgid === null || pgid <= 1
      ? ''
      : leaderAlive
        ? kill
        : `if [ -r /proc/${pgid}/environ ] && ! grep -qzxF ${shellQuote(`TASKYARD_RUN_ID=${markers.runId}`)} /proc/${pgid}/environ 2>/dev/null; then :; else ${kill}fi; `
  const wait = waitMs > 0 ? `i=0; while [ "$(alive)" != 0 ] && [ $i -lt ${Math.ceil(waitMs / 20)} ]; do sleep 0.02; i=$((i + 1)); done; ` : ''
  // The usual answer after a run that left nothing, with no process started but one grep: no
  // member of the group at all (a builtin), and no process anywhere with the run's marker.
  const groupExists = pgid === null || pgid <= 1 ? 'false' : `kill -0 -- -${pgid} 2>/dev/null`
  const nothing = `! ${groupExists} && ! grep -qszxF ${shellQuote(`TASKYARD_RUN_ID=${markers.runId}`)} /proc/[0-9]*/environ`
  return (
    `if ${nothing}; then echo "0 0"; else ` +
    `${markedPids(markers)}; ${aliveCount(pgid ?? -1)}; before=$(alive); ` +
    `if [ "$before" = 0 ]; then echo "0 0"; else ${group}for p in $(marked); do kill -s ${signal} "$p" 2>/dev/null; done; ${wait}echo "$before $(alive)"; fi; fi`
  )
}

/** Prints how many of the run's processes are alive. */
export function countAlive(pgid: number, markers: RunMarkers): string {
  return `${markedPids(markers)}; ${aliveCount(pgid)}; alive`
}

/** Prints the resident bytes of every process in the run's session (sshd made the group a session). */
export function sampleRss(sid: number): string {
  return `cat /proc/[0-9]*/stat 2>/dev/null | awk -v s=${sid} -v page=$(getconf PAGESIZE) '{ sub(/^.*\\) /, "") } $4 == s { r += $22 } END { printf "%d\\n", r * page }'`
}
