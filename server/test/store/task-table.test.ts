import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import type { Task } from '../../src/domain/task.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newRun, newTask, openTestStore, T0, taskFrom } from './store-fixtures.ts'

const nameTaken = (name: string) =>
  new TaskyardError('name_taken', 'Task with this name already exists', {
    error: `Task with name '${name}' already exists`,
  })

function assertNameTaken(name: string) {
  return (error: unknown) => {
    assert.ok(error instanceof TaskyardError)
    assert.equal(error.code, 'name_taken')
    assert.equal(error.message, nameTaken(name).message)
    assert.deepEqual(error.details, nameTaken(name).details)
    return true
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: tasks`, { skip: dialect.skip }, () => {
    it('inserts a task and returns it whole, with id 1 and no last run', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const input = newTask()
      const task = await store.tasks.insert(input)
      assert.deepEqual(task, taskFrom(input, 1))
      assert.deepEqual(await store.tasks.findById(1), task)
      assert.deepEqual(await store.tasks.findByName('nightly-report'), task)
    })

    it('keeps every field as given, numbers as numbers', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const input = newTask({
        name: 'etl',
        source: 'zip',
        scriptFile: '',
        command: 'bash run.sh',
        condaEnv: 'py311',
        requirements: 'requests==2.32.3\nnumpy',
        cronExpression: '*/5 * * * *',
        delaySeconds: 90,
        priority: 11,
        status: 'paused',
        createdAt: T0 + 1,
        updatedAt: T0 + 2,
        nextRunAt: 8_640_000_000_000,
        ownerId: 7,
      })
      const task = await store.tasks.insert(input)
      const expected = taskFrom(input, task.id)
      assert.deepEqual(task, expected)
      assert.deepEqual(await store.tasks.findById(task.id), expected)
    })

    it('finds nothing for an unknown id or name', async (t) => {
      const { store } = await openTestStore(t, dialect)
      await store.tasks.insert(newTask())
      assert.equal(await store.tasks.findById(999), undefined)
      assert.equal(await store.tasks.findByName('Nightly-Report'), undefined)
    })

    it('lists all tasks by id ascending', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.deepEqual(await store.tasks.list(), [])
      const b = await store.tasks.insert(newTask({ name: 'b' }))
      const a = await store.tasks.insert(newTask({ name: 'a' }))
      const c = await store.tasks.insert(newTask({ name: 'c' }))
      assert.deepEqual(await store.tasks.list(), [b, a, c])
    })

    it('refuses a duplicate name with name_taken and writes nothing', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const first = await store.tasks.insert(newTask())
      await assert.rejects(store.tasks.insert(newTask({ command: 'other' })), assertNameTaken('nightly-report'))
      assert.deepEqual(await store.tasks.list(), [first])
    })

    // Simultaneous inserts all pass the name check before any writes, so the unique index
    // decides, and its violation must come out as name_taken too.
    it('accepts one of several simultaneous inserts of the same name, refusing the rest with name_taken', async (t) => {
      const { store } = await openTestStore(t, dialect)
      await Promise.all([store.tasks.list(), store.tasks.list(), store.tasks.list(), store.tasks.list()])
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => store.tasks.insert(newTask({ name: 'twin' }))))
      const fulfilled = results.filter((r) => r.status === 'fulfilled')
      const rejected = results.filter((r) => r.status === 'rejected')
      assert.equal(fulfilled.length, 1)
      assert.equal(rejected.length, 3)
      for (const r of rejected) assertNameTaken('twin')(r.reason)
      assert.deepEqual(await store.tasks.list(), [fulfilled[0]?.value])
    })

    it('updates the given fields only and returns the task', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask())
      const other = await store.tasks.insert(newTask({ name: 'other' }))
      const updated = await store.tasks.update(task.id, {
        status: 'completed',
        updatedAt: T0 + 500,
        nextRunAt: null,
        lastRunAt: T0 + 100,
        lastRunDurationMs: 400,
        lastRunId: 12,
        priority: undefined,
      })
      const expected: Task = {
        ...task,
        status: 'completed',
        updatedAt: T0 + 500,
        lastRunAt: T0 + 100,
        lastRunDurationMs: 400,
        lastRunId: 12,
      }
      assert.deepEqual(updated, expected)
      assert.deepEqual(await store.tasks.list(), [expected, other])
    })

    it('returns the task unchanged for an empty patch, and undefined for an unknown id', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask())
      assert.deepEqual(await store.tasks.update(task.id, {}), task)
      assert.equal(await store.tasks.update(999, { status: 'paused' }), undefined)
      assert.equal(await store.tasks.update(999, {}), undefined)
      assert.deepEqual(await store.tasks.list(), [task])
    })

    it('never writes fields outside the patch type, such as id or createdAt', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask())
      const sneaky = { status: 'paused', id: 77, createdAt: 1 } as const
      const updated = await store.tasks.update(task.id, sneaky)
      assert.deepEqual(updated, { ...task, status: 'paused' })
    })

    it('renames a task, and refuses a name another task holds', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const a = await store.tasks.insert(newTask({ name: 'a' }))
      const b = await store.tasks.insert(newTask({ name: 'b' }))
      assert.deepEqual(await store.tasks.update(a.id, { name: 'a' }), a)
      await assert.rejects(store.tasks.update(a.id, { name: 'b', status: 'paused' }), assertNameTaken('b'))
      assert.deepEqual(await store.tasks.list(), [a, b])
      assert.deepEqual(await store.tasks.update(a.id, { name: 'c' }), { ...a, name: 'c' })
    })

    it('updates only while the status is still the expected one', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const task = await store.tasks.insert(newTask({ status: 'scheduled' }))
      assert.equal(await store.tasks.updateIfStatus(task.id, 'running', { status: 'paused' }), undefined)
      assert.deepEqual(await store.tasks.findById(task.id), task)
      const paused = await store.tasks.updateIfStatus(task.id, 'scheduled', { status: 'paused', updatedAt: T0 + 1 })
      assert.deepEqual(paused, { ...task, status: 'paused', updatedAt: T0 + 1 })
      assert.deepEqual(await store.tasks.findById(task.id), paused)
      assert.equal(await store.tasks.updateIfStatus(999, 'paused', { status: 'scheduled' }), undefined)
      assert.equal(await store.tasks.updateIfStatus(task.id, 'scheduled', {}), undefined)
      assert.deepEqual(await store.tasks.updateIfStatus(task.id, 'paused', {}), paused)
    })

    it('deletes a task with all its runs, and only those', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const doomed = await store.tasks.insert(newTask({ name: 'doomed' }))
      const kept = await store.tasks.insert(newTask({ name: 'kept' }))
      await store.runs.insert(newRun(doomed.id))
      await store.runs.insert(newRun(doomed.id))
      const keptRun = await store.runs.insert(newRun(kept.id))
      assert.equal(await store.tasks.delete(doomed.id), true)
      assert.equal(await store.tasks.findById(doomed.id), undefined)
      assert.equal(await store.runs.countForTask(doomed.id), 0)
      assert.deepEqual(await store.runs.listActive(), [keptRun])
      assert.deepEqual(await store.tasks.list(), [kept])
      assert.equal(await store.tasks.delete(doomed.id), false)
    })

    it('counts tasks by status, leaving out statuses with none', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.deepEqual(await store.tasks.countByStatus(), {})
      await store.tasks.insert(newTask({ name: 'a', status: 'scheduled' }))
      await store.tasks.insert(newTask({ name: 'b', status: 'scheduled' }))
      await store.tasks.insert(newTask({ name: 'c', status: 'failed' }))
      await store.tasks.insert(newTask({ name: 'd', status: 'paused' }))
      assert.deepEqual(await store.tasks.countByStatus(), { scheduled: 2, failed: 1, paused: 1 })
    })

    it('lists due scheduled tasks earliest first, and tells the next due time', async (t) => {
      const { store } = await openTestStore(t, dialect)
      assert.equal(await store.tasks.nextDueAt(), null)
      assert.deepEqual(await store.tasks.listDue(T0), [])
      const later = await store.tasks.insert(newTask({ name: 'later', nextRunAt: T0 + 2_000 }))
      const dueB = await store.tasks.insert(newTask({ name: 'due-b', nextRunAt: T0 - 1_000 }))
      const dueA = await store.tasks.insert(newTask({ name: 'due-a', nextRunAt: T0 - 5_000 }))
      const dueTie = await store.tasks.insert(newTask({ name: 'due-tie', nextRunAt: T0 - 1_000 }))
      const exactlyNow = await store.tasks.insert(newTask({ name: 'now', nextRunAt: T0 }))
      await store.tasks.insert(newTask({ name: 'paused', status: 'paused', nextRunAt: T0 - 9_000 }))
      // Issue 8: a running task's time is due too (forbid skips it, the other policies queue a run).
      const running = await store.tasks.insert(newTask({ name: 'running', status: 'running', nextRunAt: T0 - 9_000 }))
      await store.tasks.insert(newTask({ name: 'unplanned', nextRunAt: null }))

      assert.deepEqual(await store.tasks.listDue(T0), [running, dueA, dueB, dueTie, exactlyNow])
      assert.deepEqual(await store.tasks.listDue(T0 - 9_001), [])
      assert.equal(await store.tasks.nextDueAt(), T0 - 9_000)
      assert.deepEqual(await store.tasks.listUpcoming(10), [dueA, dueB, dueTie, exactlyNow, later])
      assert.deepEqual(await store.tasks.listUpcoming(2), [dueA, dueB])
    })

    it('has no next due time when only unscheduled tasks have one', async (t) => {
      const { store } = await openTestStore(t, dialect)
      await store.tasks.insert(newTask({ name: 'paused', status: 'paused', nextRunAt: T0 }))
      await store.tasks.insert(newTask({ name: 'unplanned', nextRunAt: null }))
      assert.equal(await store.tasks.nextDueAt(), null)
      assert.deepEqual(await store.tasks.listUpcoming(10), [])
    })
  })
}
