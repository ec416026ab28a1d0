import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildRunSpec, type RunSpecInput } from '../../src/worker/build-run-spec.ts'

function input(overrides: Partial<RunSpecInput> = {}, settings: Partial<RunSpecInput['settings']> = {}): RunSpecInput {
  return {
    run: { id: 42 },
    task: { id: 7, command: 'python job.py', memoryLimitMb: null, maxLogMb: null },
    environment: { pathPrefix: ['/data/envs/base/bin'], env: { VIRTUAL_ENV: '/data/envs/base' } },
    account: null,
    dirs: { dataDir: '/data', taskDir: '/data/tasks/7', outputDir: '/data/outputs/7/42', logPath: '/data/logs/42.log', envsDir: '/data/envs' },
    settings: {
      baseEnv: { PATH: '/usr/bin:/bin', HOME: '/root', LANG: 'C.UTF-8', PIP_INDEX_URL: 'https://pypi.example/simple' },
      runTimeoutMs: null,
      killGraceMs: 5000,
      sampleIntervalMs: 1000,
      maxLogBytes: 1024 ** 3,
      isolate: false,
      ...settings,
    },
    ...overrides,
  }
}

describe('buildRunSpec', () => {
  it("as the server's own account: its HOME, the environment first on PATH, the run's ids and output folder, the server's log cap", () => {
    assert.deepEqual(buildRunSpec(input()), {
      runId: 42,
      argv: ['/bin/sh', '-c', 'python job.py'],
      cwd: '/data/tasks/7',
      env: {
        PATH: '/data/envs/base/bin:/usr/bin:/bin',
        HOME: '/root',
        LANG: 'C.UTF-8',
        PIP_INDEX_URL: 'https://pypi.example/simple',
        VIRTUAL_ENV: '/data/envs/base',
        PYTHONUNBUFFERED: '1',
        TASKYARD_TASK_ID: '7',
        TASKYARD_RUN_ID: '42',
        TASKYARD_OUTPUT_DIR: '/data/outputs/7/42',
      },
      outputPath: '/data/logs/42.log',
      timeoutMs: null,
      killGraceMs: 5000,
      sampleIntervalMs: 1000,
      runAs: null,
      memoryLimitBytes: null,
      maxOutputBytes: 1024 ** 3,
      isolation: null,
      interactive: false,
    })
  })

  it("without PATH or HOME in the server's environment: the environment before a minimal PATH, the task directory as HOME", () => {
    const spec = buildRunSpec(input({}, { baseEnv: { LANG: 'C.UTF-8' } }))
    assert.equal(spec.env.PATH, '/data/envs/base/bin:/usr/local/bin:/usr/bin:/bin')
    assert.equal(spec.env.HOME, '/data/tasks/7')
  })

  it('as another account: its ids, the task directory as HOME, USER and LOGNAME its name', () => {
    const spec = buildRunSpec(input({ account: { name: 'taskyard-run', uid: 999, gid: 995 } }))
    assert.deepEqual(spec.runAs, { uid: 999, gid: 995 })
    assert.equal(spec.env.HOME, '/data/tasks/7')
    assert.equal(spec.env.USER, 'taskyard-run')
    assert.equal(spec.env.LOGNAME, 'taskyard-run')
  })

  it('isolated: the data directory hidden but for the task directory and output folder (writable) and the environments (read-only)', () => {
    assert.deepEqual(buildRunSpec(input({}, { isolate: true })).isolation, {
      hidden: ['/data'],
      writable: ['/data/tasks/7', '/data/outputs/7/42'],
      readOnly: ['/data/envs'],
    })
  })

  it('isolated: a PATH installation in /tmp, /var/tmp or /dev/shm (the run has its own) is bound back read-only, its …/bin with its parent', () => {
    const environment = {
      pathPrefix: ['/data/envs/base/bin', '/tmp/nvm/versions/node/v24.1.0/bin', '/var/tmp/tools', '/opt/node/bin', '/tmp/bin'],
      env: {},
    }
    assert.deepEqual(buildRunSpec(input({ environment }, { isolate: true })).isolation?.readOnly, [
      '/data/envs',
      '/tmp/nvm/versions/node/v24.1.0',
      '/var/tmp/tools',
      '/tmp/bin',
    ])
  })

  it("the task's memory limit in bytes; its log cap, never above the server's", () => {
    const limited = buildRunSpec(input({ task: { id: 7, command: 'x', memoryLimitMb: 256, maxLogMb: 10 } }))
    assert.equal(limited.memoryLimitBytes, 256 * 1024 * 1024)
    assert.equal(limited.maxOutputBytes, 10 * 1024 * 1024)
    const above = buildRunSpec(input({ task: { id: 7, command: 'x', memoryLimitMb: null, maxLogMb: 4096 } }, { maxLogBytes: 1024 * 1024 }))
    assert.equal(above.maxOutputBytes, 1024 * 1024)
  })

  it("nothing of the environment overrides the run's own variables", () => {
    const spec = buildRunSpec(input({ environment: { pathPrefix: [], env: { TASKYARD_RUN_ID: '1', HOME: '/evil' } } }))
    assert.equal(spec.env.TASKYARD_RUN_ID, '42')
    assert.equal(spec.env.HOME, '/root')
    assert.equal(spec.env.PATH, '/usr/bin:/bin')
  })
})
