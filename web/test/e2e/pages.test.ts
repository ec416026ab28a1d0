/**
 * End to end, the queue, run, schedules, servers and settings pages (issue 11): Debian's Chromium
 * against a real `taskyard serve` child with its own data directory, real task processes and a
 * real OpenSSH server. TASKYARD_SCREENSHOTS=1 also rewrites their docs/screenshots/.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { startCliServer, type CliServer } from '../../../server/test/helpers/cli-server.ts'
import { sshdSkipReason, startTestSshServer, type TestSshServer } from '../../../server/test/helpers/ssh-server.ts'
import { testPgUrl, withPgClient } from '../../../server/test/helpers/test-dialects.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const CHROMIUM = '/usr/bin/chromium'
const PASSWORD = 'e2e-admin-password'
const SHOTS = process.env.TASKYARD_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/screenshots') : null

let server: CliServer | undefined
let ssh: TestSshServer | undefined
let url = ''
let dataDir = ''
let profileDir = ''
let context: BrowserContext
let page: Page
let bearer = ''
/** With TASKYARD_TEST_PG_URL the server runs on a PostgreSQL database of its own, dropped after. */
const PG_ADMIN_URL = testPgUrl()
const PG_DATABASE = `taskyard_e2e_${randomBytes(6).toString('hex')}`

