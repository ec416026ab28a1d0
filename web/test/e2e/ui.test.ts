/**
 * End to end: Debian's Chromium (playwright-core) against a real `taskyard serve` child process
 * with its own data directory, serving the built UI. Real processes run the tasks.
 * TASKYARD_SCREENSHOTS=1 also rewrites docs/screenshots/ (npm run screenshots).
 */
import assert from 'node:assert/strict'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import yazl from 'yazl'
import { startCliServer, type CliServer } from '../../../server/test/helpers/cli-server.ts'
import { buildWheel } from '../../../server/test/helpers/wheels.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const CHROMIUM = '/usr/bin/chromium'
const PASSWORD = 'e2e-admin-password'
const SHOTS = process.env.TASKYARD_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/screenshots') : null
const PAUSED_STATES = ['T', 'D']
const XSS_NAME = '<img src=x onerror="window.__xss=1">'

let server: CliServer | undefined
let url = ''
let dataDir = ''
let profileDir = ''
/** Wheels pip installs from, offline (PyPI is not reachable here). */
let wheelDir = ''
let context: BrowserContext
let page: Page
let bearer = ''
const dialogs: string[] = []

async function startServer(): Promise<void> {
  server = await startCliServer({
    dataDir,
    env: {
      ...process.env,
      TASKYARD_LOG_LEVEL: 'warn',
      TASKYARD_SAMPLE_INTERVAL_MS: '100',
      TASKYARD_ADMIN_PASSWORD: PASSWORD,
      // Environment builds install from local wheels only.
      PIP_NO_INDEX: '1',
      PIP_FIND_LINKS: wheelDir,
      PIP_CONFIG_FILE: '/dev/null',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
    },
  })
  url = server.url
}

