/**
 * The storage contract. Everything outside store/ sees only this file; rows never leave store/.
 * Instants are epoch milliseconds (numbers) on both dialects.
 */
import type { ApiToken, NewApiToken } from '../domain/api-token.ts'
import type { AuditEntry, NewAuditEntry } from '../domain/audit-entry.ts'
import type { EnvironmentBuild, NewEnvironmentBuild } from '../domain/environment-build.ts'
import type { DurationStats, NewRun, Run, RunBrief, RunBriefWithTaskName, RunPatch, RunRequest, RunStatus, RunWithTaskName } from '../domain/run.ts'
import type { QueueSettings } from '../domain/queue-settings.ts'
import type { ScheduleSlot } from '../domain/schedule-slot.ts'
import type { Session } from '../domain/session.ts'
import type { SystemSample } from '../domain/system-sample.ts'
import type { NewTask, Task, TaskPatch, TaskStatus } from '../domain/task.ts'
import type { NewServer, Server, ServerPatch } from '../domain/server.ts'
import type { TimeRange } from '../domain/time-range.ts'
import type { NewUser, User, UserPatch, UserWithPasswordHash } from '../domain/user.ts'

export type DialectName = 'sqlite' | 'postgres'

export interface TaskTable {
  /** Throws TaskyardError('name_taken') when the name is in use (checked by the unique index too). */
  insert(task: NewTask): Promise<Task>
  findById(id: number): Promise<Task | undefined>
  /** findById with the registered server the task runs on (null: this host), in one read: what a run's start needs. */
  findForRun(id: number): Promise<{ task: Task; serverId: number | null } | undefined>
  /**
   * findById that, inside a transaction, holds the task's row until the transaction ends (FOR
   * UPDATE on PostgreSQL; SQLite transactions are serial). Whoever queues a run for a task reads
   * it this way, so the one-live-run check and the insert cannot interleave with another's.
   */
  lockById(id: number): Promise<Task | undefined>
  findByName(name: string): Promise<Task | undefined>
  /**
   * lockById for many tasks in one statement (the scheduler's batch of due tasks): the ones that
   * exist, by id ascending, locked in that order (FOR UPDATE on PostgreSQL), so two lockers of
   * overlapping sets never deadlock.
   */
  lockByIds(ids: readonly number[]): Promise<Task[]>
  /**
   * The scheduler's write of a batch of fired tasks, one statement: each task's nextRunAt is set;
   * a task in `fired` also becomes 'running', its scheduleRuns goes up by one and its
   * lastScheduledAt is that time. Call with the rows locked (lockByIds): the counts cannot race.
   */
  recordSchedules(updates: readonly ScheduleUpdate[]): Promise<void>
  /** All tasks, by id ascending. */
  list(): Promise<Task[]>
  /** Applies the patch and returns the updated task; undefined when it does not exist. */
  update(id: number, patch: TaskPatch): Promise<Task | undefined>
  /** Sets the patch only if the task's status is still `expected`; returns the task or undefined. */
  updateIfStatus(id: number, expected: TaskStatus, patch: TaskPatch): Promise<Task | undefined>
  /** Deletes the task and all its runs, taking them out of the run summaries. The only way runs leave. */
  delete(id: number): Promise<boolean>
  countByStatus(): Promise<Partial<Record<TaskStatus, number>>>
  /** Tasks with status 'scheduled' or 'running' (issue 8), an enabled schedule and nextRunAt ≤ now, earliest first. */
  listDue(now: number): Promise<Task[]>
  /** The earliest nextRunAt of a 'scheduled' or 'running' task whose schedule is enabled, or null. */
  nextDueAt(): Promise<number | null>
  /** 'scheduled' tasks with an enabled schedule and a nextRunAt, earliest first. */
  listUpcoming(limit: number): Promise<Task[]>
  /** Tasks with a cron expression, by id ascending (spec 003 GET /schedule). */
  listScheduled(): Promise<Task[]>
}

