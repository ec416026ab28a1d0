/**
 * The composition root: config → store → executor, environments, files → services → roles
 * (HTTP, scheduler, dispatcher). The only place that builds implementations.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Config } from './config/config.ts'
import type { Clock } from './domain/clock.ts'
import { createEnvironments } from './environments/create-environments.ts'
import { EventBus } from './events/events.ts'
import type { Executor } from './executor/executor.ts'
import { createLocalExecutor } from './executor/local/local-executor.ts'
import { createRunnerExecutor } from './executor/runner/runner-executor.ts'
import { defaultCommand, detectMainScript, prepareTaskFiles } from './files/prepare-task-files.ts'
import { installTaskFiles, removeTaskFiles, sweepTaskLeftovers } from './files/install-task-files.ts'
import { saveUpload } from './files/save-upload.ts'
import { buildApp } from './http/app.ts'
import { DATABASE_BUSY_RETRY_AFTER_S } from './http/error-handler.ts'
import { probeLockFile, tryLockFile, type HeldLock } from './lib/exclusive-file-lock.ts'
import { loadOrCreateIdFile } from './lib/stable-id-file.ts'
import { dataPaths, type DataPaths } from './lib/paths.ts'
import { cpuSampler, systemMemory } from './lib/system-memory.ts'
import { createDispatcher, type RunController } from './scheduler/dispatcher.ts'
import { createScheduler } from './scheduler/scheduler.ts'
import type { ServiceDeps, TaskFiles } from './services/deps.ts'
import { recoverRuns } from './services/recover-runs.ts'
import { ensureAdmin } from './auth/bootstrap-admin.ts'
import { LoginThrottle } from './auth/login-throttle.ts'
import { loadOrCreateSecret } from './auth/secret.ts'
import { LockHeldError, lockDatabase, type DatabaseLock } from './store/database-lock.ts'
import { openStore } from './store/kysely-store.ts'
import type { Store } from './store/store.ts'

export interface RunningTaskyard {
  app: FastifyInstance
  url: string
  store: Store
  bus: EventBus
  runs: RunController
  services: ServiceDeps
  paths: DataPaths
  /** Stops accepting requests, ends the runs this process supervises, closes the database. */
  close(): Promise<void>
}

export interface StartOptions {
  clock?: Clock
  /** false silences request logs (tests). */
  logger?: boolean
  /** Where start-up messages go (the generated admin password among them); default the console. */
  log?: (message: string) => void
}