async function apiJson(p: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(url + p, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${bearer}` } })
  return { status: res.status, body: await res.json() }
}

function makeZip(file: string, entries: Record<string, string>): Promise<void> {
  const zip = new yazl.ZipFile()
  for (const [name, content] of Object.entries(entries)) zip.addBuffer(Buffer.from(content), name)
  zip.end()
  return new Promise((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(file)).on('close', resolve).on('error', reject)
  })
}

function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null
  } catch {
    return null
  }
}

async function shot(name: string): Promise<void> {
  if (!SHOTS) return
  // Let charts and fonts settle: a screenshot is a picture, not an assertion.
  await page.waitForLoadState('networkidle').catch(() => undefined)
  await page.waitForTimeout(1200) // ECharts' entry animation
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) })
}

/** The highest `tick N` the log view shows. */
async function lastTick(): Promise<number> {
  const text = await page.getByTestId('log-view').innerText()
  const ticks = [...text.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]))
  return ticks.length ? Math.max(...ticks) : -1
}

async function waitForTickAbove(n: number): Promise<number> {
  await page.waitForFunction(
    (min) => {
      const text = document.querySelector('[data-testid="log-view"]')?.textContent ?? ''
      return [...text.matchAll(/tick (\d+)/g)].some((m) => Number(m[1]) > min)
    },
    n,
    { timeout: 30_000 },
  )
  return lastTick()
}

describe('the web UI in a real browser (issue 11)', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` }, () => {
  let taskId = 0

  before(async () => {
    assert.ok(existsSync(path.join(ROOT, 'web/dist/index.html')), 'build the UI first (npm run build)')
    dataDir = await mkdtemp(path.join(tmpdir(), 'taskyard-e2e-ui-'))
    profileDir = await mkdtemp(path.join(tmpdir(), 'taskyard-e2e-chromium-'))
    if (SHOTS) await mkdir(SHOTS, { recursive: true })
    // Readable by the run account the builds run as.
    wheelDir = await mkdtemp(path.join(tmpdir(), 'taskyard-e2e-wheels-'))
    await chmod(wheelDir, 0o755)
    await buildWheel(wheelDir, { name: 'tyb-uipkg', version: '1.2' })
    await startServer()
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    })
    bearer = ((await login.json()) as { token: string }).token
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
    page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
  })

  after(async () => {
    await context?.close()
    if (server) {
      await server.stop()
    }
    await rm(dataDir, { recursive: true, force: true })
    await rm(profileDir, { recursive: true, force: true })
    if (wheelDir) await rm(wheelDir, { recursive: true, force: true })
  })

  it('sends an anonymous visitor to the login page, refuses a wrong password, then signs in', async () => {
    await page.goto(url + '/tasks')
    await page.waitForURL(/\/login\?next=%2Ftasks/)
    await shot('en-login')
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password').fill('wrong-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    assert.match(await page.getByTestId('login-error').innerText(), /Invalid username or password/)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(url + '/tasks')
    await page.getByText('No tasks yet').waitFor()
  })

  it('creates a task from a dropped ZIP and shows its log live, ANSI coloured, with every user text as text', async () => {
    // A cron task too, for the dashboard's next runs.
    const cron = new FormData()
    cron.set('script_file', new Blob(['print("report")\n']), 'report.py')
    for (const [k, v] of Object.entries({ task_name: 'nightly-report', conda_env: 'base', cron_expression: '0 2 * * *' })) cron.set(k, v)
    assert.equal((await apiJson('/api/tasks', { method: 'POST', body: cron })).status, 201)

    const zipPath = path.join(dataDir, 'job.zip')
    await makeZip(zipPath, {
      'main.py': [
        'import time',
        'print("<script>window.__xss=2</script><img src=y onerror=\\"window.__xss=3\\">", flush=True)',
        'print("\\x1b[31mred alert\\x1b[0m \\x1b]8;;javascript:window.__xss=4\\x1b\\\\click me\\x1b]8;;\\x1b\\\\", flush=True)',
        'i = 0',
        'while True:',
        '    print(f"tick {i}", flush=True)',
        '    i += 1',
        '    time.sleep(0.2)',
        '',
      ].join('\n'),
      'lib/helper.py': 'X = 1\n',
    })
    await page.getByRole('button', { name: 'New task' }).click()
    await page.waitForURL(url + '/tasks/new')
    await page.getByLabel('Task name').fill(XSS_NAME)
    await page.locator('input[type=file]').setInputFiles(zipPath)
    await page.getByText('job.zip').waitFor()
    await page.getByLabel('Command').fill('python -u main.py')
    await page.getByTestId('create-submit').click()
    await page.waitForURL(/\/tasks\/\d+$/)
    taskId = Number(/\/tasks\/(\d+)$/.exec(page.url())![1])
    assert.equal(await page.getByTestId('task-title').innerText(), XSS_NAME)
    const first = await waitForTickAbove(1)
    assert.ok(first >= 2)
    // Live: more ticks arrive without a reload.
    await waitForTickAbove(first)

    const logText = await page.getByTestId('log-view').innerText()
    assert.ok(logText.includes('<script>window.__xss=2</script><img src=y onerror="window.__xss=3">'), 'the HTML line is shown as text')
    assert.ok(logText.includes('red alert click me'), 'OSC-8 link text kept, link removed')
    const red = page.locator('[data-testid="log-view"] span', { hasText: 'red alert' })
    assert.equal(await red.evaluate((el) => getComputedStyle(el).color), 'rgb(187, 0, 0)')
    assert.equal(await page.locator('[data-testid="log-view"] a, img[src="x"], img[src="y"], [data-testid="log-view"] script').count(), 0)
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined)
    await shot('en-task-detail')
  })

  it('keeps the page still while the log streams: nothing around the log moves or resizes', async () => {
    // Where the title, the actions, the log box and the history are, and how big the page is.
    const layout = () =>
      page.evaluate(() => {
        const box = (id: string) => {
          const r = document.querySelector(`[data-testid="${id}"]`)?.getBoundingClientRect()
          return r ? [r.x, r.y, r.width, r.height].map(Math.round) : null
        }
        const doc = document.documentElement
        return JSON.stringify({
          title: box('task-title'),
          pause: box('action-pause'),
          log: box('log-view'),
          history: box('history'),
          page: [doc.scrollWidth, doc.scrollHeight, Math.round(doc.scrollTop)],
        })
      })
    let tick = await waitForTickAbove(await lastTick())
    const before = await layout()
    assert.ok(!before.includes('null'), before)
    for (let i = 0; i < 5; i++) {
      tick = await waitForTickAbove(tick)
      assert.equal(await layout(), before, `after tick ${tick}`)
    }
  })

  it('pauses the run (every process of it stopped or frozen in /proc, no CPU) and resumes it (its output continues)', async () => {
    const procs = (await apiJson('/api/system/processes')).body.processes as { pid: number; pgid: number; task_id: number }[]
    const leader = procs.find((p) => p.task_id === taskId && p.pid === p.pgid)
    assert.ok(leader, JSON.stringify(procs))
    assert.ok(!PAUSED_STATES.includes(procState(leader.pid) ?? ''))

    await page.getByTestId('action-pause').getByRole('button').click()
    await page.getByRole('button', { name: 'Yes' }).click()
    await page.getByText('Task paused successfully').waitFor()
    await page.locator('.ant-tag', { hasText: 'Paused' }).first().waitFor()
    // SIGSTOP shows T; a frozen cgroup (the executor's first choice) shows D. Either way, no CPU
    // over the route's 250 ms window.
    assert.ok(PAUSED_STATES.includes(procState(leader.pid) ?? ''), String(procState(leader.pid)))
    const python = (await apiJson('/api/system/processes')).body.processes.filter((p: { task_id: number }) => p.task_id === taskId)
    assert.ok(
      python.length >= 1 && python.every((p: { state: string; cpu_percent: number }) => PAUSED_STATES.includes(p.state) && p.cpu_percent === 0),
      JSON.stringify(python),
    )
    // Pause applies the rule: Resume enabled, Pause disabled with its reason.
    assert.equal(await page.getByTestId('action-resume').getByRole('button').isDisabled(), false)
    assert.equal(await page.getByTestId('action-pause').getByRole('button').isDisabled(), true)
    const pausedAt = await lastTick()

    await page.getByTestId('action-resume').getByRole('button').click()
    await page.getByText('Task resumed successfully').waitFor()
    await waitForTickAbove(pausedAt)
  })

  it('stops it; the buttons that no longer apply are disabled and say why; the run is in history and the charts', async () => {
    await page.getByTestId('action-stop').getByRole('button').click()
    await page.getByRole('button', { name: 'Yes' }).click()
    await page.getByText('Task stopped successfully').waitFor()
    await page.locator('.ant-tag', { hasText: 'Stopped' }).first().waitFor()
    await page.locator('[data-testid="log-state"][data-state="complete"]').waitFor()
    const history = page.getByTestId('history')
    await history.locator('.ant-tag', { hasText: 'Cancelled' }).waitFor()
    assert.equal(await page.getByTestId('chart-placeholder').count(), 0)
    await page.locator('[data-testid="chart"] canvas').first().waitFor()
    assert.equal(await page.locator('[data-testid="chart"]').count(), 2)

    const pause = page.getByTestId('action-pause')
    assert.equal(await pause.getByRole('button').isDisabled(), true)
    assert.equal(await pause.getAttribute('data-why'), 'Unavailable: the task is Stopped.')
    await pause.hover()
    await page
      .getByRole('tooltip')
      .filter({ hasText: 'Suspends the running process (or the schedule) until resumed. Unavailable: the task is Stopped.' })
      .waitFor()
    assert.equal(await page.getByTestId('action-trigger').getByRole('button').isDisabled(), false)
    await shot('en-task-stopped')

    // Edit: the server's refusal appears at the field it concerns, and nothing changes.
    await page.getByTestId('action-edit').getByRole('button').click()
    const dialog = page.getByRole('dialog')
    await dialog.getByText('On a cron schedule').click()
    await dialog.getByLabel('Cron expression (minute hour day month weekday)').fill('61 * * * *')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.locator('.ant-form-item-explain-error', { hasText: 'The provided cron expression is invalid' }).waitFor()
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    assert.equal((await apiJson(`/api/tasks/${taskId}`)).body.task.cron_expression, null)
  })

  it('edits the script online in the file tree editor, saves it through update-script and runs it again', async () => {
    await page.getByTestId('open-files').click()
    await page.waitForURL(`${url}/tasks/${taskId}/files`)
    assert.equal(await page.getByTestId('editor-task-name').innerText(), XSS_NAME)
    await page.getByTestId('file-node').filter({ hasText: 'helper.py' }).waitFor()
    const save = page.getByTestId('save-script')
    assert.equal(await save.getAttribute('data-why'), 'Unavailable: nothing has been edited yet.')
    await page.getByTestId('file-node').filter({ hasText: 'main.py' }).click()
    await page.locator('.cm-content').filter({ hasText: 'while True:' }).waitFor()
    await page.locator('.cm-content').click()
    await page.keyboard.press('Control+A')
    await page.keyboard.insertText('print("edited online <b>x</b>", flush=True)\n')
    await page.getByTestId('file-node').filter({ hasText: 'main.py •' }).waitFor()
    await shot('en-script-editor')
    await save.getByRole('button').click()
    await page.getByText('Task script updated successfully').waitFor()
    const files = (await apiJson(`/api/tasks/${taskId}/files`)).body.files.map((f: { path: string }) => f.path)
    assert.deepEqual(files, ['lib', 'lib/helper.py', 'main.py'])
    assert.equal((await apiJson(`/api/tasks/${taskId}/files/content?path=main.py`)).body.content, 'print("edited online <b>x</b>", flush=True)\n')
    await page.goto(`${url}/tasks/${taskId}`)
    await page.getByTestId('action-trigger').getByRole('button').click()
    await page.getByText('Task triggered successfully').waitFor()
    await page.getByTestId('log-view').filter({ hasText: 'edited online <b>x</b>' }).waitFor({ timeout: 60_000 })
    await page.getByTestId('history').locator('.ant-tag', { hasText: 'Completed' }).waitFor({ timeout: 60_000 })
  })

  it('lists, searches and filters tasks; names stay text', async () => {
    await page.goto(url + '/tasks')
    await page.getByTestId('task-link').first().waitFor()
    assert.equal(await page.getByTestId('task-link').count(), 2)
    await page.getByLabel('Search by name').fill('nightly')
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-link"]').length === 1)
    assert.equal(await page.getByTestId('task-link').innerText(), 'nightly-report')
    await page.getByLabel('Search by name').fill('')
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-link"]').length === 2)
    assert.ok((await page.getByTestId('task-link').allInnerTexts()).includes(XSS_NAME))
    await shot('en-tasks')
    await page.goto(url + '/')
    await page.getByText('Next 10 runs').waitFor()
    await page.getByText('nightly-report').first().waitFor()
    await shot('en-dashboard')
    await page.goto(url + '/system')
    await page.getByTestId('cpu').waitFor()
    await shot('en-system')
    await page.goto(url + '/tasks/new')
    await page.getByText('On a cron schedule').click()
    await page.getByLabel('Cron expression (minute hour day month weekday)').fill('30 9 * * 1-5')
    await page.getByTestId('cron-reading').filter({ hasText: 'At 09:30, Monday through Friday' }).waitFor()
    assert.equal(await page.locator('[data-testid="cron-preview"] .ant-list-item').count(), 5)
    await shot('en-new-task')
  })

  it("is usable by keyboard alone: search, reach a row's disabled action and its reason, open the task", async () => {
    await page.goto(url + '/tasks')
    await page.getByTestId('task-link').first().waitFor()
    await page.getByLabel('Search by name').focus()
    await page.keyboard.type('nightly')
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="task-link"]').length === 1)
    /** Presses Tab until the focused element matches, within a bound (the filters and checkboxes come first). */
    const tabTo = async (selector: string) => {
      for (let i = 0; i < 40; i++) {
        if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return
        await page.keyboard.press('Tab')
      }
      assert.fail(`Tab never reached ${selector}`)
    }
    await tabTo('[data-testid="task-link"]')
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'nightly-report')
    // A scheduled task cannot be resumed: its button is disabled, its wrapper takes the focus and
    // the tooltip says why.
    await tabTo('tbody [data-testid="action-resume"]')
    const resume = page.locator('tbody [data-testid="action-resume"]')
    assert.equal(await resume.getAttribute('data-tooltip'), 'open')
    const why = await resume.getAttribute('data-why')
    assert.ok(why)
    await page.locator('.ant-tooltip', { hasText: why }).waitFor()
    // Back to the link; Enter opens the task.
    await page.getByTestId('task-link').focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/tasks\/\d+$/)
    assert.equal(await page.getByTestId('task-title').innerText(), 'nightly-report')
  })

  it('reads at 390 px and at 1280 px: no page scrolls sideways, and the task list keeps its actions in view', async () => {
    const ready: [string, () => Promise<unknown>][] = [
      ['/', () => page.locator('[data-testid="chart"] canvas').first().waitFor()],
      ['/tasks', () => page.getByTestId('task-link').first().waitFor()],
      [`/tasks/${taskId}`, () => page.getByTestId('history').waitFor()],
      ['/tasks/new', () => page.getByLabel('Task name').waitFor()],
      ['/environments', () => page.getByTestId('env-link').first().waitFor()],
      ['/system', () => page.getByTestId('cpu').waitFor()],
      ['/queue', () => page.getByTestId('queue-table').waitFor()],
    ]
    try {
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 844 })
        for (const [p, shown] of ready) {
          await page.goto(url + p)
          await shown()
          // Measured once the page has settled: a table still measuring its columns may be wider for a frame.
          const measure = () =>
            page.evaluate(() => {
              const limit = document.documentElement.clientWidth
              // The innermost elements that reach past the window, for the failure message.
              const past = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > limit + 0.5)
              const innermost = past.filter((e) => !past.some((o) => o !== e && e.contains(o)))
              const name = (e: Element) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}(${Math.round(e.getBoundingClientRect().right)})`
              return { sideways: document.documentElement.scrollWidth - limit, widest: innermost.slice(0, 5).map(name).join(', ') }
            })
          let { sideways, widest } = await measure()
          for (let tries = 0; sideways !== 0 && tries < 30; tries++) {
            await page.waitForTimeout(100)
            ;({ sideways, widest } = await measure())
          }
          assert.equal(sideways, 0, `${p} at ${width} px scrolls sideways by ${sideways} px: ${widest}`)
        }
        await page.goto(url + '/tasks')
        await page.getByTestId('task-link').first().waitFor()
        // The actions column is sticky: its last button is inside the window without scrolling.
        const box = await page.locator('tbody [data-testid="action-delete"]').first().boundingBox()
        assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${JSON.stringify(box)} at ${width} px`)
        if (width === 390) await shot('en-tasks-390px')
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 })
    }
  })

  it("runs a bulk action on the selected tasks and lists the server's answer for each", async () => {
    await page.goto(url + '/tasks')
    await page.getByTestId('task-link').first().waitFor()
    const pauseAll = page.getByTestId('bulk-pause')
    assert.equal(await pauseAll.getAttribute('data-why'), 'Unavailable: select tasks first.')
    await page.locator('.ant-table-thead .ant-checkbox-input').check()
    await page.getByText('2 selected').waitFor()
    await pauseAll.getByRole('button').click()
    const results = page.getByTestId('bulk-results')
    await results.getByText('Task paused successfully').waitFor()
    await results.getByText("Task cannot be paused: Cannot pause a task with status: 'completed'").waitFor()
    assert.deepEqual((await results.getByTestId('bulk-result').locator('strong').allInnerTexts()).sort(), [XSS_NAME, 'nightly-report'].sort())
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click()
    await page.locator('.ant-table-thead .ant-checkbox-input').check()
    await page.getByTestId('bulk-resume').getByRole('button').click()
    await results.getByText('Task resumed successfully').waitFor()
    await results.getByText("Task is not paused: Cannot resume a task with status: 'completed'").waitFor()
    await page.getByRole('dialog').getByRole('button', { name: 'OK' }).click()
    assert.equal((await apiJson('/api/tasks')).body.find((x: { task_name: string }) => x.task_name === 'nightly-report').status, 'scheduled')
  })

  it('manages environments: stats and charts, create, rename, delete; base is protected and says why', async () => {
    await page.goto(url + '/environments')
    await page.getByTestId('env-link').filter({ hasText: 'base' }).waitFor()
    await page.locator('[data-testid="chart"] canvas').first().waitFor()
    const baseRow = page.locator('tr', { has: page.getByTestId('env-link').filter({ hasText: /^base$/ }) })
    assert.equal(await baseRow.getByTestId('env-delete').getAttribute('data-why'), 'Unavailable: the base environment is never renamed or deleted.')
    await page.getByTestId('env-create').getByRole('button').click()
    const form = page.getByTestId('create-env-form')
    await form.getByLabel('Name').fill('e2e-env')
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click()
    await page.getByText('Environment created successfully').waitFor({ timeout: 120_000 })
    await page.getByTestId('env-link').filter({ hasText: 'e2e-env' }).click()
    await page.getByTestId('env-title').filter({ hasText: 'e2e-env' }).waitFor()
    assert.equal(await page.getByTestId('env-remove').getAttribute('data-why'), 'Unavailable: select the packages to remove first.')
    // Its creation's build log is shown, ended.
    await page.locator('[data-testid="build-state"][data-state="ok"]').filter({ hasText: 'Create' }).waitFor({ timeout: 60_000 })

    // Install through the page: the build's log (pip's own lines) shows, then the package is listed.
    await page.getByTestId('install-input').fill('tyb-uipkg')
    await page.getByTestId('env-install').getByRole('button').click()
    await page.getByText('Packages installed successfully').waitFor({ timeout: 120_000 })
    await page.locator('[data-testid="build-state"][data-state="ok"]').filter({ hasText: 'Install' }).waitFor()
    await page
      .getByTestId('log-view')
      .filter({ hasText: /Successfully installed tyb-uipkg-1\.2/ })
      .waitFor()
    const pkgRow = page.getByRole('row', { name: /tyb-uipkg/ })
    await pkgRow.getByText('1.2', { exact: true }).waitFor()
    await page.mouse.move(0, 0)
    await page.getByTestId('install-input').blur()
    await page.getByTestId('build-state').scrollIntoViewIfNeeded()
    await shot('en-environment-detail')

    // A package pip cannot find: the build fails, its error is shown, nothing changes.
    await page.getByTestId('install-input').fill('tyb-nowhere')
    await page.getByTestId('env-install').getByRole('button').click()
    await page.locator('[data-testid="build-state"][data-state="failed"]').waitFor({ timeout: 120_000 })
    await page
      .getByTestId('build-error')
      .filter({ hasText: /tyb-nowhere/ })
      .waitFor()
    await page
      .getByTestId('log-view')
      .filter({ hasText: /tyb-nowhere/ })
      .waitFor()
    await pkgRow.waitFor()

    // Remove it: select, remove; the uninstall is the newest build and the package is gone.
    await pkgRow.getByRole('checkbox').check()
    await page.getByTestId('env-remove').getByRole('button').click()
    await page.getByText('Packages removed successfully').waitFor({ timeout: 120_000 })
    await page.locator('[data-testid="build-state"][data-state="ok"]').filter({ hasText: 'Remove packages' }).waitFor()
    await pkgRow.waitFor({ state: 'detached' })
    const detail = (await apiJson('/api/conda/environment/e2e-env')).body
    assert.ok(!detail.packages.some((p: { name: string }) => p.name === 'tyb-uipkg'), JSON.stringify(detail.packages))
    await page.getByTestId('env-rename').getByRole('button').click()
    await page.getByTestId('rename-env-input').fill('e2e-renamed')
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click()
    await page.getByText('Environment renamed successfully').waitFor()
    await page.waitForURL(`${url}/environments/e2e-renamed`)
    await page.getByTestId('env-delete').getByRole('button').click()
    await page.getByRole('button', { name: 'Yes' }).click()
    await page.waitForURL(`${url}/environments`)
    await page.getByText('Environment e2e-renamed deleted').waitFor()
    assert.equal((await apiJson('/api/conda/environment/e2e-renamed')).status, 404)
    await shot('en-environments')
  })

  it('switches to Chinese, shows the pages in Chinese and remembers the choice', async () => {
    await page.goto(url + '/tasks')
    await page.getByTestId('language-switch').click()
    await page.getByTitle('简体中文').click()
    await page.locator('.ant-menu').getByText('任务', { exact: true }).waitFor()
    await page.getByText('按名称搜索').or(page.getByPlaceholder('按名称搜索')).first().waitFor()
    await page.reload()
    await page.locator('.ant-menu').getByText('仪表盘', { exact: true }).waitFor()
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN')
    await shot('zh-CN-tasks')
    await page.goto(`${url}/tasks/${taskId}`)
    await page.getByText('最近一次运行日志').waitFor()
    await page.getByText('运行历史').waitFor()
    await shot('zh-CN-task-detail')
    await page.goto(url + '/')
    await page.getByText('接下来 10 次运行').waitFor()
    await shot('zh-CN-dashboard')
    await page.goto(url + '/system')
    await page.getByText('运行中任务的进程').waitFor()
    await shot('zh-CN-system')
    await page.goto(`${url}/tasks/${taskId}/files`)
    await page.getByText('脚本编辑器').first().waitFor()
    await page.getByTestId('file-node').filter({ hasText: 'main.py' }).click()
    await page.locator('.cm-content').first().waitFor()
    await shot('zh-CN-script-editor')
    await page.goto(url + '/environments')
    await page.getByText('各环境的任务占比').waitFor()
    await shot('zh-CN-environments')
    await page.goto(url + '/environments/base')
    await page.getByTestId('env-title').filter({ hasText: 'base' }).waitFor()
    await shot('zh-CN-environment-detail')
    await page.goto(url + '/tasks/new')
    await page.getByText('按 Cron 计划').click()
    await page.getByLabel('Cron 表达式（分 时 日 月 周）').fill('30 9 * * 1-5')
    await page
      .getByTestId('cron-reading')
      .filter({ hasText: /09:30/ })
      .filter({ hasText: /星期一/ })
      .waitFor()
    await shot('zh-CN-new-task')
    await page.getByTestId('user-menu').click()
    await page.getByText('退出登录').click()
    await page.waitForURL(/\/login/)
    await page.getByText('登录 Taskyard').waitFor()
    await shot('zh-CN-login')
    await page.getByLabel('用户名').fill('admin')
    await page.getByLabel('密码').fill(PASSWORD)
    await page.getByRole('button', { name: /^登\s?录$/ }).click()
    await page.locator('.ant-menu').getByText('仪表盘', { exact: true }).waitFor()
  })

  it('deletes the task from its page; nothing injected on the way', async () => {
    await page.goto(`${url}/tasks/${taskId}`)
    await page.getByTestId('action-delete').getByRole('button').click()
    await page.getByRole('button', { name: '是', exact: true }).click()
    await page.waitForURL(url + '/tasks')
    await page.getByText('Task deleted successfully').waitFor()
    await page.getByTestId('task-link').first().waitFor()
    assert.deepEqual(await page.getByTestId('task-link').allInnerTexts(), ['nightly-report'])
    assert.equal((await apiJson(`/api/tasks/${taskId}`)).status, 404)
    assert.deepEqual(dialogs, [])
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined)
  })

  it('changes the own password from the user menu: a wrong current one is refused, then the session lives on', async () => {
    await page.getByTestId('user-menu').click()
    await page.getByText('修改密码').click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('当前密码').fill('not-the-password')
    await dialog.getByLabel('新密码', { exact: true }).fill('a-brand-new-password')
    await dialog.getByLabel('再次输入新密码').fill('a-brand-new-password')
    await dialog.getByRole('button', { name: /^保\s?存$/ }).click()
    await dialog.getByText('Current password is incorrect: The current password does not match').waitFor()
    await dialog.getByLabel('当前密码').fill(PASSWORD)
    await dialog.getByRole('button', { name: /^保\s?存$/ }).click()
    await page.getByText('密码已修改。您的其他会话和 API 令牌已失效。').waitFor()
    // The old JWT is dead; this page's renewed cookie still works.
    assert.equal((await apiJson('/api/auth/me')).status, 401)
    await page.goto(url + '/tasks')
    await page.getByTestId('task-link').first().waitFor()
    assert.equal(new URL(page.url()).pathname, '/tasks')
  })
})
