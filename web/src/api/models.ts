/**
 * Short names for the bodies the UI reads, every one derived from the generated OpenAPI types
 * (schema.d.ts, from ../openapi.json): a changed route schema changes these, and the typecheck
 * then points at each use. Nothing here is written by hand.
 */
import type { components } from './schema'
import type { ResponseOf } from './client'

type Schemas = components['schemas']

export type User = Schemas['User']
export type Task = Schemas['Task']
export type Execution = Schemas['Execution']
export type TaskStatus = Task['status']
export type RunStatus = Execution['status']
export type PriorityWord = Task['priority']

/** GET /api/tasks/{task_id}: the task with its history, metrics and latest log. */
export type TaskDetail = ResponseOf<'/api/tasks/{task_id}', 'get'>

/** One row of GET /api/tasks (defined tasks; spec 000's list is not paged). */
export type TaskListItem = Exclude<Extract<ResponseOf<'/api/tasks', 'get'>, unknown[]>[number], Schemas['HistoryItem']>

/** GET /api/tasks/stats: the dashboard's figures. */
export type Stats = ResponseOf<'/api/tasks/stats', 'get'>

export type AuditEntry = ResponseOf<'/api/audit', 'get'>['entries'][number]
export type ApiToken = ResponseOf<'/api/auth/tokens', 'get'>['tokens'][number]
