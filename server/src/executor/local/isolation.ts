/**
 * A run's own view of the file system (RunSpec.isolation): a private mount namespace in which
 * each hidden directory is covered by an empty tmpfs and the writable / read-only paths are bound
 * back. Built with util-linux `unshare --mount` and mount(8), which needs root (CAP_SYS_ADMIN).
 *
 * Why unshare and not bwrap: unshare execs its command in place, so the run's leader keeps the
 * spawned pid and its own exit status and signal (bwrap stays as a parent and turns a signal
 * into exit code 128+n). The chain is unshare → sh (the mounts) → [setpriv →] the command, each
 * an exec of the same process. It costs a few milliseconds of mount(8) calls per start, paid
 * only by runs that ask for isolation.
 *
 * A run that stays root could unmount the tmpfs and see what it hides, so as root isolation
 * protects only together with runAs: setpriv drops to the account (and all supplementary groups)
 * after the mounts, and an unprivileged process cannot undo them.
 *
 * Not root: the same through unprivileged user namespaces — `unshare --user --map-root-user
 * --mount` gives the script the right to mount, then a second, nested user namespace maps the
 * server's own uid/gid back and execs the command without capabilities; mounts made in a more
 * privileged namespace are locked for it, so it cannot unmount the tmpfs either. runAs cannot
 * change the account then (only root can), so a different one is refused.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import type { RunSpec } from '../executor.ts'

export interface Isolation {
  readonly description: string
  /** The argv that builds the namespace, drops to runAs when given, then execs `argv`. */
  wrap(argv: readonly string[], isolation: NonNullable<RunSpec['isolation']>, runAs: RunSpec['runAs']): string[]
}

// Positional arguments: <n keeps> (<path> <rw|ro>)… <n hidden> <path>… -- <command>…
// Keeps are bound to a private staging tmpfs first, because once a hidden directory is covered
// the paths inside it can no longer be reached; then they are bound into place (mount --move
// is refused inside a user namespace) and the staging tmpfs is detached.
const SCRIPT = `set -eu
run_path=\${PATH-}; PATH=/usr/sbin:/usr/bin:/sbin:/bin
stage=$(mktemp -d /tmp/.taskyard-isolate.XXXXXX)
# A failed step leaves no staging directory behind (exec below replaces the shell, so no trap runs then).
trap 'umount -l "$stage" 2>/dev/null; rmdir "$stage" 2>/dev/null' EXIT
mount -t tmpfs -o mode=0700 taskyard-isolate "$stage"
keeps=''
n=$1; shift; i=0
while [ "$i" -lt "$n" ]; do
  i=$((i+1)); src=$1; mode=$2; shift 2
  if [ -d "$src" ]; then mkdir "$stage/$i"; else : > "$stage/$i"; fi
  mount --bind "$src" "$stage/$i"
  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$stage/$i"; fi
  keeps="$keeps$i $mode $src
"
done
n=$1; shift; i=0
while [ "$i" -lt "$n" ]; do
  i=$((i+1)); mount -t tmpfs -o mode=0755 taskyard-hidden "$1"; shift
done
printf '%s' "$keeps" | while IFS= read -r line; do
  i=\${line%% *}; rest=\${line#* }; mode=\${rest%% *}; dst=\${rest#* }
  if [ -d "$stage/$i" ]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")"; [ -e "$dst" ] || : > "$dst"; fi
  mount --bind "$stage/$i" "$dst"
  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$dst"; fi
done
umount -l "$stage"; rmdir "$stage"; trap - EXIT
shift
PATH=$run_path
exec "$@"
`

function findTool(name: string): string | null {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const candidate = `${dir}/${name}`
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      return candidate
    } catch {
      // next
    }
  }
  return null
}

function checkPaths(isolation: NonNullable<RunSpec['isolation']>): void {
  for (const p of [...isolation.hidden, ...isolation.writable, ...isolation.readOnly]) {
    if (!p.startsWith('/') || p.includes('\n')) throw new Error(`isolation paths must be absolute, without newlines: ${JSON.stringify(p)}`)
  }
}

function scriptArguments(isolation: NonNullable<RunSpec['isolation']>): string[] {
  const keeps = [...isolation.writable.map((p) => [p, 'rw']), ...isolation.readOnly.map((p) => [p, 'ro'])]
  return ['taskyard-isolate', String(keeps.length), ...keeps.flat(), String(isolation.hidden.length), ...isolation.hidden, '--']
}

/** Null when this process cannot build mount namespaces (tools missing, or the kernel or a sandbox forbids them). */
export function detectIsolation(): Isolation | null {
  const unshare = findTool('unshare')
  const setpriv = findTool('setpriv')
  const sh = findTool('sh')
  if (!unshare || !setpriv || !sh || !findTool('mount')) return null
  const uid = process.getuid?.()
  const gid = process.getgid?.()
  if (uid === undefined || gid === undefined) return null
  return uid === 0 ? detectAsRoot(unshare, setpriv, sh) : detectUnprivileged(unshare, sh, uid, gid)
}

function detectUnprivileged(unshare: string, sh: string, uid: number, gid: number): Isolation | null {
  const nested = [unshare, '--user', `--map-user=${uid}`, `--map-group=${gid}`, '--']
  // One real namespace pair at creation proves it works here (many kernels and containers forbid it).
  const probe = spawnSync(
    unshare,
    ['--user', '--map-root-user', '--mount', '--propagation', 'private', '--', sh, '-c', `mount -t tmpfs none /mnt && exec ${nested.join(' ')} true`],
    { stdio: 'ignore', timeout: 5_000 },
  )
  if (probe.status !== 0) return null
  return {
    description: `mount namespace (${unshare} --user --mount, unprivileged user namespaces; hidden directories covered by an empty tmpfs, allowed paths bound back; the run keeps the server's account)`,
    wrap(argv, isolation, runAs) {
      checkPaths(isolation)
      if (runAs && (runAs.uid !== uid || runAs.gid !== gid)) throw new Error(`runAs ${runAs.uid}:${runAs.gid} needs a server running as root`)
      return [
        unshare,
        '--user',
        '--map-root-user',
        '--mount',
        '--propagation',
        'private',
        '--',
        sh,
        '-c',
        SCRIPT,
        ...scriptArguments(isolation),
        ...nested,
        ...argv,
      ]
    },
  }
}

function detectAsRoot(unshare: string, setpriv: string, sh: string): Isolation | null {
  const probe = spawnSync(unshare, ['--mount', '--propagation', 'private', sh, '-c', 'mount -t tmpfs none /mnt'], { stdio: 'ignore', timeout: 5_000 })
  if (probe.status !== 0) return null
  return {
    description: `mount namespace (${unshare} --mount as root; hidden directories covered by an empty tmpfs, allowed paths bound back; needs runAs to be binding)`,
    wrap(argv, isolation, runAs) {
      checkPaths(isolation)
      const drop = runAs ? [setpriv, `--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--'] : []
      return [unshare, '--mount', '--propagation', 'private', '--', sh, '-c', SCRIPT, ...scriptArguments(isolation), ...drop, ...argv]
    },
  }
}
