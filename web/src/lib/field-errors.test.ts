import { describe, expect, it } from 'vitest'
import { ApiError } from '../api/client'
import { fieldOfError } from './field-errors'

const refusal = (message: string, error: string) => new ApiError(400, { success: false, message, error })

describe('which field a create-task refusal concerns (spec 000 messages)', () => {
  it('maps each refusal to its field', () => {
    expect(fieldOfError(refusal('Task with this name already exists', "Task with name 'x' already exists"))).toBe('task_name')
    expect(fieldOfError(refusal('Invalid cron expression', 'bad'))).toBe('cron_expression')
    expect(fieldOfError(refusal('Please specify either cron expression or delay seconds, not both', ''))).toBe('cron_expression')
    expect(fieldOfError(refusal('Invalid delay', 'Delay seconds must be non-negative'))).toBe('delay_seconds')
    expect(fieldOfError(refusal('Invalid environment name', 'x'))).toBe('conda_env')
    expect(fieldOfError(refusal('Failed to install requirements in new environment', 'pip'))).toBe('requirements')
    expect(fieldOfError(refusal('Invalid priority', 'Priority must be'))).toBe('priority')
    expect(fieldOfError(refusal('Failed to process uploaded file', 'unsafe entry'))).toBe('script')
    expect(fieldOfError(refusal('Internal server error', 'An unexpected error occurred'))).toBeNull()
    expect(fieldOfError(new Error('network'))).toBeNull()
  })

  it('maps the retry policy and Node.js version refusals to their fields', () => {
    expect(fieldOfError(refusal('Invalid request', 'max_retries must be a whole number from 0 to 10, got "11"'))).toBe('max_retries')
    expect(fieldOfError(refusal('Invalid request', 'retry_backoff_seconds must be a whole number of seconds from 1 to 86400, got "0"'))).toBe(
      'retry_backoff_seconds',
    )
    expect(fieldOfError(refusal('Invalid request', 'retry_max_backoff_seconds must be a whole number of seconds from 1 to 86400, got "x"'))).toBe(
      'retry_max_backoff_seconds',
    )
    expect(fieldOfError(refusal('Invalid request', 'node_version must be a Node.js major version such as 20, got "abc"'))).toBe('node_version')
    const unavailable = new ApiError(400, {
      success: false,
      message: 'Node.js version not available',
      error: 'Node.js 99 is not installed on this server (available: 24)',
      available_versions: ['24'],
    })
    expect(fieldOfError(unavailable)).toBe('node_version')
  })
})
