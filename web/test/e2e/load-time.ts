/**
 * How long the dashboard and the task list take to show with 1,000 tasks, in Debian's Chromium
 * over loopback (issue 11: first load under 1 s). A measurement, not a test:
 * `node web/test/e2e/load-time.ts` (build the UI first). Prints one line per page.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { startCliServer } from '../../../server/test/helpers/cli-server.ts'

const TASKS = Number(process.env.TASKS ?? 1000)
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
    console.log(`GET ${p}: ${Date.now() - t0} ms, ${size} bytes (load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`)
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
    for (const cache of ['cold', 'warm'] as const) {
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
      const t0 = Date.now()
      await page.goto(url + p)
      await ready()
      console.log(`${name} (${cache} cache, ${TASKS} tasks): ${Date.now() - t0} ms`)
    }
  }
  await context.close()
} finally {
  await server.stop()
  await rm(dataDir, { recursive: true, force: true })
  await rm(profile, { recursive: true, force: true })
}
