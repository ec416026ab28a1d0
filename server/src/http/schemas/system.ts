/** Response schemas of the system monitor routes (spec 004): the UI's generated types come from these. */
import { errorResponses } from './shared.ts'

const num = { type: 'number' } as const
const int = { type: 'integer' } as const

export const systemStatus = {
  tags: ['system'],
  summary: 'Host CPU, load, memory, the data directory disk and uptime (any logged-in user)',
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'cpu_percent', 'cpu_count', 'load_average', 'memory', 'disk', 'uptime_seconds', 'server_uptime_seconds'],
      properties: {
        success: { type: 'boolean' },
        cpu_percent: { ...num, description: 'Busy share of all CPUs over a 250 ms window' },
        cpu_count: int,
        load_average: { type: 'array', items: num, minItems: 3, maxItems: 3, description: '1, 5 and 15 minutes' },
        memory: {
          type: 'object',
          additionalProperties: false,
          required: ['used_bytes', 'total_bytes', 'percent'],
          properties: { used_bytes: int, total_bytes: int, percent: num },
        },
        disk: {
          type: 'object',
          additionalProperties: false,
          required: ['path', 'used_bytes', 'free_bytes', 'total_bytes', 'percent'],
          properties: { path: { type: 'string' }, used_bytes: int, free_bytes: int, total_bytes: int, percent: num },
        },
        uptime_seconds: int,
        server_uptime_seconds: int,
      },
    },
    ...errorResponses,
  },
} as const

export const taskProcesses = {
  tags: ['system'],
  summary: 'The processes of running and paused task runs, with CPU and memory (any logged-in user)',
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'processes'],
      properties: {
        success: { type: 'boolean' },
        processes: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: [
              'pid',
              'ppid',
              'pgid',
              'state',
              'name',
              'command',
              'cpu_percent',
              'memory_bytes',
              'task_id',
              'task_name',
              'execution_id',
              'execution_status',
            ],
            properties: {
              pid: int,
              ppid: int,
              pgid: int,
              state: { type: 'string', description: 'proc(5) state letter: R running, S sleeping; a paused run shows T (stopped) or D (its cgroup frozen)' },
              name: { type: 'string' },
              command: { type: 'string' },
              cpu_percent: { ...num, description: 'Share of one CPU over a 250 ms window' },
              memory_bytes: { ...int, description: 'Resident set size' },
              task_id: int,
              task_name: { type: 'string' },
              execution_id: int,
              execution_status: { type: 'string', enum: ['running', 'paused'] },
            },
          },
        },
      },
    },
    ...errorResponses,
  },
} as const
