/**
 * Route schemas: they validate what Fastify can validate (params, query, JSON bodies) and are the
 * source of the OpenAPI document at /api/openapi.json. Multipart bodies are described, not
 * validated here: http/parse/ checks each field and answers in spec 000's words.
 */

const str = { type: 'string' } as const
const int = { type: 'integer' } as const
const bool = { type: 'boolean' } as const
const nullableStr = { type: ['string', 'null'] } as const
const nullableNum = { type: ['number', 'null'] } as const
const strings = { type: 'array', items: str } as const
const taskStatus = { type: 'string', enum: [...TASK_STATUSES] } as const
const runStatus = { type: 'string', enum: [...RUN_STATUSES] } as const
const priorityWord = { type: 'string', enum: ['high', 'normal', 'low'] satisfies PriorityWord[] } as const
const seconds = { ...nullableNum, description: 'Seconds, two decimals' } as const
const megabytes = { ...nullableNum, description: 'MB, one decimal' } as const

/** Issue 8: what `concurrency` means, for the create and PUT descriptions. */
const CONCURRENCY_HELP =
  'concurrency: what a run due while the previous one is live does — forbid (default: a trigger is refused, a cron time skipped and recorded), ' +
  'queue (it runs after the previous one ends), allow (it runs beside it), replace (the previous one is stopped, naming the new run, and the new one starts).'

/** Issue 8's task type and labels: present only when the task has them. */
const taskKind = {
  task_type: { type: 'string', description: 'Only when the task sets it' },
  labels: { type: 'array', items: { type: 'string' }, description: 'Only when the task has any' },
} as const
/** Issue 8's schedule policy: present only when the task's differs from the default. */
const taskSchedule = {
  time_zone: { type: 'string', description: 'Only when the task has a zone of its own' },
  misfire: { type: 'string', enum: ['skip'], description: 'Only when it is not the default (run_once)' },
} as const

/** Issue 8's retry policy: present only on a task that retries (max_retries above 0). */
const taskRetries = {
  max_retries: { type: 'integer', description: 'Only when the task retries failed runs' },
  retry_backoff_seconds: { type: 'integer', description: 'Only with max_retries' },
  retry_max_backoff_seconds: { type: 'integer', description: 'Only with max_retries' },
} as const

/** spec 000's `task` object (http/present/task.ts presentTask); run_as and the limits only when set. */
const taskFields = {
  task_id: int,
  task_name: str,
  script_path: str,
  conda_env: str,
  status: taskStatus,
  created_at: str,
  updated_at: str,
  cron_expression: nullableStr,
  delay_seconds: nullableNum,
  next_run_time: nullableStr,
  last_run_time: nullableStr,
  last_run_duration: seconds,
  requirements: nullableStr,
  command: str,
  priority: priorityWord,
  priority_value: int,
} as const
const taskOptional = {
  run_as: { type: 'string', description: 'Only when the task sets it' },
  memory_limit_mb: { type: 'number', description: 'Only when the task sets it' },
  max_log_mb: { type: 'number', description: 'Only when the task sets it' },
  ...taskKind,
  ...taskSchedule,
  timeout_seconds: { type: 'number', description: 'Only when the task sets it' },
  interactive: { type: 'boolean', const: true, description: 'Only on an interactive task' },
  node_version: { type: 'string', description: 'Only when the task sets it: the Node.js major version of its runs' },
  ...taskRetries,
  concurrency: { type: 'string', enum: ['queue', 'allow', 'replace'], description: 'Issue 8: only when it is not the default (forbid)' },
  queue_position: {
    type: 'integer',
    description: 'Issue 8, GET of one task: where its first queued run stands in the queue (1: next), while it has one',
  },
} as const
const taskInline = { ...closed(taskFields), properties: { ...taskFields, ...taskOptional } } as const
/** components.schemas.Task */
export const taskSchema = { $id: 'Task', ...taskInline } as const
const task = { $ref: 'Task#' } as const

