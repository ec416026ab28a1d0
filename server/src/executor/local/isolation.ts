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
import { PRIVATE_TMP_DIRS, type RunSpec } from '../executor.ts'
import { PERL_COPY_OUTPUT } from './perl-copy-output.ts'

export interface WrapOptions {
  /**
   * The run's output cap, for a helper that can be the copier too (the Perl one). When `wrap`
   * answers `forksCopier: true`, the argv must be spawned with the log descriptor as stdout and
   * stderr and a pipe as fd 3, on which the copier reports its pid and which it holds until it
   * exits; otherwise the caller starts a copier of its own.
   */
  outputCap?: { maxBytes: number; marker: string } | null
  /** Names in `env` that the helper process itself must not carry (they are put back for the command). */
  keepOffHelper?: readonly string[]
  /** A private /tmp, /var/tmp and /dev/shm (PRIVATE_TMP); default true. */
  privateTmp?: boolean
}

export interface Wrapped {
  argv: string[]
  env: Record<string, string>
  /** The helper forks the output copier itself (see WrapOptions.outputCap). */
  forksCopier: boolean
}

/**
 * What a pre-started launcher (launcher.ts) needs to run the Perl helper's steps in a forked
 * leader instead of one Perl start-up per run: the helper's definitions (its `isolate` sub), the
 * Perl to start, the syscall numbers it is started with, and one run's `isolate` arguments
 * (no copier: the launcher forks it; every variable of `env` restored for the command only).
 */
export interface LauncherSupport {
  readonly perl: string
  readonly definitions: string
  readonly syscalls: string
  isolateArguments(isolation: NonNullable<RunSpec['isolation']>, runAs: RunSpec['runAs'], env: Record<string, string>): string[]
}

export interface Isolation {
  readonly description: string
  /**
   * The argv that builds the namespace, drops to runAs when given, then execs `argv` with `env`,
   * and the environment to spawn that argv with (the helper may need some of `env` kept from itself).
   */
  wrap(
    argv: readonly string[],
    isolation: NonNullable<RunSpec['isolation']>,
    runAs: RunSpec['runAs'],
    env: Record<string, string>,
    options?: WrapOptions,
  ): Wrapped
  /** Present when the run's steps can run in a launcher's forked leader (the Perl helper). */
  readonly launcher?: LauncherSupport
}

