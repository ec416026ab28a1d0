import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access, mkdtemp, readdir, realpath, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import { createEnvJournal } from '../../src/environments/env-journal.ts'
import type { Environments } from '../../src/environments/environments.ts'
import { createVenvEnvironments } from '../../src/environments/venv.ts'
import { offlinePipEnv, realPython } from '../helpers/wheels.ts'
import { fingerprint, freeze, makeTestWheelhouse, pythonIn, removeDir } from './env-test-kit.ts'

const run = promisify(execFile)
const PYTHON = realPython()

let wheels = ''
const cleanups: string[] = []
before(async () => {
  wheels = await makeTestWheelhouse()
})
after(async () => {
  await removeDir(wheels)
  for (const dir of cleanups) await removeDir(dir)
})

async function newEnvsDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-envs-'))
  cleanups.push(dir)
  return dir
}

function venvs(envsDir: string, overrides: { pythonPath?: string | null; childEnv?: Record<string, string> } = {}): Environments {
  return createVenvEnvironments({
    envsDir,
    pythonPath: overrides.pythonPath === undefined ? PYTHON : overrides.pythonPath,
    childEnv: overrides.childEnv ?? offlinePipEnv(wheels),
    allowUnsafeRequirements: false,
  })
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  )

describe('venv: base', () => {
  it('always exists, with `python` on its PATH resolving to the real interpreter (shims resolved)', async () => {
    const envsDir = await newEnvsDir()
    // pythonPath null: python3 is looked up on PATH (a pyenv shim here) and asked for sys.executable.
    const envs = venvs(envsDir, { pythonPath: null })
    assert.equal(envs.kind, 'venv')
    assert.deepEqual(await envs.list(), ['base'])
    assert.equal(await envs.exists('base'), true)
    assert.deepEqual(await envs.runEnvironment('base'), {
      pathPrefix: [path.join(envsDir, 'base', 'bin')],
      env: { VIRTUAL_ENV: path.join(envsDir, 'base') },
    })
    const seen = await pythonIn(envs, 'base', offlinePipEnv(wheels), ['-c', 'import os, sys, pip; print(os.path.realpath(sys.executable)); print(sys.prefix)'])
    assert.deepEqual(seen.trim().split('\n'), [await realpath(PYTHON), path.join(envsDir, 'base')])
  })

  it('takes requirements into base without touching the system Python', async () => {
    const envsDir = await newEnvsDir()
    const envs = venvs(envsDir)
    const result = await envs.ensure('base', 'tyb-alpha\n')
    assert.deepEqual(result, {
      created: false,
      install: { success: true, installedPackages: ['tyb-alpha'], failedPackages: [], errorDetails: [], error: null },
      message: "Requirements installed in existing environment 'base'",
    })
    assert.equal(await pythonIn(envs, 'base', offlinePipEnv(wheels), ['-c', 'import tyb_alpha; print(tyb_alpha.VERSION)']), '1.0\n')
    await assert.rejects(run(PYTHON, ['-c', 'import tyb_alpha']), /ModuleNotFoundError/)
    assert.deepEqual(await readdir(path.join(envsDir, '.taskyard', 'snapshots')), [])
  })
})

