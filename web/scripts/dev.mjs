// `npm run dev`: the API server (restarted on change) and Vite with hot reload, which proxies /api
// to it. Open http://127.0.0.1:5173. Ctrl-C stops both.
import { spawn } from 'node:child_process'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '../..')
const port = process.env.TASKYARD_PORT ?? '8700'
const children = [
  spawn(process.execPath, ['--watch', 'server/src/cli.ts', 'serve', '--port', port], { cwd: root, stdio: 'inherit' }),
  spawn('npm', ['run', 'dev', '-w', 'web'], { cwd: root, stdio: 'inherit', env: { ...process.env, TASKYARD_PORT: port } }),
]
const stop = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
for (const c of children)
  c.on('exit', (code) => {
    stop()
    process.exitCode = code ?? 0
  })