/**
 * As root, the same namespace in one exec (issue 10): a Perl helper makes the system calls itself
 * (unshare, mount, mount_setattr, umount2, setgroups, setresgid, setresuid), then execs the
 * command. The shell chain above costs about forty milliseconds of CPU per run in mount(8),
 * mkdir(1), mktemp(1) and setpriv(1) processes; this costs about five (one Perl start-up and the
 * system calls; measured 2026-12-02 at load 17, docs/benchmarks.md). Same steps, same order: a private staging tmpfs for the kept paths, the hidden
 * directories covered by an empty tmpfs (mode 0755), the kept paths bound into place (read-only
 * ones made read-only, at the staging copy and in place), the staging detached and removed, then
 * supplementary groups cleared, gid and uid set (real, effective, saved). The run's own PERL*
 * variables never reach this root process (they could load code into it): they are passed as
 * arguments and put back for the command only, and so are the names in `keepOffHelper` (the
 * run's markers: the copier below must not carry them). Syscall numbers are per architecture:
 * x86-64 and arm64 here; elsewhere the shell chain is used.
 *
 * With an output cap it is also the run's output copier (issue 10: one Perl start-up and one
 * spawn per run instead of two), with the same steps as PERL_COPIER in local-run.ts. First of
 * all, before anything can fail or print, it forks: the child is the copier, the parent goes on
 * to build the namespace and exec the command with stdout and stderr on the copier's pipe. The
 * log descriptor arrives as stdout (fd 1) and only the copier keeps it; fd 3 is a report channel
 * to the executor, on which the copier writes its pid and which it holds until it exits (the
 * executor's end-of-file is its exit); the parent closes both before it execs. Why the copier is
 * safe from the run although it is the command's child: it stays root (forked before the uid
 * switch), so a run under runAs can neither signal it (kill needs a matching uid; SIGCONT's
 * same-session exception does not apply: the copier calls setsid, and the parent execs the
 * command only after that) nor ptrace it, nor read its descriptors in /proc; it is a session and
 * process group of its own, which no run process can join (setpgid stays within a session), and
 * it is in no namespace of the run's. The run can
 * still reap it with wait(2) once it has exited, which is all a parent can do. TERM, INT and HUP
 * are blocked across the fork, so a stop that lands then reaches the parent (the future command)
 * but never the copier before it ignores them; SIGPIPE is ignored, so a dead executor on fd 3
 * does not end it. Once the command exits, the copier is reparented to init, which reaps it.
 *
 * Private temporary directories (PRIVATE_TMP): a tmpfs (mode 1777) for each in the staging
 * directory, kept paths under them bound into it, then bound recursively over /tmp, /var/tmp and
 * /dev/shm last. The staging directory is in the host's /tmp, which that
 * covers, so the helper works from the host's /tmp as its cwd (relative lookups from a covered
 * cwd stay beneath the mount) and changes back to the command's directory, looked up again in the
 * finished namespace, at the end (else the cwd would still be the directory beneath the hidden
 * tmpfs, and `..` would lead into what is hidden); a cwd the namespace no longer has becomes /.
 *
 * It loads no Perl module (issue 10: each run paid for loading strict.pm, Errno.pm and Exporter.pm):
 * errno values are compared by number (EINTR 4, ENOENT 2, the same on x86-64 and arm64), and
 * strictness is checked by a test (isolation.test.ts compiles it with -Mstrict) instead of at
 * every start.
 *
 * Arguments: <syscall numbers, comma-separated> <cap bytes|-> <marker> <n keeps> (<path> <rw|ro>)…
 *   <n hidden> <path>… <n private> <tmpfs size> <path>… <uid|-> <gid|-> <n restored> (NAME=value)… -- <command>…
 */
