import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { offlinePipEnv, wheelhouse } from '../helpers/wheels.ts'

const JSON_HEADERS = { 'content-type': 'application/json' }
const send = (app: TestApp, method: string, p: string, body?: unknown) =>
  app.json(p, { method, ...(body === undefined ? {} : { headers: JSON_HEADERS, body: JSON.stringify(body) }) })
const DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/
/** The version of the interpreter a venv was made from, as venv recorded it. */
const venvPythonVersion = (dir: string): string => /^version(?:_info)? = (\d+\.\d+\.\d+)/m.exec(readFileSync(path.join(dir, 'pyvenv.cfg'), 'utf8'))![1]!
const NOT_FOUND = { success: false, message: 'Environment not found' }

async function appWithWheels(t: TestContext, dialect?: ReturnType<typeof testDialects>[number]) {
  const wheels = await wheelhouse(t, [
    { name: 'tyb-alpha', code: 'WORD = "alpha"\n' },
    { name: 'tyb-beta', version: '2.1' },
  ])
  return createTestApp(t, { ...(dialect ? { dialect } : {}), env: offlinePipEnv(wheels) })
}

/** The names and versions of the environment's own test packages (pip and setuptools vary by Python). */
const testPackages = (packages: Array<{ name: string; version: string }>) => packages.filter((p) => p.name.startsWith('tyb-'))