async function apiJson(p: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url + p, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${bearer}` } })
  return { status: res.status, body: await res.json() }
}

async function postJson(p: string, body: unknown): Promise<{ status: number; body: any }> {
  return apiJson(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

/** Creates a task from one script file (spec 000 multipart), answering its id. */
async function createTask(name: string, script: string, fields: Record<string, string> = {}): Promise<number> {
  const form = new FormData()
  form.set('script_file', new Blob([script]), 'main.py')
  form.set('task_name', name)
  form.set('conda_env', 'base')
  for (const [k, v] of Object.entries(fields)) form.set(k, v)
  const res = await apiJson('/api/tasks', { method: 'POST', body: form })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.task.task_id as number
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

async function shot(name: string): Promise<void> {
  if (!SHOTS) return
  // No tooltip in the picture: nothing hovered, nothing focused.
  await page.mouse.move(0, 0)
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.waitForLoadState('networkidle').catch(() => undefined)
  await page.waitForTimeout(800)
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) })
}

const LOOP = 'import time\nwhile True:\n    print("busy", flush=True)\n    time.sleep(0.5)\n'
const ECHO = [
  'import os, sys',
  'print("ready", flush=True)',
  'for line in sys.stdin:',
  '    print("got " + line.strip(), flush=True)',
  'with open(os.path.join(os.environ["TASKYARD_OUTPUT_DIR"], "result.txt"), "w") as f:',
  '    f.write("done\\n")',
  'print("eof seen", flush=True)',
  '',
].join('\n')

describe(
  'the queue, run, schedules, servers and settings pages in a real browser (issue 11)',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` },
  () => {
    let blocker = 0
    let echo = 0

    before(async () => {
      assert.ok(existsSync(path.join(ROOT, 'web/dist/index.html')), 'build the UI first (npm run build -w web)')
      dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-e2e-pages-'))
      profileDir = await mkdtemp(path.join(tmpdir(), 'taskyard-e2e-chromium-'))
      if (SHOTS) await mkdir(SHOTS, { recursive: true })
      const env: NodeJS.ProcessEnv = { ...process.env, TASKYARD_LOG_LEVEL: 'warn', TASKYARD_ADMIN_PASSWORD: PASSWORD, TASKYARD_MAX_WORKERS: '4' }
      if (PG_ADMIN_URL) {
        await withPgClient(PG_ADMIN_URL, (c) => c.query(`CREATE DATABASE "${PG_DATABASE}"`))
        const db = new URL(PG_ADMIN_URL)
        db.pathname = `/${PG_DATABASE}`
        env.TASKYARD_DATABASE_URL = db.toString()
      }
      server = await startCliServer({ dataDir, env })
      url = server.url
      const login = await postJson('/api/auth/login', { username: 'admin', password: PASSWORD })
      bearer = login.body.token as string
      context = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
        viewport: { width: 1280, height: 800 },
        locale: 'en-US',
      })
      page = context.pages()[0] ?? (await context.newPage())
      page.setDefaultTimeout(20_000)
      await page.goto(url + '/login')
      await page.getByLabel('Username').fill('admin')
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.locator('.ant-menu').getByText('Queue', { exact: true }).waitFor()
    })

    after(async () => {
      await context?.close()
      await server?.stop()
      await ssh?.stop()
      if (PG_ADMIN_URL) await withPgClient(PG_ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${PG_DATABASE}" WITH (FORCE)`))
      await rm(dataDir, { recursive: true, force: true })
      await rm(profileDir, { recursive: true, force: true })
    })

    it('sets max_workers to 1 on the settings page', async () => {
      await page.goto(url + '/admin/settings')
      await page.getByTestId('settings-current').getByText('TASKYARD_MAX_WORKERS').first().waitFor()
      await page.getByTestId('settings-from-config').click()
      await page.getByRole('spinbutton').fill('1')
      await page.getByLabel('Refuse it').check()
      await page.getByLabel('Queue the run').check()
      await page.getByTestId('settings-save').getByRole('button').click()
      await page.locator('.ant-message').getByText(/./).first().waitFor()
      await until('max_workers 1', async () => (await apiJson('/api/settings')).body.settings.max_workers === 1)
      const s = (await apiJson('/api/settings')).body.settings
      assert.equal(s.max_workers_source, 'admin')
      assert.equal(s.when_busy, 'queue')
      await shot('en-settings')
    })

    it('shows the queued runs in start order; a priority change moves one first; cancel by type and cancel one', async () => {
      blocker = await createTask('blocker', LOOP)
      await until('blocker running', async () => (await apiJson(`/api/tasks/${blocker}`)).body.task.status === 'running')
      const scan = await createTask('scan-job', LOOP, { task_type: 'file_scan' })
      await createTask('other-job', LOOP, { task_type: 'report' })
      await page.goto(url + '/queue')
      await page.getByTestId('queue-task').filter({ hasText: 'other-job' }).waitFor()
      assert.deepEqual(await page.getByTestId('queue-task').allInnerTexts(), ['scan-job', 'other-job'])
      assert.match(await page.getByTestId('queue-running').innerText(), /1 \/ 1/)
      await shot('en-queue')

      // other-job to priority 0: it starts first now.
      await page
        .locator('tr', { has: page.getByTestId('queue-task').filter({ hasText: 'other-job' }) })
        .locator('.ant-select')
        .click()
      await page.locator('.ant-select-item-option[title="0"]').click()
      await page.getByText(/Task priority updated: \d+ -> 0/).waitFor()
      await page.waitForFunction(() => document.querySelector('[data-testid="queue-task"]')?.textContent === 'other-job')

      await page.getByTestId('cancel-type-input').fill('file_scan')
      await page.getByTestId('cancel-by-type').getByRole('button').click()
      await page.getByRole('button', { name: 'Yes' }).click()
      const result = page.getByTestId('cancel-result')
      await result.getByText('Cancelled 1, failed 0, of 1.').waitFor()
      const scanRuns = (await apiJson(`/api/tasks/${scan}/executions`)).body.executions as { status: string }[]
      assert.deepEqual(
        scanRuns.map((r) => r.status),
        ['cancelled'],
      )
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-task"]').length === 1)

      await page.getByTestId('queue-cancel').getByRole('button').click()
      await page.getByText('Nothing is queued.').waitFor()
      assert.equal((await apiJson('/api/queue')).body.total, 0)
      assert.equal(await page.getByTestId('cancel-all').getAttribute('data-why'), 'Unavailable: nothing is queued.')
    })

    it('shows the stop reason and who gave it in the run detail', async () => {
      assert.equal((await postJson(`/api/tasks/${blocker}/stop`, { reason: 'maintenance window' })).status, 200)
      await page.goto(`${url}/tasks/${blocker}`)
      await page.getByTestId('run-stop-reason').filter({ hasText: 'maintenance window (admin)' }).waitFor()
      assert.equal(await page.getByTestId('run-attempt').innerText(), '1')
      assert.equal(await page.getByTestId('run-send').getAttribute('data-why'), 'Unavailable: the task is not interactive (its runs read no input).')
    })

    it('sends input to an interactive run, then end-of-file; its result file downloads', async () => {
      // Created in the form, with the run policy fields that had no input before.
      await page.goto(url + '/tasks/new')
      await page.getByLabel('Task name').fill('echo-input')
      await page.getByRole('tab', { name: 'Write a script' }).click()
      await page.locator('.cm-content').click()
      await page.keyboard.press('Control+A')
      await page.keyboard.insertText(ECHO)
      await page.getByLabel('Timeout (seconds)').fill('600')
      await page.getByLabel('Task type').fill('echo_job')
      await page.getByLabel('Labels').fill('eu')
      await page.keyboard.press('Enter')
      await page.getByTestId('interactive-switch').click()
      await page.getByTestId('create-submit').click()
      await page.waitForURL(/\/tasks\/\d+$/)
      echo = Number(/\/tasks\/(\d+)$/.exec(page.url())![1])
      const created = (await apiJson(`/api/tasks/${echo}`)).body.task
      assert.deepEqual([created.interactive, created.timeout_seconds, created.task_type, created.labels], [true, 600, 'echo_job', ['eu']])
      await page.getByTestId('log-view').filter({ hasText: 'ready' }).waitFor({ timeout: 60_000 })
      await until('the send button enabled', async () => (await page.getByTestId('run-send').getAttribute('data-why')) === 'Unavailable: type some text first.')
      await page.getByTestId('run-input-text').fill('hello <b>there</b>')
      await page.getByTestId('run-input-text').press('Enter')
      await page.getByTestId('log-view').filter({ hasText: 'got hello <b>there</b>' }).waitFor()
      await page.getByTestId('run-input').scrollIntoViewIfNeeded()
      await shot('en-run-input')
      await page.getByTestId('run-eof').getByRole('button').click()
      await page.getByTestId('log-view').filter({ hasText: 'eof seen' }).waitFor()
      await page.getByTestId('history').locator('.ant-tag', { hasText: 'Completed' }).waitFor({ timeout: 60_000 })
      const link = page.getByTestId('artifact-download')
      await link.waitFor()
      const href = await link.getAttribute('href')
      assert.ok(href)
      const download = await page.request.get(url + href)
      assert.equal(download.status(), 200)
      assert.equal(await download.text(), 'done\n')
      await page.getByTestId('run-eof').and(page.locator('[data-why="Unavailable: the run is Completed."]')).waitFor()
    })

    it('lists the schedules with their reading, zone and history; the switch turns one off', async () => {
      const nightly = await createTask('nightly-report', 'print("report")\n', { cron_expression: '30 9 * * 1-5', time_zone: 'Europe/Berlin' })
      await page.goto(url + '/schedules')
      const row = page.locator('tr', { has: page.getByTestId('schedule-task').filter({ hasText: 'nightly-report' }) })
      await row.getByTestId('schedule-reading').filter({ hasText: 'At 09:30, Monday through Friday' }).waitFor()
      await row.getByText('Europe/Berlin').waitFor()
      await shot('en-schedules')
      await row.getByTestId('schedule-enabled').click()
      await until('schedule off', async () => (await apiJson(`/api/schedules/${nightly}`)).body.schedule.is_enabled === false)
      await row.locator('.ant-table-row-expand-icon').click()
      await page.getByText('No scheduled time has come yet.').waitFor()
    })

    it('registers a server, tests it, accepts its changed host key, runs a shell task on it, deletes it by force', { skip: sshdSkipReason() }, async () => {
      ssh = await startTestSshServer()
      await page.goto(url + '/servers')
      await page.getByText('No server registered.').waitFor()
      await page.getByTestId('server-create').getByRole('button').click()
      const form = page.getByTestId('server-form')
      await form.getByLabel('Name').fill('local-ssh')
      await form.getByLabel('Host').fill(ssh.host)
      await form.getByLabel('Port').fill(String(ssh.port))
      await form.getByLabel('SSH user').fill(ssh.username)
      await form.getByText('Private key', { exact: true }).click()
      await form.getByLabel('Private key (PEM / OpenSSH)').fill(ssh.key.privateKey)
      await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click()
      await page.getByTestId('server-name').filter({ hasText: 'local-ssh' }).waitFor()
      const listed = JSON.stringify((await apiJson('/api/servers')).body)
      assert.ok(!listed.includes('PRIVATE KEY'), 'the key is never answered back')

      await page.getByTestId('server-test').getByRole('button').click()
      const result = page.getByTestId('test-result')
      await result.getByText(ssh.hostKeyFingerprint()).waitFor({ timeout: 30_000 })
      await result.getByText('Pinned with this test').waitFor()
      await shot('en-servers')

      // Edit: the secret is not shown back; the form keeps it when left empty.
      await page.getByTestId('server-edit').getByRole('button').click()
      assert.equal(await page.getByTestId('server-form').getByLabel('Private key (PEM / OpenSSH)').inputValue(), '')
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()

      assert.equal(await page.getByTestId('server-accept-key').getAttribute('data-why'), 'Unavailable: the host offered no other key.')
      await ssh.replaceHostKey()
      await page.getByTestId('server-test').getByRole('button').click()
      await page.getByTestId('offered-key').filter({ hasText: ssh.hostKeyFingerprint() }).waitFor({ timeout: 30_000 })
      await page.getByTestId('server-accept-key').getByRole('button').click()
      await page.getByRole('dialog').getByRole('button', { name: 'Accept host key' }).click()
      await page.getByTestId('offered-key').waitFor({ state: 'detached' })
      await page.getByTestId('server-test').getByRole('button').click()
      await result.getByText('Matches the pinned key').waitFor({ timeout: 30_000 })

      await page.getByTestId('server-shell').getByRole('button').click()
      const shell = page.getByTestId('shell-form')
      await shell.getByLabel('Task name').fill('remote-echo')
      await shell.getByLabel('Shell command').fill('echo shell-ok-$((40+2))')
      await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click()
      await page.waitForURL(/\/tasks\/\d+$/)
      await page.getByTestId('log-view').filter({ hasText: 'shell-ok-42' }).waitFor({ timeout: 60_000 })

      await page.goto(url + '/servers')
      await page.getByTestId('server-delete').getByRole('button').click()
      await page.getByRole('button', { name: 'Yes' }).click()
      await page.getByRole('button', { name: 'Force delete' }).click()
      await page.getByText('No server registered.').waitFor()
      assert.deepEqual((await apiJson('/api/servers')).body.servers, [])
    })

    it('manages users: creates an operator, makes them a viewer, disables them (their session ends, sign-in refused), enables them; the audit log lists each change', async () => {
      const signIn = (password: string) =>
        fetch(url + '/api/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'ops-user', password }),
        })
      const findUser = async () =>
        ((await apiJson('/api/users')).body.users as { user_id: number; username: string; role: string; disabled: boolean }[]).find(
          (u) => u.username === 'ops-user',
        )
      await page.goto(url + '/admin/users')
      await page.getByRole('button', { name: 'New user' }).click()
      const dialog = page.getByRole('dialog')
      await dialog.getByLabel('Username').fill('ops-user')
      await dialog.getByLabel('Initial password').fill('ops-password-1')
      await dialog.getByRole('button', { name: 'Create' }).click()
      const row = page.getByRole('row', { name: /ops-user/ })
      await row.waitFor()
      const created = await until('the new user', findUser)
      assert.equal(created.role, 'operator')
      assert.equal(created.disabled, false)
      const login = await signIn('ops-password-1')
      assert.equal(login.status, 200)
      const theirToken = ((await login.json()) as { token: string }).token

      // Their role becomes viewer.
      await row.locator('.ant-select').click()
      await page.getByTitle('Viewer').click()
      await until('role viewer', async () => (await findUser())?.role === 'viewer')

      // The own row's disable is shown, disabled, saying why.
      const own = page.getByRole('row', { name: /admin/ }).first()
      assert.equal(await own.getByRole('button', { name: /^Disable\..*cannot disable or demote your own account/ }).isDisabled(), true)

      // Disabled: the session they had ends at once and a new sign-in is refused.
      await row.getByRole('button', { name: /^Disable\./ }).click()
      await until('disabled', async () => (await findUser())?.disabled === true)
      await row.getByText('Disabled', { exact: true }).waitFor()
      const me = await fetch(url + '/api/auth/me', { headers: { authorization: `Bearer ${theirToken}` } })
      assert.equal(me.status, 401)
      assert.equal((await signIn('ops-password-1')).status, 401)
      assert.equal(await row.getByRole('button', { name: /^Disable\./ }).isDisabled(), true)

      await row.getByRole('button', { name: /^Enable\./ }).click()
      await until('enabled', async () => (await findUser())?.disabled === false)
      assert.equal((await signIn('ops-password-1')).status, 200)
      await row.getByText('Active', { exact: true }).waitFor()
      await shot('en-users')

      // The audit log: the creation and the three changes, by admin, on that user; never the password.
      await page.goto(url + '/admin/audit')
      await page.getByRole('cell', { name: 'user.create' }).first().waitFor()
      const target = `user ${created.user_id}`
      const rows = page.getByRole('row').filter({ hasText: target })
      await until('four entries on the user', async () => (await rows.count()) >= 4)
      const texts = await rows.allInnerTexts()
      assert.ok(
        texts.some((t) => t.includes('user.create') && t.includes('admin')),
        texts.join('\n'),
      )
      assert.equal(texts.filter((t) => t.includes('user.update')).length, 3, texts.join('\n'))
      assert.ok(
        texts.some((t) => t.includes('"role":"viewer"')),
        texts.join('\n'),
      )
      assert.ok(!(await page.content()).includes('ops-password-1'))
      await shot('en-audit')
    })

    it("manages the own API tokens from the user menu: a new one's secret is shown once and works; revoked, it is refused and says so", async () => {
      await page.goto(url + '/tasks')
      await page.getByTestId('user-menu').click()
      await page.getByText('API tokens', { exact: true }).click()
      const dialog = page.getByRole('dialog')
      await dialog.getByText('No API tokens yet.').waitFor()
      await dialog.getByTestId('token-name').fill('ci-deploy')
      await dialog.getByTestId('token-create').click()
      const secret = (await dialog.getByTestId('token-secret').innerText()).trim()
      assert.ok(secret.length > 20, secret)
      const withToken = () => fetch(url + '/api/auth/me', { headers: { authorization: `Bearer ${secret}` } })
      const me = await withToken()
      assert.equal(me.status, 200)
      assert.equal(((await me.json()) as { user: { username: string } }).user.username, 'admin')
      const row = dialog.getByRole('row', { name: /ci-deploy/ })
      await row.waitFor()
      // The list shows its prefix, never the secret.
      assert.ok(!(await dialog.locator('table').innerText()).includes(secret))
      await row.getByTestId('token-revoke').getByRole('button').click()
      await page.getByRole('button', { name: 'Yes' }).click()
      await row.getByText('Revoked', { exact: true }).waitFor()
      assert.equal((await withToken()).status, 401)
      assert.match((await row.getByTestId('token-revoke').getAttribute('data-why')) ?? '', /^Unavailable: revoked at /)
      assert.equal(await row.getByTestId('token-revoke').getByRole('button').isDisabled(), true)
      await dialog.getByRole('button', { name: 'Close' }).last().click()
    })

    it('shows the new pages in Chinese', async () => {
      await page.goto(url + '/queue')
      await page.getByTestId('language-switch').click()
      await page.getByTitle('简体中文').click()
      await page.getByText('排队中的运行').waitFor()
      await shot('zh-CN-queue')
      await page.goto(url + '/schedules')
      await page.getByTestId('schedule-reading').filter({ hasText: /09:30/ }).waitFor()
      await shot('zh-CN-schedules')
      await page.goto(url + '/servers')
      await page.getByText('尚未注册服务器。').waitFor()
      await shot('zh-CN-servers')
      await page.goto(url + '/admin/settings')
      await page.getByText('所有槽位占满时').first().waitFor()
      await shot('zh-CN-settings')
      await page.goto(url + '/admin/users')
      await page
        .getByRole('row', { name: /ops-user/ })
        .getByText('只读用户')
        .waitFor()
      await shot('zh-CN-users')
      await page.goto(url + '/admin/audit')
      await page.getByText('审计日志').first().waitFor()
      await page.getByRole('cell', { name: 'user.create' }).first().waitFor()
      await shot('zh-CN-audit')
      await page.goto(`${url}/tasks/${echo}`)
      await page.getByText('结果文件（1）').waitFor()
      await page.getByTestId('run-panel').scrollIntoViewIfNeeded()
      await shot('zh-CN-run')
    })

    it('signs out from the user menu: the login page, and the pages ask for a sign-in again', async () => {
      await page.getByTestId('user-menu').click()
      await page.getByText('退出登录').click()
      await page.waitForURL(/\/login/)
      await page.goto(url + '/queue')
      await page.waitForURL(/\/login/)
      await page.getByRole('button', { name: /登\s?录/ }).waitFor()
    })
  },
)