const HELPER_DEFS = `my ($SYS_mount, $SYS_umount2, $SYS_unshare, $SYS_setgroups, $SYS_setresuid, $SYS_setresgid, $SYS_mount_setattr, $SYS_setsid, $SYS_rt_sigprocmask) = split /,/, shift @ARGV;
my $none = 0;
my $stage;
# A failed step leaves no staging directory behind.
sub fail { my $m = shift; print STDERR "taskyard-isolate: $m: $!\n"; if (defined $stage) { syscall($SYS_umount2, $stage, 2); rmdir $stage } exit 126 }
my ($tmpfs, $bind, $ro) = ('tmpfs', 4096, 4096 | 32 | 1);
sub mount_tmpfs { my ($name, $dir, $mode) = @_; my $opts = "mode=$mode"; syscall($SYS_mount, $name, $dir, $tmpfs, $none, $opts) == -1 and fail("mount tmpfs on $dir") }
sub bind_mount { my ($src, $dst, $rec) = @_; syscall($SYS_mount, $src, $dst, $none, $bind | ($rec ? 16384 : 0), $none) == -1 and fail("bind $src on $dst") }
sub make_readonly {
  my $dir = shift; my $attr = pack('Q4', 1, 0, 0, 0);
  return if syscall($SYS_mount_setattr, -100, $dir, 0, $attr, 32) == 0;
  syscall($SYS_mount, $none, $dir, $none, $ro, $none) == -1 and fail("read-only $dir");
}
sub mkdirs { my $dir = shift; return if -d $dir; my $up = $dir =~ s{/[^/]*\\z}{}r; mkdirs($up) if $up ne ''; mkdir $dir or -d $dir or fail("mkdir $dir") }
sub touch { my $file = shift; open(my $fh, '>>', $file) or fail("create $file"); close $fh }
${PERL_COPY_OUTPUT}# One run's steps, from the copier fork to the environment: the launcher (launcher.ts) calls it in
# each run's forked leader, the one-exec helper once; the caller execs the command.
sub isolate {
my ($cap, $marker) = splice(@ARGV, 0, 2);
my $settled;
if ($cap ne '-') {
  pipe(my $from_run, my $to_copier) or fail('pipe');
  pipe($settled, my $settling) or fail('pipe');
  my $blocked = pack('Q', (1 << 0) | (1 << 1) | (1 << 14));
  syscall($SYS_rt_sigprocmask, 0, $blocked, $none, 8) == -1 and fail('blocking signals');
  my $pid = fork;
  defined $pid or fail('fork');
  if ($pid == 0) {
    $SIG{TERM} = $SIG{INT} = $SIG{HUP} = $SIG{PIPE} = 'IGNORE';
    syscall($SYS_setsid) == -1 and exit 1;
    close $settling;
    close $settled;
    syscall($SYS_rt_sigprocmask, 1, $blocked, $none, 8);
    close $to_copier;
    open(STDIN, '<&', $from_run) or exit 1;
    close $from_run;
    close STDERR;
    open(my $report, '>&=', 3) or exit 1;
    syswrite($report, "$$\n");
    copy_output($cap, $marker);
  }
  close $from_run;
  close $settling;
  open(STDOUT, '>&', $to_copier) or fail('stdout to the copier');
  open(STDERR, '>&', $to_copier) or fail('stderr to the copier');
  close $to_copier;
  my $report; close $report if open($report, '>&=', 3);
  syscall($SYS_rt_sigprocmask, 1, $blocked, $none, 8);
}
my $cwd = readlink('/proc/self/cwd');
syscall($SYS_unshare, 0x20000) == -1 and fail('unshare(CLONE_NEWMNT)');
my $root = '/';
syscall($SYS_mount, $none, $root, $none, 16384 | 262144, $none) == -1 and fail('making the mounts private');
chdir '/tmp' or fail('chdir /tmp');
for (1 .. 100) { my $try = sprintf('.taskyard-isolate.%d.%08x', $$, int(rand(0xffffffff))); if (mkdir $try, 0700) { $stage = $try; last } }
defined $stage or fail('staging directory in /tmp');
mount_tmpfs('taskyard-isolate', $stage, '0700');
my @keeps;
my $n = shift @ARGV;
for my $i (1 .. $n) {
  my ($src, $mode) = splice(@ARGV, 0, 2);
  if (-d $src) { mkdir "$stage/$i" or fail("mkdir $stage/$i") } else { touch("$stage/$i") }
  bind_mount($src, "$stage/$i");
  make_readonly("$stage/$i") if $mode eq 'ro';
  push @keeps, [$i, $mode, $src];
}
$n = shift @ARGV;
mount_tmpfs('taskyard-hidden', shift @ARGV, '0755') for 1 .. $n;
$n = shift @ARGV;
my $size = shift @ARGV;
my @private = splice(@ARGV, 0, $n);
if (@private) {
  mkdir "$stage/tmp" or fail("mkdir $stage/tmp");
  for my $j (0 .. $#private) { mkdir "$stage/tmp/$j" or fail("mkdir $stage/tmp/$j"); mount_tmpfs('taskyard-tmp', "$stage/tmp/$j", "1777,size=$size") }
}
my $placed = sub { my $dst = shift; for my $j (0 .. $#private) { my $p = $private[$j]; return "$stage/tmp/$j" . substr($dst, length $p) if $dst eq $p || index($dst, "$p/") == 0 } $dst };
for my $keep (@keeps) {
  my ($i, $mode, $dst) = @$keep;
  $dst = $placed->($dst);
  if (-d "$stage/$i") { mkdirs($dst) } else { my $up = $dst =~ s{/[^/]*\\z}{}r; mkdirs($up) if $up ne ''; touch($dst) unless -e $dst }
  bind_mount("$stage/$i", $dst);
  make_readonly($dst) if $mode eq 'ro';
}
for my $j (0 .. $#private) { bind_mount("$stage/tmp/$j", $private[$j], 1) if -d $private[$j] }
syscall($SYS_umount2, $stage, 2) == -1 and fail("umount $stage");
rmdir $stage; undef $stage;
chdir(defined $cwd ? $cwd : '/') or chdir '/' or fail('chdir /');
my ($uid, $gid) = splice(@ARGV, 0, 2);
if ($uid ne '-') {
  syscall($SYS_setgroups, 0, $none) == -1 and fail('setgroups');
  syscall($SYS_setresgid, $gid + 0, $gid + 0, $gid + 0) == -1 and fail("setresgid $gid");
  syscall($SYS_setresuid, $uid + 0, $uid + 0, $uid + 0) == -1 and fail("setresuid $uid");
}
# The command starts only once the copier is in its own session (end-of-file: it closed $settling
# after setsid), so the run never shares one with it (kill(2) lets SIGCONT cross uids within a session).
if (defined $settled) { my $byte; 1 while !defined sysread($settled, $byte, 1) && $! == 4; close $settled }
delete $ENV{PERL_BADLANG};
$n = shift @ARGV;
for (1 .. $n) { my ($name, $value) = split /=/, shift(@ARGV), 2; $ENV{$name} = $value }
shift @ARGV;
}
`