describe('venv: one environment through its life (these tests run in order on one environment)', () => {
  let envsDir = ''
  let envs: Environments
  const childEnv = () => offlinePipEnv(wheels)
  before(async () => {
    envsDir = await newEnvsDir()
    envs = venvs(envsDir)
  })

  it('creates an environment with pip and installs requirements; they import in its run environment', async () => {
    const result = await envs.ensure('proj', '# deps\ntyb-alpha\ntyb-beta==2.0\n')
    assert.deepEqual(result, {
      created: true,
      install: { success: true, installedPackages: ['tyb-alpha', 'tyb-beta'], failedPackages: [], errorDetails: [], error: null },
      message: "Environment 'proj' created and requirements installed",
    })
    assert.deepEqual(await envs.list(), ['base', 'proj'])
    const code = 'import tyb_alpha, tyb_beta, sys; print(tyb_alpha.VERSION, tyb_beta.VERSION, sys.prefix)'
    assert.equal(await pythonIn(envs, 'proj', childEnv(), ['-c', code]), `1.0 2.0 ${path.join(envsDir, 'proj')}\n`)
    assert.match(await pythonIn(envs, 'proj', childEnv(), ['-m', 'pip', '--version']), new RegExp(`from ${path.join(envsDir, 'proj')}/`))
  })

  it('uses the existing environment as it is when there are no requirements', async () => {
    assert.deepEqual(await envs.ensure('proj', null), { created: false, install: null, message: "Using existing environment 'proj'" })
    assert.deepEqual(await envs.ensure('proj', '# nothing\n\n'), { created: false, install: null, message: "Using existing environment 'proj'" })
  })

  it('puts an existing environment back exactly when an install fails halfway', async () => {
    const freezeBefore = await freeze(envs, 'proj', childEnv())
    const treeBefore = await fingerprint(path.join(envsDir, 'proj'))
    // pip installs tyb-old, then fails on tyb-evil: without the snapshot tyb-old would stay.
    const result = await envs.ensure('proj', 'tyb-old\ntyb-evil\n')
    assert.equal(result.created, false)
    assert.equal(result.message, "Failed to install requirements in existing environment 'proj'; it was restored to its previous state")
    assert.equal(result.install?.success, false)
    assert.deepEqual(result.install?.failedPackages, ['tyb-evil'])
    assert.equal(result.install?.errorDetails.length, 1)
    assert.match(result.install!.errorDetails[0]!, /^For req: tyb-evil\. The wheel .* trying to install outside the target directory/)
    assert.equal(result.install?.error, result.install!.errorDetails[0])
    assert.equal(await freeze(envs, 'proj', childEnv()), freezeBefore)
    assert.deepEqual(await fingerprint(path.join(envsDir, 'proj')), treeBefore)
    assert.deepEqual(await readdir(path.join(envsDir, '.taskyard', 'snapshots')), [])
  })

  it('names exactly the requirements that fail when pip stops at the first one', async () => {
    const treeBefore = await fingerprint(path.join(envsDir, 'proj'))
    const result = await envs.install('proj', 'tyb-old\ntyb-nosuch-one\ntyb-alpha\ntyb-nosuch-two==3\n')
    assert.deepEqual(result, {
      success: false,
      installedPackages: [],
      failedPackages: ['tyb-nosuch-one', 'tyb-nosuch-two'],
      errorDetails: [
        'Could not find a version that satisfies the requirement tyb-nosuch-one (from versions: none)\nNo matching distribution found for tyb-nosuch-one',
        'Could not find a version that satisfies the requirement tyb-nosuch-two==3 (from versions: none)\nNo matching distribution found for tyb-nosuch-two==3',
      ],
      error: 'Could not find a version that satisfies the requirement tyb-nosuch-one (from versions: none)\nNo matching distribution found for tyb-nosuch-one',
    })
    assert.deepEqual(await fingerprint(path.join(envsDir, 'proj')), treeBefore)
  })

  it('names both sides of a version conflict, and a requirement whose dependency is missing', async () => {
    const conflict = await envs.install('proj', 'tyb-alpha\ntyb-x\ntyb-y\n')
    assert.deepEqual(conflict.failedPackages, ['tyb-x', 'tyb-y'])
    const why = [
      'Cannot install -r requirements.txt (line 2) and -r requirements.txt (line 3) because these package versions have conflicting dependencies.',
      'The conflict is caused by: tyb-x 1.0 depends on tyb-c==1.0; tyb-y 1.0 depends on tyb-c==2.0',
    ].join('\n')
    assert.deepEqual(conflict.errorDetails, [why, why])
    assert.ok(!conflict.error!.includes(envsDir), 'no server path in the error')
    const missing = await envs.install('proj', 'tyb-needs-missing\ntyb-old\n')
    assert.deepEqual(missing.failedPackages, ['tyb-needs-missing'])
    assert.match(missing.errorDetails[0]!, /No matching distribution found for tyb-nowhere>=1/)
  })

  it('installs into an existing environment with install() (spec 000 requirements_update)', async () => {
    const result = await envs.install('proj', 'tyb-c==2.0')
    assert.deepEqual(result, { success: true, installedPackages: ['tyb-c'], failedPackages: [], errorDetails: [], error: null })
    assert.equal(await pythonIn(envs, 'proj', childEnv(), ['-c', 'import tyb_c; print(tyb_c.VERSION)']), '2.0\n')
  })

  it('refuses unsafe requirement lines by line number before changing anything', async () => {
    const treeBefore = await fingerprint(path.join(envsDir, 'proj'))
    await assert.rejects(envs.install('proj', 'tyb-old\n--extra-index-url https://evil.example/simple\n'), (error: unknown) => {
      assert.ok(error instanceof TaskyardError)
      assert.deepEqual(
        [error.code, error.message, error.details],
        [
          'invalid_requirements',
          'Invalid requirements',
          {
            error:
              "Line 2: '--extra-index-url https://evil.example/simple' is not allowed: it changes where pip looks for packages (an administrator can allow it with TASKYARD_ALLOW_UNSAFE_REQUIREMENTS=1)",
          },
        ],
      )
      return true
    })
    assert.deepEqual(await fingerprint(path.join(envsDir, 'proj')), treeBefore)
  })

  it('restores at start-up an environment whose install was interrupted', async () => {
    const prefix = path.join(envsDir, 'proj')
    const freezeBefore = await freeze(envs, 'proj', childEnv())
    const treeBefore = await fingerprint(prefix)
    // What a crash mid-install leaves: a complete snapshot, and an environment pip had changed.
    await createEnvJournal(path.join(envsDir, '.taskyard')).snapshot('proj', prefix, [])
    await pythonIn(envs, 'proj', childEnv(), ['-m', 'pip', 'install', '--no-input', 'tyb-old'])
    await writeFile(path.join(prefix, 'half-written'), 'x')
    assert.notEqual(await freeze(envs, 'proj', childEnv()), freezeBefore)

    const restarted = venvs(envsDir)
    assert.deepEqual(await restarted.list(), ['base', 'proj'])
    assert.equal(await freeze(restarted, 'proj', childEnv()), freezeBefore)
    assert.deepEqual(await fingerprint(prefix), treeBefore)
    assert.deepEqual(await readdir(path.join(envsDir, '.taskyard', 'snapshots')), [])
  })
})

