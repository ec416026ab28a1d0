/**
 * Reads pip's messages: which requirements it blamed, and what it installed. Pure functions over
 * text, so each message form pip is known to print is pinned by a unit test.
 */
import { normalizeName, type Requirement } from './requirements.ts'

/** Each pattern captures the subject pip blames: requirement strings, or `-r file (line N)` references. */
const BLAME_PATTERNS: Array<{ re: RegExp; list?: RegExp }> = [
  { re: /^Could not find a version that satisfies the requirement (.+?)(?: \(from versions: [^)]*\))?$/ },
  { re: /^No matching distribution found for (.+)$/ },
  { re: /^For req: (.+?)\. / },
  { re: /^(\S+) has an invalid wheel/ },
  { re: /^Failed building wheel for (\S+)/ },
  { re: /^Failed to build (.+)$/, list: /\s+/ },
  { re: /^Could not build wheels for (.+?), which is required/, list: /,\s*/ },
  { re: /^Failed to build installable wheels for some pyproject\.toml based projects \((.+)\)$/, list: /,\s*/ },
  { re: /^Cannot install (.+?) because these package versions have conflicting dependencies/, list: /,\s*|\s+and\s+/ },
  { re: /^Package '([^']+)' requires a different Python/ },
  { re: /^Could not install requirement (\S+) because/ },
  { re: /^Invalid requirement: '(.+?)'/ },
]

const LINE_REF = /-r \S+ \(line (\d+)\)/g

/** pip's ERROR: lines, without the prefix. */
export function pipErrorLines(output: string): string[] {
  return output
    .split(/\r?\n/)
    .filter((l) => l.startsWith('ERROR: '))
    .map((l) => l.slice('ERROR: '.length).trim())
}

/**
 * The requirements among `candidates` that pip's output blames, each with pip's reason lines.
 * Empty when pip did not say (then each requirement has to be tried on its own).
 */
export function blameRequirements(output: string, candidates: readonly Requirement[]): Map<Requirement, string[]> {
  const blamed = new Map<Requirement, string[]>()
  const unattributed: string[] = []
  const conflict = conflictBlock(output)
  for (const line of pipErrorLines(output)) {
    const hits = new Set<Requirement>()
    for (const { re, list } of BLAME_PATTERNS) {
      const m = re.exec(line)
      if (!m) continue
      const subjects = list ? m[1]!.split(list) : [m[1]!]
      for (const subject of subjects) for (const r of resolveSubject(subject, candidates)) hits.add(r)
    }
    if (hits.size === 0) {
      if (!line.startsWith('ResolutionImpossible')) unattributed.push(line)
      continue
    }
    const isConflict = line.startsWith('Cannot install ')
    const isBuild = /^(Failed building wheel|Could not build wheels|Failed to build)/.test(line)
    for (const r of hits) {
      const reasons = blamed.get(r) ?? []
      reasons.push(line, ...(isConflict ? conflict : []), ...(isBuild ? buildOutput(output) : []))
      blamed.set(r, reasons)
    }
  }
  // One culprit: pip's other lines (a missing dependency, say) are its story too.
  if (blamed.size === 1)
    blamed
      .values()
      .next()
      .value!.push(...unattributed)
  return blamed
}

/** Names without versions from "Successfully installed a-1.0 b_c-2.0", as pip spells them. */
export function installedPackages(output: string): string[] {
  const names: string[] = []
  for (const line of output.split(/\r?\n/)) {
    const m = /^Successfully installed (.+)$/.exec(line.trim())
    if (!m) continue
    for (const item of m[1]!.split(/\s+/)) {
      const dash = item.lastIndexOf('-')
      names.push(dash > 0 ? item.slice(0, dash) : item)
    }
  }
  return names
}

/** A short account of a failed pip run: its ERROR: lines, or else its last lines. */
export function pipFailureSummary(output: string): string {
  const errors = pipErrorLines(output)
  if (errors.length > 0) return errors.join('\n')
  const lines = output.trim().split(/\r?\n/)
  return lines.slice(-15).join('\n') || 'pip failed without saying why'
}

/** Maps "name>=1 (from other->-r requirements.txt (line 3))" to the requirements it points at. */
function resolveSubject(subject: string, candidates: readonly Requirement[]): Requirement[] {
  const own = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(subject)?.[1]
  const byName = (name: string) => candidates.filter((r) => normalizeName(r.name) === normalizeName(name))
  if (own && !subject.trimStart().startsWith('-r ')) {
    const direct = byName(own)
    if (direct.length > 0) return direct
  }
  const fromLines = [...subject.matchAll(LINE_REF)].map((m) => Number(m[1]))
  if (fromLines.length > 0) return candidates.filter((r) => fromLines.includes(r.line))
  // A dependency of one of ours: "(from parent)" or "(from parent->grandparent)".
  const from = /\(from ([^)]+)\)/.exec(subject)?.[1]
  if (from) {
    for (const name of from.split('->').map((s) => s.trim())) {
      const parent = byName(/^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(name)?.[0] ?? '')
      if (parent.length > 0) return parent
    }
  }
  return []
}

/** What a failed build printed (pip frames it: `╰─> [N lines of output]` … `[end of output]`), its last lines. */
function buildOutput(output: string): string[] {
  const m = /╰─> \[\d+ lines? of output\]\r?\n([\s\S]*?)\[end of output\]/.exec(output)
  if (!m) return []
  const lines = m[1]!
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
  return lines.length === 0 ? [] : [`The build said: ${lines.slice(-5).join(' / ')}`]
}

/** The indented lines after "The conflict is caused by:". */
function conflictBlock(output: string): string[] {
  const lines = output.split(/\r?\n/)
  const start = lines.findIndex((l) => l.trim() === 'The conflict is caused by:')
  if (start === -1) return []
  const block: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break
    block.push(line.trim())
  }
  return block.length > 0 ? [`The conflict is caused by: ${block.join('; ')}`] : []
}
