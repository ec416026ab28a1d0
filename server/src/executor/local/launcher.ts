/**
 * The launcher (issue 10): one long-lived Perl process, started once by the executor (in the
 * runner, as root), that starts isolated runs by fork instead of one Perl start-up and one
 * fork+exec from Node per run. It holds the isolation helper's steps compiled (isolation.ts,
 * `isolate`), reads one request line per run on its stdin, and forks a small supervisor per run;
 * the supervisor forks the output copier (when the run has a cap) and the run's leader as its own
 * children, reports them, waits for both and reports their ends. Forking a 5 MB Perl process costs
 * a fraction of a fresh `perl` exec (docs/benchmarks.md: about 3.5 ms of CPU a run less).
 *
 * Why a supervisor per run and not the launcher itself as the parent: the launcher then needs no
 * signal handling at all (SIGCHLD ignored: the kernel reaps the supervisors), and a launcher that
 * dies takes no run with it — each supervisor goes on reporting on the same pipe, so the
 * executor's runs stay attached; the executor starts a new launcher for the runs that follow. A
 * supervisor is root and in the launcher's session: the run (another account, another session,
 * another mount namespace) can neither signal nor ptrace it.
 *
 * The leader, in order: default signal dispositions (the launcher ignores TERM, INT, HUP and PIPE,
 * and ignored signals survive exec), setsid (the run is a session and group of its own), joins the
 * run's cgroup (writes 0 to its cgroup.procs or tasks files: nothing of the run is ever outside
 * it), chdir, stdin /dev/null, stdout and stderr to the copier's pipe or the log (opened by path,
 * O_APPEND), `isolate` (namespace, uid switch, environment), exec. It reports on a close-on-exec
 * status pipe: end-of-file is an exec or an exit, so 'started' comes once the namespace is built; a
 * missing working directory comes back as the spawn error Node would give, and a command that
 * cannot be exec'd ends the run as the one-exec helper's does (exit 127 or 126, its message in the log).
 *
 * Protocol. Request (executor → launcher), one line: fields separated by NUL, each with `\` and
 * newline escaped (`\\`, `\n`): id, cwd, log path, cap bytes or -, marker, n cgroup files,
 * files…, then the `isolate` arguments. Events (launcher → executor), one line each, written with
 * one write(2) (atomic in a pipe): `started <id> <pid> <copier pid|->`, `failed <id> cwd`,
 * `failed <id> error <text>`, `exited <id> <wait status>`,
 * `copier <id>` (the copier has exited).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import os from 'node:os'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import type { LauncherSupport } from './isolation.ts'

const LAUNCHER_MAIN = String.raw`
$SIG{CHLD} = 'IGNORE';
$SIG{TERM} = $SIG{INT} = $SIG{HUP} = $SIG{PIPE} = 'IGNORE';
sub event { my $line = shift; syswrite(STDOUT, "$line\n") }
sub join_cgroups { for my $file (@_) { open(my $fh, '>', $file) or return 0; defined syswrite($fh, '0') or return 0; close $fh or return 0 } 1 }
sub supervise {
  my ($id, $cwd, $log, $cap, $marker, $ncg, @rest) = @_;
  my @cg = splice(@rest, 0, $ncg);
  $SIG{CHLD} = 'DEFAULT';
  my ($copier, $to_copier) = ('-');
  if ($cap ne '-') {
    pipe(my $from_run, $to_copier) or do { event("failed $id error pipe: $!"); return };
    pipe(my $settled, my $settling) or do { event("failed $id error pipe: $!"); return };
    $copier = fork;
    defined $copier or do { event("failed $id error fork: $!"); return };
    if ($copier == 0) {
      syscall($SYS_setsid) == -1 and exit 1;
      join_cgroups(@cg) or exit 1;
      close $settling; close $settled; close $to_copier;
      open(STDIN, '<&', $from_run) or exit 1;
      close $from_run;
      open(STDOUT, '>>', $log) or exit 1;
      close STDERR;
      copy_output($cap, $marker);
    }
    close $from_run; close $settling;
    # The leader starts only once the copier is in its own session (see isolation.ts).
    my $byte; 1 while !defined sysread($settled, $byte, 1) && $! == 4; close $settled;
  }
  pipe(my $status, my $status_w) or do { event("failed $id error pipe: $!"); return };
  my $leader = fork;
  if (!defined $leader) { event("failed $id error fork: $!"); return }
  if ($leader == 0) {
    close $status;
    $SIG{TERM} = $SIG{INT} = $SIG{HUP} = $SIG{PIPE} = $SIG{CHLD} = 'DEFAULT';
    syscall($SYS_setsid);
    join_cgroups(@cg) or do { syswrite($status_w, "error joining the run's cgroup: $!"); exit 127 };
    chdir $cwd or do { syswrite($status_w, 'cwd'); exit 127 };
    open(STDIN, '<', '/dev/null') or do { syswrite($status_w, "error stdin: $!"); exit 127 };
    if (defined $to_copier) {
      open(STDOUT, '>&', $to_copier) or do { syswrite($status_w, "error stdout: $!"); exit 127 };
      open(STDERR, '>&', $to_copier) or do { syswrite($status_w, "error stderr: $!"); exit 127 };
      close $to_copier;
    } else {
      open(STDOUT, '>>', $log) or do { syswrite($status_w, "error opening the log: $!"); exit 127 };
      open(STDERR, '>&', \*STDOUT) or do { syswrite($status_w, "error stderr: $!"); exit 127 };
    }
    %ENV = ();
    @ARGV = @rest;
    isolate();
    exec { $ARGV[0] } @ARGV;
    my $code = $! == 2 ? 127 : 126;
    print STDERR "taskyard-isolate: cannot run $ARGV[0]: $!\n";
    exit $code;
  }
  close $status_w;
  close $to_copier if defined $to_copier;
  my ($said, $got) = ('');
  do { $got = sysread($status, $said, 4096, length $said) } while (!defined $got && $! == 4 || $got);
  close $status;
  event($said eq '' ? "started $id $leader $copier" : "failed $id $said");
  my $waited; do { $waited = waitpid($leader, 0) } while ($waited == -1 && $! == 4);
  event("exited $id $?") if $said eq '';
  if ($copier ne '-') { do { $waited = waitpid($copier, 0) } while ($waited == -1 && $! == 4); event("copier $id") }
}
open(my $taken, '>&=', 3) or die "fd 3: $!";
my $in = '';
for (;;) {
  my $got = sysread(STDIN, $in, 65536, length $in);
  if (!defined $got) { next if $! == 4; exit 1 }
  exit 0 if $got == 0;
  while ((my $end = index($in, "\n")) >= 0) {
    my @fields = map { s/\\(.)/$1 eq 'n' ? "\n" : $1/gesr } split(/\0/, substr($in, 0, $end), -1);
    substr($in, 0, $end + 1, '');
    # Taken (before the fork): a launcher that dies after this may have started the run, one that
    # dies before it never did. fd 3 is the launcher's alone, so its end-of-file ends the list.
    syswrite($taken, "$fields[0]\n");
    my $pid = fork;
    if (!defined $pid) { event("failed $fields[0] error fork: $!"); next }
    if ($pid == 0) { close $taken; open(STDIN, '<', '/dev/null'); supervise(@fields); exit 0 }
  }
}
`

export interface LaunchRequest {
  cwd: string
  outputPath: string
  cap: { maxBytes: number; marker: string } | null
  /** Written "0" by the leader and the copier: the files that put the caller in the run's cgroup. */
  cgroupFiles: readonly string[]
  isolateArguments: readonly string[]
}