describe('000a environment routes (real venvs, real pip, local wheels)', () => {
  it('create with requirements, then list, detail and stats show it', async (t) => {
    const app = await appWithWheels(t)
    const created = await send(app, 'POST', '/api/conda/environment', { name: 'science', requirements: 'tyb-alpha==1.0\n' })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.match(created.body.environment.created_at, DATE)
    assert.deepEqual(created.body, {
      success: true,
      message: 'Environment created successfully',
      environment: { name: 'science', created_at: created.body.environment.created_at },
    })

    const again = await send(app, 'POST', '/api/conda/environment', { name: 'science' })
    assert.deepEqual(again, {
      status: 400,
      body: { success: false, message: 'Environment with this name already exists', error: "Environment 'science' already exists" },
    })

    const list = await app.json('/api/conda/environments')
    assert.equal(list.status, 200)
    assert.deepEqual(
      list.body.map((e: any) => e.name),
      ['base', 'science'],
    )
    const science = list.body[1]
    const PYTHON_VERSION = venvPythonVersion(path.join(app.dataDir, 'envs', 'science'))
    assert.ok(science.packages.includes('tyb-alpha') && science.packages.includes('pip'), JSON.stringify(science))
    assert.ok(science.size_bytes > 1_000_000)
    assert.deepEqual(science, {
      name: 'science',
      python_version: PYTHON_VERSION,
      packages: science.packages,
      created_at: created.body.environment.created_at,
      kind: 'venv',
      location: path.join(app.dataDir, 'envs', 'science'),
      size_bytes: science.size_bytes,
      status: 'ready',
      last_build: science.last_build,
    })
    assert.equal(science.last_build?.ok, true, JSON.stringify(science.last_build))
    assert.equal(list.body[0].kind, 'system')

    const detail = await app.json('/api/conda/environment/science')
    assert.equal(detail.status, 200)
    assert.deepEqual(testPackages(detail.body.packages), [{ name: 'tyb-alpha', version: '1.0' }])
    assert.deepEqual(detail.body, {
      name: 'science',
      python_version: PYTHON_VERSION,
      created_at: created.body.environment.created_at,
      usage_stats: { total_tasks: 0, success_rate: 0, avg_execution_time: 0, disk_usage: Math.round((science.size_bytes / 1024 ** 3) * 1000) / 1000 },
      packages: detail.body.packages,
      kind: 'venv',
      location: science.location,
      size_bytes: detail.body.size_bytes,
      status: 'ready',
      last_build: science.last_build,
    })

    const task = await app.createTask({ conda_env: 'science', reuse_env: 'true', task_name: 'uses-science', cron_expression: '0 0 1 1 *' })
    assert.equal(task.status, 201, JSON.stringify(task.body))
    const stats = await app.json('/api/conda/stats')
    assert.equal(stats.status, 200)
    const [basePkgs, sciencePkgs] = list.body.map((e: any) => e.packages.length)
    assert.deepEqual(stats.body, {
      total_environments: 2,
      active_environments: 1,
      total_disk_usage: stats.body.total_disk_usage,
      latest_created: { name: 'science', created_at: created.body.environment.created_at },
      environment_usage: [
        { name: 'base', usage_percent: 0 },
        { name: 'science', usage_percent: 100 },
      ],
      package_stats: [
        { name: 'base', package_count: basePkgs },
        { name: 'science', package_count: sciencePkgs },
      ],
    })
    assert.equal(typeof stats.body.total_disk_usage, 'number')

    assert.deepEqual(await app.json('/api/conda/environment/nothing-here'), { status: 404, body: NOT_FOUND })
    assert.deepEqual(await app.json('/api/conda/environment/-dash%20name'), { status: 404, body: NOT_FOUND })
  })

  it('a create whose requirements fail leaves no environment, with exactly the failed package', async (t) => {
    const app = await appWithWheels(t)
    const res = await send(app, 'POST', '/api/conda/environment', { name: 'broken', requirements: 'tyb-alpha\ntyb-missing==9\n' })
    assert.equal(res.status, 400)
    assert.deepEqual(
      { ...res.body, error: typeof res.body.error, error_details: res.body.error_details.length },
      {
        success: false,
        message: 'Failed to install requirements in new environment',
        error: 'string',
        failed_packages: ['tyb-missing'],
        error_details: 1,
      },
    )
    assert.match(res.body.error_details[0], /tyb-missing/)
    assert.deepEqual(await app.json('/api/conda/environment/broken'), { status: 404, body: NOT_FOUND })
    assert.deepEqual(readdirSync(path.join(app.dataDir, 'envs')).sort(), ['.taskyard', 'base'])
    const invalid = await send(app, 'POST', '/api/conda/environment', { name: '../etc' })
    assert.equal(invalid.status, 400)
    assert.equal(invalid.body.message, 'Invalid environment name')
  })

  it('install and remove packages: all or nothing, names checked before anything changes', async (t) => {
    const app = await appWithWheels(t)
    assert.equal((await send(app, 'POST', '/api/conda/environment', { name: 'work' })).status, 201)
    const ok = await send(app, 'POST', '/api/conda/environment/work/packages', { packages: ['tyb-alpha', 'tyb-beta>=2'] })
    assert.deepEqual(ok, {
      status: 200,
      body: { success: true, message: 'Packages installed successfully', environment: 'work', installed_packages: ['tyb-alpha', 'tyb-beta>=2'] },
    })
    const before = testPackages((await app.json('/api/conda/environment/work')).body.packages)
    const exported = await app.fetch('/api/conda/environment/work/export')
    assert.equal(exported.status, 200)
    assert.equal(exported.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(exported.headers.get('content-disposition'), 'attachment; filename="work-requirements.txt"')
    assert.equal(await exported.text(), 'tyb-alpha==1.0\ntyb-beta==2.1\n')
    assert.deepEqual(await app.json('/api/conda/environment/nope/export'), { status: 404, body: NOT_FOUND })
    assert.deepEqual(before, [
      { name: 'tyb-alpha', version: '1.0' },
      { name: 'tyb-beta', version: '2.1' },
    ])

    const failed = await send(app, 'POST', '/api/conda/environment/work/packages', { packages: ['tyb-beta==2.1', 'tyb-nowhere'] })
    assert.equal(failed.status, 400)
    assert.deepEqual(
      { ...failed.body, error: typeof failed.body.error, error_details: failed.body.error_details.length },
      {
        success: false,
        message: 'Failed to install packages',
        error: 'string',
        failed_packages: ['tyb-nowhere'],
        error_details: 1,
      },
    )
    const redirect = await send(app, 'POST', '/api/conda/environment/work/packages', { packages: ['--index-url=https://example.invalid/'] })
    assert.equal(redirect.status, 400)
    assert.equal(redirect.body.message, 'Invalid requirements')

    const notThere = await send(app, 'DELETE', '/api/conda/environment/work/packages', { packages: ['tyb-alpha', 'tyb-gamma'] })
    assert.deepEqual(notThere, {
      status: 400,
      body: {
        success: false,
        message: 'Failed to remove packages',
        error: "Package 'tyb-gamma' is not installed in environment 'work'",
        failed_packages: ['tyb-gamma'],
        error_details: ["Package 'tyb-gamma' is not installed in environment 'work'"],
      },
    })
    assert.deepEqual(testPackages((await app.json('/api/conda/environment/work')).body.packages), before)

    const removed = await send(app, 'DELETE', '/api/conda/environment/work/packages', { packages: ['tyb-alpha'] })
    assert.deepEqual(removed, {
      status: 200,
      body: { success: true, message: 'Packages removed successfully', environment: 'work', removed_packages: ['tyb-alpha'] },
    })
    assert.deepEqual(testPackages((await app.json('/api/conda/environment/work')).body.packages), [{ name: 'tyb-beta', version: '2.1' }])
    assert.deepEqual(await send(app, 'POST', '/api/conda/environment/nope/packages', { packages: ['x'] }), { status: 404, body: NOT_FOUND })
    assert.deepEqual(await send(app, 'DELETE', '/api/conda/environment/nope/packages', { packages: ['x'] }), { status: 404, body: NOT_FOUND })
  })

  it('python_version picks an installed Python by its real path; one not installed is a 400 listing those that are', async (t) => {
    const app = await createTestApp(t)
    const missing = await send(app, 'POST', '/api/conda/environment', { name: 'old-py', python_version: '3.99' })
    assert.equal(missing.status, 400)
    const available: string[] = missing.body.available_versions
    assert.deepEqual(missing.body, {
      success: false,
      message: 'Python version not available',
      error: `Python '3.99' is not installed on this server (available: ${available.join(', ')})`,
      available_versions: available,
    })
    assert.deepEqual(readdirSync(path.join(app.dataDir, 'envs')).sort(), ['.taskyard', 'base'])
    const two = ['3.8', '3.12'].filter((v) => available.includes(v))
    if (two.length < 2) return t.skip(`needs Python 3.8 and 3.12 installed (has ${available.join(', ')})`)
    for (const version of two) {
      const name = `py${version.replace('.', '')}`
      const res = await send(app, 'POST', '/api/conda/environment', { name, python_version: version })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const detail = await app.json(`/api/conda/environment/${name}`)
      assert.ok(detail.body.python_version.startsWith(`${version}.`), detail.body.python_version)
      // The venv's interpreter is the real one, never a pyenv shim.
      const home = /^home = (.*)$/m.exec(readFileSync(path.join(app.dataDir, 'envs', name, 'pyvenv.cfg'), 'utf8'))![1]!
      assert.ok(!home.includes('shims'), home)
    }
  })

  it('roles: viewers read, operators manage, anonymous is 401 — in 000a words', async (t) => {
    const app = await createTestApp(t)
    const viewer = await app.addUser('viewer', 'viewer')
    const operator = await app.addUser('op', 'operator')
    const as = (cred: any, method: string, p: string, body?: unknown) =>
      app.jsonAs(cred, p, { method, ...(body === undefined ? {} : { headers: JSON_HEADERS, body: JSON.stringify(body) }) })
    assert.deepEqual(await as(null, 'GET', '/api/conda/environments'), {
      status: 401,
      body: { success: false, message: 'Authentication required', error: 'Please log in to perform this operation' },
    })
    assert.equal((await as({ bearer: viewer.bearer }, 'GET', '/api/conda/environments')).status, 200)
    assert.equal((await as({ bearer: viewer.bearer }, 'GET', '/api/conda/environment/base')).status, 200)
    const forbidden = (what: string) => ({
      status: 403,
      body: { success: false, message: 'Unauthorized - Insufficient privileges', error: `You do not have permission to ${what}` },
    })
    assert.deepEqual(await as({ bearer: viewer.bearer }, 'POST', '/api/conda/environment', { name: 'v' }), forbidden('create environments'))
    assert.deepEqual(await as({ bearer: viewer.bearer }, 'PUT', '/api/conda/environment/base', { new_name: 'v' }), forbidden('modify this environment'))
    assert.deepEqual(
      await as({ bearer: viewer.bearer }, 'POST', '/api/conda/environment/base/packages', { packages: ['x'] }),
      forbidden('modify packages in this environment'),
    )
    assert.deepEqual(
      await as({ bearer: viewer.bearer }, 'DELETE', '/api/conda/environment/base/packages', { packages: ['x'] }),
      forbidden('remove packages from this environment'),
    )
    assert.deepEqual(await as({ bearer: viewer.bearer }, 'DELETE', '/api/conda/environment/base'), forbidden('delete this environment'))
    assert.equal((await as({ bearer: operator.bearer }, 'POST', '/api/conda/environment', { name: 'opsenv' })).status, 201)
    assert.equal((await as({ bearer: operator.bearer }, 'DELETE', '/api/conda/environment/opsenv')).status, 204)
    const audit = await app.json('/api/audit?limit=5')
    assert.deepEqual(
      audit.body.entries.slice(0, 2).map((e: any) => e.action),
      ['environment.delete', 'environment.create'],
    )
  })
})

for (const dialect of testDialects()) {
  describe(`environment rename and delete with tasks (${dialect.name})`, { skip: dialect.skip }, () => {
    it('rename moves the tasks to the new name, and their next run works in the renamed environment', async (t) => {
      const app = await appWithWheels(t, dialect)
      assert.equal((await send(app, 'POST', '/api/conda/environment', { name: 'old', requirements: 'tyb-alpha\n' })).status, 201)
      assert.equal((await send(app, 'POST', '/api/conda/environment', { name: 'other' })).status, 201)
      const task = await app.createTask(
        { conda_env: 'old', reuse_env: 'true', task_name: 'cron-user', cron_expression: '0 0 1 1 *' },
        { name: 'job.py', content: 'import sys, tyb_alpha\nprint(tyb_alpha.WORD, sys.prefix)\n' },
      )
      assert.equal(task.status, 201, JSON.stringify(task.body))
      const id = task.body.task.task_id

      assert.deepEqual(await send(app, 'PUT', '/api/conda/environment/old', { new_name: 'other' }), {
        status: 400,
        body: { success: false, message: 'Environment with this name already exists', error: 'Cannot rename environment to an existing name' },
      })
      assert.deepEqual(await send(app, 'PUT', '/api/conda/environment/base', { new_name: 'b2' }), {
        status: 400,
        body: {
          success: false,
          message: 'The base environment cannot be renamed',
          error: "'base' is the system Python every server has; it cannot be renamed",
        },
      })
      assert.deepEqual(await send(app, 'PUT', '/api/conda/environment/ghost', { new_name: 'b2' }), { status: 404, body: NOT_FOUND })
      assert.equal((await app.json(`/api/tasks/${id}`)).body.task.conda_env, 'old')

      const renamed = await send(app, 'PUT', '/api/conda/environment/old', { new_name: 'new' })
      assert.deepEqual(renamed, {
        status: 200,
        body: { success: true, message: 'Environment renamed successfully', old_name: 'old', new_name: 'new', updated_tasks_count: 1 },
      })
      assert.equal((await app.json(`/api/tasks/${id}`)).body.task.conda_env, 'new')
      assert.deepEqual(await app.json('/api/conda/environment/old'), { status: 404, body: NOT_FOUND })
      assert.equal(existsSync(path.join(app.dataDir, 'envs', 'old')), false)

      const trigger = await app.json(`/api/tasks/${id}/trigger`, { method: 'POST' })
      assert.equal(trigger.status, 200, JSON.stringify(trigger.body))
      const { runId } = await app.runningRun(id)
      await app.runFinished(runId)
      const log = await app.json(`/api/tasks/${id}/executions/${runId}/logs`)
      assert.equal(log.body.logs, `alpha ${path.join(app.dataDir, 'envs', 'new')}\n`)
      // pip's own script was pointed at the new directory too.
      const pipScript = execFileSync(path.join(app.dataDir, 'envs', 'new', 'bin', 'pip'), ['--version'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      })
      assert.match(pipScript, /envs\/new\//)
      // And its next cron run (the scheduler's, not a trigger) works there too. Its time is moved
      // to now rather than waited for; creating another task wakes the scheduler, which plans it.
      await app.store.tasks.update(id, { nextRunAt: Date.now() - 1000 })
      const started = app.bus.waitFor('run:started', (e) => e.taskId === id) // subscribed before the wake
      assert.equal((await app.createTask({ conda_env: 'base', task_name: 'waker', delay_seconds: '3600', command: 'true' })).status, 201)
      const scheduled = await started
      await app.runFinished(scheduled.runId)
      const cronRun = (await app.store.runs.findById(scheduled.runId))!
      assert.deepEqual([cronRun.trigger, cronRun.status], ['schedule', 'completed'])
      const cronLog = await app.json(`/api/tasks/${id}/executions/${scheduled.runId}/logs`)
      assert.equal(cronLog.body.logs, `alpha ${path.join(app.dataDir, 'envs', 'new')}\n`)

      const detail = await app.json('/api/conda/environment/new')
      assert.deepEqual(detail.body.usage_stats.total_tasks, 1)
      assert.deepEqual(detail.body.usage_stats.success_rate, 100)
    })

    it('delete is refused while a task references the environment; force deletes it; base never', async (t) => {
      const app = await appWithWheels(t, dialect)
      assert.equal((await send(app, 'POST', '/api/conda/environment', { name: 'used' })).status, 201)
      const task = await app.createTask({ conda_env: 'used', reuse_env: 'true', task_name: 'holder', cron_expression: '0 0 1 1 *' })
      assert.equal(task.status, 201, JSON.stringify(task.body))
      const refused = {
        status: 400,
        body: {
          success: false,
          message: 'Cannot delete environment that is referenced by tasks',
          error: 'Environment is in use by tasks',
          referencing_tasks: ['holder'],
        },
      }
      assert.deepEqual(await send(app, 'DELETE', '/api/conda/environment/used'), refused)
      assert.equal((await app.json('/api/conda/environment/used')).status, 200)
      assert.deepEqual(await send(app, 'DELETE', '/api/conda/environment/base'), {
        status: 400,
        body: {
          success: false,
          message: 'The base environment cannot be deleted',
          error: "'base' is the system Python every server has; it cannot be deleted",
        },
      })
      const res = await app.fetch('/api/conda/environment/used?force=true', { method: 'DELETE' })
      assert.equal(res.status, 204)
      assert.equal(await res.text(), '')
      assert.deepEqual(await app.json('/api/conda/environment/used'), { status: 404, body: NOT_FOUND })
      assert.deepEqual(readdirSync(path.join(app.dataDir, 'envs')).sort(), ['.taskyard', 'base'])
      assert.deepEqual(await send(app, 'DELETE', '/api/conda/environment/used'), { status: 404, body: NOT_FOUND })
    })
  })
}
