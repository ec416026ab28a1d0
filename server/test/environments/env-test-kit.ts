/**
 * What the environment tests share: the test wheels, running Python inside an environment as a
 * run would, and fingerprints of an environment to prove a rollback exact.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Environments } from '../../src/environments/environments.ts'
import { buildWheel, type WheelSpec } from '../helpers/wheels.ts'
import { rawZip } from '../helpers/zip.ts'

const run = promisify(execFile)

/**
 * tyb-*: "taskyard test builds", names no real index has. tyb-evil passes pip's resolver but
 * fails while being installed (a file aimed outside site-packages), after pip has already
 * installed what came before it: the case that needs a snapshot to undo.
 */
export const TEST_WHEELS: WheelSpec[] = [
  { name: 'tyb-alpha' },
  { name: 'tyb-beta', version: '2.0' },
  { name: 'tyb-old' },
  { name: 'tyb-c', version: '1.0' },
  { name: 'tyb-c', version: '2.0' },
  { name: 'tyb-x', requires: ['tyb-c==1.0'] },
  { name: 'tyb-y', requires: ['tyb-c==2.0'] },
  { name: 'tyb-needs-missing', requires: ['tyb-nowhere>=1'] },
]

/** A wheelhouse with TEST_WHEELS and tyb-evil; the caller removes it. */
export async function makeTestWheelhouse(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-wheels-'))
  for (const spec of TEST_WHEELS) await buildWheel(dir, spec)
  await writeEvilWheel(dir)
  return dir
}

/** Writes tyb-evil 1.0 into `dir`: it resolves, then fails while pip installs it. */
export async function writeEvilWheel(dir: string): Promise<void> {
  const info = 'tyb_evil-1.0.dist-info'
  await writeFile(
    path.join(dir, 'tyb_evil-1.0-py3-none-any.whl'),
    rawZip([
      { name: 'tyb_evil/__init__.py', content: '' },
      { name: '../../evil.py', content: 'raise SystemExit("must never be installed")\n' },
      { name: `${info}/METADATA`, content: 'Metadata-Version: 2.1\nName: tyb-evil\nVersion: 1.0\n' },
      { name: `${info}/WHEEL`, content: 'Wheel-Version: 1.0\nGenerator: taskyard-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n' },
      { name: `${info}/RECORD`, content: '' },
    ]),
  )
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true })
}

/** Runs `python <args>` the way a run would: the environment's PATH entries first, its variables set. */
export async function pythonIn(envs: Environments, name: string, childEnv: Readonly<Record<string, string>>, args: readonly string[]): Promise<string> {
  const runEnv = await envs.runEnvironment(name)
  const env = { ...childEnv, ...runEnv.env, PATH: [...runEnv.pathPrefix, childEnv.PATH ?? ''].join(path.delimiter) }
  // 'python' resolved through PATH, exactly as a task's command line would be.
  const { stdout } = await run('python', args, { env })
  return stdout
}

/** The environment's installed distributions as pip reports them. */
export function freeze(envs: Environments, name: string, childEnv: Readonly<Record<string, string>>): Promise<string> {
  return pythonIn(envs, name, childEnv, ['-m', 'pip', 'freeze', '--all'])
}

/**
 * Every path under `dir` with its type, mode, size, link target and the SHA-256 of its content:
 * equal fingerprints, equal trees, byte for byte. Modification times are left out: a restore
 * copies them through a Date, which rounds them to the millisecond.
 */
export async function fingerprint(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const rel of (await readdir(dir, { recursive: true })).sort()) {
    const full = path.join(dir, rel)
    const s = await lstat(full)
    const kind = s.isSymbolicLink()
      ? `-> ${await readlink(full)}`
      : s.isDirectory()
        ? 'dir'
        : `${s.size} bytes sha256:${createHash('sha256')
            .update(await readFile(full))
            .digest('hex')}`
    out.push(`${rel} ${(s.mode & 0o7777).toString(8)} ${kind}`)
  }
  return out
}
