import type { ProbeResult, SshTarget } from '../executor.ts'
import { connectSsh, HostKeyChangedError } from './connect-ssh.ts'

/** Connects, runs `true` and hangs up: the connection test of `POST /api/servers/<id>/test`. */
export async function probeSsh(target: SshTarget, now: () => number = () => performance.now()): Promise<ProbeResult> {
  const started = now()
  let connection
  try {
    connection = await connectSsh(target)
  } catch (error) {
    if (error instanceof HostKeyChangedError) return { outcome: 'host_key_changed', offeredFingerprint: error.offeredFingerprint }
    return { outcome: 'failed', reason: (error as Error).message }
  }
  const { client, hostKeyFingerprint } = connection
  try {
    await new Promise<void>((resolve, reject) => {
      client.exec('true', (error, stream) => {
        if (error) return reject(error)
        stream.on('close', () => resolve()).resume()
      })
    })
    return { outcome: 'connected', hostKeyFingerprint, latencyMs: Math.round((now() - started) * 10) / 10 }
  } catch (error) {
    return { outcome: 'failed', reason: (error as Error).message }
  } finally {
    client.end()
  }
}