export interface RunTable {
  /**
   * Queues a run. Issue 8: a run that takes its task's lock (`holdsLock`; left out, the task's
   * policy decides in the insert) while another live one holds it is refused by the unique index
   * runs_task_lock, as spec 000's trigger refusal.
   */
  insert(run: NewRun): Promise<Run>
  /**
   * insert for many runs in one statement (the scheduler's batch), each with its `holdsLock`
   * given; the runs in the order given. All or none: a run refused by runs_task_lock refuses them all.
   */
  insertMany(runs: readonly (NewRun & { holdsLock: boolean })[]): Promise<Run[]>
  /**
   * Issue 10: finished runs (no queued, running or paused one: refused before anything is
   * written) in bulk, for seeding and imports: multi-row inserts, and the run summaries added
   * set-wise in the same transaction (not by the per-row trigger). Opens a transaction when not
   * given one; how many were written. Writers of runs wait for it (tables/import-runs.ts).
   */
  importMany(runs: readonly Omit<Run, 'id'>[]): Promise<number>
  findById(id: number): Promise<Run | undefined>
  update(id: number, patch: RunPatch): Promise<Run | undefined>
  /**
   * Moves the most urgent queued run (lowest priority number, then oldest, then lowest id) to
   * 'running' with workerId and startedAt = now, atomically; each run is claimed once. Issue 8:
   * passes over a run whose task is not `allow` while another run of that task is running or paused.
   */
  claimNext(workerId: string, now: number): Promise<Run | undefined>
  /** Runs holding a worker slot: 'running' or 'paused', on every server. */
  countBusy(): Promise<number>
  /** Queued runs in the order claimNext takes them (priority, then due time, then id), with their task names. */
  listQueued(limit: number, offset: number): Promise<RunWithTaskName[]>
  countQueued(): Promise<number>
  /**
   * Cancels the run only while it is still 'queued' (one statement: a claim that got there first
   * wins, and the run is then running); the run after, or undefined when it was not queued.
   */
  cancelIfQueued(id: number, endedAt: number, error: string | null): Promise<Run | undefined>
  /** Sets the priority of the task's queued runs; how many there were. */
  setQueuedPriority(taskId: number, priority: number): Promise<number>
  /** A task's runs, newest (highest id) first; `offset` skips that many of the newest. */
  listForTask(taskId: number, limit: number, offset?: number): Promise<Run[]>
  /** listForTask's first page, brief (issue 10: GET /api/tasks/<id> lists up to 10,000). */
  listBriefForTask(taskId: number, limit: number): Promise<RunBrief[]>
  /**
   * Where a queued run stands in the order claimNext takes them (1: next); null when the run is
   * not queued (or does not exist). Runs whose `not_before` is after `now` (retries waiting out
   * their backoff) are not counted ahead of it.
   */
  queuePosition(id: number, now: number): Promise<number | null>
  countForTask(taskId: number): Promise<number>
  /** The task's newest run in queued/running/paused, if any (several only under `queue` / `allow`, issue 8). */
  findActiveForTask(taskId: number): Promise<Run | undefined>
  /** Issue 8: every live run of the task, oldest first. */
  listActiveForTask(taskId: number): Promise<Run[]>
  /** listActiveForTask for many tasks in one query: each task with live runs, its runs oldest first. */
  listActiveForTasks(taskIds: readonly number[]): Promise<Map<number, Run[]>>
  /** Issue 8: the run no longer takes its task's lock (a replaced run while it stops). */
  releaseLock(id: number): Promise<void>
  /** Issue 8: per task with live runs, how many are queued and how many running or paused. */
  countLiveByTask(): Promise<Map<number, { queued: number; busy: number }>>
  /** Issue 8: tasks stored 'running' whose live runs are all queued (shown 'scheduled'). */
  countQueuedOnlyRunningTasks(): Promise<number>
  /** Every run in queued/running/paused, oldest first (recovery after a restart). */
  listActive(): Promise<Run[]>
  countByStatus(): Promise<Partial<Record<RunStatus, number>>>
  /** Duration statistics over runs that started and ended. */
  durationStats(): Promise<DurationStats>
  /** For each range, how many runs have `field` inside it (and, if given, a status among `statuses`). */
  countInRanges(field: 'startedAt' | 'endedAt', ranges: TimeRange[], statuses?: readonly RunStatus[]): Promise<number[]>
  /** Runs that started at or after `since`, newest start first (ties: highest id first), with their task names; brief (issue 10). */
  listHistory(since: number, limit: number): Promise<RunBriefWithTaskName[]>
  // Issue 8, retries and control from any server (migration 012).
  /** The earliest not_before after `now` of a queued run: when the next backed-off retry becomes claimable; null = none. */
  nextNotBefore(now: number): Promise<number | null>
  /** Applies the patch only while the run is still `expected` (compare-and-set); undefined when it was not. */
  updateIfStatus(id: number, expected: RunStatus, patch: RunPatch): Promise<Run | undefined>
  /**
   * Records `action` for the run's supervisor while the run is in one of `statuses`; a pending
   * 'stop' is never replaced by a pause or resume. The run after, or undefined when refused.
   */
  requestAction(id: number, action: RunRequest, statuses: readonly RunStatus[]): Promise<Run | undefined>
  /** Runs `workerId` supervises with an action pending, oldest first. */
  listRequested(workerId: string): Promise<Run[]>
  /** Clears the pending action if it is still `action` (a newer request stays); true when cleared. */
  clearRequest(id: number, action: RunRequest): Promise<boolean>
}

