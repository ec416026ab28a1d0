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