/** spec 000's execution object (presentExecution); output_truncated only on a run that hit its log cap. */
const executionFields = {
  execution_id: str,
  start_time: nullableStr,
  end_time: nullableStr,
  status: runStatus,
  duration: seconds,
  peak_memory: megabytes,
  avg_memory: megabytes,
  exit_code: { type: ['integer', 'null'] },
  signal: nullableStr,
  error: nullableStr,
} as const
const executionOptional = { output_truncated: { type: 'boolean', const: true, description: 'Only when the output hit the log cap' } } as const
const executionInline = { ...closed(executionFields), properties: { ...executionFields, ...executionOptional } } as const
/** components.schemas.Execution */
export const executionSchema = { $id: 'Execution', ...executionInline } as const
const execution = { $ref: 'Execution#' } as const

/** spec 000's history item (presentHistoryItem); components.schemas.HistoryItem. */
export const historyItemSchema = {
  $id: 'HistoryItem',
  ...closed({
    task_id: int,
    task_name: str,
    status: runStatus,
    execution_time: nullableStr,
    duration: seconds,
    peak_memory: megabytes,
    avg_memory: megabytes,
    exit_code: { type: ['integer', 'null'] },
    execution_id: str,
  }),
} as const
const historyItem = { $ref: 'HistoryItem#' } as const

const listItemFields = {
  task_id: int,
  task_name: str,
  status: taskStatus,
  conda_env: str,
  created_at: str,
  cron_expression: nullableStr,
  next_run_time_formatted: nullableStr,
  last_run_time_formatted: nullableStr,
  last_run_duration_formatted: seconds,
  priority: priorityWord,
} as const
const listItem = {
  ...closed(listItemFields),
  properties: { ...listItemFields, ...taskKind, completed_at: { type: 'string', description: 'Only on completed tasks' } },
} as const

const notFound = { ...errorRef, description: 'No such task' } as const

import type { PriorityWord } from '../../domain/priority.ts'
import { RUN_STATUSES } from '../../domain/run.ts'
import { TASK_STATUSES } from '../../domain/task.ts'
import { closed, errorRef, errorResponses, taskIdParams } from './shared.ts'

/**
 * The fields of each multipart route, in one place: a field not listed here is refused by name
 * (http/known-fields.ts). Adding a field is one line here plus its use in the route.
 * `file` parts stream to disk, `text` parts may be a small file read as text or a plain field.
 */
import { shellTaskBody, shellTaskItem, shellTaskPage, taskPageQuery } from './shell-tasks.ts'

export const CREATE_TASK_FIELDS = {
  script_file: 'file',
  conda_env: 'field',
  task_name: 'field',
  requirements_file: 'text',
  requirements: 'field',
  reuse_env: 'field',
  cron_expression: 'field',
  delay_seconds: 'field',
  command: 'field',
  priority: 'field',
  run_as: 'field',
  memory_limit_mb: 'field',
  max_log_mb: 'field',
  task_type: 'field',
  labels: 'field',
  time_zone: 'field',
  misfire: 'field',
  timeout_seconds: 'field',
  interactive: 'field',
  node_version: 'field',
  max_retries: 'field',
  retry_backoff_seconds: 'field',
  retry_max_backoff_seconds: 'field',
  concurrency: 'field',
} as const satisfies Record<string, MultipartFieldKind>

export const UPDATE_SCRIPT_FIELDS = {
  script_file: 'file',
  command: 'field',
  force: 'field',
} as const satisfies Record<string, MultipartFieldKind>

export type MultipartFieldKind = 'file' | 'text' | 'field'

