/**
 * The Environments contract's cases, run against every backend the way the log store's are
 * (environments-contract.test.ts: venv over a real Python, conda over the fake conda stand-in).
 * Everything goes through the contract; the only look inside is running `python` in an
 * environment exactly as a run would (its PATH entries and variables), and pip's own freeze.
 * The cases run in order on one set of environments: building venvs is the slow part.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import type { EnvironmentKind, Environments } from '../../src/environments/environments.ts'
import { freeze, makeTestWheelhouse, pythonIn, removeDir } from './env-test-kit.ts'

export interface EnvironmentsUnderTest {
  /** Used in test names: '<name> environments (contract)'. */
  name: string
  /** What `kind` the Environments reports. */
  kind: 'venv' | 'conda'
  /** The `kind` its `base` shows in details (`system` for venvs over the system Python). */
  baseKind: EnvironmentKind
  /**
   * A fresh, empty set of environments whose pip finds packages only in `wheels` (no index),
   * plus the child environment a run in it would have, and a teardown.
   */
  create(wheels: string): Promise<{ envs: Environments; childEnv: Record<string, string>; close(): Promise<void> }>
}

function refusedWith(code: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof TaskyardError, `expected a TaskyardError, got ${String(error)}`)
    assert.equal(error.code, code)
    if (pattern) assert.match(`${error.message} ${String(error.details.error ?? '')}`, pattern)
    return true
  }
}

// Bounds a hang, not a speed: the suite builds a dozen real venvs with pip, 100–300 s on a loaded 2-core machine.
const SUITE_TIMEOUT_MS = 900_000

