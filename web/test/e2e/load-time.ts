/**
 * How long the dashboard and the task list take to show with 1,000 tasks, in Debian's Chromium
 * over loopback (issue 11: first load under 1 s). A measurement, not a test:
 * `node web/test/e2e/load-time.ts` (build the UI first). Prints one line per page.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { startCliServer } from '../../../server/test/helpers/cli-server.ts'

/**
 * CPU time (user + system, ms) of every Chromium process of this run's profile: the browser and
 * its children (renderer, GPU, network). Unlike the wall clock, it does not grow while the
 * processes wait for a CPU that other sessions hold.
 */
function chromiumCpuMs(profileDir: string): number {
  const stats = new Map<number, { ppid: number; ticks: number; ours: boolean }>()
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ours = readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(profileDir)
      stats.set(Number(pid), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), ours })
    } catch {
      // gone meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, i = 0; p > 1 && i < 10; p = stats.get(p)?.ppid ?? 0, i++) if (stats.get(p)?.ours) return true
    return false
  }
  let ticks = 0
  for (const [pid, s] of stats) if (inTree(pid)) ticks += s.ticks
  return ticks * 10 // USER_HZ is 100 on Linux
}

const TASKS = Number(process.env.TASKS ?? 1000)
const RUNS = Number(process.env.RUNS ?? 1)
const dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-load-'))
const profile = await mkdtemp(path.join(tmpdir(), 'taskyard-load-chromium-'))
const server = await startCliServer({ dataDir, env: { ...process.env, TASKYARD_LOG_LEVEL: 'warn', TASKYARD_ADMIN_PASSWORD: 'load-admin-password' } })
const { url } = server
try {
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'load-admin-password' }),
  })
  const token = ((await login.json()) as { token: string }).token
  for (let i = 0; i < TASKS; i++) {
    const form = new FormData()
    form.set('script_file', new Blob(['print(1)\n']), 'job.py')
    form.set('task_name', `task-${i}`)
    form.set('conda_env', 'base')
    // Never due during the measurement: no process competes with the browser.
    form.set('cron_expression', '0 0 1 1 *')
    const res = await fetch(`${url}/api/tasks`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } })
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`)
  }
  for (const p of ['/api/tasks', '/api/tasks/stats', '/api/auth/me']) {
    const t0 = Date.now()
    const res = await fetch(url + p, { headers: { authorization: `Bearer ${token}` } })
    const size = (await res.arrayBuffer()).byteLength
    console.log(`GET ${p}: ${Date.now() - t0} ms, ${size} bytes (load average ${loadavg()[0]!.toFixed(1)})`)
  }
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
  })
  const page = context.pages()[0] ?? (await context.newPage())
  await page.goto(url + '/login')
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill('load-admin-password')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(url + '/')
  for (const [name, p, ready] of [
    ['dashboard', '/', () => page.getByText('task-0').first().waitFor()],
    ['tasks', '/tasks', () => page.getByTestId('task-link').first().waitFor()],
  ] as const) {
    const times: Record<'cold' | 'warm', number[]> = { cold: [], warm: [] }
    // The renderer's main-thread busy time over the load (CDP's TaskDuration): CPU, so less
    // sensitive than the wall clock to the other processes sharing the machine.
    const busy: Record<'cold' | 'warm', number[]> = { cold: [], warm: [] }
    const cpuTimes: Record<'cold' | 'warm', number[]> = { cold: [], warm: [] }
    // RUNS=n: n cold and n warm loads, then the median of each.
    for (const cache of Array.from({ length: RUNS }, () => ['cold', 'warm'] as const).flat()) {
      if (cache === 'cold') await context.clearCookies().then(() => page.goto('about:blank'))
      // Cold: a fresh HTTP cache (a new session's first visit); warm: the hashed assets cached.
      const cdp = await context.newCDPSession(page)
      if (cache === 'cold') await cdp.send('Network.clearBrowserCache')
      if (cache === 'cold') {
        await page.goto(url + '/login')
        await page.getByLabel('Username').fill('admin')
        await page.getByLabel('Password').fill('load-admin-password')
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.waitForURL(url + '/')
        await cdp.send('Network.clearBrowserCache')
      }
      // PROFILE=1 (or warm): a CPU profile of the warm load, its top functions by self time;
      // PROFILE=cold: of the cold load (build with `vite build --minify false` to read the names).
      const profiling = process.env.PROFILE && (process.env.PROFILE === 'cold' ? cache === 'cold' : cache === 'warm')
      if (profiling) await cdp.send('Profiler.enable').then(() => cdp.send('Profiler.start'))
      await cdp.send('Performance.enable')
      const taskSeconds = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0
      const t0 = Date.now()
      const busy0 = await taskSeconds()
      const cpu0 = chromiumCpuMs(profile)
      await page.goto(url + p)
      await ready()
      if (profiling) {
        const { profile } = await cdp.send('Profiler.stop')
        if (process.env.PROFILE_OUT) await writeFile(`${process.env.PROFILE_OUT}-${name}-${cache}.cpuprofile`, JSON.stringify(profile))
        const self = new Map<string, number>()
        const byId = new Map(profile.nodes.map((n) => [n.id, n]))
        const dt = profile.timeDeltas ?? []
        profile.samples?.forEach((id, i) => {
          const f = byId.get(id)!.callFrame
          const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber}`
          self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000)
        })
        for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${v.toFixed(1).padStart(7)} ms  ${k}`)
      }
      const elapsed = Date.now() - t0
      const browserCpu = chromiumCpuMs(profile) - cpu0
      cpuTimes[cache].push(browserCpu)
      const cpu = Math.round((await taskSeconds()) * 1000 - busy0 * 1000)
      busy[cache].push(cpu)
      // Where the time went: when each script and API call started and ended, in ms from navigation.
      const timeline = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming
        const rows = performance
          .getEntriesByType('resource')
          .map((e) => `${e.name.replace(location.origin, '')} ${Math.round(e.startTime)}–${Math.round((e as PerformanceResourceTiming).responseEnd)}`)
        return [`html ${Math.round(nav.responseEnd)}`, ...rows, `shown ${Math.round(performance.now())}`].join(', ')
      })
      times[cache].push(elapsed)
      console.log(`${name} (${cache} cache, ${TASKS} tasks): ${elapsed} ms, main thread busy ${cpu} ms, Chromium CPU ${browserCpu} ms`)
      if (process.env.TIMELINE) console.log(`  ${timeline}`)
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    if (RUNS > 1)
      console.log(
        `${name}: median of ${RUNS}: cold ${median(times.cold)} ms, warm ${median(times.warm)} ms; main thread busy cold ${median(busy.cold)} ms, warm ${median(busy.warm)} ms; Chromium CPU cold ${median(cpuTimes.cold)} ms, warm ${median(cpuTimes.warm)} ms (load average ${loadavg()[0]!.toFixed(1)})`,
      )
  }
  await context.close()
} finally {
  await server.stop()
  await rm(dataDir, { recursive: true, force: true })
  await rm(profile, { recursive: true, force: true })
}
