/**
 * The wrapper a run on a server starts with (remote-scripts.ts), both ways a login shell is given
 * it: read by a POSIX login shell itself, or exec'd to /bin/sh by any other. sshd runs it as
 * `<login shell> -c <wrapper>`; here bash and dash play the login shell on this machine. Either
 * way the first line is the leader's pid, then the run gets exactly its environment, the markers
 * included, in its directory; a missing directory or program is reported on that line instead.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import { describe, it } from 'node:test'
import { isPosixShell, PID_LINE, runWrapper } from '../../src/executor/ssh/remote-scripts.ts'

const markers = { runId: 41, instance: 'inst-1' }
const spec = {
  argv: ['/bin/sh', '-c', 'pwd; env | sort'],
  cwd: os.tmpdir(),
  env: { PATH: '/usr/bin:/bin', GREETING: "it's a b" },
  inheritEnv: ['HOME', 'NOT_SET_HERE'],
}

function asLoginShell(shell: string, wrapper: string) {
  return spawnSync(shell, ['-c', wrapper], { encoding: 'utf8', env: { HOME: '/home/someone', SHELL: shell, OTHER: 'not passed' } })
}

describe('the SSH run wrapper', () => {
  for (const posixLogin of [true, false]) {
    for (const shell of ['/bin/bash', '/bin/dash']) {
      it(`${posixLogin ? 'run by the login shell itself' : 'exec’d to /bin/sh'} (${shell}): the pid line, then exactly the run's environment`, () => {
        const result = asLoginShell(shell, runWrapper(spec, markers, posixLogin))
        assert.equal(result.status, 0, result.stderr)
        const [first, cwd, ...env] = result.stdout.trimEnd().split('\n')
        assert.match(first ?? '', new RegExp(`^${PID_LINE}\\d+$`))
        assert.equal(cwd, fs.realpathSync(os.tmpdir()))
        // PWD is the task's own sh's doing (it exports the directory it starts in), not the wrapper's.
        assert.deepEqual(
          env.filter((line) => !line.startsWith('PWD=')),
          ["GREETING=it's a b", 'HOME=/home/someone', 'NOT_SET_HERE=', 'PATH=/usr/bin:/bin', 'TASKYARD_INSTANCE=inst-1', 'TASKYARD_RUN_ID=41'],
        )
      })
    }
    it(`${posixLogin ? 'run by the login shell itself' : 'exec’d to /bin/sh'}: a missing directory or program is named on the first line, exit 127`, () => {
      const nocwd = asLoginShell('/bin/bash', runWrapper({ ...spec, cwd: '/nonexistent/dir' }, markers, posixLogin))
      assert.deepEqual([nocwd.status, nocwd.stdout], [127, 'taskyard:error nocwd\n'])
      const noent = asLoginShell('/bin/bash', runWrapper({ ...spec, argv: ['no-such-program-here'] }, markers, posixLogin))
      assert.deepEqual([noent.status, noent.stdout], [127, 'taskyard:error noent\n'])
    })
  }

  it('takes the short way only for login shells that read POSIX sh', () => {
    assert.deepEqual(['/bin/bash', '/usr/bin/zsh', '/bin/sh', 'dash', '/bin/csh', '/usr/bin/fish', '/bin/tcsh', ''].map(isPosixShell), [
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ])
  })
})
