import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadConfig, sanitizePath } from '../../src/config/config.ts'

const NPM_ENV = {
  PATH: '/work/app/node_modules/.bin:/work/node_modules/.bin:/usr/lib/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin:relative/bin:/usr/local/bin:/usr/bin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'Europe/Paris',
  PIP_INDEX_URL: 'https://pypi.example/simple',
  https_proxy: 'http://proxy:3128',
  npm_config_x: 'leak',
  npm_lifecycle_event: 'start',
  NODE_OPTIONS: '--inspect',
  TASKYARD_SECRET: 'a-secret-that-is-long-enough-to-sign-tokens',
  TASKYARD_DATABASE_URL: 'postgres://user:password@db/taskyard',
  AWS_SECRET_ACCESS_KEY: 'leak',
}

describe('config: what runs inherit (issue 6 item 8)', () => {
  it('sanitizePath drops node_modules/.bin, npm node-gyp-bin and relative entries', () => {
    assert.equal(sanitizePath(NPM_ENV.PATH), '/usr/local/bin:/usr/bin:/bin')
    assert.equal(sanitizePath(undefined), '/usr/local/bin:/usr/bin:/bin')
    assert.equal(sanitizePath('/node_modules/.bin'), '/usr/local/bin:/usr/bin:/bin')
  })

  it('runEnv is the allowlist: PATH (sanitised), HOME, LANG, LC_*, TZ, PIP_*, proxies; no npm_*, TASKYARD_* or anything else', () => {
    assert.deepEqual(loadConfig({}, NPM_ENV, '/tmp').runEnv, {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'Europe/Paris',
      PIP_INDEX_URL: 'https://pypi.example/simple',
      https_proxy: 'http://proxy:3128',
    })
  })

  it('runs get TASKYARD_TIME_ZONE as TZ when the server has none', () => {
    assert.equal(loadConfig({}, { TASKYARD_TIME_ZONE: 'Asia/Shanghai' }, '/tmp').runEnv.TZ, 'Asia/Shanghai')
  })

  it("the tools' environment (pip, conda) keeps the server's, minus npm_*, TASKYARD_* and node_modules/.bin", () => {
    const env = loadConfig({}, NPM_ENV, '/tmp').childEnv
    assert.equal(env.PATH, '/usr/local/bin:/usr/bin:/bin')
    assert.equal(
      Object.keys(env).some((k) => k.startsWith('npm_') || k.startsWith('TASKYARD_')),
      false,
    )
    assert.equal(env.AWS_SECRET_ACCESS_KEY, 'leak')
  })
})

describe('config: run policy settings', () => {
  it('TASKYARD_RUN_AS: default, server, a user name, uid:gid; anything else refused at start', () => {
    assert.deepEqual(loadConfig({}, {}, '/tmp').runAs, { kind: 'default' })
    assert.deepEqual(loadConfig({}, { TASKYARD_RUN_AS: 'server' }, '/tmp').runAs, { kind: 'server' })
    assert.deepEqual(loadConfig({}, { TASKYARD_RUN_AS: 'jobs' }, '/tmp').runAs, { kind: 'user', name: 'jobs' })
    assert.deepEqual(loadConfig({}, { TASKYARD_RUN_AS: '1000:1000' }, '/tmp').runAs, { kind: 'ids', uid: 1000, gid: 1000 })
    assert.throws(() => loadConfig({}, { TASKYARD_RUN_AS: 'a b' }, '/tmp'), /TASKYARD_RUN_AS must be a user name, uid:gid or 'server', got 'a b'/)
  })

  it('TASKYARD_ISOLATION: auto by default, on, off; anything else refused', () => {
    assert.equal(loadConfig({}, {}, '/tmp').isolation, 'auto')
    assert.equal(loadConfig({}, { TASKYARD_ISOLATION: 'off' }, '/tmp').isolation, 'off')
    assert.throws(() => loadConfig({}, { TASKYARD_ISOLATION: 'yes' }, '/tmp'), /TASKYARD_ISOLATION must be 'auto', 'on' or 'off', got 'yes'/)
  })

  it('TASKYARD_MAX_LOG_BYTES: 1 GiB by default, a positive integer otherwise', () => {
    assert.equal(loadConfig({}, {}, '/tmp').maxLogBytes, 1024 ** 3)
    assert.equal(loadConfig({}, { TASKYARD_MAX_LOG_BYTES: '1048576' }, '/tmp').maxLogBytes, 1048576)
    assert.throws(() => loadConfig({}, { TASKYARD_MAX_LOG_BYTES: '0' }, '/tmp'), /TASKYARD_MAX_LOG_BYTES must be an integer ≥ 1, got '0'/)
  })
})
