/**
 * One cgroup per run (issue 6 item 3): every process a run starts stays in it, whatever it does
 * with sessions, groups or parents, so stop, timeout, delete and restart reach all of them, pause
 * freezes all of them, and the memory controller measures and limits the whole run.
 *
 * Layout: `<hierarchy>/<this server's own cgroup>/taskyard/<installation key>/run-<runId>`, so a
 * restarted server finds the cgroups of the runs its previous life left (killOrphanedRun). A run
 * started again while an earlier attempt's cgroup still holds processes gets `run-<id>.<n>`.
 *
 * Placement: the spawning thread moves itself into the run's cgroup, forks, and moves back
 * (enter()/leave() around child_process.spawn, which forks and execs synchronously). The child
 * is therefore born in the cgroup: there is no moment in which it, or anything it forks, is
 * outside it, and no extra exec is needed. Each move is one write of a few bytes (≈ 25–100 µs; v1
 * writes "0", see moveTo).
 * v1 moves only the calling thread (its `tasks` file takes thread ids), so the server's other
 * threads never enter a run's freezer; v2 moves the whole process (cgroup.procs). During the
 * window, memory the server allocates is charged to the run (bounded by the spawn's ~2–4 ms);
 * the memory limit is therefore written after leave(), never while the server is inside.
 */
import fs from 'node:fs'
import path from 'node:path'

/** v1: how often, and how many times, a freeze stuck at FREEZING is asked again (≈ 2 s in all). */
const FREEZE_RETRY_MS = 20
const FREEZE_RETRIES = 100

export type CgroupVersion = 'cgroup2' | 'cgroup1'

export interface RunCgroup {
  /** Directory name under the installation's parent (run-<id> or run-<id>.<n>). */
  readonly name: string
  /** Moves the caller into the cgroup; the next fork is born there. Always paired with leave(). */
  enter(): void
  leave(): void
  /**
   * The files a process writes "0" to in order to join the cgroup itself (the launcher's leader and
   * copier, launcher.ts): v2 cgroup.procs; v1 each hierarchy's tasks (the calling thread: those
   * processes are single-threaded).
   */
  readonly joinFiles: readonly string[]
  /** Pids of the live processes in it (zombies are not listed). */
  members(): number[]
  /** Signals every member but those `spare` names; returns how many were signalled. */
  signal(signal: NodeJS.Signals, spare?: (pid: number) => boolean): number
  /** SIGKILLs every member (v2: cgroup.kill, atomic for the whole subtree); returns whether one was alive. */
  kill(): boolean
  freeze(): void
  thaw(): void
  isEmpty(): boolean
  /** Throws when the limit cannot be written; call after leave(). */
  setMemoryLimit(bytes: number): void
  /** The run's peak memory charge (RSS and the page cache it caused), null without a memory controller. */
  peakMemoryBytes(): number | null
  /** Page cache (file pages, the log among them) charged to it now; null without a memory controller. */
  fileCacheBytes(): number | null
  /** Whether the OOM killer acted inside it (the memory limit was hit). */
  oomKilled(): boolean
  /** rmdir; false while it still has members. */
  remove(): boolean
}

export interface Cgroups {
  readonly version: CgroupVersion
  /** Human description for start-up messages. */
  readonly description: string
  /** A memory controller is attached: peaks are measured and limits enforced. */
  readonly memory: boolean
  /** Why there is no memory controller (when memory is false). */
  readonly memoryMissing: string | null
  create(runId: number): RunCgroup
  /** Cgroups of this run left by an earlier attempt or server life. */
  existing(runId: number): RunCgroup[]
  /** Removes the installation's parent if nothing is left in it (for per-process keys). */
  removeParent(): void
}

interface Mount {
  point: string
  root: string
  fstype: string
  superOptions: string[]
}

function readMounts(): Mount[] {
  const mounts: Mount[] = []
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const dash = line.indexOf(' - ')
    if (dash < 0) continue
    const before = line.slice(0, dash).split(' ')
    const after = line.slice(dash + 3).split(' ')
    const [fstype, , superOptions = ''] = after
    if (before[3] === undefined || before[4] === undefined || fstype === undefined) continue
    mounts.push({ root: unescapeMount(before[3]), point: unescapeMount(before[4]), fstype, superOptions: superOptions.split(',') })
  }
  return mounts
}

