import type { Executor, SshHosts } from '../executor.ts'
import { privateKeyProblem } from './connect-ssh.ts'
import { probeSsh } from './probe-ssh.ts'
import { createSshExecutor, type SshExecutor } from './ssh-executor.ts'

/** The SshHosts contract over ssh2: one executor (one connection pool) per server. */
export function createSshHosts(options: { installation?: string } = {}): SshHosts {
  const executors = new Map<number, SshExecutor>()
  return {
    probe: (target) => probeSsh(target),
    privateKeyProblem,
    executorFor(serverId, { label, target, onFirstHostKey }): Executor {
      let executor = executors.get(serverId)
      if (!executor) {
        executor = createSshExecutor({ label, target, onFirstHostKey, ...(options.installation === undefined ? {} : { installation: options.installation }) })
        executors.set(serverId, executor)
      }
      return executor
    },
    async close() {
      await Promise.all([...executors.values()].map((executor) => executor.close()))
      executors.clear()
    },
  }
}
