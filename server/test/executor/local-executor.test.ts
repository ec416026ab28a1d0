import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createLocalExecutor } from '../../src/executor/local/local-executor.ts'
import { describeExecutorContract } from './executor-contract.ts'
import { TEST_PATH } from './start-test-run.ts'

describeExecutorContract({ name: 'local', create: async (options) => createLocalExecutor(options) })

const LOCAL_EXECUTOR = fileURLToPath(new URL('../../src/executor/local/local-executor.ts', import.meta.url))
const NOBODY = 65534

describe('local executor: isolation for a server that is not root', { timeout: 60_000 }, () => {
  const skip = process.getuid?.() === 0 ? false : 'skipped: the tests must run as root to start a server as nobody'
  it(`hides the data directory through user namespaces, keeps the task directory writable${skip ? ` (${skip})` : ''}`, { skip }, async (t) => {
    // The "server" is a Node process running as nobody, owning its data directory, as an
    // unprivileged install would: without isolation its runs could read its secret.
    const data = fs.mkdtempSync('/tmp/taskyard-unprivileged-')
    t.after(() => fs.rmSync(data, { recursive: true, force: true }))
    const work = path.join(data, 'tasks', '1')
    fs.mkdirSync(work, { recursive: true })
    fs.writeFileSync(path.join(data, 'secret.key'), 'top secret\n', { mode: 0o600 })
    for (const p of [data, path.join(data, 'tasks'), work, path.join(data, 'secret.key')]) fs.chownSync(p, NOBODY, NOBODY)
    const log = path.join(data, 'run.log')
    // And the machine's /tmp is not the run's: a file left there is out of reach, its own /tmp is writable and empty but for the kept path.
    const leftover = fs.mkdtempSync('/tmp/taskyard-unprivileged-leftover-')
    t.after(() => fs.rmSync(leftover, { recursive: true, force: true }))
    fs.writeFileSync(path.join(leftover, 'left'), 'not yours\n', { mode: 0o644 })
    fs.chmodSync(leftover, 0o755)
    const command = [
      `cat ${data}/secret.key 2>/dev/null || echo hidden; echo w > ${work}/out && echo writable; id -u`,
      `cat ${leftover}/left 2>/dev/null || echo no-leftover; echo t > /tmp/mine && echo tmp-writable; ls -A /tmp; cd ..; ls`,
    ].join('; ')
    const script = `
      import { createLocalExecutor } from ${JSON.stringify(LOCAL_EXECUTOR)}
      import fs from 'node:fs'
      const executor = createLocalExecutor({ containment: 'none' })
      if (executor.isolation === null) { console.log(JSON.stringify({ isolation: null })); process.exit(0) }
      executor.start({ runId: 1, argv: ['sh', '-c', ${JSON.stringify(command)}], cwd: ${JSON.stringify(work)}, env: { PATH: ${JSON.stringify(TEST_PATH)} },
        outputPath: ${JSON.stringify(log)}, timeoutMs: 20000, killGraceMs: 1000, sampleIntervalMs: 1000,
        isolation: { hidden: [${JSON.stringify(data)}], writable: [${JSON.stringify(work)}], readOnly: [] } },
        (event) => { if (event.type === 'exited') console.log(JSON.stringify({ isolation: executor.isolation, exitCode: event.exitCode, log: fs.readFileSync(${JSON.stringify(log)}, 'utf8') })) })
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: '/',
      uid: NOBODY,
      gid: NOBODY,
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 30_000,
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    assert.equal(code, 0, stdout)
    const result = JSON.parse(stdout) as { isolation: string | null; exitCode?: number; log?: string }
    if (result.isolation === null) {
      t.skip('skipped: this kernel does not allow unprivileged user namespaces')
      return
    }
    assert.match(result.isolation, /unprivileged user namespaces/)
    assert.deepEqual(
      { exitCode: result.exitCode, log: result.log },
      {
        exitCode: 0,
        log: `hidden\nwritable\n${NOBODY}\nno-leftover\ntmp-writable\nmine\n${path.basename(data)}\n1\n`,
      },
    )
    assert.equal(fs.readFileSync(path.join(work, 'out'), 'utf8'), 'w\n')
  })
})

/**
 * The same contract through the launcher (launcher.ts), which starts only isolated runs that take
 * no input: every run here is given an isolation (an empty directory hidden) and no stdin pipe, so
 * every case but the input ones runs through a launched leader. The cases above, interactive by
 * default, keep the spawn path's.
 */
const launchable = createLocalExecutor({ containment: 'none' }).isolation?.includes('helper') ?? false
if (launchable) {
  const hidden = fs.mkdtempSync(path.join(os.tmpdir(), 'taskyard-launched-hidden-'))
  after(() => fs.rmSync(hidden, { recursive: true, force: true }))
  describeExecutorContract({
    name: 'local (launched: every run isolated, not interactive)',
    noInput: 'skipped: launched runs are not interactive',
    peakOverLimit:
      'skipped: a launched run reports started after its exec, so its first /proc sample can catch the command at its largest, shared library pages included, above the limit the cgroup enforces (1 in 3 to 5 here; to be fixed before the launcher is the default)',
    missingCommandExits:
      'skipped: an isolated run that cannot exec its command exits 127 with the reason in its log, as with the one-exec helper (launcher.test.ts)',
    create: async (options) => {
      const executor = createLocalExecutor({ ...options, launcher: true })
      return {
        ...executor,
        start: (spec, onEvent) =>
          executor.start({ ...spec, interactive: false, isolation: spec.isolation ?? { hidden: [hidden], writable: [spec.cwd], readOnly: [] } }, onEvent),
      }
    },
  })
} else describe('local (launched) executor (skipped: the Perl helper is not used here: needs root, Perl, x86-64 or arm64)', { skip: true }, () => {})
