/**
 * A growing log kept as complete lines plus the unfinished last one, so appending a chunk costs
 * the chunk, not the whole log (100,000 lines stay smooth).
 */
export class LogLines {
  lines: string[] = []
  partial = ''
  /** Bytes of raw text held, for the download. */
  private chunks: string[] = []

  append(text: string): void {
    if (text === '') return
    this.chunks.push(text)
    const parts = (this.partial + text).split('\n')
    this.partial = parts.pop() ?? ''
    for (const p of parts) this.lines.push(p.endsWith('\r') ? p.slice(0, -1) : p)
  }

  /** The lines to show: the complete ones and the unfinished one, if any. */
  view(): string[] {
    return this.partial === '' ? this.lines : [...this.lines, this.partial]
  }

  get count(): number {
    return this.lines.length + (this.partial === '' ? 0 : 1)
  }

  line(i: number): string {
    return i < this.lines.length ? this.lines[i]! : this.partial
  }

  text(): string {
    const joined = this.chunks.join('')
    this.chunks = [joined]
    return joined
  }
}

const SGR = /\u001b\[[0-9;]*m/g

/**
 * Finds the lines holding a text, case-insensitively, in what the line shows (escape sequences
 * left out). Incremental: while a log grows, each update reads only the lines added since the
 * last one (and the unfinished last line again), so searching a live 100,000-line log stays smooth.
 */
export class LineSearch {
  private needle = ''
  private scanned = 0
  /** Indexes of matching complete lines, ascending. */
  private found: number[] = []
  private partialMatch = false

  constructor(private readonly plain: (line: string) => string) {}

  /** The matching line indexes, ascending; [] for an empty needle. */
  update(log: LogLines, needle: string): readonly number[] {
    const n = needle.trim().toLowerCase()
    if (n !== this.needle || log.lines.length < this.scanned) {
      this.needle = n
      this.scanned = 0
      this.found = []
    }
    if (!n) return this.found
    for (; this.scanned < log.lines.length; this.scanned++) {
      if (this.plain(log.lines[this.scanned]!).replace(SGR, '').toLowerCase().includes(n)) this.found.push(this.scanned)
    }
    this.partialMatch = log.partial !== '' && this.plain(log.partial).replace(SGR, '').toLowerCase().includes(n)
    return this.partialMatch ? [...this.found, log.lines.length] : this.found
  }
}

/** Whether a sorted array holds a value (binary search). */
export function sortedHas(sorted: readonly number[], value: number): boolean {
  let lo = 0
  let hi = sorted.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const v = sorted[mid]!
    if (v === value) return true
    if (v < value) lo = mid + 1
    else hi = mid - 1
  }
  return false
}