export interface SystemSampleTable {
  insert(sample: SystemSample): Promise<void>
  /** For each range the average memoryUsedBytes of its samples, or null when it has none. */
  averageMemoryInRanges(ranges: TimeRange[]): Promise<(number | null)[]>
  /** Deletes samples older than `before`. */
  prune(before: number): Promise<void>
}

export interface UserTable {
  /** Throws TaskyardError('name_taken') when the username is in use (checked by the unique index too). */
  insert(user: NewUser): Promise<User>
  findById(id: number): Promise<User | undefined>
  /** Exact, case-sensitive match. The only read that returns the password hash. */
  findByUsername(username: string): Promise<UserWithPasswordHash | undefined>
  /** All users, by id ascending. */
  list(): Promise<User[]>
  /** Applies the patch and returns the updated user; undefined when it does not exist. */
  update(id: number, patch: UserPatch): Promise<User | undefined>
  count(): Promise<number>
}

export interface SessionTable {
  insert(session: Session): Promise<Session>
  findByHash(id: string): Promise<Session | undefined>
  /** Sets lastSeenAt; the expiry does not move. */
  touch(id: string, now: number): Promise<void>
  delete(id: string): Promise<boolean>
  /** Ends every session of the user; returns how many there were. */
  deleteForUser(userId: number): Promise<number>
  /** Deletes the sessions with expiresAt ≤ now; returns how many. */
  deleteExpired(now: number): Promise<number>
}

export interface ApiTokenTable {
  insert(token: NewApiToken): Promise<ApiToken>
  findByHash(tokenHash: string): Promise<ApiToken | undefined>
  /** The user's tokens, revoked and expired ones included, by id ascending. */
  listForUser(userId: number): Promise<ApiToken[]>
  /**
   * Sets revokedAt = now on the token if it belongs to userId and is not revoked yet. False when
   * there is no such token, it is someone else's, or it was already revoked: the caller answers
   * all three alike, so token ids of other users do not leak.
   */
  revoke(id: number, userId: number, now: number): Promise<boolean>
  /** Revokes every live token of the user (disabling, password change); returns how many. */
  revokeAllForUser(userId: number, now: number): Promise<number>
  /** Sets lastUsedAt. */
  touch(id: number, now: number): Promise<void>
}

export interface AuditLogTable {
  insert(entry: NewAuditEntry): Promise<AuditEntry>
  /** Newest first (by id); `before` is an entry id, for the next page. */
  list(options: { limit: number; before?: number }): Promise<AuditEntry[]>
}

export interface EnvironmentBuildTable {
  /**
   * Records a build's start. Throws TaskyardError('environment_busy') while another build of the
   * same name is in progress (held by a partial unique index, so also across processes).
   */
  begin(build: NewEnvironmentBuild): Promise<EnvironmentBuild>
  /** Records the end of a build in progress; a build already ended is left as it is. */
  finish(id: number, outcome: { endedAt: number; ok: boolean; error: string | null }): Promise<void>
  findById(id: number): Promise<EnvironmentBuild | undefined>
  /** The newest build of each of `names` (all names when omitted). */
  latestByName(names?: readonly string[]): Promise<Map<string, EnvironmentBuild>>
  /** Builds that have not ended, oldest first: after a crash, the ones it interrupted. */
  listInProgress(): Promise<EnvironmentBuild[]>
  /** An environment's builds, newest first. */
  listForName(envName: string, limit: number): Promise<EnvironmentBuild[]>
  /** A renamed environment keeps its history. Returns how many builds moved. */
  rename(oldName: string, newName: string): Promise<number>
}

/** The scheduled times the scheduler decided about (issue 8). Key: (taskId, slotAt). */
export interface ScheduleSlotTable {
  /**
   * Records the slots whose (task, time) has no record yet and returns those it recorded; one
   * already recorded is left as it is (never an error, so a PostgreSQL transaction goes on). The
   * scheduler records a time here before it queues its run: the run follows only a fresh record.
   */
  record(slots: readonly ScheduleSlot[]): Promise<ScheduleSlot[]>
  /** Links a fired slot to the run queued for it. */
  setRun(taskId: number, slotAt: number, runId: number): Promise<void>
  /** setRun for many slots in one statement. */
  setRuns(links: readonly { taskId: number; slotAt: number; runId: number }[]): Promise<void>
  /** A task's slots, latest scheduled time first. */
  listForTask(taskId: number, limit: number): Promise<ScheduleSlot[]>
  /**
   * Retention: for each of the first `taskCount` tasks with an id above `afterTaskId`, deletes
   * its slots older than its newest `keepPerTask`. Returns the last task id visited, or null when
   * no task was left (the next pass starts again from 0). Whole-table scans are avoided: each
   * task is one seek of the (task_id, slot_at) key.
   */
  trim(afterTaskId: number, taskCount: number, keepPerTask: number): Promise<{ lastTaskId: number | null; deleted: number }>
}

