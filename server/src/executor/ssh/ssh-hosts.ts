import { rmSync } from 'node:fs'
import type { Executor, SshHosts } from '../executor.ts'
import { privateKeyProblem } from './connect-ssh.ts'
import { pendingSweepsFile, serversWithPendingSweeps } from './pending-sweeps.ts'
import { probeSsh } from './probe-ssh.ts'
import { createSshExecutor, type SshExecutor } from './ssh-executor.ts'

/**
 * The SshHosts contract over ssh2: one executor (one connection pool) per server. `sweepsDir`
 * keeps each server's pending sweeps (pending-sweeps.ts) across restarts.
 */
export function createSshHosts(options: { installation?: string; sweepsDir?: string } = {}): SshHosts {
  const executors = new Map<number, SshExecutor>()
  return {
    probe: (target) => probeSsh(target),
    privateKeyProblem,
    executorFor(serverId, { label, target, onFirstHostKey }): Executor {
      let executor = executors.get(serverId)
      if (!executor) {
        executor = createSshExecutor({
          label,
          target,
          onFirstHostKey,
          ...(options.installation === undefined ? {} : { installation: options.installation }),
          ...(options.sweepsDir === undefined ? {} : { pendingSweepsFile: pendingSweepsFile(options.sweepsDir, serverId) }),
        })
        executors.set(serverId, executor)
      }
      return executor
    },
    async forget(serverId) {
      const executor = executors.get(serverId)
      executors.delete(serverId)
      if (executor) await executor.discard()
      // No executor was made for it in this life (never used since the start): the file alone.
      if (options.sweepsDir !== undefined) rmSync(pendingSweepsFile(options.sweepsDir, serverId), { force: true })
    },
    serversWithPendingSweeps: () => (options.sweepsDir === undefined ? [] : serversWithPendingSweeps(options.sweepsDir)),
    async close() {
      await Promise.all([...executors.values()].map((executor) => executor.close()))
      executors.clear()
    },
  }
}
