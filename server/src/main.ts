/**
 * The composition root: config → store → executor, environments, files → services → roles
 * (HTTP, scheduler, worker). The only place that builds implementations.
 */
import { isNodeTask, npmInstallSandboxed } from './environments/npm-install.ts'
import { existsSync } from 'node:fs'
import { mkdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Config } from './config/config.ts'
import type { Clock } from './domain/clock.ts'
import type { DeadlineTimers } from './lib/pausable-deadline.ts'
import { createEnvironments } from './environments/create-environments.ts'
import { createAccountSandbox, NO_SANDBOX, type BuildSandbox } from './environments/build-sandbox.ts'
import { detectIsolation } from './executor/local/isolation.ts'
import { setUpDatabaseGuard, type DatabaseGuard } from './executor/local/database-guard.ts'
import { recoverEnvironmentRenames } from './services/environments/recover-renames.ts'
import { recoverEnvironmentBuilds } from './services/environments/recover-builds.ts'
import { storeBuildRecorder } from './services/environments/record-builds.ts'
import { resolveInterpreter } from './environments/venv.ts'
import { EventBus } from './events/events.ts'
import type { Executor } from './executor/executor.ts'
import { createLocalExecutor } from './executor/local/local-executor.ts'
import { createRunnerExecutor } from './executor/runner/runner-executor.ts'
import { defaultCommand, detectMainScript, prepareTaskFiles } from './files/prepare-task-files.ts'
import { installTaskFiles, removeTaskFiles, sweepTaskLeftovers } from './files/install-task-files.ts'
import { saveUpload } from './files/save-upload.ts'
import { buildApp, type HttpDeps } from './http/app.ts'
import { DATABASE_BUSY_RETRY_AFTER_S } from './http/error-handler.ts'
import { probeLockFile, tryLockFile, type HeldLock } from './lib/exclusive-file-lock.ts'
import { loadOrCreateIdFile } from './lib/stable-id-file.ts'
import { dataPaths, type DataPaths } from './lib/paths.ts'
import { createFileLogStore } from './logs/file-log-store.ts'
import { createFileArtifactStore } from './artifacts/file-artifact-store.ts'
import { cpuSampler, systemMemory } from './lib/system-memory.ts'
import { createDispatcher, type Dispatcher } from './worker/dispatcher.ts'
import { createScheduler } from './scheduler/scheduler.ts'
import type { ServiceDeps, TaskFiles } from './services/deps.ts'
import { recoverRuns } from './services/recover-runs.ts'
import { ensureAdmin } from './auth/bootstrap-admin.ts'
import { LoginThrottle } from './auth/login-throttle.ts'
import { loadOrCreateSecret, SEALING_KEY } from './auth/secret.ts'
import { createSecretBox } from './lib/secret-box.ts'
import { createSshHosts } from './executor/ssh/ssh-hosts.ts'
import { executorForServer } from './services/servers/server-executor.ts'
import { scheduleHistoryTrimmer } from './services/schedules/trim-schedule-history.ts'
import { LockHeldError, lockDatabase, type DatabaseLock } from './store/database-lock.ts'
import { openStore } from './store/kysely-store.ts'
import { SQLITE_MEMORY, sqliteFileFromUrl } from './store/sqlite.ts'
import {
  chownTree,
  createPrivateFile,
  DATA_DIR_MODES,
  prepareRunDirs,
  releaseRunDirs,
  secureDataDir,
  securePrivateFiles,
  sqliteFiles,
} from './files/secure-data-dir.ts'
import { lookupAccount } from './lib/os-accounts.ts'
import { resolveRunAccount } from './worker/resolve-run-account.ts'
import type { RunAccount, RunAccounts } from './domain/run-account.ts'
import type { Store } from './store/store.ts'

export interface RunningTaskyard {
  app: FastifyInstance
  url: string
  store: Store
  bus: EventBus
  /** This node's worker: claims and supervises runs. */
  worker: Dispatcher
  services: ServiceDeps
  paths: DataPaths
  /** Stops accepting requests, ends the runs this process supervises, closes the database. */
  close(): Promise<void>
}

export interface StartOptions {
  clock?: Clock
  /** The timers of task timeouts (tests: fake ones that the test's clock drives). */
  runTimers?: DeadlineTimers
  /** false silences request logs (tests). */
  logger?: boolean
  /** Where the request log goes instead of stdout (tests read it). */
  logStream?: NodeJS.WritableStream
  /** How often the access log's summary line is written at info; default a minute (http/access-log.ts). */
  accessLogSummaryMs?: number
  /** Where start-up messages go (the generated admin password among them); default the console. */
  log?: (message: string) => void
  /** Passed to the HTTP app (HttpDeps.instrument): tests watch requests and answers through it. */
  instrument?: HttpDeps['instrument']
}