/** Registered servers (issue 12). The secret is stored sealed (AES-GCM); this table never opens it. */
export interface ServerTable {
  /** Throws TaskyardError('server_exists') when the name is in use (checked by the unique index too). */
  insert(server: NewServer, sealedSecret: string): Promise<Server>
  findById(id: number): Promise<Server | undefined>
  /** The sealed secret, for the code that connects; the only read that returns it. */
  findSealedSecret(id: number): Promise<string | undefined>
  /** All servers, by id ascending. */
  list(): Promise<Server[]>
  /** Applies the patch (and a new sealed secret when given); undefined when there is no such server. */
  update(id: number, patch: ServerPatch, sealedSecret?: string): Promise<Server | undefined>
  /** Pins a first host key only while none is pinned (two first connections cannot both pin); the server as it is after. */
  pinHostKey(id: number, fingerprint: string, now: number): Promise<Server | undefined>
  /** Deletes the server and the links of tasks to it. */
  delete(id: number): Promise<boolean>
  /** Makes the task run on the server (null: on the Taskyard machine). */
  setTaskServer(taskId: number, serverId: number | null): Promise<void>
  findTaskServer(taskId: number): Promise<number | null>
  /** Ids of the tasks that run on the server, ascending. */
  listTaskIds(serverId: number): Promise<number[]>
  /** spec 001's paged task list: newest first, with the server each task runs on (null: this machine). */
  listTaskPage(filter: TaskPageFilter): Promise<TaskPage>
}

/** spec 001's list filters; each absent one matches every task. */
export interface TaskPageFilter {
  serverId?: number
  /** spec 001 `status`: true = enabled (1), false = disabled (0: stopped or paused). */
  enabled?: boolean
  /** Epoch ms, inclusive: the task's last run started in this range (a task never run matches neither). */
  lastRunFrom?: number
  lastRunTo?: number
  /** Case-insensitive substring of the name. */
  nameContains?: string
  ownerId?: number
  offset: number
  limit: number
}

export interface TaskPage {
  items: { task: Task; serverId: number | null }[]
  /** All tasks matching the filter, on every page. */
  total: number
}

/** The queue's settings (migration 008): one row. */
export interface QueueSettingsTable {
  get(): Promise<QueueSettings>
  /**
   * get() that, inside a transaction, holds the row until the transaction ends (FOR UPDATE on
   * PostgreSQL; SQLite transactions are serial). Every claim of a queued run takes it first, so
   * the count of busy runs and the claim cannot interleave with another server's.
   */
  lock(): Promise<QueueSettings>
  update(settings: QueueSettings): Promise<QueueSettings>
}

/** One task's row after the scheduler decided about it (TaskTable.recordSchedules). */
export interface ScheduleUpdate {
  id: number
  nextRunAt: number | null
  /** The scheduled time a run was queued for, or null when none was. */
  fired: number | null
}

/** The tables, inside or outside a transaction. */
export interface StoreTables {
  readonly tasks: TaskTable
  readonly runs: RunTable
  readonly systemSamples: SystemSampleTable
  readonly users: UserTable
  readonly sessions: SessionTable
  readonly apiTokens: ApiTokenTable
  readonly auditLog: AuditLogTable
  readonly environmentBuilds: EnvironmentBuildTable
  readonly servers: ServerTable
  readonly queueSettings: QueueSettingsTable
  readonly scheduleSlots: ScheduleSlotTable
}

export interface Store extends StoreTables {
  readonly dialect: DialectName
  /**
   * Runs fn in one write transaction; it commits when fn resolves and rolls back when it throws.
   * On SQLite the transaction takes the write lock at BEGIN (IMMEDIATE), so two writers never
   * deadlock on a lock upgrade. Do no slow I/O inside fn.
   */
  transaction<T>(fn: (tx: StoreTables) => Promise<T>): Promise<T>
  // Every method of the store and its tables fails with TaskyardError('database_busy') when the
  // database cannot be had in time (another process's lock, a lost connection): retryable. Such a
  // transaction was rolled back, except when the connection was lost during COMMIT (unknown).
  close(): Promise<void>
}

export interface StoreOptions {
  /** 'sqlite:<path>' / a file path, or 'postgres://…'. */
  databaseUrl: string
  /**
   * How long a statement waits for a lock another process or transaction holds (SQLite: async
   * retries of SQLITE_BUSY; PostgreSQL: lock_timeout) before failing with database_busy.
   * Default 3 s.
   */
  busyBudgetMs?: number
}
