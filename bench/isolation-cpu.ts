/**
 * CPU per isolated start, apart from the server: N sequential runs of `/bin/true` as nobody through
 * detectIsolation().wrap (the Perl helper, then the shell chain), with a hidden data directory and
 * /run/postgresql, two writable paths and a read-only one, as a run gets them. The children's CPU
 * (user + system) comes from /proc/self/stat. Root only.
 *
 *   node bench/isolation-cpu.ts [path to isolation.ts]   (another tree's, for a before/after)
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { detectIsolation as Detect } from '../server/src/executor/local/isolation.ts'

const modulePath = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../server/src/executor/local/isolation.ts'))
const { detectIsolation } = (await import(modulePath)) as { detectIsolation: typeof Detect }
const RUNS = { helper: 300, shell: 100 }
const TICK_MS = 10 // USER_HZ on Linux

function childTicks(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')
  return Number(fields[13]) + Number(fields[14]) // cutime + cstime
}

const dir = fs.mkdtempSync('/tmp/taskyard-isolation-cpu-')
try {
  const data = path.join(dir, 'data')
  const task = path.join(data, 'tasks', '1')
  for (const d of [task, path.join(data, 'outputs', '1'), path.join(data, 'envs')]) fs.mkdirSync(d, { recursive: true })
  fs.chmodSync(task, 0o777)
  const result: Record<string, string> = {}
  for (const method of ['helper', 'shell'] as const) {
    const isolation = detectIsolation({ method })
    if (isolation === null) throw new Error(`no isolation (${method}) here`)
    const spec = { hidden: [data, '/run/postgresql'], writable: [task, path.join(data, 'outputs', '1')], readOnly: [path.join(data, 'envs')] }
    const wrapped = isolation.wrap(['/bin/true'], spec, { uid: 65534, gid: 65534 }, { PATH: '/usr/bin:/bin' })
    const ticks = childTicks()
    const started = performance.now()
    for (let i = 0; i < RUNS[method]; i++) {
      const run = spawnSync(wrapped.argv[0]!, wrapped.argv.slice(1), { env: wrapped.env, cwd: task, stdio: 'ignore' })
      if (run.status !== 0) throw new Error(`${method}: exit ${run.status}`)
    }
    result[method] =
      `${(((childTicks() - ticks) * TICK_MS) / RUNS[method]).toFixed(2)} ms CPU per start, ${((performance.now() - started) / RUNS[method]).toFixed(1)} ms wall (${RUNS[method]} starts)`
  }
  console.log(JSON.stringify({ load: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '), ...result }))
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
