/**
 * A full garbage collection between phases. fork() copies the parent's page tables, so spawn()
 * costs more the bigger this process is (0.9 ms at 53 MB RSS, 1.7 ms at 115 MB, 10 ms at 315 MB
 * on the reference machine): garbage left by one phase would otherwise slow the next one's spawns.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

let gc: (() => void) | null = null

export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
}

export const rssMiB = (): string => `${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB`
