/**
 * Node.js tasks' dependencies with the real npm, offline: the package is a tarball `npm pack`
 * made from a tiny package the test writes; npm's cache is empty and it is told to stay offline
 * (its registry points at a closed port on 127.0.0.1), so nothing ever reaches a registry.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { isNodeTask, npmInstall } from '../../src/environments/npm-install.ts'

let root = ''
let tarball = ''
let env: Record<string, string> = {}
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'taskyard-npm-'))
  const lib = path.join(root, 'tyb-left')
  await mkdir(lib)
  await writeFile(path.join(lib, 'package.json'), JSON.stringify({ name: 'tyb-left', version: '1.0.0', main: 'index.js' }))
  await writeFile(path.join(lib, 'index.js'), 'module.exports = "left"\n')
  env = {
    PATH: process.env.PATH ?? '',
    HOME: root,
    npm_config_cache: path.join(root, 'npm-cache'),
    npm_config_offline: 'true',
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_update_notifier: 'false',
  }
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', root], { cwd: lib, env, encoding: 'utf8' }).trim()
  tarball = path.join(root, packed)
})
after(() => rm(root, { recursive: true, force: true }))

/** A task directory whose package.json asks for `deps`, with the packed tarball in vendor/. */
async function taskDir(name: string, deps: Record<string, string>): Promise<string> {
  const dir = path.join(root, name)
  await mkdir(path.join(dir, 'vendor'), { recursive: true })
  await writeFile(path.join(dir, 'vendor', 'tyb-left-1.0.0.tgz'), await readFile(tarball))
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.0', private: true, dependencies: deps }))
  await writeFile(path.join(dir, 'main.js'), 'console.log(require("tyb-left"))\n')
  return dir
}

const LOCAL = { 'tyb-left': 'file:vendor/tyb-left-1.0.0.tgz' }

describe('Node.js task dependencies (real npm, offline, a package made by npm pack)', () => {
  it('tells a Node.js task by its package.json and its node/npm/npx command', () => {
    assert.equal(isNodeTask('node main.js', ['package.json', 'main.js']), true)
    assert.equal(isNodeTask('npm start', ['package.json']), true)
    assert.equal(isNodeTask('NODE_ENV=production npx tsx main.ts', ['package.json', 'main.ts']), true)
    assert.equal(isNodeTask('/usr/bin/node main.js', ['package.json']), true)
    assert.equal(isNodeTask('node main.js', ['main.js']), false, 'no package.json')
    assert.equal(isNodeTask('node main.js', ['sub/package.json', 'main.js']), false, 'only at the top of the files')
    assert.equal(isNodeTask('python main.py', ['package.json', 'main.py']), false)
    assert.equal(isNodeTask('"unclosed', ['package.json']), false)
  })

  it('npm install without a lock file, then npm ci from the lock it wrote; the task imports the package', async () => {
    const dir = await taskDir('fresh', LOCAL)
    assert.deepEqual(await npmInstall(dir, { env }), { success: true, installedPackages: ['tyb-left'], failedPackages: [], errorDetails: [], error: null })
    assert.equal(execFileSync(process.execPath, ['main.js'], { cwd: dir, encoding: 'utf8' }), 'left\n')
    const lock = await readFile(path.join(dir, 'package-lock.json'), 'utf8')
    assert.match(lock, /"tyb-left"/)

    await rm(path.join(dir, 'node_modules'), { recursive: true })
    let said = ''
    const again = await npmInstall(dir, { env, onOutput: (c) => void (said += c) })
    assert.equal(again.success, true, again.error ?? '')
    assert.match(said, /added 1 package/)
    assert.equal(execFileSync(process.execPath, ['main.js'], { cwd: dir, encoding: 'utf8' }), 'left\n')
    assert.equal(await readFile(path.join(dir, 'package-lock.json'), 'utf8'), lock, 'npm ci leaves the lock file as it is')
  })

  it('npm ci refuses a lock file that does not match package.json, saying so', async () => {
    const dir = await taskDir('stale', LOCAL)
    await writeFile(
      path.join(dir, 'package-lock.json'),
      JSON.stringify({ name: 'stale', version: '0.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'stale', version: '0.0.0' } } }),
    )
    const result = await npmInstall(dir, { env })
    assert.equal(result.success, false)
    assert.deepEqual(result.failedPackages, ['tyb-left'])
    assert.match(result.errorDetails[0]!, /in sync|Missing: tyb-left/)
    assert.equal(existsSync(path.join(dir, 'node_modules', 'tyb-left')), false)
  })

  it('names exactly the dependency npm cannot get, with npm’s line, and never reaches a registry', async () => {
    const dir = await taskDir('missing', { ...LOCAL, 'tyb-nowhere': '^1.0.0' })
    const result = await npmInstall(dir, { env })
    assert.equal(result.success, false)
    assert.deepEqual(result.failedPackages, ['tyb-nowhere'])
    assert.equal(result.errorDetails.length, 1)
    assert.match(result.errorDetails[0]!, /tyb-nowhere/)
    assert.match(result.error!, /ENOTCACHED|only-if-cached|offline/i)
    assert.equal(result.installedPackages.length, 0)
  })
})
