/**
 * spec 000 response shapes of the routes that have no response schema in openapi.json yet, so
 * the generated types say `unknown` for them. TODO(issue 11): give those routes response
 * schemas and delete these, so every body comes from the generated types.
 */
export type TaskStatus = 'scheduled' | 'running' | 'paused' | 'stopped' | 'completed' | 'failed'
export type RunStatus = 'queued' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled' | 'abnormal' | 'timeout'
export type PriorityWord = 'high' | 'normal' | 'low'

export interface TaskListItem {
  task_id: number
  task_name: string
  status: TaskStatus
  conda_env: string
  created_at: string | null
  cron_expression: string | null
  next_run_time_formatted: string | null
  last_run_time_formatted: string | null
  last_run_duration_formatted: number | null
  priority: PriorityWord
  queue_position?: number
  completed_at?: string | null
}

export interface Task {
  task_id: number
  task_name: string
  script_path: string
  conda_env: string
  status: TaskStatus
  created_at: string | null
  updated_at: string | null
  cron_expression: string | null
  delay_seconds: number | null
  next_run_time: string | null
  last_run_time: string | null
  last_run_duration: number | null
  requirements: string | null
  command: string
  priority: PriorityWord
  priority_value: number
  last_execution_id?: string | null
  executions?: string[]
  /** Present only when the task sets them (the server leaves defaults out). */
  timeout_seconds?: number
  time_zone?: string
  misfire?: 'run_once' | 'skip'
  task_type?: string
  labels?: string[]
  interactive?: true
  node_version?: string
  max_retries?: number
  retry_backoff_seconds?: number
  retry_max_backoff_seconds?: number
  concurrency?: 'queue' | 'allow' | 'replace'
  /** GET of one task, while it has a queued run: where the first one stands (1: next). */
  queue_position?: number
}

export interface Execution {
  execution_id: string
  start_time: string | null
  end_time: string | null
  status: RunStatus
  /** Seconds. */
  duration: number | null
  /** MB. */
  peak_memory: number | null
  avg_memory: number | null
  exit_code: number | null
  signal: string | null
  error: string | null
}

export interface TaskDetail {
  success: true
  task: Task
  execution_history: Execution[]
  performance_metrics: { durations: (number | null)[]; timestamps: (string | null)[]; peak_memories: (number | null)[]; avg_memories: (number | null)[] }
  latest_execution: (Execution & { logs: string }) | null
}

export interface TaskTransitionBody {
  success: true
  message: string
  task: { task_id: number; task_name: string; status: TaskStatus; previous_status: TaskStatus }
}

export interface Stats {
  total: number
  scheduled: number
  running: number
  completed: number
  failed: number
  paused: number
  stopped_count: number
  avg_duration: number | null
  min_duration: number | null
  max_duration: number | null
  success_rate: number
  system_resources: { timestamps: string[]; memory_usage: (number | null)[]; total_memory: number; task_counts: number[] } | null
  task_success_rate: { success: number; failed: number; cancelled: number; abnormal: number }
  last_7_days: { dates: string[]; success_counts: number[]; failed_counts: number[] }
  upcoming_tasks: { task_id: number; task_name: string; conda_env: string; command: string; scheduled_time: string | null; cron_expression: string | null }[]
  recent_tasks: { task_id: number; name: string; status: RunStatus; start_time: string | null; end_time: string | null; duration: number | null }[]
}

export interface User {
  user_id: number
  username: string
  role: 'admin' | 'operator' | 'viewer'
  disabled: boolean
  created_at: string | null
  updated_at: string | null
}

export interface AuditEntry {
  id: number
  at: string | null
  user_id: number | null
  username: string | null
  action: string
  target_type: string | null
  target_id: string | null
  details: Record<string, unknown> | null
  ip: string | null
}

export interface ApiToken {
  token_id: number
  name: string
  prefix: string
  created_at: string | null
  last_used_at: string | null
  expires_at: string | null
  revoked_at: string | null
}