const unescapeMount = (text: string): string => text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))

/** controller (or '' for v2) → this process's cgroup path, from /proc/self/cgroup. */
function readOwnCgroups(): Map<string, string> {
  const own = new Map<string, string>()
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const first = line.indexOf(':')
    const second = line.indexOf(':', first + 1)
    if (first < 0 || second < 0) continue
    const controllers = line.slice(first + 1, second)
    const cgroupPath = line.slice(second + 1)
    if (controllers === '') own.set('', cgroupPath)
    else for (const controller of controllers.split(',')) own.set(controller, cgroupPath)
  }
  return own
}

/** The directory of this process's cgroup in a mounted hierarchy. */
function ownDirectory(mount: Mount, ownPath: string): string {
  const relative = mount.root !== '/' && ownPath.startsWith(mount.root) ? ownPath.slice(mount.root.length) : ownPath
  return path.join(mount.point, relative)
}

function write(file: string, text: string): void {
  fs.writeFileSync(file, text)
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

function readPids(file: string): number[] {
  const text = readText(file)
  if (text === null) return []
  const pids: number[] = []
  for (const line of text.split('\n')) if (line !== '') pids.push(Number(line))
  return pids
}

/** A `key value` line of a flat-keyed cgroup file (memory.events, memory.oom_control, cgroup.events). */
function readKey(file: string, key: string): number | null {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(readText(file) ?? '')
  return match?.[1] === undefined ? null : Number(match[1])
}

function signalPids(pids: readonly number[], signal: NodeJS.Signals, spare?: (pid: number) => boolean): number {
  let count = 0
  for (const pid of pids) {
    if (pid <= 1 || pid === process.pid || spare?.(pid)) continue
    try {
      process.kill(pid, signal)
      count++
    } catch {
      // Exited since the listing.
    }
  }
  return count
}

function mkdirFresh(dir: string): boolean {
  try {
    fs.mkdirSync(dir)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return false
  }
}

function rmdirQuiet(dir: string): boolean {
  try {
    fs.rmdirSync(dir)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
  }
}

const runNamePattern = (runId: number): RegExp => new RegExp(`^run-${runId}(\\.\\d+)?$`)

/**
 * Picks run-<id>, or run-<id>.<n> when an earlier attempt's cgroup still has members. An empty
 * leftover is removed and made anew, so its memory peak starts from zero.
 */
function createRunDirectory(base: string, runId: number, isBusy: (name: string) => boolean, removeOld: (name: string) => void): string {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const name = attempt === 0 ? `run-${runId}` : `run-${runId}.${attempt}`
    if (mkdirFresh(path.join(base, name))) return name
    if (isBusy(name)) continue
    removeOld(name)
    if (mkdirFresh(path.join(base, name))) return name
  }
  throw new Error(`cannot create a cgroup for run ${runId} under ${base}`)
}

// ---------------------------------------------------------------- v2

