import type { SshHosts } from '../executor.ts'
import { privateKeyProblem } from './connect-ssh.ts'
import { probeSsh } from './probe-ssh.ts'

/** The SshHosts contract over ssh2. */
export function createSshHosts(): SshHosts {
  return { probe: (target) => probeSsh(target), privateKeyProblem }
}
