/**
 * Issue 9: a task's Node.js version, chosen like a Python one. The Nodes this machine has are
 * found by real path; the server's own `node` devDependency (node_modules/…, first on the test's
 * PATH) is not among them while another exists. A run's node, npm and npx are the chosen version.
 * Real runs, both dialects.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { chmod, copyFile, link, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { findNodes } from '../../src/environments/find-nodes.ts'
import { runLogFile } from '../../src/logs/file-log-store.ts'
import { REACHABLE_PYTHON } from '../helpers/reachable-python.ts'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'

const put = (app: TestApp, id: number, body: unknown) =>
  app.json(`/api/tasks/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

/** Runs the task's queued run and answers its log. */
async function logOf(app: TestApp, taskId: number): Promise<string> {
  const runId = (await app.store.runs.listForTask(taskId, 1))[0]!.id
  await app.runFinished(runId)
  const log = readFileSync(runLogFile(app.paths.logsDir, runId), 'utf8')
  assert.equal((await app.store.runs.findById(runId))?.status, 'completed', log)
  return log
}

const SHOW = `node --version && node -e "console.log(process.execPath)" && npm version --json | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log('npm on', JSON.parse(s).node))" && npx --version > /dev/null && echo npx ok`

const nodes = await findNodes(process.env as Record<string, string>)
const chosen = [...nodes.values()][0]

describe('the Nodes found (find-nodes)', () => {
  it("lists installations by real path, never the server's node_modules binary while another exists", () => {
    assert.ok(nodes.size > 0)
    for (const [major, node] of nodes) {
      assert.equal(node.version.split('.')[0], major)
      assert.ok(!node.path.split(path.sep).includes('node_modules') || nodes.size === 1, node.path)
    }
  })
  it('falls back to the given binary only when nothing else exists', async () => {
    const none = await findNodes({ PATH: '/nonexistent', HOME: '/nonexistent' }, null)
    // /usr/bin and /usr/local/bin are always looked at: only a machine without a system Node has none.
    for (const node of none.values()) assert.ok(!node.path.includes('node_modules'))
    const fallback = await findNodes({ PATH: '/nonexistent', HOME: '/nonexistent' }, process.execPath)
    assert.ok(fallback.size >= 1)
  })
})

/**
 * A second Node installed the way nvm installs one: the devDependency's binary, hard-linked (or
 * copied) into $NVM_DIR/versions/node/v<version>/bin — outside node_modules, so a real choice.
 */
async function nvmWithSecondNode(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-nvm-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const bin = path.join(dir, 'versions', 'node', process.version, 'bin')
  await mkdir(bin, { recursive: true })
  for (let d = bin; d !== path.dirname(dir); d = path.dirname(d)) await chmod(d, 0o755)
  await link(process.execPath, path.join(bin, 'node')).catch(() => copyFile(process.execPath, path.join(bin, 'node')))
  return dir
}

for (const dialect of testDialects()) {
  describe(`node_version of a task (${dialect.name}; real runs)`, { skip: dialect.skip || (!chosen && 'no Node installed outside node_modules') }, () => {
    it('one not installed is a 400 listing the available ones, nothing created; a run gets the chosen node, npm and npx', async (t) => {
      const app = await createTestApp(t, { dialect, env: REACHABLE_PYTHON })
      const major = chosen!.version.split('.')[0]!
      const missing = await app.createTask({ conda_env: 'base', task_name: 'old-node', command: 'node --version', node_version: '99' })
      assert.deepEqual(missing, {
        status: 400,
        body: {
          success: false,
          message: 'Node.js version not available',
          error: `Node.js 99 is not installed on this server (available: ${[...nodes.keys()].join(', ')})`,
          available_versions: [...nodes.keys()],
        },
      })
      assert.deepEqual(await app.store.tasks.list(), [])
      const bad = await app.createTask({ conda_env: 'base', task_name: 'bad-node', command: 'node --version', node_version: 'latest' })
      assert.equal(bad.status, 400)
      assert.equal(bad.body.error, 'node_version must be a Node.js major version such as 20, got "latest"')

      const res = await app.createTask({ conda_env: 'base', task_name: 'on-node', command: SHOW, node_version: `v${major}` })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      assert.equal(res.body.task.node_version, major)
      const taskId: number = res.body.task.task_id
      assert.equal(await logOf(app, taskId), `v${chosen!.version}\n${chosen!.path}\nnpm on ${chosen!.version}\nnpx ok\n`)
      const plain = await app.createTask({ conda_env: 'base', task_name: 'plain', command: 'node --version' })
      assert.equal(plain.status, 201, JSON.stringify(plain.body))
      assert.equal(plain.body.task.node_version, undefined)
      await logOf(app, plain.body.task.task_id)

      const refused = await put(app, taskId, { node_version: '99' })
      assert.equal(refused.status, 400, JSON.stringify(refused.body))
      assert.deepEqual(refused.body.available_versions, [...nodes.keys()])
      assert.equal((await app.store.tasks.findById(taskId))?.nodeVersion, major)
      const cleared = await put(app, taskId, { node_version: null })
      assert.equal(cleared.status, 200, JSON.stringify(cleared.body))
      assert.equal(cleared.body.task.node_version, undefined)
      assert.equal((await app.store.tasks.findById(taskId))?.nodeVersion, null)
      const set = await put(app, taskId, { node_version: major })
      assert.equal(set.status, 200, JSON.stringify(set.body))
      assert.equal((await app.json(`/api/tasks/${taskId}`)).body.task.node_version, major)
    })

    const second = process.version.slice(1).split('.')[0]!
    it(
      'two Nodes (the system one, one under $NVM_DIR): each task runs on its own, npm and npx included',
      { skip: chosen?.version.split('.')[0] === second && 'the system Node is the devDependency’s version' },
      async (t) => {
        const nvmDir = await nvmWithSecondNode(t)
        const app = await createTestApp(t, { dialect, env: { ...REACHABLE_PYTHON, NVM_DIR: nvmDir } })
        const both = await findNodes({ ...(process.env as Record<string, string>), NVM_DIR: nvmDir })
        const first = chosen!.version.split('.')[0]!
        assert.deepEqual([...both.keys()].sort(), [first, second].sort())
        const other = both.get(second)!
        assert.equal(other.path, path.join(nvmDir, 'versions', 'node', process.version, 'bin', 'node'))
        for (const [major, node] of [
          [first, chosen!],
          [second, other],
        ] as const) {
          const res = await app.createTask({ conda_env: 'base', task_name: `node-${major}`, command: SHOW, node_version: major })
          assert.equal(res.status, 201, JSON.stringify(res.body))
          assert.equal(await logOf(app, res.body.task.task_id), `v${node.version}\n${node.path}\nnpm on ${node.version}\nnpx ok\n`)
        }
      },
    )
  })
}
