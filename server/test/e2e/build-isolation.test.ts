/**
 * Issue 9: environment builds run a package's own build code (here an sdist's in-tree build
 * backend, built by the test, installed offline). When the server is root that code runs as the
 * run account and, where there is a mount namespace, with the data directory hidden: its attempt
 * to read the server's secret key and database fails, the install still succeeds, the environment
 * is the server's again afterwards and a run uses it.
 */
import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { lookupAccount } from '../../src/lib/os-accounts.ts'
import { runLogFile } from '../../src/logs/file-log-store.ts'
import { REACHABLE_PYTHON } from '../helpers/reachable-python.ts'
import { writeSdist } from '../helpers/sdists.ts'
import { createTestApp } from '../helpers/test-app.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { offlinePipEnv, wheelhouse } from '../helpers/wheels.ts'

const isRoot = process.getuid?.() === 0
const JSON_HEADERS = { 'content-type': 'application/json' }

for (const dialect of testDialects()) {
  for (const isolation of ['auto', 'off'] as const) {
    describe(
      `${dialect.name}, TASKYARD_ISOLATION=${isolation}: builds run as the run account (issue 9)`,
      {
        skip: dialect.skip || (!isRoot && 'needs root: builds get another account only then'),
      },
      () => {
        it("an sdist's build code cannot read the secret key or the database; the install succeeds and a run uses it", async (t) => {
          const wheels = await wheelhouse(t, [])
          const app = await createTestApp(t, { dialect, env: { ...offlinePipEnv(wheels), ...REACHABLE_PYTHON, TASKYARD_ISOLATION: isolation } })
          const account = (await lookupAccount('taskyard-run'))!
          assert.ok(account, 'the server created its run account')
          const secretKey = path.join(app.dataDir, 'secret.key')
          const sealKey = path.join(app.dataDir, 'secret-seal.key')
          const targets = [secretKey, sealKey]
          if (app.databaseUrl.startsWith('sqlite:')) targets.push(app.databaseUrl.slice('sqlite:'.length))
          // The control: the files are there and the server itself reads them.
          for (const file of targets) assert.ok(readFileSync(file).length > 0, file)
          await writeSdist(wheels, 'tyb-probe', { probe: targets })

          const created = await app.json('/api/conda/environment', {
            method: 'POST',
            headers: JSON_HEADERS,
            body: JSON.stringify({ name: 'probed', requirements: 'tyb-probe\n' }),
          })
          assert.equal(created.status, 201, JSON.stringify(created.body))
          const prefix = path.join(app.paths.envsDir, 'probed')
          // Lent to the account for the build, the server's again after it.
          assert.equal(statSync(prefix).uid, 0)
          const site = readFileSync(path.join(prefix, 'pyvenv.cfg'), 'utf8')
          assert.match(site, /^home = /m)

          const task = await app.createTask({
            conda_env: 'probed',
            reuse_env: 'true',
            task_name: 'uses-probe',
            command: `python -c "import json, os, tyb_probe; print(json.dumps({'run_uid': os.getuid(), **tyb_probe.PROBE}))"`,
          })
          assert.equal(task.status, 201, JSON.stringify(task.body))
          const runId = (await app.store.runs.listForTask(task.body.task.task_id, 1))[0]!.id
          await app.runFinished(runId)
          const log = readFileSync(runLogFile(app.paths.logsDir, runId), 'utf8')
          assert.equal((await app.store.runs.findById(runId))?.status, 'completed', log)
          const seen = JSON.parse(log.trim().split('\n').at(-1)!) as Record<string, string | number>
          assert.equal(seen.uid, account.uid, `the build ran as ${seen.uid}: ${log}`)
          assert.equal(seen.run_uid, account.uid, log)
          for (const file of targets) {
            // Hidden (FileNotFoundError) under isolation, unreadable (PermissionError) by its mode without.
            assert.match(String(seen[file]), isolation === 'off' ? /^PermissionError$/ : /^(FileNotFoundError|PermissionError)$/, `${file}: ${log}`)
          }

          // The detail (its interpreter runs as the account too) still lists the package.
          const detail = await app.json('/api/conda/environment/probed')
          assert.equal(detail.status, 200)
          assert.ok(
            detail.body.packages.some((p: { name: string }) => p.name === 'tyb-probe'),
            JSON.stringify(detail.body.packages),
          )
        })
      },
    )
  }
}