export const createTask = {
  tags: ['tasks'],
  summary: 'Create a task from an uploaded script or ZIP (spec 000), or a shell command on a registered server (spec 001, JSON)',
  consumes: ['multipart/form-data', 'application/json'],
  body: shellTaskBody,
  description:
    `multipart/form-data fields: ${Object.keys(CREATE_TASK_FIELDS).join(', ')}. Any other field is refused (400 unknown_fields). ` +
    'run_as (admins only): the OS account the runs get (user name or uid:gid) when the server is root; ' +
    'memory_limit_mb: memory limit of each run (1–1048576 MiB); max_log_mb: log size cap of each run, at most TASKYARD_MAX_LOG_BYTES; ' +
    'task_type: what kind of work it is (for cancel-by-type and ?task_type=); labels: comma-separated (for ?label=); ' +
    "time_zone: the IANA zone the cron expression is read in (default: the server's TASKYARD_TIME_ZONE); misfire: run_once (default) or skip, what a cron time seen over a minute late (the server was down) does. " +
    'timeout_seconds: each run ends as timeout after this many seconds of running (1–31536000; paused time does not count); ' +
    'interactive (true/false): runs get a stdin pipe fed by POST /api/executions/<id>/input; otherwise stdin is at end-of-file. ' +
    "node_version: the Node.js major version (e.g. 20) the runs' node, npm and npx are; one not installed is a 400 node_unavailable listing those that are. " +
    'max_retries (0–10, default 0): a run that ends failed, timeout or abnormal is retried automatically, each attempt its own run; ' +
    'retry_backoff_seconds (1–86400, default 10): the first retry waits this long, each next one twice as long; retry_max_backoff_seconds (1–86400, default 3600): the longest wait. ' +
    CONCURRENCY_HELP +
    ' ' +
    'A JSON body (spec 001) is {name, command, server_id, cron_expr}: 200 {success, message, task: {id, name, command, server_id, status, last_run, next_run, created_at}}.',
  response: {
    201: closed({ success: bool, message: str, task, environment_message: str }),
    200: { ...closed({ success: bool, message: str, task: shellTaskItem }), description: 'spec 001: the JSON body’s shell task' },
    ...errorResponses,
  },
} as const

export const listTasks = {
  tags: ['tasks'],
  summary: 'List defined tasks, or run history with type=history',
  querystring: {
    type: 'object',
    properties: {
      type: { type: 'string', enum: ['defined', 'history'] },
      task_type: { type: 'string', description: 'Defined tasks of this task_type only' },
      label: { type: 'string', description: 'Defined tasks carrying this label only' },
      ...taskPageQuery,
    },
  },
  response: {
    200: {
      description: 'Task items, or history items with type=history; spec 001’s page with page or page_size',
      anyOf: [{ type: 'array', items: { anyOf: [listItem, historyItem] } }, shellTaskPage],
    },
    ...errorResponses,
  },
} as const

const ints = { type: 'array', items: int } as const

export const stats = {
  tags: ['tasks'],
  summary: 'Task statistics for the dashboard',
  response: {
    200: closed({
      total: int,
      scheduled: int,
      running: int,
      completed: int,
      failed: int,
      paused: int,
      stopped_count: int,
      avg_duration: seconds,
      min_duration: seconds,
      max_duration: seconds,
      success_rate: { type: 'number', description: 'completed / (completed + failed), percent' },
      system_resources: {
        ...closed({
          timestamps: { type: 'array', items: nullableStr },
          memory_usage: { type: 'array', items: { type: ['integer', 'null'] }, description: 'MB used, per hour; null where not sampled' },
          total_memory: int,
          task_counts: ints,
        }),
        type: ['object', 'null'],
        description: 'null when the figures are unavailable',
      },
      task_success_rate: closed({ success: int, failed: int, cancelled: int, abnormal: int }),
      last_7_days: closed({ dates: strings, success_counts: ints, failed_counts: ints }),
      upcoming_tasks: {
        type: 'array',
        items: closed({ task_id: int, task_name: str, conda_env: str, command: str, scheduled_time: nullableStr, cron_expression: nullableStr }),
      },
      recent_tasks: {
        type: 'array',
        items: closed({ task_id: int, name: str, status: runStatus, start_time: nullableStr, end_time: nullableStr, duration: seconds }),
      },
    }),
    ...errorResponses,
  },
} as const

export const history = {
  tags: ['tasks'],
  summary: 'Runs of the last month',
  response: { 200: closed({ status: { type: 'string', const: 'success' }, data: { type: 'array', items: historyItem } }), ...errorResponses },
} as const

