/**
 * Node.js tasks against a running server (issue 9): a zip with package.json and a node command
 * gets its dependencies installed at create and at update-script, with spec 000's failure body.
 * Offline: the dependency is a tarball `npm pack` made from a tiny package the test writes,
 * shipped in the zip; npm is told to stay offline, its cache is empty and its registry is a
 * closed port on 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { createTestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { rawZip } from '../helpers/zip.ts'

async function packedLibrary(t: TestContext): Promise<{ dir: string; tarball: Buffer }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-node-task-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const lib = path.join(dir, 'tyb-left')
  await mkdir(lib)
  await writeFile(path.join(lib, 'package.json'), JSON.stringify({ name: 'tyb-left', version: '1.0.0', main: 'index.js' }))
  await writeFile(path.join(lib, 'index.js'), 'module.exports = "left"\n')
  const env = { PATH: process.env.PATH ?? '', HOME: dir, npm_config_cache: path.join(dir, 'pack-cache'), npm_config_offline: 'true' }
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: lib, env, encoding: 'utf8' }).trim()
  return { dir, tarball: await readFile(path.join(dir, name)) }
}

function nodeZip(tarball: Buffer, deps: Record<string, string>, main = 'console.log(require("tyb-left"))\n'): Blob {
  const pkg = JSON.stringify({ name: 'job', version: '0.0.0', private: true, dependencies: deps })
  return new Blob([
    rawZip([
      { name: 'package.json', content: pkg },
      { name: 'main.js', content: main },
      { name: 'vendor/tyb-left-1.0.0.tgz', content: tarball },
    ]),
  ])
}

const LOCAL = { 'tyb-left': 'file:vendor/tyb-left-1.0.0.tgz' }

for (const dialect of testDialects()) {
  describe(`Node.js tasks: npm at create and update-script (${dialect.name}; real npm, offline)`, { skip: dialect.skip, timeout: 300_000 }, () => {
    it('installs the dependencies into the task directory; a dependency npm cannot get is refused by name and stores nothing', async (t) => {
      const { dir, tarball } = await packedLibrary(t)
      const app = await createTestApp(t, {
        dialect,
        env: { TASKYARD_NPM_OFFLINE: '1', TASKYARD_NPM_CACHE: path.join(dir, 'server-cache'), TASKYARD_NPM_REGISTRY: 'http://127.0.0.1:9/' },
      })
      const created = await app.createTask(
        { conda_env: 'base', task_name: 'node-job', command: 'node main.js', delay_seconds: '3600' },
        { name: 'job.zip', content: new Uint8Array(await nodeZip(tarball, LOCAL).arrayBuffer()) },
      )
      assert.equal(created.status, 201, JSON.stringify(created.body))
      const id = created.body.task.task_id
      const taskDir = path.join(app.dataDir, 'tasks', String(id))
      assert.equal(existsSync(path.join(taskDir, 'node_modules', 'tyb-left', 'index.js')), true)
      assert.equal(existsSync(path.join(taskDir, 'package-lock.json')), true, 'npm install wrote the lock')
      assert.equal((await app.json(`/api/tasks/${id}/trigger`, { method: 'POST' })).status, 200)
      const { runId } = await app.runningRun(id)
      await app.runFinished(runId)
      assert.equal((await app.json(`/api/tasks/${id}/executions/${runId}/logs`)).body.logs, 'left\n')

      const refused = await app.createTask(
        { conda_env: 'base', task_name: 'node-missing', command: 'node main.js', delay_seconds: '3600' },
        { name: 'job.zip', content: new Uint8Array(await nodeZip(tarball, { ...LOCAL, 'tyb-nowhere': '^1.0.0' }).arrayBuffer()) },
      )
      assert.equal(refused.status, 400, JSON.stringify(refused.body))
      assert.equal(refused.body.success, false)
      assert.equal(refused.body.message, 'Failed to install Node.js dependencies')
      assert.deepEqual(refused.body.failed_packages, ['tyb-nowhere'])
      assert.equal(refused.body.error_details.length, 1)
      assert.match(refused.body.error_details[0], /tyb-nowhere/)
      assert.match(refused.body.error, /ENOTCACHED|only-if-cached|offline/i)
      assert.equal(await app.store.tasks.findByName('node-missing'), undefined, 'no task was stored')

      // update-script: a new version that needs what npm cannot get is refused, the old files stay.
      const form = new FormData()
      form.set('script_file', nodeZip(tarball, { ...LOCAL, 'tyb-nowhere': '^1.0.0' }), 'job.zip')
      form.set('force', 'true')
      const badUpdate = await app.json(`/api/tasks/${id}/update-script`, { method: 'POST', body: form })
      assert.equal(badUpdate.status, 400, JSON.stringify(badUpdate.body))
      assert.deepEqual(badUpdate.body.failed_packages, ['tyb-nowhere'], JSON.stringify(badUpdate.body))
      assert.doesNotMatch(await readFile(path.join(taskDir, 'package.json'), 'utf8'), /tyb-nowhere/)
      assert.equal(existsSync(path.join(taskDir, 'node_modules', 'tyb-left')), true)

      // One that builds is installed: npm ci from the lock file it ships.
      const lock = await readFile(path.join(taskDir, 'package-lock.json'))
      const good = new FormData()
      good.set(
        'script_file',
        new Blob([
          rawZip([
            { name: 'package.json', content: await readFile(path.join(taskDir, 'package.json')) },
            { name: 'package-lock.json', content: lock },
            { name: 'main.js', content: 'console.log("v2", require("tyb-left"))\n' },
            { name: 'vendor/tyb-left-1.0.0.tgz', content: tarball },
          ]),
        ]),
        'job.zip',
      )
      good.set('force', 'true')
      const goodUpdate = await app.json(`/api/tasks/${id}/update-script`, { method: 'POST', body: good })
      assert.equal(goodUpdate.status, 200, JSON.stringify(goodUpdate.body))
      assert.equal(existsSync(path.join(taskDir, 'node_modules', 'tyb-left', 'index.js')), true)
      assert.equal((await app.json(`/api/tasks/${id}/trigger`, { method: 'POST' })).status, 200)
      const second = await app.runningRun(id)
      await app.runFinished(second.runId)
      assert.equal((await app.json(`/api/tasks/${id}/executions/${second.runId}/logs`)).body.logs, 'v2 left\n')
    })

    it(
      "an upload's .npmrc that makes npm start a program of its choosing gets it run as the run account, never root, with the data directory out of reach",
      { skip: process.getuid?.() === 0 ? false : 'needs root: only a root server switches npm to the run account' },
      async (t) => {
        const app = await createTestApp(t, { dialect, env: { TASKYARD_NPM_OFFLINE: '1', TASKYARD_NPM_REGISTRY: 'http://127.0.0.1:9/' } })
        const secret = path.join(app.dataDir, 'secret.key')
        assert.equal(existsSync(secret), true, 'the server has a secret to protect')
        // The program the upload names: here a script outside the data directory, which any
        // account may run and write beside (an attacker would ship one in the zip).
        const hookDir = await mkdtemp(path.join(tmpdir(), 'taskyard-npm-hook-'))
        t.after(() => rm(hookDir, { recursive: true, force: true }))
        await chmod(hookDir, 0o777)
        const hook = path.join(hookDir, 'fake-git')
        await writeFile(
          hook,
          `#!/bin/sh\nid -u > '${hookDir}/uid'\nif cat '${secret}' > /dev/null 2>&1; then echo read; else echo denied; fi > '${hookDir}/secret'\nexit 1\n`,
        )
        await chmod(hook, 0o755)
        const pkg = JSON.stringify({ name: 'job', version: '0.0.0', private: true, dependencies: { evil: 'git+ssh://git@127.0.0.1:9/evil.git' } })
        const zip = rawZip([
          { name: 'package.json', content: pkg },
          { name: '.npmrc', content: `git=${hook}\n` },
          { name: 'main.js', content: 'console.log(1)\n' },
        ])
        const created = await app.createTask(
          { conda_env: 'base', task_name: 'npmrc-hook', command: 'node main.js', delay_seconds: '3600' },
          { name: 'job.zip', content: new Uint8Array(zip) },
        )
        assert.equal(created.status, 400, JSON.stringify(created.body))
        assert.equal(created.body.message, 'Failed to install Node.js dependencies')
        assert.equal(existsSync(path.join(hookDir, 'uid')), true, 'npm ran the program the .npmrc named (the test reaches what it means to)')
        const runAccountUid = Number(execFileSync('id', ['-u', 'taskyard-run'], { encoding: 'utf8' }).trim())
        assert.equal(Number((await readFile(path.join(hookDir, 'uid'), 'utf8')).trim()), runAccountUid, 'as the run account, not root')
        assert.equal((await readFile(path.join(hookDir, 'secret'), 'utf8')).trim(), 'denied', "the server's secret stayed out of reach")
        assert.equal(await app.store.tasks.findByName('npmrc-hook'), undefined, 'no task was stored')
      },
    )
  })
}