export function describeEnvironmentsContract(impl: EnvironmentsUnderTest): void {
  describe(`${impl.name} environments (contract)`, { timeout: SUITE_TIMEOUT_MS }, () => {
    let wheels = ''
    let envs: Environments
    let childEnv: Record<string, string> = {}
    let close: () => Promise<void> = async () => undefined
    const importVersion = (env: string, module: string) => pythonIn(envs, env, childEnv, ['-c', `import ${module}; print(${module}.VERSION)`])

    before(async () => {
      wheels = await makeTestWheelhouse()
      ;({ envs, childEnv, close } = await impl.create(wheels))
    })
    after(async () => {
      await close()
      await removeDir(wheels)
    })

    it('reports its kind and always has base, listed first, with details and a run environment', async () => {
      assert.equal(envs.kind, impl.kind)
      assert.deepEqual(await envs.list(), ['base'])
      assert.equal(await envs.exists('base'), true)
      const base = await envs.details('base')
      assert.ok(base)
      assert.equal(base.name, 'base')
      assert.equal(base.kind, impl.baseKind)
      assert.match(base.pythonVersion ?? '', /^3\.\d+\.\d+/)
      const prefix = (await pythonIn(envs, 'base', childEnv, ['-c', 'import sys; print(sys.prefix)'])).trim()
      assert.equal(prefix, base.location)
    })

    it('creates an environment with its requirements; they import in its run environment and are its own', async () => {
      const result = await envs.create('proj', 'tyb-alpha\ntyb-beta==2.0\n')
      assert.deepEqual(result, {
        created: true,
        install: { success: true, installedPackages: ['tyb-alpha', 'tyb-beta'], failedPackages: [], errorDetails: [], error: null },
        message: "Environment 'proj' created and requirements installed",
      })
      assert.deepEqual(await envs.list(), ['base', 'proj'])
      assert.equal(await importVersion('proj', 'tyb_beta'), '2.0\n')
      const details = await envs.details('proj')
      assert.ok(details)
      assert.equal(details.kind, impl.kind)
      const alpha = details.packages.find((p) => p.name === 'tyb-alpha')
      assert.deepEqual(alpha, { name: 'tyb-alpha', version: '1.0', own: true })
      assert.ok((await envs.diskUsage('proj')) > 0)
      // Another environment does not see what proj has.
      await assert.rejects(importVersion('base', 'tyb_alpha'), /ModuleNotFoundError/)
    })

    it('refuses a second create of a taken name, and of one name created twice at once makes one', async () => {
      await assert.rejects(envs.create('proj', null), refusedWith('environment_exists', /already exists/))
      const both = await Promise.allSettled([envs.create('twin', 'tyb-old\n'), envs.create('twin', 'tyb-alpha\n')])
      assert.deepEqual(
        both.map((r) => r.status),
        ['fulfilled', 'rejected'],
      )
      assert.ok(both[1]!.status === 'rejected' && refusedWith('environment_exists')(both[1]!.reason))
      assert.deepEqual(await envs.list(), ['base', 'proj', 'twin'])
      assert.equal(await importVersion('twin', 'tyb_old'), '1.0\n')
      await assert.rejects(importVersion('twin', 'tyb_alpha'), /ModuleNotFoundError/, 'the refused create installed nothing')
    })

    it('puts an existing environment back exactly when an install fails halfway, naming the package at fault', async () => {
      const before = await freeze(envs, 'proj', childEnv)
      const result = await envs.install('proj', 'tyb-old\ntyb-evil\n')
      assert.equal(result.success, false)
      assert.deepEqual(result.failedPackages, ['tyb-evil'])
      assert.match(result.errorDetails[0]!, /tyb-evil/)
      assert.equal(await freeze(envs, 'proj', childEnv), before)
    })

    it('names each kind of pip failure with the line that explains it', async () => {
      const missing = await envs.install('proj', 'tyb-nosuch==3\n')
      assert.deepEqual(missing.failedPackages, ['tyb-nosuch'])
      assert.match(missing.errorDetails[0]!, /No matching distribution found for tyb-nosuch==3/)
      const conflict = await envs.install('proj', 'tyb-x\ntyb-y\n')
      assert.deepEqual(conflict.failedPackages, ['tyb-x', 'tyb-y'])
      assert.match(conflict.errorDetails[0]!, /The conflict is caused by: tyb-x 1\.0 depends on tyb-c==1\.0; tyb-y 1\.0 depends on tyb-c==2\.0/)
    })

    it('removes a new environment whose install failed: it is never listed', async () => {
      const result = await envs.create('fresh', 'tyb-alpha\ntyb-nosuch\n')
      assert.equal(result.install?.success, false)
      assert.deepEqual(result.install?.failedPackages, ['tyb-nosuch'])
      assert.equal(await envs.exists('fresh'), false)
      assert.deepEqual(await envs.list(), ['base', 'proj', 'twin'])
    })

    it('refuses requirement lines that redirect pip before changing anything', async () => {
      const before = await freeze(envs, 'proj', childEnv)
      for (const line of ['--index-url http://127.0.0.1:9/simple', '-e .', 'pkg @ https://example.invalid/p.whl', './local']) {
        await assert.rejects(envs.install('proj', `tyb-old\n${line}\n`), refusedWith('invalid_requirements', /^Invalid requirements Line 2: .* is not allowed/))
        await assert.rejects(envs.create('redirected', `${line}\n`), refusedWith('invalid_requirements'))
      }
      assert.equal(await freeze(envs, 'proj', childEnv), before)
      assert.equal(await envs.exists('redirected'), false)
    })

    it('installs into and removes from an existing environment; removing what is not there is refused', async () => {
      assert.equal((await envs.install('proj', 'tyb-old\n')).success, true)
      assert.equal(await importVersion('proj', 'tyb_old'), '1.0\n')
      const refused = await envs.uninstall('proj', ['tyb-old', 'tyb-never'])
      assert.deepEqual(refused.failedPackages, ['tyb-never'])
      assert.equal(await importVersion('proj', 'tyb_old'), '1.0\n', 'a refused removal removes nothing')
      assert.deepEqual(await envs.uninstall('proj', ['tyb-old']), { success: true, failedPackages: [], errorDetails: [], error: null })
      await assert.rejects(importVersion('proj', 'tyb_old'), /ModuleNotFoundError/)
    })

    it('freezes an environment into pinned requirements that build an equal one', async () => {
      const pinned = await envs.freeze('proj')
      assert.match(pinned, /^tyb-alpha==1\.0$/m)
      assert.match(pinned, /^tyb-beta==2\.0$/m)
      const own = pinned
        .split('\n')
        .filter((l) => l.startsWith('tyb-'))
        .join('\n')
      assert.equal((await envs.create('copy', own)).install?.success, true)
      assert.equal(await importVersion('copy', 'tyb_beta'), '2.0\n')
    })

    it('renames an environment (what it holds goes along); a failed commit gives the old name back', async () => {
      await assert.rejects(
        envs.rename('copy', 'proj', async () => undefined),
        refusedWith('environment_exists'),
      )
      await assert.rejects(
        envs.rename('base', 'other', async () => undefined),
        refusedWith('environment_protected'),
      )
      await assert.rejects(
        envs.rename('copy', 'moved', async () => {
          throw new Error('the store said no')
        }),
        /the store said no/,
      )
      assert.deepEqual(await envs.list(), ['base', 'copy', 'proj', 'twin'])
      let committed = false
      await envs.rename('copy', 'moved', async () => {
        committed = true
      })
      assert.equal(committed, true)
      assert.deepEqual(await envs.list(), ['base', 'moved', 'proj', 'twin'])
      assert.equal(await importVersion('moved', 'tyb_beta'), '2.0\n')
      assert.equal((await envs.install('moved', 'tyb-old\n')).success, true, 'pip works under the new name')
      assert.match((await pythonIn(envs, 'moved', childEnv, ['-c', 'import sys; print(sys.prefix)'])).trim(), /moved$/)
    })

    it('removes an environment and everything in it; base and unknown names are refused', async () => {
      await envs.remove('moved')
      await envs.remove('twin')
      assert.deepEqual(await envs.list(), ['base', 'proj'])
      assert.equal(await envs.details('moved'), null)
      await assert.rejects(envs.remove('base'), refusedWith('environment_protected'))
      await assert.rejects(envs.remove('ghost'), refusedWith('environment_not_found'))
      await assert.rejects(envs.runEnvironment('ghost'), refusedWith('env_not_found', /'ghost' does not exist/))
    })

    it('refuses a Python version it cannot have, saying which it can', async () => {
      const versions = await envs.pythonVersions()
      await assert.rejects(envs.create('old', null, { pythonVersion: '2.7' }), (error: unknown) => {
        refusedWith('python_unavailable', /Python '2\.7' is not installed on this server/)(error)
        assert.deepEqual((error as TaskyardError).details.available_versions, versions ?? [])
        return true
      })
      assert.equal(await envs.exists('old'), false)
    })
  })
}
