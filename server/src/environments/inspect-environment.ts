import path from 'node:path'
import type { InstalledPackage } from './environments.ts'
import type { ProcessRunner } from './pip-install.ts'
import { runProcess } from './run-process.ts'

export interface Inspection {
  pythonVersion: string | null
  packages: InstalledPackage[]
}

/**
 * Asked of the environment's own interpreter, so it answers for whatever it imports (a venv
 * `base` sees the system's packages): one short process instead of `pip list` (seconds per env).
 * Distributions come in sys.path order and the first of a name wins, as imports do. -I: no user
 * site, no PYTHONPATH — the answer is the environment's alone.
 */
const SCRIPT = `
import json, os, re, sys
import importlib.metadata as m
prefix = os.path.realpath(sys.prefix)
seen = {}
for d in m.distributions():
    name = d.metadata['Name']
    if not name:
        continue
    key = re.sub(r'[-_.]+', '-', name).lower()
    if key in seen:
        continue
    try:
        where = os.path.realpath(str(d.locate_file('')))
    except Exception:
        where = ''
    seen[key] = [name, d.version, where == prefix or where.startswith(prefix + os.sep)]
print(json.dumps({'python_version': '%d.%d.%d' % sys.version_info[:3], 'packages': list(seen.values())}))
`

export async function inspectEnvironment(prefix: string, env: Readonly<Record<string, string>>, run: ProcessRunner = runProcess): Promise<Inspection> {
  const python = path.join(prefix, 'bin', 'python')
  try {
    const result = await run(python, ['-I', '-c', SCRIPT], { env })
    if (result.code !== 0) return { pythonVersion: null, packages: [] }
    const parsed = JSON.parse(result.stdout) as { python_version: string; packages: Array<[string, string, boolean]> }
    const packages = parsed.packages
      .map(([name, version, own]) => ({ name, version, own }))
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
    return { pythonVersion: parsed.python_version, packages }
  } catch {
    return { pythonVersion: null, packages: [] }
  }
}