/** The data directory's one-server lock (lib/exclusive-file-lock.ts). */
const DATA_DIR_LOCK = 'taskyard.lock'
/**
 * TASKYARD_ISOLATION: 'auto' gives runs a file-system view that hides the data directory wherever
 * the executor can make one, 'on' refuses to start without one, 'off' never asks for one.
 */
function decideIsolation(setting: 'auto' | 'on' | 'off', executorIsolation: string | null): { on: boolean; message: string } {
  if (setting === 'off') return { on: false, message: 'Run isolation: off (TASKYARD_ISOLATION=off): runs see the whole file system their account can read.' }
  if (executorIsolation !== null)
    return {
      on: true,
      message: `Run isolation: ${executorIsolation} (each run sees only its own task and output folders and the environments of the data directory).`,
    }
  if (setting === 'on') throw new Error('TASKYARD_ISOLATION=on, but this machine cannot give runs their own file-system view (no usable mount namespace)')
  return {
    on: false,
    message: 'Run isolation: unavailable (this machine cannot give runs their own file-system view); runs see the whole file system their account can read.',
  }
}

/**
 * Who environment builds run as (issue 9): the run account when the server is root, with the
 * data directory hidden where runs get isolation; as the server itself otherwise.
 */
function buildSandboxFor(o: { account: RunAccount | null; serverUid: number; isolate: boolean; dataDir: string; alsoHidden: readonly string[] }): BuildSandbox {
  if (o.account === null || o.serverUid !== 0) return NO_SANDBOX
  const isolation = o.isolate ? detectIsolation() : null
  return createAccountSandbox({
    account: o.account,
    server: { uid: 0, gid: 0 },
    hidden: isolation ? [o.dataDir, ...o.alsoHidden] : null,
    // Not yet a private /tmp for builds (runs have one): pip's own configuration may name local
    // directories there (PIP_FIND_LINKS), which the build would no longer see.
    wrap: isolation ? (argv, paths, runAs, env) => isolation.wrap(argv, paths, runAs, env, { privateTmp: false }) : null,
    dataDir: o.dataDir,
    setpriv: existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : 'setpriv',
    chownTree,
  })
}

/** The first directory above `dir` that other users cannot traverse (their runs could not reach it). */
async function unsearchableAncestor(dir: string): Promise<string | null> {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) return d
    if (d === path.dirname(d)) return null
  }
}

/** Interpreters most systems have outside any home directory, in order of preference. */
const SYSTEM_PYTHONS = ['/usr/local/bin/python3', '/usr/bin/python3']

/**
 * With no TASKYARD_PYTHON, `base` comes from python3 on PATH. When that one lives where the run
 * account cannot go (pyenv under /root, a 0700 home), every Python run would fail with
 * "Permission denied": take a system interpreter the account can reach instead, and say so.
 * Returns the interpreter found (the venv backend then does not look again); null when PATH has
 * none, which the backend reports with its fix.
 */
async function reachablePython(env: Readonly<Record<string, string>>, account: string, log: (message: string) => void): Promise<string | null> {
  const onPath = await resolveInterpreter(null, env).catch(() => null)
  if (onPath === null) return null
  const blocked = await unsearchableAncestor(await realpath(onPath).catch(() => onPath))
  // The interpreter found is handed on, so the venv backend does not look for it again.
  if (blocked === null) return onPath
  for (const candidate of SYSTEM_PYTHONS) {
    const real = await realpath(candidate).catch(() => null)
    if (real !== null && (await unsearchableAncestor(real)) === null) {
      log(
        `Python: ${onPath} is under ${blocked}, which runs as ${account} cannot reach; the base environment uses ${candidate} instead (set TASKYARD_PYTHON to choose).`,
      )
      return candidate
    }
  }
  return onPath
}

const SYSTEM_SAMPLE_MS = 60_000
const SYSTEM_SAMPLE_KEEP_MS = 2 * 24 * 3_600_000