describe('venv: new environments', () => {
  it('removes a new environment whose install failed, naming exactly the requirement at fault', async () => {
    const envsDir = await newEnvsDir()
    const envs = venvs(envsDir)
    const result = await envs.ensure('fresh', 'tyb-alpha\ntyb-nosuch\ntyb-beta\n')
    const reason = 'Could not find a version that satisfies the requirement tyb-nosuch (from versions: none)\nNo matching distribution found for tyb-nosuch'
    assert.deepEqual(result, {
      created: true,
      install: { success: false, installedPackages: [], failedPackages: ['tyb-nosuch'], errorDetails: [reason], error: reason },
      message: "Failed to install requirements in new environment 'fresh'; the environment was removed",
    })
    assert.equal(await envs.exists('fresh'), false)
    assert.deepEqual(await envs.list(), ['base'])
    assert.equal(await exists(path.join(envsDir, 'fresh')), false)
    for (const d of ['creating', 'snapshots', 'tmp']) assert.deepEqual(await readdir(path.join(envsDir, '.taskyard', d)), [], d)
  })

  it('creates nothing when a requirement line is refused', async () => {
    const envsDir = await newEnvsDir()
    const envs = venvs(envsDir)
    await envs.list()
    const before = await readdir(envsDir)
    for (const line of ['-e .', 'pkg @ https://evil.example/p.whl', './local', '-r more.txt']) {
      await assert.rejects(envs.ensure('fresh', `tyb-alpha\n${line}\n`), (error: unknown) => {
        assert.ok(error instanceof TaskyardError)
        assert.equal(error.code, 'invalid_requirements')
        assert.match(String(error.details.error), new RegExp(`^Line 2: '${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is not allowed: `))
        return true
      })
    }
    assert.deepEqual(await readdir(envsDir), before)
    assert.equal(await envs.exists('fresh'), false)
  })

  it('refuses invalid environment names everywhere, and unknown ones where they must exist', async () => {
    const envsDir = await newEnvsDir()
    const envs = venvs(envsDir)
    for (const name of ['', '../x', '.hidden', '-x', 'a b', 'a/b', 'x'.repeat(65), 'ok\n']) {
      const refused = (error: unknown) => {
        assert.ok(error instanceof TaskyardError)
        assert.deepEqual([error.code, error.message], ['invalid_input', 'Invalid environment name'])
        assert.match(String(error.details.error), /^Environment name '.*' is not allowed: use 1-64 letters, digits/)
        return true
      }
      await assert.rejects(envs.ensure(name, null), refused)
      await assert.rejects(envs.install(name, 'tyb-alpha'), refused)
      await assert.rejects(envs.exists(name), refused)
      await assert.rejects(envs.runEnvironment(name), refused)
    }
    const notFound = {
      code: 'env_not_found',
      message: 'Environment not found',
      details: { error: "The specified conda environment 'ghost' does not exist" },
    }
    await assert.rejects(envs.runEnvironment('ghost'), notFound)
    await assert.rejects(envs.install('ghost', 'tyb-alpha'), notFound)
    assert.deepEqual(await readdir(envsDir), ['.taskyard', 'base'])
  })

  it('removes at start-up an environment whose creation was interrupted', async () => {
    const envsDir = await newEnvsDir()
    await createEnvJournal(path.join(envsDir, '.taskyard')).beginCreate('half')
    await run(PYTHON, ['-m', 'venv', '--without-pip', path.join(envsDir, 'half')])
    const envs = venvs(envsDir)
    assert.deepEqual(await envs.list(), ['base'])
    assert.equal(await exists(path.join(envsDir, 'half')), false)
  })
})
