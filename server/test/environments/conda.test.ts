import assert from 'node:assert/strict'
import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createCondaEnvironments } from '../../src/environments/conda.ts'
import { createEnvironments } from '../../src/environments/create-environments.ts'
import { detectConda } from '../../src/environments/detect-conda.ts'
import type { Environments } from '../../src/environments/environments.ts'
import { fakeConda, type FakeConda } from '../helpers/fake-conda/fake-conda.ts'
import { offlinePipEnv, realPython } from '../helpers/wheels.ts'
import { fingerprint, freeze, makeTestWheelhouse, pythonIn, removeDir } from './env-test-kit.ts'

const PYTHON = realPython()
const cleanups: Array<() => unknown> = []
const scope = { after: (fn: () => unknown) => void cleanups.push(fn) }
let wheels = ''
before(async () => {
  wheels = await makeTestWheelhouse()
})
after(async () => {
  await removeDir(wheels)
  for (const fn of cleanups.reverse()) await fn()
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-conda-state-'))
  cleanups.push(() => removeDir(dir))
  return dir
}

function childEnvWith(conda: FakeConda): Record<string, string> {
  const env = offlinePipEnv(wheels)
  return { ...env, ...conda.env, PATH: `${conda.binDir}${path.delimiter}${env.PATH}` }
}

describe('detectConda and createEnvironments (fake conda on PATH: no conda on this machine)', () => {
  it('finds conda through CONDA_EXE, else on PATH, and nothing where there is none', async () => {
    const conda = await fakeConda(scope, PYTHON)
    const exe = path.join(conda.binDir, 'conda')
    assert.equal(detectConda({ PATH: `/nonexistent${path.delimiter}${conda.binDir}` }), exe)
    assert.equal(detectConda({ PATH: '/nonexistent', CONDA_EXE: exe }), exe)
    assert.equal(detectConda({ PATH: '/nonexistent', CONDA_EXE: '/nonexistent/conda' }), null)
    assert.equal(detectConda({ PATH: `/nonexistent${path.delimiter}bin` }), null)
    assert.equal(detectConda({}), null)
  })

  it('picks conda when there is one, and venvs when there is none', async () => {
    const conda = await fakeConda(scope, PYTHON)
    const withConda = await createEnvironments({ envsDir: await tempDir(), pythonPath: null, childEnv: childEnvWith(conda), allowUnsafeRequirements: false })
    assert.equal(withConda.kind, 'conda')
    assert.deepEqual(await withConda.list(), ['base'])
    assert.deepEqual(await conda.calls(), ['info --json', 'env list --json', 'env list --json'])
    const envsDir = await tempDir()
    const withoutConda = await createEnvironments({ envsDir, pythonPath: PYTHON, childEnv: offlinePipEnv(wheels), allowUnsafeRequirements: false })
    assert.equal(withoutConda.kind, 'venv')
    assert.deepEqual(await readdir(envsDir), ['.taskyard', 'base'])
  })
})

describe('conda (fake conda on PATH: no conda on this machine): environments through their life, in order', () => {
  let conda: FakeConda
  let envs: Environments
  let childEnv: Record<string, string>
  before(async () => {
    conda = await fakeConda(scope, PYTHON)
    childEnv = childEnvWith(conda)
    envs = createCondaEnvironments({ condaPath: path.join(conda.binDir, 'conda'), stateDir: await tempDir(), childEnv, allowUnsafeRequirements: false })
  })

  it('creates an environment with conda and installs requirements with its own pip', async () => {
    const result = await envs.ensure('proj', 'tyb-alpha\n')
    assert.deepEqual(result, {
      created: true,
      install: { success: true, installedPackages: ['tyb-alpha'], failedPackages: [], errorDetails: [], error: null },
      message: "Environment 'proj' created and requirements installed",
    })
    assert.ok((await conda.calls()).includes('create --yes --quiet --name proj python'))
    const prefix = path.join(conda.root, 'envs', 'proj')
    assert.deepEqual(await envs.runEnvironment('proj'), {
      pathPrefix: [path.join(prefix, 'bin')],
      env: { CONDA_PREFIX: prefix, CONDA_DEFAULT_ENV: 'proj' },
    })
    const code = 'import sys, tyb_alpha; print(tyb_alpha.__file__.startswith(sys.prefix + "/"), sys.prefix)'
    assert.equal(await pythonIn(envs, 'proj', childEnv, ['-c', code]), `True ${prefix}\n`)
    assert.deepEqual(await envs.list(), ['base', 'proj'])
  })

  it('puts an existing environment back exactly when an install fails', async () => {
    const prefix = path.join(conda.root, 'envs', 'proj')
    const freezeBefore = await freeze(envs, 'proj', childEnv)
    const treeBefore = await fingerprint(prefix)
    const result = await envs.ensure('proj', 'tyb-old\ntyb-evil\n')
    assert.deepEqual(result.install?.failedPackages, ['tyb-evil'])
    assert.equal(result.message, "Failed to install requirements in existing environment 'proj'; it was restored to its previous state")
    assert.equal(await freeze(envs, 'proj', childEnv), freezeBefore)
    assert.deepEqual(await fingerprint(prefix), treeBefore)
  })

  it('removes a new environment whose install failed, with conda remove', async () => {
    const result = await envs.ensure('fresh', 'tyb-alpha\ntyb-nosuch\n')
    assert.equal(result.created, true)
    assert.deepEqual(result.install?.failedPackages, ['tyb-nosuch'])
    assert.equal(await envs.exists('fresh'), false)
    assert.ok((await conda.calls()).includes('remove --yes --quiet --name fresh --all'))
    assert.deepEqual(await readdir(path.join(conda.root, 'envs')), ['proj'])
  })

  it('takes base as conda’s own; a failed install into it leaves the other environments and pkgs/ alone', async () => {
    await writeFile(path.join(conda.root, 'pkgs', 'cached.tar.bz2'), 'cache')
    const outside = (lines: string[]) => lines.filter((l) => !/^(envs|pkgs)\//.test(l))
    const baseBefore = outside(await fingerprint(conda.root))
    const projBefore = await fingerprint(path.join(conda.root, 'envs', 'proj'))
    assert.deepEqual((await envs.runEnvironment('base')).env, { CONDA_PREFIX: conda.root, CONDA_DEFAULT_ENV: 'base' })

    const failed = await envs.install('base', 'tyb-old\ntyb-evil\n')
    assert.deepEqual(failed.failedPackages, ['tyb-evil'])
    assert.deepEqual(outside(await fingerprint(conda.root)), baseBefore)
    assert.deepEqual(await fingerprint(path.join(conda.root, 'envs', 'proj')), projBefore)
    assert.deepEqual(await readdir(path.join(conda.root, 'pkgs')), ['cached.tar.bz2'])

    const ok = await envs.ensure('base', 'tyb-beta')
    assert.equal(ok.message, "Requirements installed in existing environment 'base'")
    assert.equal(await pythonIn(envs, 'base', childEnv, ['-c', 'import tyb_beta; print(tyb_beta.VERSION)']), '2.0\n')
  })
})
