/**
 * Both ways a root server builds a run's mount namespace (executor/local/isolation.ts): the Perl
 * helper this machine uses, and the shell chain (unshare → sh → mount → setpriv) that machines
 * without Perl get. Each must hide, keep writable, keep read-only and drop the account alike.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os, { tmpdir } from 'node:os'
import path from 'node:path'
import net from 'node:net'
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

describe(
  'isolation as root: a private /tmp, /var/tmp and /dev/shm for each run',
  { skip: root ? false : 'skipped: needs root (the unprivileged path is tested in local-executor.test.ts)' },
  () => {
    for (const method of ['helper', 'shell'] as const) {
      it(`${method}: a run's temporary files are its own, the machine's /tmp (and a socket in it) out of reach, its cwd looked up again`, async (t) => {
        const isolation = detectIsolation({ method })
        if (isolation === null) return t.skip('skipped: this machine cannot build mount namespaces')
        const dir = fs.mkdtempSync(path.join('/tmp', `taskyard-private-tmp-${method}-`))
        t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
        fs.chmodSync(dir, 0o755)
        const hidden = path.join(dir, 'data')
        const tasks = path.join(hidden, 'tasks')
        const [a, b] = [path.join(tasks, '1'), path.join(tasks, '2')]
        const pinned = path.join(hidden, 'envs', 'pinned.txt')
        for (const d of [a, b, path.dirname(pinned)]) fs.mkdirSync(d, { recursive: true })
        for (const d of [a, b]) fs.chmodSync(d, 0o777)
        fs.chmodSync(tasks, 0o755)
        fs.writeFileSync(pinned, 'pinned\n', { mode: 0o666 })
        // What the machine's /tmp holds: another run's leftover and a listening socket (PostgreSQL's, upstream's default place).
        const leftover = path.join(dir, 'leftover')
        fs.writeFileSync(leftover, 'not yours\n', { mode: 0o644 })
        const socketPath = path.join('/tmp', `.s.PGSQL.taskyard-test-${process.pid}-${method}`)
        const listener = net.createServer((s) => s.destroy())
        await new Promise<void>((resolve) => listener.listen(socketPath, resolve))
        t.after(() => new Promise<void>((resolve) => listener.close(() => resolve())))
        fs.chmodSync(socketPath, 0o777)
        let accepted = 0
        listener.on('connection', () => (accepted += 1))

        const pids: number[] = []
        const run = (cwd: string, script: string): string[] => {
          const wrapped = isolation.wrap(
            ['/bin/sh', '-c', script],
            { hidden: [hidden], writable: [cwd], readOnly: [pinned] },
            { uid: NOBODY, gid: NOBODY },
            { PATH: '/usr/bin:/bin' },
          )
          const result = spawnSync(wrapped.argv[0]!, wrapped.argv.slice(1), { env: wrapped.env, cwd, encoding: 'utf8', timeout: 20_000 })
          assert.equal(result.stderr, '')
          assert.equal(result.status, 0)
          pids.push(result.pid!)
          return result.stdout.trim().split('\n')
        }
        const first = run(
          a,
          [
            'echo mine > /tmp/x && echo mine > /var/tmp/x && echo mine > /dev/shm/x && echo wrote',
            'stat -c %a /tmp /var/tmp /dev/shm | tr "\\n" " "; echo',
            `cat ${leftover} 2>/dev/null || echo no-leftover`,
            `[ -e ${socketPath} ] && echo socket-seen || echo no-socket`,
            `cat ${pinned}; (echo more >> ${pinned}) 2>/dev/null || echo read-only`,
            'pwd; ls ..',
            'echo here > in-cwd && echo cwd-writable',
          ].join('; '),
        )
        assert.deepEqual(first, ['wrote', '1777 1777 1777 ', 'no-leftover', 'no-socket', 'pinned', 'read-only', a, '1', 'cwd-writable'])
        assert.equal(fs.readFileSync(path.join(a, 'in-cwd'), 'utf8'), 'here\n')
        // Nothing of the run's reached the machine's directories, and the next run (another task) finds none of it.
        assert.equal(fs.existsSync('/tmp/x') && fs.readFileSync('/tmp/x', 'utf8') === 'mine\n', false)
        const second = run(b, 'cat /tmp/x /var/tmp/x /dev/shm/x 2>/dev/null || echo none; ls -A /tmp; ls -A /var/tmp /dev/shm')
        assert.deepEqual(second, ['none', path.basename(dir), '/dev/shm:', '', '/var/tmp:'])
        assert.equal(accepted, 0)
        // Bounded: a quarter of RAM each (PRIVATE_TMP.size), not tmpfs's half.
        const sizes = run(b, 'df -k --output=size /tmp /var/tmp /dev/shm | tail -n +2').map((line) => Number(line.trim()) * 1024)
        for (const size of sizes) assert.ok(Math.abs(size - os.totalmem() / 4) < 1024 * 1024, `${size} is not a quarter of ${os.totalmem()}`)
        assert.equal(sizes.length, 3)
        // The staging directory is gone from the machine's /tmp (the helper names it after its pid;
        // the shell chain makes it in the run's own /tmp, whose listing above shows none).
        assert.deepEqual(
          fs.readdirSync('/tmp').filter((name) => pids.some((pid) => name.startsWith(`.taskyard-isolate.${pid}.`))),
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
