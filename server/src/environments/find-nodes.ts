/**
 * The Node.js versions a task can choose (issue 9, `node_version`), by major version, each by
 * its real path: `node`/`nodejs`/`nodeNN` on PATH, /usr/bin, /usr/local/bin, then nvm's, fnm's
 * and volta's installations where they exist. A Node inside a node_modules (the server's own
 * `node` devDependency, a package's binary) is nobody's choice — unless no other Node exists.
 */
import { readdir, realpath } from 'node:fs/promises'
import path from 'node:path'
import { isExecutableFile } from './find-executable.ts'
import { runProcess } from './run-process.ts'

export interface NodeInstallation {
  /** `v20.19.2` as `node --version` says it, without the v. */
  version: string
  /** The real path of the binary. */
  path: string
}

const NODE_NAME = /^(?:node|nodejs|node\d{1,3})$/

/** Whether `file` is a project's own binary (node_modules/…), not an installation of Node. */
const inNodeModules = (file: string) => file.split(path.sep).includes('node_modules')

/** Major version (`20`) → the Node to run; the first found of a major wins, in the order above. */
export async function findNodes(env: Readonly<Record<string, string>>, fallback: string | null = process.execPath): Promise<Map<string, NodeInstallation>> {
  const candidates: string[] = []
  const addDir = async (dir: string, pattern: RegExp = NODE_NAME) => {
    for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) if (pattern.test(name)) candidates.push(path.join(dir, name))
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (path.isAbsolute(dir)) await addDir(dir)
  await addDir('/usr/bin')
  await addDir('/usr/local/bin')
  const home = env.HOME ?? null
  const versionDirs = async (root: string | null, binOf: (v: string) => string) => {
    if (root === null) return
    for (const v of (await readdir(root).catch(() => [] as string[])).sort()) candidates.push(path.join(root, binOf(v), 'node'))
  }
  await versionDirs(env.NVM_DIR ? path.join(env.NVM_DIR, 'versions', 'node') : home && path.join(home, '.nvm', 'versions', 'node'), (v) => path.join(v, 'bin'))
  await versionDirs(env.FNM_DIR ? path.join(env.FNM_DIR, 'node-versions') : home && path.join(home, '.local', 'share', 'fnm', 'node-versions'), (v) =>
    path.join(v, 'installation', 'bin'),
  )
  await versionDirs(env.VOLTA_HOME ? path.join(env.VOLTA_HOME, 'tools', 'image', 'node') : home && path.join(home, '.volta', 'tools', 'image', 'node'), (v) =>
    path.join(v, 'bin'),
  )

  const found = new Map<string, NodeInstallation>()
  const seen = new Set<string>()
  const consider = async (file: string, allowNodeModules: boolean) => {
    if (!isExecutableFile(file)) return
    const real = await realpath(file).catch(() => null)
    if (real === null || seen.has(real) || (!allowNodeModules && inNodeModules(real))) return
    seen.add(real)
    const version = await versionOf(real)
    if (version === null) return
    const major = version.split('.')[0]!
    if (!found.has(major)) found.set(major, { version, path: real })
  }
  for (const file of candidates) await consider(file, false)
  if (found.size === 0 && fallback !== null) await consider(fallback, true)
  return new Map([...found].sort((a, b) => Number(a[0]) - Number(b[0])))
}

const versions = new Map<string, Promise<string | null>>()

/** `node --version` of a binary, asked once per process (a version manager's shim answers nothing useful here). */
function versionOf(file: string): Promise<string | null> {
  let known = versions.get(file)
  if (known === undefined) {
    known = runProcess(file, ['--version'], { env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000 })
      .then((r) => /^v(\d+\.\d+\.\d+)\s*$/.exec(r.stdout)?.[1] ?? null)
      .catch(() => null)
    versions.set(file, known)
  }
  return known
}
