/**
 * The schema as Kysely sees it. Column names are the domain's field names in snake_case, and a
 * row holds exactly the domain object's fields, so one generic mapping serves every table
 * (row-mapping.ts). The exceptions map by hand: users and api_tokens hold a hash their reads
 * leave out, users.disabled is 0/1 on SQLite, audit_log.details is JSON text, servers
 * keep a sealed secret their reads leave out and JSON lists. Rows never leave store/.
 */
import type { ColumnType, Generated, Selectable } from 'kysely'
import type { EnvironmentBuild } from '../domain/environment-build.ts'
import type { Run, RunRequest } from '../domain/run.ts'
import type { ScheduleSlot } from '../domain/schedule-slot.ts'
import type { Server } from '../domain/server.ts'
import type { Task } from '../domain/task.ts'
import type { UserWithPasswordHash } from '../domain/user.ts'
import type { ApiToken } from '../domain/api-token.ts'
import type { AuditEntry } from '../domain/audit-entry.ts'
import type { Session } from '../domain/session.ts'
import type { SystemSample } from '../domain/system-sample.ts'

/** 'scriptFile' → 'script_file'. */
export type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S

/** The row shape of a domain object: the same fields under their snake_case column names. */
export type RowOf<T> = { [K in keyof T & string as SnakeCase<K>]: T[K] }

export interface TasksTable extends Omit<
  RowOf<Task>,
  | 'id'
  | 'labels'
  | 'task_type'
  | 'misfire'
  | 'schedule_enabled'
  | 'schedule_runs'
  | 'interactive'
  | 'max_retries'
  | 'retry_backoff_seconds'
  | 'retry_max_backoff_seconds'
  | 'concurrency'
> {
  id: Generated<number>
  /** Migration 008; null = none. */
  task_type: ColumnType<string | null, string | null | undefined, string | null>
  /** JSON text: an array of strings. Defaults to '[]'. */
  labels: ColumnType<string, string | undefined, string>
  misfire: ColumnType<Task['misfire'], Task['misfire'] | undefined, Task['misfire']>
  /** 1 or 0 on both dialects (migration 010). */
  schedule_enabled: ColumnType<number, number | undefined, number>
  schedule_runs: ColumnType<number, number | undefined, number>
  /** boolean on PostgreSQL; SQLite answers 0 or 1. Defaults to false. */
  interactive: ColumnType<boolean | number, boolean | undefined, boolean>
  /** Migration 012; default 0, 10, 3600. */
  max_retries: ColumnType<number, number | undefined, number>
  retry_backoff_seconds: ColumnType<number, number | undefined, number>
  retry_max_backoff_seconds: ColumnType<number, number | undefined, number>
  /** Migration 011; defaults to 'forbid'. */
  concurrency: ColumnType<Task['concurrency'], Task['concurrency'] | undefined, Task['concurrency']>
}

/** Migration 010: one row per (task, scheduled time) the scheduler decided about. */
export type ScheduleSlotsTable = RowOf<ScheduleSlot>

export interface RunsTable extends Omit<RowOf<Run>, 'id' | 'output_truncated' | 'attempt' | 'requested_action'> {
  id: Generated<number>
  /** Defaults to 1 (a first run). */
  attempt: ColumnType<number, number | undefined, number>
  /** boolean on PostgreSQL; SQLite answers 0 or 1. Defaults to false. */
  output_truncated: ColumnType<boolean | number, boolean | undefined, boolean>
  /** Migration 012: 'stop' | 'pause' | 'resume' another server asked for; null = none. */
  requested_action: ColumnType<RunRequest | null, RunRequest | null | undefined, RunRequest | null>
  /** Migration 011: 1 when the run takes its task's lock (the unique index runs_task_lock). Store-internal. */
  holds_lock: ColumnType<number, number | undefined, number>
}

export interface SystemSamplesTable extends RowOf<SystemSample> {
  id: Generated<number>
}

export interface UsersTable extends Omit<RowOf<UserWithPasswordHash>, 'id' | 'disabled'> {
  id: Generated<number>
  /** boolean on PostgreSQL; SQLite has no booleans and answers 0 or 1. */
  disabled: ColumnType<boolean | number, boolean, boolean>
}

export type SessionsTable = RowOf<Session>

export interface ApiTokensTable extends Omit<RowOf<ApiToken>, 'id'> {
  id: Generated<number>
  token_hash: string
}

export interface AuditLogTable extends Omit<RowOf<AuditEntry>, 'id' | 'details'> {
  id: Generated<number>
  /** JSON text. */
  details: string | null
}

export interface EnvironmentBuildsTable extends Omit<RowOf<EnvironmentBuild>, 'id' | 'ok'> {
  id: Generated<number>
  /** boolean on PostgreSQL; SQLite answers 0 or 1. null while the build is in progress. */
  ok: ColumnType<boolean | number | null, boolean | null | undefined, boolean>
}

/** What a task's finished runs of one status add up to (migration 006). */
export interface RunTotalsTable {
  task_id: number
  status: string
  runs: number
  /** Runs with a start and an end; sum_ms, min_ms and max_ms are over their durations. */
  timed: number
  sum_ms: number
  min_ms: number | null
  max_ms: number | null
}

/** Finished runs of one status that started / ended in the quarter hour from `at` (migration 006). */
export interface RunBucketsTable {
  at: number
  status: string
  started: number
  ended: number
}

export interface ServersTable extends Omit<RowOf<Server>, 'id' | 'labels' | 'operator_ids'> {
  id: Generated<number>
  sealed_secret: string
  /** JSON text: an array of strings / of user ids. */
  labels: string
  operator_ids: string
}

export interface TaskServersTable {
  task_id: number
  server_id: number
}

/** One row, id 1 (migration 008): the queue's settings. */
export interface QueueSettingsTable {
  id: number
  max_workers: number | null
  when_busy: ColumnType<string, string | undefined, string>
  updated_at: number | null
  updated_by: number | null
}

export interface Database {
  tasks: TasksTable
  runs: RunsTable
  run_totals: RunTotalsTable
  run_buckets: RunBucketsTable
  system_samples: SystemSamplesTable
  users: UsersTable
  sessions: SessionsTable
  api_tokens: ApiTokensTable
  audit_log: AuditLogTable
  environment_builds: EnvironmentBuildsTable
  servers: ServersTable
  task_servers: TaskServersTable
  queue_settings: QueueSettingsTable
  schedule_slots: ScheduleSlotsTable
}

export type TaskRow = Selectable<TasksTable>
export type RunRow = Selectable<RunsTable>
export type UserRow = Selectable<UsersTable>
export type AuditLogRow = Selectable<AuditLogTable>
export type EnvironmentBuildRow = Selectable<EnvironmentBuildsTable>