const HELPER_MAIN = `isolate();
exec { $ARGV[0] } @ARGV;
my $code = $! == 2 ? 127 : 126;
print STDERR "taskyard-isolate: cannot run $ARGV[0]: $!\n";
exit $code;
`

const HELPER = HELPER_DEFS + HELPER_MAIN

/** mount, umount2, unshare, setgroups, setresuid, setresgid, mount_setattr, setsid, rt_sigprocmask. */
const SYSCALLS: Partial<Record<NodeJS.Architecture, string>> = {
  x64: '165,166,272,116,117,119,442,112,14',
  arm64: '40,39,97,159,147,149,442,157,135',
}

/**
 * Every isolated process gets its own /tmp, /var/tmp and /dev/shm (all runs share one account,
 * taskyard-run: in the machine's /tmp one user's run would read what another's left there, and a
 * PostgreSQL socket in /tmp would be reachable). A tmpfs each, bounded in size, rather than a
 * directory of the run's on disk: nothing to create or remove per run (it is gone with the
 * namespace's last process, also after a crash of the server), and a run with a memory limit is
 * charged for its pages by its cgroup. The bound is for runs without one: a quarter of RAM each
 * (tmpfs's own default is half). Directories the machine lacks are skipped.
 */
export const PRIVATE_TMP: { readonly dirs: readonly string[]; readonly size: string } = { dirs: PRIVATE_TMP_DIRS, size: '25%' }

