import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { describe, it } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { offlinePipEnv, wheelhouse } from '../helpers/wheels.ts'
import { fingerprint, freeze, writeEvilWheel } from '../environments/env-test-kit.ts'

describe('requirements through the API (real venv, real pip, local wheels)', () => {
  it('creates a new environment with the requirements, and the task imports them', async (t) => {
    const wheels = await wheelhouse(t, [{ name: 'tyb-greet', code: 'WORD = "greetings"\n' }])
    const app = await createTestApp(t, { env: offlinePipEnv(wheels) })
    const res = await app.createTask(
      { conda_env: 'withreq', task_name: 'imports', requirements_file: 'tyb-greet==1.0\n' },
      { name: 'use.py', content: 'import tyb_greet\nprint(tyb_greet.WORD)\n' },
    )
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.body.task.requirements, 'tyb-greet==1.0\n')
    assert.match(res.body.environment_message, /withreq/)
    const { runId } = await app.runningRun(res.body.task.task_id)
    await app.runFinished(runId)
    const log = await app.json(`/api/tasks/${res.body.task.task_id}/executions/${runId}/logs`)
    assert.equal(log.body.logs, 'greetings\n')
  })

  it('a failed install in a new environment names exactly the failed package and leaves no environment and no task', async (t) => {
    const wheels = await wheelhouse(t, [{ name: 'tyb-present' }])
    const app = await createTestApp(t, { env: offlinePipEnv(wheels) })
    const form = new FormData()
    form.set('script_file', new Blob(['print(1)\n']), 'job.py')
    form.set('conda_env', 'broken')
    form.set('requirements_file', new Blob(['tyb-present==1.0\ntyb-absent==2.0\n']), 'requirements.txt')
    const res = await app.json('/api/tasks', { method: 'POST', body: form })
    assert.equal(res.status, 400)
    assert.equal(res.body.success, false)
    assert.equal(res.body.message, 'Failed to install requirements in new environment')
    assert.deepEqual(res.body.failed_packages, ['tyb-absent'])
    assert.equal(res.body.error_details.length, 1)
    assert.match(res.body.error_details[0], /tyb-absent/)
    assert.equal(typeof res.body.error, 'string')
    assert.equal(res.body.environment_state, undefined)
    assert.deepEqual(await app.store.tasks.list(), [])
    assert.equal(await app.services.environments.exists('broken'), false)
    assert.deepEqual(readdirSync(`${app.dataDir}/tasks`), [])
  })

  it('refuses requirement lines that change where pip looks, with the line number, before creating anything', async (t) => {
    const app = await createTestApp(t)
    const res = await app.createTask({ conda_env: 'fresh', requirements_file: 'requests\n--index-url https://example.invalid/simple\n' })
    assert.equal(res.status, 400)
    assert.equal(res.body.message, 'Invalid requirements')
    assert.match(res.body.error, /^Line 2: /)
    assert.equal(await app.services.environments.exists('fresh'), false)
    assert.deepEqual(await app.store.tasks.list(), [])
  })

  it('PUT with requirements installs into the existing environment, and a failure restores it and changes nothing', async (t) => {
    const wheels = await wheelhouse(t, [{ name: 'tyb-one' }, { name: 'tyb-two' }, { name: 'tyb-three' }])
    // tyb-evil resolves, then fails while pip installs it: pip has installed tyb-three by then,
    // so only a real rollback leaves the environment as it was.
    await writeEvilWheel(wheels)
    const env = offlinePipEnv(wheels)
    const app = await createTestApp(t, { env })
    const created = await app.createTask({ conda_env: 'shared', task_name: 'u', cron_expression: '0 0 1 1 *', requirements_file: 'tyb-one\n' })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const id = created.body.task.task_id
    const put = (body: unknown) => app.json(`/api/tasks/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

    const ok = await put({ requirements: 'tyb-two==1.0\n' })
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
    assert.deepEqual(ok.body.requirements_update, { success: true, installed_packages: ['tyb-two'], failed_packages: [] })
    assert.equal(ok.body.task.requirements, 'tyb-two==1.0\n')

    const envs = app.services.environments
    const prefix = await environmentPrefix(app, 'shared')
    const before = { task: await app.store.tasks.findById(id), freeze: await freeze(envs, 'shared', env), tree: await fingerprint(prefix) }
    assert.match(before.freeze, /^tyb-one==1\.0$/m)
    assert.match(before.freeze, /^tyb-two==1\.0$/m)
    const bad = await put({ requirements: 'tyb-three\ntyb-evil\n', task_name: 'renamed' })
    assert.equal(bad.status, 400)
    assert.deepEqual(
      { ...bad.body, error: typeof bad.body.error, error_details: bad.body.error_details.length },
      {
        success: false,
        message: 'Failed to install requirements in existing environment',
        error: 'string',
        failed_packages: ['tyb-evil'],
        error_details: 1,
        environment_state: 'Environment may be in an inconsistent state, consider restoring from backup',
      },
    )
    assert.match(bad.body.error_details[0], /tyb-evil/)
    // The environment itself: the same distributions, the same files byte for byte.
    assert.deepEqual({ task: await app.store.tasks.findById(id), freeze: await freeze(envs, 'shared', env), tree: await fingerprint(prefix) }, before)
    assert.doesNotMatch(before.freeze, /tyb-three/)
  })
})

/** Where an environment lives on disk, as a run sees it (VIRTUAL_ENV or CONDA_PREFIX). */
async function environmentPrefix(app: TestApp, name: string): Promise<string> {
  const { env } = await app.services.environments.runEnvironment(name)
  const prefix = env.VIRTUAL_ENV ?? env.CONDA_PREFIX
  assert.ok(prefix, `no prefix for ${name}: ${JSON.stringify(env)}`)
  return prefix
}
