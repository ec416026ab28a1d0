/**
 * Sets up the fake conda (see ./conda, a stand-in: no conda on the test machines) in a temporary
 * directory: a bin/ to put first on PATH, a root prefix that is a venv, and the variables it reads.
 */
import { execFileSync } from 'node:child_process'
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** A test context (`t`), or anything else that runs cleanups when the test is over. */
export interface CleansUp {
  after(fn: () => unknown): void
}

const SCRIPT = fileURLToPath(new URL('./conda', import.meta.url))

export interface FakeConda {
  /** bin/conda lives here. */
  binDir: string
  /** conda's root prefix: the base environment. */
  root: string
  /** Add these to the child environment (PATH not included: prepend `binDir` yourself). */
  env: Record<string, string>
  /** Every call conda received so far, one argument string per call. */
  calls(): Promise<string[]>
}

export async function fakeConda(t: CleansUp, python: string): Promise<FakeConda> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-fake-conda-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const binDir = path.join(dir, 'bin')
  const root = path.join(dir, 'conda')
  const log = path.join(dir, 'calls.log')
  await mkdir(binDir)
  // Copied and made executable here, so the test does not depend on file modes surviving git.
  await copyFile(SCRIPT, path.join(binDir, 'conda'))
  await chmod(path.join(binDir, 'conda'), 0o755)
  execFileSync(python, ['-m', 'venv', '--without-pip', '--system-site-packages', root])
  await mkdir(path.join(root, 'conda-meta'))
  await mkdir(path.join(root, 'envs'))
  await mkdir(path.join(root, 'pkgs'))
  return {
    binDir,
    root,
    env: { FAKE_CONDA_ROOT: root, FAKE_CONDA_PYTHON: python, FAKE_CONDA_LOG: log },
    async calls() {
      const text = await readFile(log, 'utf8').catch(() => '')
      return text.split('\n').filter((l) => l !== '')
    },
  }
}
