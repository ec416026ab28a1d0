/**
 * Tiny wheels built on the spot, and the environment that makes pip use only them: tests of
 * requirement installs run offline, against real pip, with packages whose contents they know.
 */
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { zipFiles } from './zip.ts'

/** A test context (`t`), or anything else that runs cleanups when the test is over. */
export interface CleansUp {
  after(fn: () => unknown): void
}

export interface WheelSpec {
  /** The distribution name, as in `pip install <name>`. */
  name: string
  version?: string
  /** Requires-Dist lines, e.g. ['tyb-core==1.0']. */
  requires?: string[]
  /** The importable package; default the name with '-' and '.' as '_'. */
  module?: string
  /** The package's __init__.py; default sets VERSION. */
  code?: string
}

function moduleOf(spec: WheelSpec): string {
  return spec.module ?? spec.name.replace(/[-.]+/g, '_').toLowerCase()
}

function recordHash(content: Buffer): string {
  return `sha256=${createHash('sha256').update(content).digest('base64url')}`
}

/** Writes `<name>-<version>-py3-none-any.whl` into `dir` and returns its path. */
export async function buildWheel(dir: string, spec: WheelSpec): Promise<string> {
  const version = spec.version ?? '1.0'
  const dist = spec.name.replace(/[-.]+/g, '_')
  const info = `${dist}-${version}.dist-info`
  const module = moduleOf(spec)
  const files: Record<string, Buffer> = {
    [`${module}/__init__.py`]: Buffer.from(spec.code ?? `VERSION = '${version}'\n`),
    [`${info}/METADATA`]: Buffer.from(
      ['Metadata-Version: 2.1', `Name: ${spec.name}`, `Version: ${version}`, ...(spec.requires ?? []).map((r) => `Requires-Dist: ${r}`), ''].join('\n'),
    ),
    [`${info}/WHEEL`]: Buffer.from('Wheel-Version: 1.0\nGenerator: taskyard-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
  }
  const record = Object.entries(files).map(([name, content]) => `${name},${recordHash(content)},${content.length}`)
  files[`${info}/RECORD`] = Buffer.from([...record, `${info}/RECORD,,`, ''].join('\n'))
  const wheel = path.join(dir, `${dist}-${version}-py3-none-any.whl`)
  await writeFile(wheel, await zipFiles(files))
  return wheel
}

/** A temporary directory of wheels, removed after the test. */
export async function wheelhouse(t: CleansUp, specs: readonly WheelSpec[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-wheels-'))
  // A root server's builds run as the run account (issue 9): it must read the wheels.
  await chmod(dir, 0o755)
  t.after(() => rm(dir, { recursive: true, force: true }))
  for (const spec of specs) await buildWheel(dir, spec)
  return dir
}

/**
 * The child environment for pip to find packages only in `wheelDir`: no index, no pip
 * configuration file of this machine, no cache. PATH and HOME come from `base`.
 */
export function offlinePipEnv(wheelDir: string, base: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const env: Record<string, string> = {
    PIP_NO_INDEX: '1',
    PIP_FIND_LINKS: wheelDir,
    PIP_CONFIG_FILE: '/dev/null',
    PIP_NO_CACHE_DIR: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  }
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = base[key]
    if (value !== undefined) env[key] = value
  }
  return env
}

/**
 * The real interpreter behind `python3` on PATH (pyenv shims resolved), or TASKYARD_TEST_PYTHON.
 * Tests start it by its real path: shims are slow.
 */
export function realPython(): string {
  const chosen = process.env.TASKYARD_TEST_PYTHON
  if (chosen) return chosen
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
}
