/**
 * Optional CPU profiles of the measured phases only (--cpu-profile <dir>): one .cpuprofile per
 * phase, for Chrome DevTools or `node bench/profile-summary.ts <file>`. Profiling slows spawn()
 * and everything else; figures from a profiled run are not comparable with unprofiled ones.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import path from 'node:path'
import { progress } from './report.ts'

let dir: string | null = null
let session: Session | null = null

export function enableProfiling(outputDir: string): void {
  dir = path.resolve(outputDir)
}

/** Runs fn, profiling it when profiling is enabled. */
export async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!dir) return fn()
  if (!session) {
    session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
  }
  await session.post('Profiler.start')
  try {
    return await fn()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    await mkdir(dir, { recursive: true })
    const file = path.join(dir, `${name}.cpuprofile`)
    await writeFile(file, JSON.stringify(profile))
    progress(`CPU profile of ${name}: ${file}`)
  }
}

export function stopProfiling(): void {
  session?.disconnect()
  session = null
}