// Positional arguments: <n keeps> (<path> <rw|ro>)… <n hidden> <path>… <n private> <tmpfs size> <path>… -- <command>…
// The private /tmp (PRIVATE_TMP) comes first, from the machine's /tmp as the cwd: the staging
// directory is then made in it (so it is removed by its path; one in the machine's /tmp could not
// be once that is covered), and kept paths under the machine's /tmp are reached relative to the
// cwd (a mount over the cwd does not change what a relative lookup from it finds; mount -c keeps
// mount(8) from making them absolute). Keeps are bound to a private staging tmpfs next, because
// once a hidden directory is covered the paths inside it can no longer be reached; then the other
// private directories and the hidden ones are covered (those inside a private one need nothing),
// the keeps bound into place (mount --move is refused inside a user namespace) and the staging
// tmpfs detached. Last, the command's directory is looked up again in the finished namespace (a
// cwd still beneath a hidden tmpfs would lead, by `..`, into what it hides), or / where it is gone.
const SCRIPT = `set -eu
run_path=\${PATH-}; PATH=/usr/sbin:/usr/bin:/sbin:/bin
cwd=$(pwd -P 2>/dev/null || echo /)
cd /tmp
keeps=''; n=$1; shift; i=0
while [ "$i" -lt "$n" ]; do
  i=$((i+1)); keeps="$keeps$i $2 $1
"; shift 2
done
hidden=''; n=$1; shift
while [ "$n" -gt 0 ]; do hidden="$hidden$1
"; n=$((n-1)); shift; done
private=''; n=$1; size=$2; shift 2
while [ "$n" -gt 0 ]; do private="$private$1
"; n=$((n-1)); shift; done
# Whether $1 is one of the newline-separated directories in $2 or inside one.
under() { printf '%s' "$2" | { while IFS= read -r d; do case $1 in "$d" | "$d"/*) exit 0 ;; esac; done; exit 1; }; }
tmp_private=''
if printf '%s' "$private" | grep -qx /tmp; then mount -t tmpfs -o "mode=1777,size=$size" taskyard-tmp /tmp; tmp_private=1; fi
stage=$(mktemp -d /tmp/.taskyard-isolate.XXXXXX)
# A failed step leaves no staging directory behind (exec below replaces the shell, so no trap runs then).
trap 'umount -l "$stage" 2>/dev/null; rmdir "$stage" 2>/dev/null' EXIT
mount -t tmpfs -o mode=0700 taskyard-isolate "$stage"
printf '%s' "$keeps" | while IFS= read -r line; do
  i=\${line%% *}; rest=\${line#* }; mode=\${rest%% *}; src=\${rest#* }
  if [ -n "$tmp_private" ]; then case $src in /tmp/*) src=./\${src#/tmp/} ;; esac; fi
  if [ -d "$src" ]; then mkdir "$stage/$i"; else : > "$stage/$i"; fi
  mount -c --bind "$src" "$stage/$i"
  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$stage/$i"; fi
done
printf '%s' "$private" | while IFS= read -r p; do
  if [ "$p" != /tmp ] && [ -d "$p" ]; then mount -t tmpfs -o "mode=1777,size=$size" taskyard-tmp "$p"; fi
done
printf '%s' "$hidden" | while IFS= read -r h; do
  under "$h" "$private" || mount -t tmpfs -o mode=0755 taskyard-hidden "$h"
done
printf '%s' "$keeps" | while IFS= read -r line; do
  i=\${line%% *}; rest=\${line#* }; mode=\${rest%% *}; dst=\${rest#* }
  if [ -d "$stage/$i" ]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")"; [ -e "$dst" ] || : > "$dst"; fi
  mount --bind "$stage/$i" "$dst"
  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$dst"; fi
done
umount -l "$stage"; rmdir "$stage"; trap - EXIT
cd "$cwd" 2>/dev/null || cd /
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

function privateArguments(on: boolean): string[] {
  const dirs = on ? PRIVATE_TMP.dirs : []
  return [String(dirs.length), PRIVATE_TMP.size, ...dirs]
}

function scriptArguments(isolation: NonNullable<RunSpec['isolation']>, privateTmp: boolean): string[] {
  const keeps = [...isolation.writable.map((p) => [p, 'rw']), ...isolation.readOnly.map((p) => [p, 'ro'])]
  return [
    'taskyard-isolate',
    String(keeps.length),
    ...keeps.flat(),
    String(isolation.hidden.length),
    ...isolation.hidden,
    ...privateArguments(privateTmp),
    '--',
  ]
}

/**
 * Null when this process cannot build mount namespaces (tools missing, or the kernel or a sandbox
 * forbids them). As root the Perl helper is preferred; `method: 'shell'` asks for the shell chain
 * that machines without Perl get, so tests keep both honest.
 */
export function detectIsolation(options: { method?: 'helper' | 'shell' } = {}): Isolation | null {
  const unshare = findTool('unshare')
  const setpriv = findTool('setpriv')
  const sh = findTool('sh')
  if (!unshare || !setpriv || !sh || !findTool('mount')) return null
  const uid = process.getuid?.()
  const gid = process.getgid?.()
  if (uid === undefined || gid === undefined) return null
  if (uid !== 0) return detectUnprivileged(unshare, sh, uid, gid)
  return (options.method === 'shell' ? null : detectWithHelper()) ?? detectAsRoot(unshare, setpriv, sh)
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
    wrap(argv, isolation, runAs, env, options = {}) {
      checkPaths(isolation)
      if (runAs && (runAs.uid !== uid || runAs.gid !== gid)) throw new Error(`runAs ${runAs.uid}:${runAs.gid} needs a server running as root`)
      const wrapped = [
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
        ...scriptArguments(isolation, options.privateTmp !== false),
        ...nested,
        ...argv,
      ]
      return { argv: wrapped, env, forksCopier: false }
    },
  }
}

function detectAsRoot(unshare: string, setpriv: string, sh: string): Isolation | null {
  const probe = spawnSync(unshare, ['--mount', '--propagation', 'private', sh, '-c', 'mount -t tmpfs none /mnt'], { stdio: 'ignore', timeout: 5_000 })
  if (probe.status !== 0) return null
  return {
    description: `mount namespace (${unshare} --mount as root; hidden directories covered by an empty tmpfs, allowed paths bound back; needs runAs to be binding)`,
    wrap(argv, isolation, runAs, env, options = {}) {
      checkPaths(isolation)
      const drop = runAs ? [setpriv, `--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--'] : []
      return {
        argv: [
          unshare,
          '--mount',
          '--propagation',
          'private',
          '--',
          sh,
          '-c',
          SCRIPT,
          ...scriptArguments(isolation, options.privateTmp !== false),
          ...drop,
          ...argv,
        ],
        env,
        forksCopier: false,
      }
    },
  }
}