function openV2(installationKey: string): Cgroups {
  const mount = readMounts().find((m) => m.fstype === 'cgroup2')
  if (!mount) throw new Error('no cgroup2 file system is mounted')
  const ownPath = readOwnCgroups().get('')
  if (ownPath === undefined) throw new Error('this process has no cgroup v2 membership')
  const own = ownDirectory(mount, ownPath)
  const base = path.join(own, 'taskyard', installationKey)
  fs.mkdirSync(base, { recursive: true })
  if (!fs.existsSync(path.join(base, 'cgroup.freeze'))) throw new Error(`${mount.point} has no cgroup.freeze (kernel older than 5.2)`)
  probe(
    base,
    (dir) => write(path.join(dir, 'cgroup.procs'), String(process.pid)),
    () => write(path.join(own, 'cgroup.procs'), String(process.pid)),
  )

  // memory must be enabled in subtree_control from our own cgroup down to the parent of the runs.
  let memoryMissing: string | null = null
  if (!(readText(path.join(own, 'cgroup.controllers')) ?? '').split(/\s+/).includes('memory')) {
    memoryMissing = `the memory controller is not available in ${own} (bound to cgroup v1 or not delegated)`
  } else {
    try {
      for (const dir of [own, path.join(own, 'taskyard'), base]) {
        if (!(readText(path.join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/).includes('memory'))
          write(path.join(dir, 'cgroup.subtree_control'), '+memory')
      }
    } catch (error) {
      memoryMissing = `cannot enable the memory controller under ${own}: ${(error as Error).message}`
    }
  }
  const memory = memoryMissing === null
  const canKill = fs.existsSync(path.join(base, 'cgroup.kill'))

  const open = (name: string): RunCgroup => {
    const dir = path.join(base, name)
    const file = (leaf: string): string => path.join(dir, leaf)
    return {
      name,
      joinFiles: [file('cgroup.procs')],
      enter: () => write(file('cgroup.procs'), String(process.pid)),
      leave: () => write(path.join(own, 'cgroup.procs'), String(process.pid)),
      members: () => readPids(file('cgroup.procs')),
      signal: (signal, spare) => signalPids(readPids(file('cgroup.procs')), signal, spare),
      kill() {
        const alive = readPids(file('cgroup.procs')).length > 0
        if (canKill) {
          try {
            write(file('cgroup.kill'), '1')
          } catch {
            // Removed meanwhile.
          }
        } else signalPids(readPids(file('cgroup.procs')), 'SIGKILL')
        return alive
      },
      freeze: () => write(file('cgroup.freeze'), '1'),
      thaw: () => write(file('cgroup.freeze'), '0'),
      isEmpty: () => (readKey(file('cgroup.events'), 'populated') ?? 0) === 0,
      setMemoryLimit(bytes) {
        if (!memory) throw new Error(memoryMissing ?? 'no memory controller')
        write(file('memory.max'), String(bytes))
        // The limit is on memory, not memory+swap: a run must not swap its way past it (v1's memsw).
        if (fs.existsSync(file('memory.swap.max'))) write(file('memory.swap.max'), '0')
      },
      peakMemoryBytes: () => (memory ? numberOrNull(readText(file('memory.peak'))) : null),
      fileCacheBytes: () => (memory ? readKey(file('memory.stat'), 'file') : null),
      oomKilled: () => memory && (readKey(file('memory.events'), 'oom_kill') ?? 0) > 0,
      remove: () => rmdirQuiet(dir),
    }
  }

  return {
    version: 'cgroup2',
    description: `cgroup v2 at ${base}: stop, timeout, delete and restart kill every process of a run, pause freezes it; ${
      memory ? 'memory peak and limit from the cgroup' : `no memory controller (${memoryMissing}): memory from /proc samples, no memory limit`
    }`,
    memory,
    memoryMissing,
    create(runId) {
      const name = createRunDirectory(
        base,
        runId,
        (n) => !open(n).isEmpty(),
        (n) => void open(n).remove(),
      )
      return open(name)
    },
    existing: (runId) => listRuns(base, runId).map(open),
    removeParent: () => removeEmptyParent(base),
  }
}

// ---------------------------------------------------------------- v1

function openV1(installationKey: string): Cgroups {
  const mounts = readMounts().filter((m) => m.fstype === 'cgroup')
  const owns = readOwnCgroups()
  const hierarchy = (controller: string): { own: string; base: string } | null => {
    const mount = mounts.find((m) => m.superOptions.includes(controller))
    const ownPath = owns.get(controller)
    if (!mount || ownPath === undefined) return null
    const own = ownDirectory(mount, ownPath)
    return { own, base: path.join(own, 'taskyard', installationKey) }
  }
  const freezer = hierarchy('freezer')
  if (!freezer) throw new Error('no cgroup v1 freezer hierarchy is mounted')
  fs.mkdirSync(freezer.base, { recursive: true })
  // "0", not our pid: the kernel reads 0 as "the calling thread" (here the JS thread, whose tid is
  // process.pid, so the same thread moves) and then skips the global cgroup_threadgroup_rwsem
  // (kernel ≥ 6.1, "cgroup: Optimize single thread migration"). With a pid it takes that lock for
  // writing, and its first writer after a quiet spell waits for an RCU grace period: 5–15 ms per
  // run here, blocking the event loop, against 0.1 ms with "0" (issue 10, docs/benchmarks.md).
  // Older kernels take the lock either way; the move is the same.
  const moveTo = (dir: string): void => write(path.join(dir, 'tasks'), '0')
  probe(freezer.base, moveTo, () => moveTo(freezer.own))

  let memoryMissing: string | null = null
  let memoryHierarchy = hierarchy('memory')
  if (!memoryHierarchy) memoryMissing = 'no cgroup v1 memory hierarchy is mounted'
  else {
    try {
      fs.mkdirSync(memoryHierarchy.base, { recursive: true })
      const { own } = memoryHierarchy
      probe(memoryHierarchy.base, moveTo, () => moveTo(own))
    } catch (error) {
      memoryMissing = `the cgroup v1 memory hierarchy is not usable: ${(error as Error).message}`
      memoryHierarchy = null
    }
  }
  const memoryBase = memoryHierarchy?.base ?? null
  const memoryOwn = memoryHierarchy?.own ?? null
  const hasMemsw = memoryBase !== null && fs.existsSync(path.join(memoryBase, 'memory.memsw.limit_in_bytes'))

  const open = (name: string): RunCgroup => {
    const dir = path.join(freezer.base, name)
    const memDir = memoryBase === null ? null : path.join(memoryBase, name)
    const procs = (): number[] => readPids(path.join(dir, 'cgroup.procs'))
    const setState = (state: 'FROZEN' | 'THAWED'): void => write(path.join(dir, 'freezer.state'), state)
    /** Set by freeze(), cleared by thaw(): whether a stalled freeze should be asked again. */
    let wantFrozen = false
    /**
     * v1 leaves a freeze at FREEZING when a member could not be frozen at that instant (a task in
     * uninterruptible sleep, e.g. a shell between vfork and exec); the kernel retries only when
     * FROZEN is written again. Asked again a few times, briefly, until the state settles.
     */
    const settleFreeze = (attempt: number): void => {
      if (!wantFrozen || attempt >= FREEZE_RETRIES) return
      const state = (readText(path.join(dir, 'freezer.state')) ?? '').trim()
      if (state !== 'FREEZING') return
      try {
        setState('FROZEN')
      } catch {
        return // removed meanwhile
      }
      setTimeout(() => settleFreeze(attempt + 1), FREEZE_RETRY_MS).unref()
    }
    return {
      name,
      joinFiles: memDir === null ? [path.join(dir, 'tasks')] : [path.join(dir, 'tasks'), path.join(memDir, 'tasks')],
      enter() {
        moveTo(dir)
        if (memDir !== null) moveTo(memDir)
      },
      leave() {
        moveTo(freezer.own)
        if (memoryOwn !== null) moveTo(memoryOwn)
      },
      members: procs,
      signal: (signal, spare) => signalPids(procs(), signal, spare),
      kill() {
        // Frozen, nothing in the cgroup can fork while the list is read and signalled; a frozen
        // process dies of SIGKILL once thawed.
        const wasFrozen = (readText(path.join(dir, 'freezer.state')) ?? '').trim() === 'FROZEN'
        try {
          if (!wasFrozen) setState('FROZEN')
        } catch {
          // Removed meanwhile.
        }
        const count = signalPids(procs(), 'SIGKILL')
        try {
          setState('THAWED')
        } catch {
          // Removed meanwhile.
        }
        return count > 0
      },
      freeze() {
        wantFrozen = true
        setState('FROZEN')
        settleFreeze(0)
      },
      thaw() {
        wantFrozen = false
        setState('THAWED')
      },
      isEmpty: () => procs().length === 0,
      setMemoryLimit(bytes) {
        if (memDir === null) throw new Error(memoryMissing ?? 'no memory controller')
        write(path.join(memDir, 'memory.limit_in_bytes'), String(bytes))
        // memsw (memory + swap) must be ≥ the memory limit, hence second.
        if (hasMemsw) write(path.join(memDir, 'memory.memsw.limit_in_bytes'), String(bytes))
      },
      peakMemoryBytes: () => (memDir === null ? null : numberOrNull(readText(path.join(memDir, 'memory.max_usage_in_bytes')))),
      fileCacheBytes: () => (memDir === null ? null : readKey(path.join(memDir, 'memory.stat'), 'total_cache')),
      oomKilled: () => memDir !== null && (readKey(path.join(memDir, 'memory.oom_control'), 'oom_kill') ?? 0) > 0,
      remove() {
        const removed = rmdirQuiet(dir)
        if (memDir !== null) rmdirQuiet(memDir)
        return removed
      },
    }
  }

  return {
    version: 'cgroup1',
    description: `cgroup v1 (freezer ${freezer.base}${memoryBase ? `, memory ${memoryBase}` : ''}): stop, timeout, delete and restart kill every process of a run, pause freezes it; ${
      memoryBase ? 'memory peak and limit from the cgroup' : `no memory controller (${memoryMissing}): memory from /proc samples, no memory limit`
    }`,
    memory: memoryBase !== null,
    memoryMissing,
    create(runId) {
      const name = createRunDirectory(
        freezer.base,
        runId,
        (n) => !open(n).isEmpty(),
        (n) => void open(n).remove(),
      )
      if (memoryBase !== null && !mkdirFresh(path.join(memoryBase, name))) {
        // A memory cgroup of an earlier attempt without its freezer twin: start from a clean one.
        rmdirQuiet(path.join(memoryBase, name))
        mkdirFresh(path.join(memoryBase, name))
      }
      return open(name)
    },
    existing: (runId) => listRuns(freezer.base, runId).map(open),
    removeParent() {
      removeEmptyParent(freezer.base)
      if (memoryBase !== null) removeEmptyParent(memoryBase)
    },
  }
}

// ---------------------------------------------------------------- shared

/** Proves at creation that this process may create a cgroup and move itself in and out. */
function probe(base: string, enter: (dir: string) => void, leave: () => void): void {
  const dir = path.join(base, `probe-${process.pid}`)
  mkdirFresh(dir)
  try {
    enter(dir)
    leave()
  } finally {
    rmdirQuiet(dir)
  }
}

function listRuns(base: string, runId: number): string[] {
  const pattern = runNamePattern(runId)
  try {
    return fs.readdirSync(base).filter((name) => pattern.test(name))
  } catch {
    return []
  }
}

function removeEmptyParent(base: string): void {
  if (rmdirQuiet(base)) rmdirQuiet(path.dirname(base))
}

function numberOrNull(text: string | null): number | null {
  if (text === null) return null
  const value = Number(text.trim())
  return Number.isFinite(value) ? value : null
}

export type ContainmentChoice = 'auto' | CgroupVersion | 'none'

/**
 * The cgroups this process can use for runs, or why none. 'auto' prefers a hierarchy with a
 * memory controller: v2, then v1; then v2 or v1 without one (still containing and freezing).
 */
export function openCgroups(choice: ContainmentChoice, installationKey: string): { cgroups: Cgroups | null; reason: string } {
  if (choice === 'none') return { cgroups: null, reason: 'cgroups turned off (containment "none")' }
  const attempt = (open: (key: string) => Cgroups): Cgroups | string => {
    try {
      return open(installationKey)
    } catch (error) {
      return (error as Error).message
    }
  }
  if (choice !== 'auto') {
    const result = attempt(choice === 'cgroup2' ? openV2 : openV1)
    return typeof result === 'string' ? { cgroups: null, reason: result } : { cgroups: result, reason: '' }
  }
  const v2 = attempt(openV2)
  if (typeof v2 !== 'string' && v2.memory) return { cgroups: v2, reason: '' }
  const v1 = attempt(openV1)
  if (typeof v1 !== 'string' && (v1.memory || typeof v2 === 'string')) {
    if (typeof v2 !== 'string') v2.removeParent()
    return { cgroups: v1, reason: '' }
  }
  if (typeof v2 !== 'string') {
    if (typeof v1 !== 'string') v1.removeParent()
    return { cgroups: v2, reason: '' }
  }
  return { cgroups: null, reason: `no usable cgroup (v2: ${v2}; v1: ${typeof v1 === 'string' ? v1 : 'unusable'})` }
}
