/**
 * The bounds, each run in a fresh Node process that does nothing else (so its spawn() cost is
 * that of a small process, not of the server's): started by lib/baseline.ts as
 *   node bench/bare.ts '<json request>'
 * and answering one JSON line on stdout.
 */
import { spawnLatency, spawnLoop, timeShell, type BareRequest } from './lib/baseline.ts'
import { cpuSince, treeCpu } from './lib/cpu.ts'

const request = JSON.parse(process.argv[2] ?? '{}') as BareRequest
const rss = (): number => process.memoryUsage().rss
let result: unknown
if (request.mode === 'loop') {
  if (request.warmup > 0) await spawnLoop(`${request.dir}-warmup`, request.argv, request.warmup, request.concurrency)
  const cpu0 = treeCpu()
  const ms = await spawnLoop(request.dir, request.argv, request.count, request.concurrency)
  result = { ms, rssBytes: rss(), cpu: cpuSince(cpu0) }
} else if (request.mode === 'latency') {
  if (request.warmup > 0) await spawnLatency(`${request.dir}-warmup`, request.argv, request.warmup)
  result = { samples: await spawnLatency(request.dir, request.argv, request.count), rssBytes: rss() }
} else if (request.mode === 'shell') {
  result = { ms: await timeShell(request.dir, request.script), rssBytes: rss() }
} else {
  throw new Error(`unknown request ${process.argv[2]}`)
}
process.stdout.write(`${JSON.stringify(result)}\n`)