export const getTask = {
  tags: ['tasks'],
  summary: 'A task with its runs, metrics and latest log',
  params: taskIdParams,
  querystring: {
    type: 'object',
    properties: { history_limit: { type: 'integer', minimum: 1, maximum: 10000, description: 'How many recent runs to list (default 100)' } },
  },
  response: {
    200: closed({
      success: bool,
      task: {
        ...taskInline,
        required: [...taskInline.required, 'last_execution_id', 'executions'],
        properties: { ...taskInline.properties, last_execution_id: nullableStr, executions: strings },
      },
      execution_history: { type: 'array', items: execution },
      performance_metrics: closed({
        durations: { type: 'array', items: seconds },
        timestamps: { type: 'array', items: nullableStr },
        peak_memories: { type: 'array', items: megabytes },
        avg_memories: { type: 'array', items: megabytes },
      }),
      latest_execution: {
        ...executionInline,
        type: ['object', 'null'],
        required: [...executionInline.required, 'logs'],
        properties: {
          ...executionInline.properties,
          logs: { type: 'string', description: 'The end of the log; a first line says how many earlier bytes were left out' },
        },
      },
    }),
    404: notFound,
    ...errorResponses,
  },
} as const

export const logs = {
  tags: ['tasks'],
  summary:
    'A run log: its last 1 MiB by default, a byte range with offset/limit, the whole file with download=1, or Server-Sent Events with stream=true (resume with Last-Event-ID)',
  params: {
    type: 'object',
    properties: { task_id: { type: 'string' }, execution_id: { type: 'string' } },
    required: ['task_id', 'execution_id'],
  },
  querystring: {
    type: 'object',
    properties: {
      stream: { type: 'string', enum: ['true', 'false', '1', '0'] },
      download: { type: 'string', enum: ['true', 'false', '1', '0'], description: 'The whole log as a text/plain attachment' },
      offset: { type: 'string', description: 'Byte offset to start at (default: the last 1 MiB); moved forward past the rest of a character it falls inside' },
      limit: { type: 'string', description: 'Bytes to read at most, 1 to 8388608 (default 1048576); without offset, the last `limit` bytes' },
    },
  },
  response: {
    200: {
      description:
        'JSON by default; text/event-stream with stream=true (each event `{"logs", "is_complete"}`, its id the byte offset); text/plain with download=1',
      content: {
        'application/json': {
          schema: closed({
            success: bool,
            task_id: int,
            execution_id: str,
            logs: str,
            is_complete: bool,
            last_update: nullableStr,
            offset: int,
            next_offset: int,
            size: int,
            truncated_before: bool,
            has_more: bool,
            download_url: str,
          }),
        },
        'text/event-stream': { schema: { type: 'string' } },
        'text/plain': { schema: { type: 'string' } },
      },
    },
    404: { ...errorRef, description: 'No such task or run of it' },
    ...errorResponses,
  },
} as const

/** trigger, stop, pause, resume: the task before and after. */
export const taskAction = {
  tags: ['tasks'],
  params: taskIdParams,
  response: {
    200: {
      ...closed({ success: bool, message: str, task: closed({ task_id: int, task_name: str, status: taskStatus, previous_status: taskStatus }) }),
      properties: {
        success: bool,
        message: str,
        task: closed({ task_id: int, task_name: str, status: taskStatus, previous_status: taskStatus }),
        requested: {
          type: 'boolean',
          const: true,
          description: 'Only when another server of the database supervises the run: the action was recorded for it and applies within about a second',
        },
      },
    },
    400: { ...errorRef, description: 'invalid_transition: the task’s status does not allow it (current_status says which)' },
    404: notFound,
    409: {
      ...errorRef,
      description: 'trigger only: queue_full (a queue or allow task already has max_live_runs live runs) or worker_busy (when_busy refuse, every slot taken)',
    },
    ...errorResponses,
  },
} as const

export const deleteTask = {
  tags: ['tasks'],
  summary: 'Delete a task, its runs and its files (spec 000)',
  params: taskIdParams,
  response: { 200: closed({ success: bool, message: str, task_id: int }), 404: notFound, ...errorResponses },
} as const

