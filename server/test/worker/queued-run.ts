import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import type { DispatcherDeps } from '../../src/worker/dispatcher.ts'
import { dataPaths } from '../../src/lib/paths.ts'
import type { Store } from '../../src/store/store.ts'
import { newTask } from '../store/store-fixtures.ts'

/** A data directory (removed after the test) and one queued run of a 'running' task with this command. */
export async function queuedRun(t: TestContext, store: Store, command: string) {
  const root = await mkdtemp(path.join(tmpdir(), 'taskyard-dispatch-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const paths = dataPaths(root)
  await mkdir(paths.logsDir, { recursive: true })
  const task = await store.tasks.insert(newTask({ status: 'running', command }))
  await mkdir(paths.taskDir(task.id), { recursive: true })
  const run = await store.runs.insert({ taskId: task.id, priority: 5, trigger: 'manual', queuedAt: 1 })
  return { paths, task, run }
}

/** Settings of a dispatcher with no limits, a 1 s kill grace, and the test's own PATH. */
export const unlimitedSettings = (): DispatcherDeps['settings'] => ({
  maxWorkers: null,
  runTimeoutMs: null,
  killGraceMs: 1000,
  sampleIntervalMs: 1000,
  childEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
})
