/**
 * Every environments backend passes the one contract suite: venvs over this machine's real
 * Python, and conda through the fake conda on PATH (a stand-in: no conda on the test machines;
 * it answers conda.ts's calls with real venvs, so pip and Python are real either way).
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createCondaEnvironments } from '../../src/environments/conda.ts'
import { createVenvEnvironments } from '../../src/environments/venv.ts'
import { fakeConda } from '../helpers/fake-conda/fake-conda.ts'
import { offlinePipEnv, realPython } from '../helpers/wheels.ts'
import { describeEnvironmentsContract } from './environments-contract.ts'
import { removeDir } from './env-test-kit.ts'

const PYTHON = realPython()

describeEnvironmentsContract({
  name: 'venv',
  kind: 'venv',
  baseKind: 'system',
  async create(wheels) {
    const envsDir = await mkdtemp(path.join(tmpdir(), 'taskyard-contract-venv-'))
    const childEnv = offlinePipEnv(wheels)
    const envs = createVenvEnvironments({ envsDir, pythonPath: PYTHON, childEnv, allowUnsafeRequirements: false })
    return { envs, childEnv, close: () => removeDir(envsDir) }
  },
})

describeEnvironmentsContract({
  name: 'conda (fake conda stand-in on PATH)',
  kind: 'conda',
  baseKind: 'conda',
  async create(wheels) {
    const cleanups: Array<() => unknown> = []
    const conda = await fakeConda({ after: (fn) => void cleanups.push(fn) }, PYTHON)
    const stateDir = await mkdtemp(path.join(tmpdir(), 'taskyard-contract-conda-state-'))
    const pipEnv = offlinePipEnv(wheels)
    const childEnv = { ...pipEnv, ...conda.env, PATH: `${conda.binDir}${path.delimiter}${pipEnv.PATH}` }
    const envs = createCondaEnvironments({ condaPath: path.join(conda.binDir, 'conda'), stateDir, childEnv, allowUnsafeRequirements: false })
    return {
      envs,
      childEnv,
      async close() {
        await removeDir(stateDir)
        for (const fn of cleanups.reverse()) await fn()
      },
    }
  },
})
