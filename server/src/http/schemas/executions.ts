/** Route schemas of runs (issue 8, spec 003): request validation, response shapes, OpenAPI. */
import { errorRef, executionIdParams, taskIdParams } from './shared.ts'
import { DEFAULT_RUNS_PAGE_SIZE, MAX_RUNS_PAGE_SIZE } from '../../services/list-task-runs.ts'

/** The shared error body: it lists every field an error may carry, so none is dropped. */
const errorBody = errorRef

const authErrors = { 401: errorBody, 403: errorBody } as const

const nullableString = { type: ['string', 'null'] } as const
const nullableNumber = { type: ['number', 'null'] } as const

const RUN_FIELDS = {
  execution_id: { type: 'string' },
  task_id: { type: 'integer' },
  task_name: { type: 'string' },
  status: { type: 'string', enum: ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'abnormal', 'timeout'] },
  trigger: { type: 'string', enum: ['create', 'manual', 'schedule', 'resume', 'retry'], description: 'What queued the run' },
  priority: { type: 'string', enum: ['high', 'normal', 'low'] },
  priority_value: { type: 'integer', minimum: 0, maximum: 11 },
  attempt: { type: 'integer', minimum: 1, description: '1 for a first run; a retry counts on' },
  first_execution_id: { ...nullableString, description: 'The first run of the chain a retry belongs to; null for a first run' },
  retry_of_execution_id: { ...nullableString, description: 'The failed run this one retries automatically (max_retries); null otherwise' },
  not_before: { ...nullableString, description: 'A queued retry does not start before this time (its backoff); null: at once' },
  requested_action: {
    type: ['string', 'null'],
    enum: ['stop', 'pause', 'resume', null],
    description: 'An action another server asked of the server supervising the run, not yet applied',
  },
  queued_at: { type: 'string' },
  start_time: nullableString,
  end_time: nullableString,
  duration: { ...nullableNumber, description: 'Seconds, once the run has started and ended' },
  exit_code: { type: ['integer', 'null'] },
  signal: nullableString,
  error: { ...nullableString, description: 'Why the run failed or ended abnormally' },
  output_truncated: { type: 'boolean' },
  peak_memory: { ...nullableNumber, description: 'MB' },
  avg_memory: { ...nullableNumber, description: 'MB' },
  pause_reason: { ...nullableString, description: 'The reason given with the last pause' },
  paused_by: { ...nullableString, description: 'The username who paused the run last' },
  resume_reason: nullableString,
  resumed_by: nullableString,
  stop_reason: nullableString,
  stopped_by: nullableString,
  queue_position: { type: ['integer', 'null'], description: '1: the next queued run to start; null unless queued' },
  artifact_count: { type: 'integer', description: 'Result files the run left in its $TASKYARD_OUTPUT_DIR' },
  artifacts_url: { type: 'string' },
  logs_url: { type: 'string' },
} as const

const runDetail = {
  type: 'object',
  required: Object.keys(RUN_FIELDS),
  properties: RUN_FIELDS,
  additionalProperties: false,
} as const

export const getExecution = {
  tags: ['executions'],
  summary: 'One run in detail (spec 003 detailed status): task, status, times, exit code, error, pause/stop reasons and who gave them, attempt, queue position',
  params: executionIdParams,
  response: {
    200: {
      type: 'object',
      required: ['success', 'execution'],
      properties: { success: { type: 'boolean' }, execution: runDetail },
      additionalProperties: false,
    },
    404: errorBody,
    ...authErrors,
  },
} as const

export const listTaskExecutions = {
  tags: ['executions'],
  summary: "A task's runs, newest first, a page at a time",
  params: taskIdParams,
  querystring: {
    type: 'object',
    properties: {
      page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1, description: 'Page number, from 1 (the newest runs)' },
      page_size: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_RUNS_PAGE_SIZE,
        default: DEFAULT_RUNS_PAGE_SIZE,
        description: `Runs per page, 1 to ${MAX_RUNS_PAGE_SIZE} (default ${DEFAULT_RUNS_PAGE_SIZE})`,
      },
    },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      required: ['success', 'task_id', 'executions', 'total', 'page', 'page_size'],
      properties: {
        success: { type: 'boolean' },
        task_id: { type: 'integer' },
        executions: { type: 'array', items: runDetail },
        total: { type: 'integer', description: "All the task's runs" },
        page: { type: 'integer' },
        page_size: { type: 'integer' },
      },
      additionalProperties: false,
    },
    400: errorBody,
    404: errorBody,
    ...authErrors,
  },
} as const

const activeRun = {
  type: 'object',
  required: ['task_id', 'task_name', 'execution_id', 'status', 'start_time'],
  properties: {
    task_id: { type: 'integer' },
    task_name: { type: 'string' },
    execution_id: { type: 'string' },
    status: { type: 'string', enum: ['running', 'paused'] },
    start_time: nullableString,
  },
  additionalProperties: false,
} as const

