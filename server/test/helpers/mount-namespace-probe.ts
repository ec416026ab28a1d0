/** Whether this process can give a child its own mount namespace (the basis of run isolation). */
import { execFile } from 'node:child_process'

/**
 * Tries `unshare --mount` (with `--map-root-user` when not root: an unprivileged user namespace)
 * around `true`; resolves to null when it works, else to the reason it does not.
 */
export function probeMountNamespace(isRoot: boolean): Promise<string | null> {
  const args = isRoot ? ['--mount', '--propagation', 'private', 'true'] : ['--user', '--map-root-user', '--mount', '--propagation', 'private', 'true']
  return new Promise((resolve) => {
    execFile('unshare', args, { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) resolve(null)
      else resolve((String(stderr).trim() || error.message).split('\n')[0]!)
    })
  })
}
