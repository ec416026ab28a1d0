/** Schemas of the script editor's routes: a task's files listed and read (issue 11). */
import { errorRef, errorResponses, taskIdParams } from './shared.ts'
import { MAX_TASK_FILE_ENTRIES, MAX_TASK_FILE_READ_BYTES } from '../../services/read-task-files.ts'

export const listTaskFiles = {
  tags: ['tasks'],
  summary: "A task's files, depth first and sorted by path (any logged-in user, as task reads are)",
  description: `Symbolic links are listed with type symlink and never followed. At most ${MAX_TASK_FILE_ENTRIES} entries; truncated says when there were more.`,
  params: taskIdParams,
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'task_id', 'files', 'truncated'],
      properties: {
        success: { type: 'boolean' },
        task_id: { type: 'integer' },
        files: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['path', 'type', 'size', 'executable'],
            properties: {
              path: { type: 'string', description: "Relative to the task directory, '/'-separated" },
              type: { type: 'string', enum: ['file', 'directory', 'symlink', 'other'] },
              size: { type: 'integer', description: 'Bytes (0 for anything but a file)' },
              executable: { type: 'boolean', description: 'A file with an execute bit (kept by a save through update-script)' },
            },
          },
        },
        truncated: { type: 'boolean' },
      },
    },
    404: { ...errorRef, description: 'No such task' },
    ...errorResponses,
  },
} as const

export const readTaskFile = {
  tags: ['tasks'],
  summary: 'One file of a task, whole: UTF-8 text as it is, anything else base64 (any logged-in user)',
  description: `Regular files up to ${MAX_TASK_FILE_READ_BYTES} bytes inside the task directory; a path with '..', an absolute path, a NUL byte or a symbolic link on the way is refused (400).`,
  params: taskIdParams,
  querystring: {
    type: 'object',
    properties: { path: { type: 'string', maxLength: 4096, description: "Relative to the task directory, '/'-separated" } },
    required: ['path'],
  },
  response: {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['success', 'task_id', 'path', 'size', 'encoding', 'content'],
      properties: {
        success: { type: 'boolean' },
        task_id: { type: 'integer' },
        path: { type: 'string' },
        size: { type: 'integer' },
        encoding: { type: 'string', enum: ['utf-8', 'base64'], description: 'utf-8 for valid UTF-8 without NUL bytes' },
        content: { type: 'string' },
      },
    },
    400: { ...errorRef, description: 'A path outside the task, not a regular file, or too large' },
    404: { ...errorRef, description: 'No such task or file' },
    ...errorResponses,
  },
} as const