export async function startTaskyard(config: Config, options: StartOptions = {}): Promise<RunningTaskyard> {
  const clock: Clock = options.clock ?? { now: () => Date.now() }
  const paths = dataPaths(config.dataDir)
  // Start-up order (issue 6 item 2): nothing that writes happens before the port is ours, the
  // data directory is locked and the database is locked. A second server on the same port, data
  // directory or database stops at one of these three steps, having changed nothing.
  const server = await bindPort(config.host, config.port).catch((error: unknown) => {
    // The usual second start has the first one's configuration: port and data directory both
    // taken. Name the data directory's holder then too (probing it writes nothing).
    const holder = probeLockFile(path.join(paths.root, DATA_DIR_LOCK))
    if (holder === undefined) throw error
    throw new LockHeldError(`The data directory ${paths.root}`, holder, (error as Error).message)
  })
  const held: { dataDir?: HeldLock; database?: DatabaseLock } = {}
  const releaseAll = async (): Promise<void> => {
    await held.database?.release()
    held.dataDir?.release()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  try {
    return await startLocked(config, options, clock, paths, server, held, releaseAll)
  } catch (error) {
    await releaseAll()
    throw error
  }
}

/** Binds host:port with a placeholder that answers 503 until the app takes over. */
async function bindPort(host: string, port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(DATABASE_BUSY_RETRY_AFTER_S) })
    res.end(JSON.stringify({ success: false, message: 'Taskyard is starting', error: 'The server is recovering its runs; try again shortly' }))
  })
  // Fastify's own default, which Node's createServer does not have (5 s): a client that reuses
  // a connection idle for longer would meet a socket the server has just closed (ECONNRESET).
  server.keepAliveTimeout = 72_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port }, () => {
      server.off('error', reject)
      resolve()
    })
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new Error(`Cannot listen on ${host}:${port}: the address is in use (another Taskyard server?)`, { cause: error })
    throw error
  })
  return server
}

