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
})