export const taskStatus = {
  tags: ['executions'],
  summary: 'spec 003 brief status: is any run active (running or paused), which, and how many are queued',
  response: {
    200: {
      type: 'object',
      required: ['success', 'has_active_task', 'active_task', 'active_tasks', 'queued_count'],
      properties: {
        success: { type: 'boolean' },
        has_active_task: { type: 'boolean' },
        active_task: { anyOf: [activeRun, { type: 'null' }], description: 'The active run that started first; null when none' },
        active_tasks: { type: 'array', items: activeRun, description: 'Every active run, earliest start first' },
        queued_count: { type: 'integer' },
      },
      additionalProperties: false,
    },
    ...authErrors,
  },
} as const

export const listArtifacts = {
  tags: ['executions'],
  summary: "A run's result files (spec 003): what it left in $TASKYARD_OUTPUT_DIR, by name",
  params: executionIdParams,
  response: {
    200: {
      type: 'object',
      required: ['success', 'execution_id', 'artifacts', 'total'],
      properties: {
        success: { type: 'boolean' },
        execution_id: { type: 'string' },
        artifacts: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'size', 'modified_at', 'download_url'],
            properties: {
              name: { type: 'string', description: 'Path inside the run folder, `/`-separated' },
              size: { type: 'integer', description: 'Bytes' },
              modified_at: { type: 'string' },
              download_url: { type: 'string' },
            },
            additionalProperties: false,
          },
        },
        total: { type: 'integer' },
      },
      additionalProperties: false,
    },
    404: errorBody,
    ...authErrors,
  },
} as const

export const downloadArtifact = {
  tags: ['executions'],
  summary: 'One result file of a run, as an attachment (a name with folders is written with %2F for each /)',
  params: {
    type: 'object',
    properties: { execution_id: { type: 'string' }, name: { type: 'string', description: 'The artifact name, URL-encoded' } },
    required: ['execution_id', 'name'],
  },
  response: {
    200: {
      description: 'The file, as an attachment',
      content: { 'application/octet-stream': { schema: { type: 'string', description: 'The file’s bytes' } } },
    },
    404: errorBody,
    ...authErrors,
  },
} as const

const retried = {
  type: 'object',
  required: ['success', 'message', 'execution_id', 'new_execution_id', 'task_id', 'attempt'],
  properties: {
    success: { type: 'boolean' },
    message: { type: 'string' },
    execution_id: { type: 'string', description: 'The run retried' },
    new_execution_id: { type: 'string', description: 'The new run: the next attempt' },
    task_id: { type: 'integer' },
    attempt: { type: 'integer' },
  },
  additionalProperties: false,
} as const

/** The shared error body: it lists every field an error may carry, so none is dropped. */
const refusal = errorRef

export const retryExecution = {
  tags: ['executions'],
  summary: 'Retry a failed, timed-out or abnormal run: a new run of the task, the next attempt of the chain',
  params: executionIdParams,
  response: { 200: retried, 400: refusal, 404: errorBody, ...authErrors },
} as const

export const retryTask = {
  tags: ['executions'],
  summary: "Retry a task's latest run (only when it failed, timed out or ended abnormally)",
  params: taskIdParams,
  response: { 200: retried, 400: refusal, 404: errorBody, ...authErrors },
} as const

export const retryExecutions = {
  tags: ['executions'],
  summary: 'Retry several runs, each on its own; the answer reports each',
  body: {
    type: 'object',
    required: ['execution_ids'],
    properties: {
      execution_ids: { type: 'array', minItems: 1, maxItems: 100, items: { type: ['string', 'integer'] }, description: 'Up to 100 execution ids' },
    },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      required: ['success', 'retried', 'failed', 'total', 'results'],
      properties: {
        success: { type: 'boolean' },
        retried: { type: 'integer' },
        failed: { type: 'integer' },
        total: { type: 'integer' },
        results: {
          type: 'array',
          items: {
            type: 'object',
            required: ['execution_id', 'success'],
            properties: {
              execution_id: { type: 'string' },
              success: { type: 'boolean' },
              new_execution_id: { type: 'string' },
              attempt: { type: 'integer' },
              message: { type: 'string' },
              error: { type: 'string' },
            },
            additionalProperties: false,
          },
        },
      },
      additionalProperties: false,
    },
    400: errorBody,
    ...authErrors,
  },
} as const

export const sendInput = {
  tags: ['executions'],
  summary: "Write text to an interactive run's stdin (spec 003 add-new-task); close: true ends it (end-of-file)",
  params: executionIdParams,
  body: {
    type: 'object',
    required: ['text'],
    properties: {
      text: { type: 'string', maxLength: 1048576, description: 'Written as is (add the line break a line-reading program waits for)' },
      close: { type: 'boolean', description: 'End stdin after the text (default false)' },
    },
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      required: ['success', 'message', 'execution_id', 'bytes', 'closed'],
      properties: {
        success: { type: 'boolean' },
        message: { type: 'string' },
        execution_id: { type: 'string' },
        bytes: { type: 'integer' },
        closed: { type: 'boolean' },
      },
      additionalProperties: false,
    },
    400: refusal,
    404: errorBody,
    ...authErrors,
  },
} as const
