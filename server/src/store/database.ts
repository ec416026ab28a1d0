/**
 * The schema as Kysely sees it. Column names are the domain's field names in snake_case, and a
 * row holds exactly the domain object's fields, so one generic mapping serves every table
 * (row-mapping.ts). Rows never leave store/.
 */
import type { Generated, Selectable } from 'kysely'
import type { Run } from '../domain/run.ts'
import type { Task } from '../domain/task.ts'

/** 'scriptFile' → 'script_file'. */
export type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S

/** The row shape of a domain object: the same fields under their snake_case column names. */
export type RowOf<T> = { [K in keyof T & string as SnakeCase<K>]: T[K] }

export interface SystemSample {
  at: number
  memoryUsedBytes: number
  memoryTotalBytes: number
  cpuPercent: number
}

export interface TasksTable extends Omit<RowOf<Task>, 'id'> {
  id: Generated<number>
}

export interface RunsTable extends Omit<RowOf<Run>, 'id'> {
  id: Generated<number>
}

export interface SystemSamplesTable extends RowOf<SystemSample> {
  id: Generated<number>
}

export interface Database {
  tasks: TasksTable
  runs: RunsTable
  system_samples: SystemSamplesTable
}

export type TaskRow = Selectable<TasksTable>
export type RunRow = Selectable<RunsTable>
