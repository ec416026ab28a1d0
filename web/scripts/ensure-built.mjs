// `npm start`: builds the web UI when web/dist is missing or older than its sources, so a fresh
// clone serves the UI after `npm ci && npm start`. Plain JS: it runs before anything is built.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'

const web = path.resolve(import.meta.dirname, '..')
const built = path.join(web, 'dist', 'index.html')

function newest(p) {
  const s = statSync(p, { throwIfNoEntry: false })
  if (!s) return 0
  if (!s.isDirectory()) return s.mtimeMs
  let m = s.mtimeMs
  for (const name of readdirSync(p)) m = Math.max(m, newest(path.join(p, name)))
  return m
}

const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'scripts/first-load-chunks.ts', 'package.json', '../openapi.json'].map((p) =>
  path.join(web, p),
)
const sourceTime = Math.max(...sources.map(newest))
const builtTime = existsSync(built) ? statSync(built).mtimeMs : 0
if (builtTime >= sourceTime) process.exit(0)
// Progress goes to stderr: stdout stays the server's own (`npm start -- --version` prints only the version).
console.error(existsSync(built) ? 'The web UI is older than its sources: building it…' : 'The web UI is not built yet: building it…')
const r = spawnSync('npm', ['run', 'build', '-w', 'web'], { stdio: ['ignore', 2, 2], cwd: path.join(web, '..') })
process.exit(r.status ?? 1)