async function startLocked(
  config: Config,
  options: StartOptions,
  clock: Clock,
  paths: DataPaths,
  server: Server,
  held: { dataDir?: HeldLock; database?: DatabaseLock },
  releaseAll: () => Promise<void>,
): Promise<RunningTaskyard> {
  const log = options.log ?? console.log
  const logError = (error: unknown, context: string): void => {
    console.error(`[taskyard] ${context}:`, error)
  }
  await mkdir(paths.root, { recursive: true, mode: DATA_DIR_MODES.root })
  const holder = { pid: process.pid, host: hostname(), since: new Date(clock.now()).toISOString() }
  const dirLock = tryLockFile(path.join(paths.root, DATA_DIR_LOCK), holder)
  if (!dirLock.ok) throw new LockHeldError(`The data directory ${paths.root}`, dirLock.holder)
  held.dataDir = dirLock.lock
  held.database = await lockDatabase(config.databaseUrl, {
    now: clock.now,
    onLost: (error) => logError(error, 'the database lock session was lost; another server could now start on this database'),
    onRelocked: () => log('The database lock was taken again'),
  })

  const sqliteFile = config.databaseUrl.startsWith('sqlite:') ? sqliteFileFromUrl(config.databaseUrl) : null
  const dbFiles = sqliteFile && sqliteFile !== SQLITE_MEMORY ? sqliteFiles(sqliteFile) : []
  // Created and fixed before anything is written: an existing install gets the same modes (issue 6).
  await secureDataDir(paths, dbFiles)
  // Leftovers of requests that a crash interrupted: never whole, so never used.
  await Promise.all(
    [paths.stagingRoot, paths.uploadsDir].map(async (d) => {
      await rm(d, { recursive: true, force: true })
      await mkdir(d, { recursive: true, mode: DATA_DIR_MODES.private })
    }),
  )
  await sweepTaskLeftovers(path.join(paths.root, 'tasks'))

  // Decided before anything opens: a bad TASKYARD_RUN_AS stops the start cleanly.
  const serverUid = process.getuid?.() ?? -1
  const runAccount = await resolveRunAccount(config.runAs, serverUid)
  log(runAccount.message)
  const secret = await loadOrCreateSecret(paths.root, config.secret)
  const secretBox = createSecretBox(await loadOrCreateSecret(paths.root, config.secretKey, SEALING_KEY))
  // SQLite gives its WAL and SHM files the database file's mode: a database born 0600 keeps them private.
  if (dbFiles[0]) await createPrivateFile(dbFiles[0])
  const store = await openStore({ databaseUrl: config.databaseUrl })
  await securePrivateFiles(dbFiles)
  if (runAccount.account) {
    const blocked = await unsearchableAncestor(paths.root)
    if (blocked)
      log(
        `WARNING: runs as ${runAccount.account.name} cannot reach their task directories: ${blocked} is not searchable by others (chmod o+x ${blocked}, or move the data directory).`,
      )
  }
  // Set once isolation is decided, below; an account a task names (run_as) joins the database guard before its run starts.
  let databaseGuard: DatabaseGuard | null = null
  const accounts: RunAccounts = {
    canSwitch: serverUid === 0,
    async resolve(spec) {
      const account = await lookupAccount(spec)
      if (account) await databaseGuard?.guardAccount(account.uid)
      return account
    },
  }
  await ensureAdmin(store, { dataDir: paths.root, configuredPassword: config.adminPassword, clock, log })
  const bus = new EventBus()
  // 'runner' (the default) spawns from a small helper process: forking the big server costs more
  // CPU (page tables, copy-on-write faults) and blocks its event loop (docs/benchmarks.md, issue 10).
  const executor: Executor & { close?(): Promise<void> } =
    config.executor === 'runner' ? await createRunnerExecutor({ installation: paths.root }) : createLocalExecutor({ installation: paths.root })
  log(`Run containment: ${executor.containment}`)
  let isolate: { on: boolean; message: string }
  try {
    isolate = decideIsolation(config.isolation, executor.isolation)
  } catch (error) {
    await executor.close?.()
    await store.close()
    throw error
  }
  log(isolate.message)
  // The database guard refuses exactly the run accounts in use: the default one and those tasks
  // name (run_as), followed as tasks change (a task's run joins before it starts, in resolve above).
  const runAsOf = new Map<number, string | null>()
  const uidsOf = async (names: Iterable<string | null>): Promise<number[]> => {
    const uids: number[] = []
    for (const name of new Set(names)) {
      const account = name === null ? null : await lookupAccount(name).catch(() => null)
      if (account) uids.push(account.uid)
    }
    return uids
  }
  databaseGuard = await setUpDatabaseGuard({
    databaseUrl: config.databaseUrl,
    enabled: config.guardDatabase,
    dataDir: paths.root,
    serverUid,
    runUid: runAccount.account?.uid ?? null,
    async accounts() {
      for (const task of await store.tasks.list()) runAsOf.set(task.id, task.runAs)
      return uidsOf(runAsOf.values())
    },
    isolate: isolate.on,
    onError: logError,
  })
  log(databaseGuard.message)
  const guard = databaseGuard
  if (guard.installed) {
    // One change at a time, in order: the reconcile of an older run_as must not land after a newer one's.
    let following: Promise<void> = Promise.resolve()
    // Only where run_as can change (not every task:changed, which each run's start and end emit).
    bus.on('task:run-as', ({ taskId, runAs: now }) => {
      following = following
        .then(async () => {
          if (!guard.installed) return
          if (runAsOf.get(taskId) === now) return
          if (now === undefined) runAsOf.delete(taskId)
          else runAsOf.set(taskId, now)
          // An account a run was started with stays until no run is busy: a task's run_as changed
          // (or the task deleted) while its run goes on must not leave that run unguarded.
          const pinned = guard.pinned()
          const idle = (await store.runs.countBusy()) === 0
          await guard.reconcile(await uidsOf(runAsOf.values()), idle ? pinned : null)
        })
        .catch((error: unknown) => logError(error, 'the database guard could not follow a task change'))
    })
  }
  const pythonPath = config.pythonPath ?? (runAccount.account ? await reachablePython(config.childEnv, runAccount.account.name, log) : null)
  // pip runs packages' build code: as the run account, the data directory hidden (issue 9).
  const sandbox = buildSandboxFor({ account: runAccount.account, serverUid, isolate: isolate.on, dataDir: paths.root, alsoHidden: databaseGuard.hiddenDirs })
  log(`Environment builds: ${sandbox.description}.`)
  const environments = await createEnvironments({
    sandbox,
    envsDir: paths.envsDir,
    pythonPath,
    childEnv: config.childEnv,
    allowUnsafeRequirements: config.allowUnsafeRequirements,
    builds: storeBuildRecorder({ store, clock, bus, paths }),
    pipTimeoutMs: config.pipTimeoutMs,
  })
  // Interrupted builds were undone by the environments' own start-up; an interrupted creation is
  // made again here, before the dispatcher starts: no run ever starts in a half-built environment.
  await recoverEnvironmentRenames({ store, environments }, log)
  await recoverEnvironmentBuilds({ store, clock, environments }, log)
  if (runAccount.account) {
    // The `base` venv links to the interpreter it was made from: under /root (pyenv), runs as
    // another account could execute nothing in Python.
    const interpreter = await realpath(path.join((await environments.runEnvironment('base')).pathPrefix[0] ?? '', 'python')).catch(() => null)
    const blocked = interpreter ? await unsearchableAncestor(interpreter) : null
    if (interpreter && blocked) {
      log(
        `WARNING: runs as ${runAccount.account.name} cannot execute Python (${interpreter}): ${blocked} is not searchable by others. Set TASKYARD_PYTHON to an interpreter they can reach, e.g. /usr/bin/python3.`,
      )
    }
  }
  // Stable across restarts, so recovery knows which runs were this node's (issue 6 item 2).
  const workerId = await loadOrCreateIdFile(path.join(paths.root, 'node-id'), 'node-')

  // Runs on registered servers (issue 12): one pooled executor per server, markers of this installation.
  const sshHosts = createSshHosts({ installation: paths.root, sweepsDir: path.join(paths.root, 'ssh-sweeps') })
  // The dispatcher reads the task's server with the task (store.tasks.findForRun): no query of its own per run.
  const remoteExecutorFor = async (_taskId: number, serverId: number | null): Promise<Executor | null> => {
    return serverId === null ? null : executorForServer({ store, secretBox, ssh: sshHosts, clock }, serverId)
  }
  await recoverRuns({
    store,
    clock,
    workerId,
    // A run on a registered server is ended there, over SSH (issue 12), not on this machine.
    async endOrphanedRun(pgid, runId, taskId) {
      const remote = await store.servers
        .findTaskServer(taskId)
        .then((serverId) => remoteExecutorFor(taskId, serverId))
        .catch(() => null)
      void (remote ?? executor).killOrphanedRun(runId, pgid)
    },
  })
  // Sweeps of remote runs a previous life could not reach: their servers' executors retry them.
  for (const serverId of sshHosts.serversWithPendingSweeps()) await remoteExecutorFor(0, serverId).catch(() => null)

  const logs = createFileLogStore({ dir: paths.logsDir })
  const buildLogs = createFileLogStore({ dir: paths.envBuildLogsDir })
  const worker = createDispatcher({
    store,
    executor,
    environments,
    clock,
    bus,
    paths,
    logs,
    workerId,
    accounts,
    prepareRunDirs,
    remoteExecutorFor,
    releaseRunDirs: (dirs) => (serverUid === 0 ? releaseRunDirs(dirs, { uid: 0, gid: 0 }) : Promise.resolve()),
    settings: {
      maxWorkers: config.maxWorkers,
      pollIntervalMs: 1_000,
      runTimeoutMs: config.runTimeoutMs,
      killGraceMs: config.killGraceMs,
      sampleIntervalMs: config.sampleIntervalMs,
      childEnv: config.runEnv,
      runAccount: runAccount.account,
      maxLogBytes: config.maxLogBytes,
      isolate: isolate.on,
      alsoHidden: databaseGuard.hiddenDirs,
      shell: { timeoutMs: config.shellTimeoutMs, maxOutputBytes: config.shellMaxOutputBytes },
    },
    onError: logError,
    ...(options.runTimers ? { timers: options.runTimers } : {}),
  })
  const scheduler = createScheduler({
    store,
    clock,
    runControl: worker,
    timeZone: config.timeZone,
    onTaskChanged: (taskId) => bus.emit('task:changed', { taskId }),
    onError: logError,
  })

  // A cron task returns to 'scheduled' when its run ends: its next time needs a timer.
  bus.on('run:finished', () => scheduler.wake())
  // Runs of a task whose environment was building waited queued: the build's end lets them go.
  bus.on('environment:build-finished', () => worker.wake())

  const limits = { maxEntries: config.maxZipEntries, maxExtractedBytes: config.maxExtractedBytes }
  const files: TaskFiles = {
    prepare: (upload, command) =>
      prepareTaskFiles({ uploadPath: upload.path, originalName: upload.filename, stagingRoot: paths.stagingRoot, command, ...limits }),
    install: (stagingDir, taskId) => installTaskFiles(stagingDir, paths.taskDir(taskId)),
    async remove(taskId) {
      await removeTaskFiles(paths.taskDir(taskId))
      await rm(paths.taskOutputsDir(taskId), { recursive: true, force: true })
    },
    discard: (p) => rm(p, { recursive: true, force: true }).catch(() => undefined),
    defaultCommand,
    detectMainScript,
    async installNodeDependencies(stagingDir, command, taskFiles, nodeVersion) {
      if (!isNodeTask(command, taskFiles)) return null
      // The task's own Node (issue 9) comes first on PATH: its npm, and the node that npm runs.
      const node = nodeVersion === null ? undefined : (await environments.nodes()).get(nodeVersion)
      const env = node ? { ...config.npmEnv, PATH: [path.dirname(node.path), config.npmEnv.PATH ?? ''].join(':') } : config.npmEnv
      // The upload's .npmrc configures npm, which may then start a program of the upload's: never as root (issue 9).
      return npmInstallSandboxed(sandbox, stagingDir, { env, timeoutMs: config.pipTimeoutMs }, paths.stagingRoot)
    },
    async writeScript(taskId, fileName, content) {
      const dir = paths.taskDir(taskId)
      const target = path.join(dir, fileName)
      if (path.dirname(target) !== dir) throw new Error(`refusing to write outside the task directory: ${fileName}`)
      const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`
      await writeFile(tmp, content)
      // Written aside and renamed: a run starting meanwhile sees the old script or the new, never half.
      await rename(tmp, target)
    },
  }

  const services: ServiceDeps = {
    store,
    clock,
    bus,
    runControl: worker,
    wakeScheduler: () => scheduler.wake(),
    environments,
    files,
    logs,
    buildLogs,
    artifacts: createFileArtifactStore({ runDir: (r) => paths.runOutputDir(r.taskId, r.runId), taskDir: (id) => paths.taskOutputsDir(id) }),
    paths,
    system: { totalMemoryBytes: () => systemMemory().totalBytes },
    accounts,
    settings: { timeZone: config.timeZone, maxLogBytes: config.maxLogBytes, maxWorkers: config.maxWorkers, commandDenyList: config.commandDenyList },
    ssh: sshHosts,
    secretBox,
    auth: {
      secret,
      throttle: new LoginThrottle(),
      sessionTtlMs: config.sessionTtlMs,
      accessTokenTtlMs: config.accessTokenTtlMs,
    },
  }

  const app = await buildApp({
    services,
    paths,
    maxUploadBytes: config.maxUploadBytes,
    saveUpload: (stream, dest, max) => saveUpload(stream as never, dest, max),
    logger: options.logger === false ? false : { level: config.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    ...(options.accessLogSummaryMs !== undefined ? { accessLogSummaryMs: options.accessLogSummaryMs } : {}),
    server,
    ...(options.instrument ? { instrument: options.instrument } : {}),
  })

  const cpu = cpuSampler()
  const trimScheduleHistory = scheduleHistoryTrimmer(store)
  const sampleSystem = async (): Promise<void> => {
    const m = systemMemory()
    const now = clock.now()
    await store.systemSamples.insert({ at: now, memoryUsedBytes: m.usedBytes, memoryTotalBytes: m.totalBytes, cpuPercent: cpu() })
    await store.systemSamples.prune(now - SYSTEM_SAMPLE_KEEP_MS)
    await store.sessions.deleteExpired(now)
    await trimScheduleHistory()
  }
  // Bookkeeping, not a reason to refuse to start (the database may be busy for a moment).
  await sampleSystem().catch((e) => logError(e, 'system sample'))
  const sampler = setInterval(() => void sampleSystem().catch((e) => logError(e, 'system sample')), SYSTEM_SAMPLE_MS)
  sampler.unref()

  await app.ready()
  worker.wake()
  scheduler.wake()

  let closed: Promise<void> | null = null
  return {
    app,
    url: urlOf(server),
    store,
    bus,
    worker,
    services,
    paths,
    close() {
      closed ??= (async () => {
        clearInterval(sampler)
        scheduler.stop()
        // No new run starts from here; running ones get the grace to finish (issue 8).
        const grace = config.shutdownGraceMs
        await worker.shutdown(
          grace > 0
            ? `Taskyard shut down and the run did not finish within the shutdown grace of ${grace / 1000} s (TASKYARD_SHUTDOWN_GRACE_SECONDS)`
            : 'Taskyard shut down while this run was active',
          grace,
        )
        await executor.close?.()
        // No run is left: the guard's chain and set go, so no account stays refused after us.
        await guard.close()
        await sshHosts.close()
        await app.close()
        server.closeAllConnections()
        await store.close()
        await releaseAll()
      })()
      return closed
    },
  }
}

function urlOf(server: Server): string {
  const { address, family, port } = server.address() as AddressInfo
  const host = family === 'IPv6' ? (address === '::1' ? 'localhost' : `[${address}]`) : address
  return `http://${host}:${port}`
}
