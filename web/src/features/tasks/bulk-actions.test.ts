import { describe, expect, it } from 'vitest'
import { bulkAvailability, runBulk } from './bulk-actions'

describe('bulkAvailability', () => {
  it('needs a selection, a role that may act, and one selected task the action applies to', () => {
    expect(bulkAvailability('pause', [], 'admin')).toEqual({ key: 'bulk.why.none' })
    expect(bulkAvailability('pause', ['running'], 'viewer')).toEqual({ key: 'actions.why.role', role: 'viewer' })
    expect(bulkAvailability('resume', ['running', 'completed'], 'admin')).toEqual({ key: 'bulk.why.status' })
    expect(bulkAvailability('resume', ['running', 'paused'], 'operator')).toBeNull()
    expect(bulkAvailability('delete', ['completed'], 'admin')).toBeNull()
  })
})

describe('runBulk', () => {
  it("keeps each task's own answer, and a refusal does not stop the rest", async () => {
    const sent: number[] = []
    const results = await runBulk(
      [
        { task_id: 1, task_name: 'a' },
        { task_id: 2, task_name: '<b>' },
        { task_id: 3, task_name: 'c' },
      ],
      async (id) => {
        sent.push(id)
        if (id === 2) throw new Error('Task cannot be paused')
        return { message: 'Task paused successfully' }
      },
      (e) => (e as Error).message,
    )
    expect(sent).toEqual([1, 2, 3])
    expect(results).toEqual([
      { taskId: 1, taskName: 'a', ok: true, message: 'Task paused successfully' },
      { taskId: 2, taskName: '<b>', ok: false, message: 'Task cannot be paused' },
      { taskId: 3, taskName: 'c', ok: true, message: 'Task paused successfully' },
    ])
  })
})