export interface LaunchEvents {
  started(pid: number, copierPid: number | null): void
  /** Not started: a spawn error as Node would word it. */
  failed(message: string): void
  exited(exitCode: number | null, signal: NodeJS.Signals | null): void
  copierExited(): void
  /** The supervisor is gone without a word (killed): the run's end cannot be known. */
  lost(): void
}

const signalNames = new Map<number, NodeJS.Signals>(Object.entries(os.constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]))

const escape = (field: string): string => field.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')

interface Pending {
  events: LaunchEvents
  command: string
  cwd: string
  state: 'requested' | 'started' | 'exited'
  copier: boolean
  /** The request as sent, for a resend to the next launcher when this one died before answering. */
  line: string
  resent: boolean
  /** The launcher said it took the request (fd 3) and may have forked its supervisor. */
  taken: boolean
}

/** One launcher process and the runs it (or its supervisors) still report on. */
class Instance {
  readonly child: ChildProcess
  readonly runs = new Map<number, Pending>()
  alive = true

  constructor(support: LauncherSupport, onGone: (instance: Instance) => void, resend: (id: number, run: Pending) => void) {
    this.child = spawn(support.perl, ['-e', support.definitions + LAUNCHER_MAIN, support.syscalls], {
      cwd: '/',
      // Nothing of any run's, and no PERL* variable: this process is root and lives long.
      env: { PATH: '/usr/bin:/bin', PERL_BADLANG: '0' },
      stdio: ['pipe', 'pipe', 'inherit', 'pipe'],
    })
    // EPIPE: the launcher is gone; what was written is resent once its events pipe has closed.
    this.child.stdin?.on('error', () => {
      this.alive = false
    })
    this.child.once('exit', () => {
      this.alive = false
      onGone(this)
    })
    this.child.once('error', () => {
      this.alive = false
      onGone(this)
    })
    // The ids the launcher took, on its own fd 3: at its end-of-file (all read, the launcher gone)
    // a request it never took was never started, and goes to the next launcher at once.
    const taken = createInterface({ input: this.child.stdio[3] as Readable })
    taken.on('line', (line) => {
      const run = this.runs.get(Number(line))
      if (run) run.taken = true
    })
    taken.once('close', () => {
      this.alive = false
      onGone(this)
      for (const [id, run] of this.runs) {
        if (run.state !== 'requested' || run.taken) continue
        this.runs.delete(id)
        resend(id, run)
      }
      this.hold()
    })
    const lines = createInterface({ input: this.child.stdout! })
    lines.on('line', (line) => this.#onLine(line))
    // End-of-file: the launcher and every supervisor are gone. A run taken but not started by now
    // never was (its supervisor would have said so before it ended): it goes to the next launcher,
    // once. A started run not over was lost with its supervisor.
    lines.once('close', () => {
      this.alive = false
      onGone(this)
      for (const [id, run] of this.runs) {
        this.runs.delete(id)
        if (run.state === 'requested') {
          if (run.resent) run.events.failed('the run launcher process died before the run started')
          else resend(id, run)
        } else if (run.state === 'started') run.events.lost()
        else if (run.copier) run.events.copierExited()
      }
      this.hold()
    })
  }

  /** The events pipe keeps this process alive while runs are reported on it, and only then. */
  hold(): void {
    const pipes = [this.child.stdout, this.child.stdin, this.child.stdio[3]] as unknown as Array<{ ref?(): void; unref?(): void } | null>
    for (const pipe of pipes) {
      if (this.runs.size > 0) pipe?.ref?.()
      else pipe?.unref?.()
    }
  }

  #onLine(line: string): void {
    const [kind, idText, ...rest] = line.split(' ')
    const id = Number(idText)
    const run = this.runs.get(id)
    if (!run) return
    try {
      this.#dispatch(kind, id, run, rest)
    } finally {
      this.hold()
    }
  }

