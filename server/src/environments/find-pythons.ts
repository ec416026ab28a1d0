import { readdir, realpath } from 'node:fs/promises'
import path from 'node:path'
import { isExecutableFile } from './find-executable.ts'

/**
 * Oldest Python an environment can have: listing packages uses importlib.metadata (3.8+).
 */
const MIN_MINOR = 8
const VERSIONED = /^python3\.(\d{1,2})$/

/**
 * The Pythons installed, `3.X` → the interpreter's real path: `python3.X` on PATH, then pyenv's
 * `versions/*\/bin/python3.X`. Always the real file: a pyenv shim is a script that picks a
 * version by the caller's directory and environment — never what was asked for.
 */
export async function findPythons(env: Readonly<Record<string, string>>): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  const consider = async (file: string, minor: number): Promise<void> => {
    const key = `3.${minor}`
    if (minor < MIN_MINOR || found.has(key) || !isExecutableFile(file)) return
    const real = await realpath(file).catch(() => null)
    if (real === null || real.split(path.sep).includes('shims')) return
    found.set(key, real)
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir) || dir.split(path.sep).includes('shims')) continue
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const m = VERSIONED.exec(name)
      if (m) await consider(path.join(dir, name), Number(m[1]))
    }
  }
  const pyenvRoot = env.PYENV_ROOT || (env.HOME ? path.join(env.HOME, '.pyenv') : null)
  if (pyenvRoot !== null) {
    const versionsDir = path.join(pyenvRoot, 'versions')
    for (const version of (await readdir(versionsDir).catch(() => [] as string[])).sort()) {
      const bin = path.join(versionsDir, version, 'bin')
      for (const name of await readdir(bin).catch(() => [] as string[])) {
        const m = VERSIONED.exec(name)
        if (m) await consider(path.join(bin, name), Number(m[1]))
      }
    }
  }
  return new Map([...found].sort((a, b) => Number(a[0].slice(2)) - Number(b[0].slice(2))))
}
