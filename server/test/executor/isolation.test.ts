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
import { detectIsolation } from '../../src/executor/local/isolation.ts'

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