  #dispatch(kind: string | undefined, id: number, run: Pending, rest: string[]): void {
    switch (kind) {
      case 'started': {
        run.state = 'started'
        const copier = Number(rest[1])
        run.copier = Number.isSafeInteger(copier) && copier > 1
        run.events.started(Number(rest[0]), run.copier ? copier : null)
        break
      }
      case 'failed': {
        this.runs.delete(id)
        run.state = 'exited'
        const [what, ...detail] = rest
        if (what === 'cwd') run.events.failed(`spawn ${run.command} ENOENT (working directory ${run.cwd} does not exist)`)
        else run.events.failed(`spawn ${run.command}: ${detail.join(' ')}`)
        break
      }
      case 'exited': {
        run.state = 'exited'
        if (!run.copier) this.runs.delete(id)
        const status = Number(rest[0])
        const signal = status & 0x7f
        run.events.exited(signal === 0 ? (status >> 8) & 0xff : null, signal === 0 ? null : (signalNames.get(signal) ?? 'SIGKILL'))
        break
      }
      case 'copier':
        run.copier = false
        if (run.state === 'exited') this.runs.delete(id)
        run.events.copierExited()
        break
    }
  }
}

/**
 * Starts the launcher on first use and again after it died. `launch` never throws and never
 * calls back from inside itself.
 */
export class Launcher {
  readonly #support: LauncherSupport
  #current: Instance | null = null
  #nextId = 1
  readonly #instances = new Set<Instance>()

  constructor(support: LauncherSupport) {
    this.#support = support
  }

  /** The running launcher's pid (tests), starting it if needed. */
  get pid(): number | undefined {
    return this.#instance().child.pid
  }

  launch(command: string, request: LaunchRequest, events: LaunchEvents): void {
    const id = this.#nextId++
    const fields = [
      String(id),
      request.cwd,
      request.outputPath,
      request.cap ? String(request.cap.maxBytes) : '-',
      request.cap ? request.cap.marker : '-',
      String(request.cgroupFiles.length),
      ...request.cgroupFiles,
      ...request.isolateArguments,
    ]
    this.#send(id, {
      events,
      command,
      cwd: request.cwd,
      state: 'requested',
      copier: false,
      line: fields.map(escape).join('\0') + '\n',
      resent: false,
      taken: false,
    })
  }

  #send(id: number, run: Pending): void {
    const instance = this.#instance()
    instance.runs.set(id, run)
    instance.hold()
    instance.child.stdin?.write(run.line)
  }

  /** Ends the launcher (its supervisors and runs go on); for tests and shutdown. */
  close(): void {
    for (const instance of this.#instances) instance.child.stdin?.end()
  }

  #instance(): Instance {
    if (this.#current?.alive) return this.#current
    const instance = new Instance(
      this.#support,
      (gone) => {
        if (this.#current === gone) this.#current = null
        gone.child.stdin?.destroy()
        this.#instances.delete(gone)
      },
      (id, run) => this.#send(id, { ...run, resent: true, taken: false }),
    )
    // An idle launcher keeps no process alive (the launcher ends at its stdin's end); a run does.
    instance.child.unref()
    instance.hold()
    this.#instances.add(instance)
    this.#current = instance
    return instance
  }
}
