/**
 * Both ways a root server builds a run's mount namespace (executor/local/isolation.ts): the Perl
 * helper this machine uses, and the shell chain (unshare → sh → mount → setpriv) that machines
 * without Perl get. Each must hide, keep writable, keep read-only and drop the account alike.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { detectIsolation, isolationHelperSource } from '../../src/executor/local/isolation.ts'
import { perlCopierSource, truncationMarker } from '../../src/executor/local/local-run.ts'

const NOBODY = 65534
const root = process.getuid?.() === 0

describe(
  'isolation as root: the helper and the shell chain',
  { skip: root ? false : 'skipped: needs root (a non-root server uses user namespaces, tested in local-executor.test.ts)' },
  () => {
    for (const method of ['helper', 'shell'] as const) {
      it(`${method}: hides a directory, binds back a writable one and a read-only file, and runs as the account`, (t) => {
        const isolation = detectIsolation({ method })
        if (isolation === null) return t.skip('skipped: this machine cannot build mount namespaces')
        if (method === 'shell') assert.doesNotMatch(isolation.description, /helper/)
        const dir = fs.mkdtempSync(path.join(tmpdir(), `taskyard-isolation-${method}-`))
        t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
        const hidden = path.join(dir, 'data')
        const work = path.join(hidden, 'tasks', '7')
        const readOnly = path.join(hidden, 'envs', 'pinned.txt')
        fs.mkdirSync(work, { recursive: true })
        fs.mkdirSync(path.dirname(readOnly), { recursive: true })
        fs.writeFileSync(path.join(hidden, 'secret.key'), 'top secret\n', { mode: 0o644 })
        fs.writeFileSync(readOnly, 'pinned\n', { mode: 0o666 })
        fs.chmodSync(work, 0o777)
        fs.chmodSync(dir, 0o755)
        const script = [
          'id -u',
          `cat ${hidden}/secret.key 2>/dev/null || echo hidden`,
          `echo written > ${work}/out && echo writable`,
          `cat ${readOnly}`,
          `(echo more >> ${readOnly}) 2>/dev/null || echo read-only`,
          `echo "perl5lib=$PERL5LIB"`,
        ].join('; ')
        const wrapped = isolation.wrap(
          ['/bin/sh', '-c', script],
          { hidden: [hidden], writable: [work], readOnly: [readOnly] },
          { uid: NOBODY, gid: NOBODY },
          {
            PATH: '/usr/bin:/bin',
            PERL5LIB: '/nowhere',
          },
        )
        const result = spawnSync(wrapped.argv[0]!, wrapped.argv.slice(1), { env: wrapped.env, encoding: 'utf8', timeout: 20_000 })
        assert.equal(result.stderr, '')
        assert.equal(result.status, 0)
        assert.deepEqual(result.stdout.split('\n'), [String(NOBODY), 'hidden', 'writable', 'pinned', 'read-only', 'perl5lib=/nowhere', ''])
        assert.equal(fs.readFileSync(path.join(work, 'out'), 'utf8'), 'written\n')
        assert.equal(fs.readFileSync(readOnly, 'utf8'), 'pinned\n')
        // The helper names its staging directory after its pid, and leaves none behind.
        if (method === 'helper')
          assert.deepEqual(
            fs.readdirSync('/tmp').filter((name) => name.startsWith(`.taskyard-isolate.${result.pid}.`)),
            [],
          )
      })
    }
  },
)

/**
 * Each run pays for every module its Perl helpers load (issue 10): `use strict` and `$!{EINTR}`
 * alone load strict.pm, Errno.pm and Exporter.pm, a file search and compile each. The helpers are
 * checked here instead: strict-clean (compiled with -Mstrict) and loading nothing (an @INC hook
 * placed first reports every require, at compile time and while they run).
 */
const PERL = ['/usr/bin/perl', '/bin/perl'].find((candidate) => fs.existsSync(candidate))
const REQUIRE_HOOK = 'BEGIN { unshift @INC, sub { print STDERR "taskyard-test-require $_[1]\\n"; return } }'

describe('the Perl helpers load no module', { skip: PERL ? false : 'skipped: no Perl on this machine' }, () => {
  for (const [name, source] of [
    ['the isolation helper', isolationHelperSource],
    ['the output copier', perlCopierSource],
  ] as const) {
    it(`${name} compiles under strict and requires nothing`, () => {
      const strict = spawnSync(PERL!, ['-Mstrict', '-c', '-e', source], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } })
      assert.equal(strict.status, 0, strict.stderr)
      const hooked = spawnSync(PERL!, ['-c', '-e', REQUIRE_HOOK, '-e', source], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } })
      assert.equal(hooked.status, 0, hooked.stderr)
      assert.doesNotMatch(hooked.stderr, /taskyard-test-require/)
    })
  }

  it('the output copier copies the cap, writes the marker and requires nothing while it runs', () => {
    const marker = truncationMarker(5)
    const result = spawnSync(PERL!, ['-e', REQUIRE_HOOK, '-e', perlCopierSource, '5', marker], {
      input: 'hello world\n',
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    })
    assert.equal(result.stderr, '')
    assert.equal(result.stdout, `hello${marker}`)
    assert.equal(result.status, 3)
  })

  it('the isolation helper requires nothing while it builds the namespace and execs', { skip: root ? false : 'skipped: needs root' }, (t) => {
    const isolation = detectIsolation({ method: 'helper' })
    if (isolation === null || !isolation.description.includes('helper')) return t.skip('skipped: the helper is not used on this machine')
    const dir = fs.mkdtempSync(path.join(tmpdir(), 'taskyard-isolation-require-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    fs.mkdirSync(path.join(dir, 'work'))
    const wrapped = isolation.wrap(
      ['/bin/sh', '-c', 'echo ran; exec /nonexistent-taskyard-command'],
      { hidden: [dir], writable: [path.join(dir, 'work')], readOnly: [] },
      null,
      {
        PATH: '/usr/bin:/bin',
      },
    )
    assert.equal(wrapped.argv[1], '-e')
    const argv = [wrapped.argv[0]!, '-e', REQUIRE_HOOK, ...wrapped.argv.slice(1)]
    const result = spawnSync(argv[0]!, argv.slice(1), { env: wrapped.env, encoding: 'utf8', timeout: 20_000 })
    assert.doesNotMatch(result.stderr, /taskyard-test-require/)
    assert.equal(result.stdout, 'ran\n')
    assert.equal(result.status, 127)
    // A command the helper itself cannot exec: 127 and its message (ENOENT told by number now).
    const missing = isolation.wrap(['/nonexistent-taskyard-command'], { hidden: [dir], writable: [], readOnly: [] }, null, { PATH: '/usr/bin:/bin' })
    const direct = spawnSync(missing.argv[0]!, missing.argv.slice(1), { env: missing.env, encoding: 'utf8', timeout: 20_000 })
    assert.equal(direct.status, 127)
    assert.match(direct.stderr, /^taskyard-isolate: cannot run \/nonexistent-taskyard-command: No such file or directory\n$/)
  })
})
