/** Refusals about an environment that the services and the environments adapter both give, in 000a's words. */
import { TaskyardError } from './errors.ts'

/** `base` is the system Python every server has. */
export const BASE_ENVIRONMENT = 'base'

/** 000a: every `<env_name>` route answers an unknown environment with exactly `{"success": false, "message": "Environment not found"}`. */
export function environmentNotFound(): TaskyardError {
  return new TaskyardError('environment_not_found', 'Environment not found')
}

export function environmentProtected(what: 'renamed' | 'deleted'): TaskyardError {
  return new TaskyardError('environment_protected', `The base environment cannot be ${what}`, {
    error: `'base' is the system Python every server has; it cannot be ${what}`,
  })
}

/** spec 000 (a task's environment, in PUT and installs): the body for one that does not exist. */
export function envNotFound(name: string): TaskyardError {
  return new TaskyardError('env_not_found', 'Environment not found', {
    error: `The specified conda environment '${name}' does not exist`,
  })
}