/** As root with Perl on x86-64 or arm64: the one-exec helper (HELPER), once it has built a namespace here. */
function detectWithHelper(): Isolation | null {
  const perl = findTool('perl')
  const numbers = SYSCALLS[process.arch]
  if (!perl || !numbers) return null
  const helperArguments = (
    isolation: NonNullable<RunSpec['isolation']>,
    runAs: RunSpec['runAs'],
    restored: string[],
    cap: WrapOptions['outputCap'],
    privateTmp: boolean,
  ): string[] => {
    const keeps = [...isolation.writable.map((p) => [p, 'rw']), ...isolation.readOnly.map((p) => [p, 'ro'])]
    return [
      numbers,
      cap ? String(cap.maxBytes) : '-',
      cap ? cap.marker : '-',
      String(keeps.length),
      ...keeps.flat(),
      String(isolation.hidden.length),
      ...isolation.hidden,
      ...privateArguments(privateTmp),
      runAs ? String(runAs.uid) : '-',
      runAs ? String(runAs.gid) : '-',
      String(restored.length),
      ...restored,
      '--',
    ]
  }
  // With a cap, so the copier's fork, setsid and signal mask are proven here too: its report on
  // fd 3 must name a process other than the helper.
  const probe = spawnSync(
    perl,
    ['-e', HELPER, ...helperArguments({ hidden: ['/mnt'], writable: [], readOnly: ['/etc'] }, null, [], { maxBytes: 1, marker: '' }, true), 'true'],
    {
      cwd: '/',
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      timeout: 5_000,
      env: { PATH: '/usr/bin:/bin', PERL_BADLANG: '0' },
    },
  )
  const reported = Number(probe.output?.[3]?.toString().trim())
  if (probe.status !== 0 || !(reported > 1) || reported === probe.pid) return null
  const launcher: LauncherSupport = {
    perl,
    definitions: HELPER_DEFS,
    syscalls: numbers,
    isolateArguments(isolation, runAs, env) {
      checkPaths(isolation)
      const restored = Object.entries(env).map(([name, value]) => `${name}=${value}`)
      return helperArguments(isolation, runAs, restored, null, true).slice(1)
    },
  }
  return {
    launcher,
    description: `mount namespace (${perl} helper as root: unshare, mount and setresuid in one exec, the output copier forked from it; hidden directories covered by an empty tmpfs, allowed paths bound back; needs runAs to be binding)`,
    wrap(argv, isolation, runAs, env, options = {}) {
      checkPaths(isolation)
      const keepOff = new Set(options.keepOffHelper ?? [])
      const own: Record<string, string> = { PERL_BADLANG: '0' }
      const restored: string[] = []
      for (const [name, value] of Object.entries(env)) {
        if (name.startsWith('PERL') || keepOff.has(name)) restored.push(`${name}=${value}`)
        else own[name] = value
      }
      const cap = options.outputCap ?? null
      return {
        argv: [perl, '-e', HELPER, ...helperArguments(isolation, runAs, restored, cap, options.privateTmp !== false), ...argv],
        env: own,
        forksCopier: cap !== null,
      }
    },
  }
}

/** For the tests (isolation.test.ts: strict-clean, loads no module). */
export { HELPER as isolationHelperSource }
