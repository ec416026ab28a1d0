/**
 * Summarises a .cpuprofile (from --cpu-profile or node --cpu-prof): self time by function and by
 * file, and inclusive time of frames whose name or file matches an optional pattern.
 *
 *   node bench/profile-summary.ts <file.cpuprofile> [pattern]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, pattern] = process.argv.slice(2)
if (!file) {
  console.error('usage: node bench/profile-summary.ts <file.cpuprofile> [pattern]')
  process.exit(1)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const total = profile.timeDeltas.reduce((a, b) => a + b, 0)

const selfOfNode = new Map<number, number>()
profile.samples.forEach((id, i) => selfOfNode.set(id, (selfOfNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))

const frame = (n: ProfileNode): string =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|work\/main)\//, '')}:${n.callFrame.lineNumber + 1}`
const fileOf = (n: ProfileNode): string => n.callFrame.url.replace(/^.*\/(work\/main)\//, '') || n.callFrame.functionName

const selfByFrame = new Map<string, number>()
const selfByFile = new Map<string, number>()
const inclusive = new Map<string, number>()
const add = (m: Map<string, number>, k: string, v: number): void => void m.set(k, (m.get(k) ?? 0) + v)
for (const [id, t] of selfOfNode) {
  const n = byId.get(id)!
  add(selfByFrame, frame(n), t)
  add(selfByFile, fileOf(n), t)
  const seen = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = frame(byId.get(cur)!)
    if (!seen.has(k)) {
      seen.add(k)
      add(inclusive, k, t)
    }
  }
}

const top = (m: Map<string, number>, n: number): string =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${(v / 1000).toFixed(0).padStart(7)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n')

const re = pattern ? new RegExp(pattern) : null
console.log(`total ${(total / 1000).toFixed(0)} ms sampled`)
console.log('--- self time by function')
console.log(top(selfByFrame, 30))
console.log('--- self time by file')
console.log(top(selfByFile, 20))
console.log(`--- inclusive time${re ? ` (frames matching ${re})` : ''}`)
console.log(top(re ? new Map([...inclusive].filter(([k]) => re.test(k))) : inclusive, 40))