/** pause / resume / stop: taskAction with spec 003's optional reason (a JSON body, or none). */
export const taskControl = {
  ...taskAction,
  body: {
    type: ['object', 'null'],
    properties: {
      reason: {
        type: ['string', 'null'],
        maxLength: 1000,
        description: 'Why (optional); kept on the run with who gave it and shown in GET /api/executions/<id>',
      },
    },
    additionalProperties: false,
  },
} as const

export const updateTask = {
  tags: ['tasks'],
  summary: 'Update a task (spec 000 PUT)',
  params: taskIdParams,
  body: {
    type: 'object',
    properties: {
      task_name: { type: 'string' },
      script: { type: 'string', description: 'New content of the task script' },
      conda_env: { type: 'string' },
      cron_expression: { type: ['string', 'null'] },
      requirements: { type: 'string' },
      delay_seconds: { type: ['number', 'string', 'null'] },
      priority: { type: ['string', 'integer'] },
      command: { type: 'string' },
      run_as: { type: ['string', 'null'], description: 'Admins only: the OS account the runs get (user name or uid:gid); null or empty: the server default' },
      memory_limit_mb: { type: ['number', 'string', 'null'], description: 'Memory limit of each run in MiB (1–1048576); null: none' },
      max_log_mb: { type: ['number', 'string', 'null'], description: 'Log size cap of each run in MiB, at most TASKYARD_MAX_LOG_BYTES; null: the server cap' },
      task_type: { type: ['string', 'null'], description: 'What kind of work it is, for cancel-by-type; null or empty: none' },
      labels: { type: ['array', 'string', 'null'], items: { type: 'string' }, description: 'A list, or one comma-separated string; null or empty: none' },
      time_zone: { type: ['string', 'null'], description: "IANA time zone the cron expression is read in; null: the server's" },
      misfire: { type: 'string', description: 'What a cron time seen over a minute late does: run once now, or skip' },
      interactive: { type: ['boolean', 'string'], description: 'Runs get a stdin pipe (POST /api/executions/<id>/input); false: stdin at end-of-file' },
      node_version: {
        type: ['string', 'null'],
        description: "Node.js major version (e.g. 20) of the runs' node, npm and npx; null or empty: whatever PATH gives",
      },
      timeout_seconds: {
        type: ['number', 'string', 'null'],
        description: 'Seconds of running (paused time not counted) after which a run ends as timeout (1–31536000); null: none',
      },
      max_retries: { type: ['integer', 'string', 'null'], description: 'Automatic retries of a failed, timed-out or abnormal run (0–10); null: 0' },
      retry_backoff_seconds: {
        type: ['integer', 'string', 'null'],
        description: 'Wait before the first retry, doubled for each next one (1–86400); null: 10',
      },
      retry_max_backoff_seconds: { type: ['integer', 'string', 'null'], description: 'The longest wait between retries (1–86400); null: 3600' },
      concurrency: { type: 'string', description: CONCURRENCY_HELP },
    },
    // Unknown fields are refused by name (app.ts), not dropped: a typo must not pass silently.
    additionalProperties: false,
  },
  response: {
    200: closed({
      success: bool,
      message: str,
      task,
      requirements_update: {
        ...closed({ success: bool, installed_packages: strings, failed_packages: strings }),
        type: ['object', 'null'],
        description: 'null unless requirements changed',
      },
    }),
    404: notFound,
    ...errorResponses,
  },
} as const

export const updateScript = {
  tags: ['tasks'],
  summary: "Replace a task's files (spec 000 update-script)",
  params: taskIdParams,
  consumes: ['multipart/form-data'],
  description: `multipart/form-data fields: ${Object.keys(UPDATE_SCRIPT_FIELDS).join(', ')}. Any other field is refused (400 unknown_fields).`,
  response: {
    200: closed({
      success: bool,
      message: str,
      task: closed({ task_id: int, task_name: str, script_path: str, command: str, status: taskStatus }),
      updated_files: strings,
    }),
    404: notFound,
    ...errorResponses,
  },
} as const
