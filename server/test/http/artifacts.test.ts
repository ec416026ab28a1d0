import assert from 'node:assert/strict'
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { formatDateTime } from '../../src/lib/format-time.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

// The run writes two results, and tries every way out of its folder a run account has.
const WRITES_RESULTS = [
  'cd "$TASKYARD_OUTPUT_DIR"',
  'echo hello > a.txt',
  'mkdir -p reports',
  "printf '<h1>day</h1>' > reports/day.html",
  'ln -s /etc/passwd link',
  'ln -s / rootdir',
  'mkfifo fifo',
].join(' && ')

async function finishedRun(app: TestApp, name: string, command: string): Promise<{ taskId: number; runId: number }> {
  const res = await app.createTask({ conda_env: 'base', task_name: name, command })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  const taskId = res.body.task.task_id as number
  const { runId } = await app.runningRun(taskId)
  await app.runFinished(runId)
  const run = (await app.store.runs.findById(runId))!
  assert.equal(run.status, 'completed', JSON.stringify(run))
  return { taskId, runId }
}

const notFound = (runId: number, name: string) => ({
  status: 404,
  body: { success: false, message: 'Artifact not found', error: `Execution ${runId} has no result file named ${JSON.stringify(name)}` },
})

for (const dialect of testDialects()) {
  describe(`${dialect.name}: result files (issue 8, spec 003)`, { skip: dialect.skip }, () => {
    it('keeps what a run writes to $TASKYARD_OUTPUT_DIR: counted in its detail, listed by name, downloaded whole', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { taskId, runId } = await finishedRun(app, 'reporter', WRITES_RESULTS)
      const outDir = path.join(app.dataDir, 'outputs', String(taskId), String(runId))

      const detail = await app.json(`/api/executions/${runId}`)
      assert.equal(detail.body.execution.artifact_count, 2)
      assert.equal(detail.body.execution.artifacts_url, `/api/executions/${runId}/artifacts`)

      const mtime = (f: string) => formatDateTime(Math.floor(statSync(path.join(outDir, f)).mtimeMs))
      const listed = await app.json(`/api/executions/${runId}/artifacts`)
      assert.deepEqual(listed, {
        status: 200,
        body: {
          success: true,
          execution_id: String(runId),
          artifacts: [
            { name: 'a.txt', size: 6, modified_at: mtime('a.txt'), download_url: `/api/executions/${runId}/artifacts/a.txt` },
            {
              name: 'reports/day.html',
              size: 12,
              modified_at: mtime('reports/day.html'),
              download_url: `/api/executions/${runId}/artifacts/reports%2Fday.html`,
            },
          ],
          total: 2,
        },
      })

      const viewer = await app.addUser('vera', 'viewer')
      const file = await app.fetchAs({ bearer: viewer.bearer }, `/api/executions/${runId}/artifacts/a.txt`)
      assert.equal(file.status, 200)
      assert.equal(await file.text(), 'hello\n')
      assert.equal(file.headers.get('content-type'), 'application/octet-stream')
      assert.equal(file.headers.get('content-length'), '6')
      assert.equal(file.headers.get('content-disposition'), `attachment; filename="a.txt"; filename*=UTF-8''a.txt`)
      const nested = await app.fetch(listed.body.artifacts[1]!.download_url as string)
      assert.equal(nested.status, 200)
      assert.equal(await nested.text(), '<h1>day</h1>')
      assert.equal((await app.fetchAs(null, `/api/executions/${runId}/artifacts/a.txt`)).status, 401)
    })

    it('never serves a link, a pipe or a path out of the run folder: artifact_not_found 404', async (t) => {
      const app = await createTestApp(t, { dialect })
      const { runId } = await finishedRun(app, 'escaper', WRITES_RESULTS)
      const other = await finishedRun(app, 'neighbour', 'echo secret > "$TASKYARD_OUTPUT_DIR/mine.txt"')
      const names = [
        'link',
        'rootdir/etc/passwd',
        'fifo',
        'reports',
        'missing.txt',
        '../../../etc/passwd',
        `../${other.runId}/mine.txt`,
        `../../${other.taskId}/${other.runId}/mine.txt`,
        '/etc/passwd',
        'reports/../a.txt',
        './a.txt',
      ]
      for (const name of names) {
        assert.deepEqual(await app.json(`/api/executions/${runId}/artifacts/${encodeURIComponent(name)}`), notFound(runId, name), name)
      }
      // The neighbour's own file is served to its own run only.
      assert.equal((await app.fetch(`/api/executions/${other.runId}/artifacts/mine.txt`)).status, 200)
      assert.deepEqual(await app.json('/api/executions/999999/artifacts'), {
        status: 404,
        body: { success: false, message: 'Task execution with ID not found', error: 'No execution with ID 999999' },
      })
      assert.deepEqual(await app.json('/api/executions/999999/artifacts/a.txt'), {
        status: 404,
        body: { success: false, message: 'Task execution with ID not found', error: 'No execution with ID 999999' },
      })
    })

    it('a run that wrote nothing has no artifacts; deleting the task removes its result files', async (t) => {
      const app = await createTestApp(t, { dialect })
      const quiet = await finishedRun(app, 'quiet', 'echo nothing')
      assert.deepEqual((await app.json(`/api/executions/${quiet.runId}/artifacts`)).body, {
        success: true,
        execution_id: String(quiet.runId),
        artifacts: [],
        total: 0,
      })

      const { taskId, runId } = await finishedRun(app, 'doomed', WRITES_RESULTS)
      const taskOutputs = path.join(app.dataDir, 'outputs', String(taskId))
      assert.ok(existsSync(path.join(taskOutputs, String(runId), 'a.txt')))
      assert.equal((await app.json(`/api/tasks/${taskId}`, { method: 'DELETE' })).status, 200)
      assert.equal(existsSync(taskOutputs), false, 'the task outputs folder is gone')
      assert.equal((await app.json(`/api/executions/${runId}/artifacts`)).status, 404)
    })
  })
}