/** The data directory's one-server lock (lib/exclusive-file-lock.ts). */
const DATA_DIR_LOCK = 'taskyard.lock'
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
  await mkdir(paths.root, { recursive: true })
  const holder = { pid: process.pid, host: hostname(), since: new Date(clock.now()).toISOString() }
  const dirLock = tryLockFile(path.join(paths.root, DATA_DIR_LOCK), holder)
  if (!dirLock.ok) throw new LockHeldError(`The data directory ${paths.root}`, dirLock.holder)
  held.dataDir = dirLock.lock
  held.database = await lockDatabase(config.databaseUrl, {
    now: clock.now,
    onLost: (error) => logError(error, 'the database lock session was lost; another server could now start on this database'),
    onRelocked: () => log('The database lock was taken again'),
  })

  await Promise.all([paths.stagingRoot, paths.uploadsDir, paths.envsDir, paths.logsDir, path.join(paths.root, 'tasks')].map((d) => mkdir(d, { recursive: true })))
  // Leftovers of requests that a crash interrupted: never whole, so never used.
  await Promise.all([paths.stagingRoot, paths.uploadsDir].map(async (d) => {
    await rm(d, { recursive: true, force: true })
    await mkdir(d, { recursive: true })
  }))
  await sweepTaskLeftovers(path.join(paths.root, 'tasks'))

  const secret = await loadOrCreateSecret(paths.root, config.secret)
  const store = await openStore({ databaseUrl: config.databaseUrl })
  await ensureAdmin(store, { dataDir: paths.root, configuredPassword: config.adminPassword, clock, log })
  const bus = new EventBus()
  // 'runner' spawns from a small helper process: forking the big server costs ~2× more and
  // blocks its event loop, but the hop adds ~1.5 ms to each start (docs/benchmarks.md).
  const executor: Executor & { close?(): Promise<void> } =
    config.executor === 'runner' ? await createRunnerExecutor({ installation: paths.root }) : createLocalExecutor({ installation: paths.root })
  const environments = await createEnvironments({
    envsDir: paths.envsDir,
    pythonPath: config.pythonPath,
    childEnv: config.childEnv,
    allowUnsafeRequirements: config.allowUnsafeRequirements,
  })
  // Stable across restarts, so recovery knows which runs were this node's (issue 6 item 2).
  const workerId = await loadOrCreateIdFile(path.join(paths.root, 'node-id'), 'node-')

  await recoverRuns({
    store,
    clock,
    workerId,
    endOrphanedRun(pgid, runId) {
      void executor.killOrphanedRun(runId, pgid)
    },
  })

  const runs = createDispatcher({
    store,
    executor,
    environments,
    clock,
    bus,
    paths,
    workerId,
    settings: {
      maxConcurrentRuns: config.maxConcurrentRuns,
      runTimeoutMs: config.runTimeoutMs,
      killGraceMs: config.killGraceMs,
      sampleIntervalMs: config.sampleIntervalMs,
      childEnv: config.childEnv,
    },
    onError: logError,
  })
  const scheduler = createScheduler({
    store,
    clock,
    runs,
    timeZone: config.timeZone,
    onTaskChanged: (taskId) => bus.emit('task:changed', { taskId }),
    onError: logError,
  })

  // A cron task returns to 'scheduled' when its run ends: its next time needs a timer.
  bus.on('run:finished', () => scheduler.wake())

  const limits = { maxEntries: config.maxZipEntries, maxExtractedBytes: config.maxExtractedBytes }
  const files: TaskFiles = {
    prepare: (upload, command) => prepareTaskFiles({ uploadPath: upload.path, originalName: upload.filename, stagingRoot: paths.stagingRoot, command, ...limits }),
    install: (stagingDir, taskId) => installTaskFiles(stagingDir, paths.taskDir(taskId)),
    remove: (taskId) => removeTaskFiles(paths.taskDir(taskId)),
    discard: (p) => rm(p, { recursive: true, force: true }).catch(() => undefined),
    defaultCommand,
    detectMainScript,
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
    runs,
    wakeScheduler: () => scheduler.wake(),
    environments,
    files,
    paths,
    system: { totalMemoryBytes: () => systemMemory().totalBytes },
    settings: { timeZone: config.timeZone },
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
    logger: options.logger === false ? false : { level: config.logLevel },
    server,
  })

  const cpu = cpuSampler()
  const sampleSystem = async (): Promise<void> => {
    const m = systemMemory()
    const now = clock.now()
    await store.systemSamples.insert({ at: now, memoryUsedBytes: m.usedBytes, memoryTotalBytes: m.totalBytes, cpuPercent: cpu() })
    await store.systemSamples.prune(now - SYSTEM_SAMPLE_KEEP_MS)
    await store.sessions.deleteExpired(now)
  }
  // Bookkeeping, not a reason to refuse to start (the database may be busy for a moment).
  await sampleSystem().catch((e) => logError(e, 'system sample'))
  const sampler = setInterval(() => sampleSystem().catch((e) => logError(e, 'system sample')), SYSTEM_SAMPLE_MS)
  sampler.unref()

  await app.ready()
  runs.wake()
  scheduler.wake()

  let closed: Promise<void> | null = null
  return {
    app,
    url: urlOf(server),
    store,
    bus,
    runs,
    services,
    paths,
    close() {
      closed ??= (async () => {
        clearInterval(sampler)
        scheduler.stop()
        await runs.shutdown('Taskyard shut down while this run was active')
        await executor.close?.()
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
