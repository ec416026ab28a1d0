/** What each scenario hands back, and how the harness prints it. */

export interface Figure {
  /** Short name, e.g. 'throughput'. */
  name: string
  /** The figure itself, formatted, e.g. 'ratio 0.82'. */
  value: string
  /** The bound measured in the same run, formatted. */
  bound: string
  /** The target in words, e.g. 'ratio ≥ 0.7'. */
  target: string
  pass: boolean
  /** Supporting numbers, one per line. */
  details: string[]
}

export function printFigure(f: Figure): void {
  console.log(`\n== ${f.name}`)
  console.log(`   taskyard : ${f.value}`)
  console.log(`   bound    : ${f.bound}`)
  console.log(`   target   : ${f.target}  -> ${f.pass ? 'PASS' : 'FAIL'}`)
  for (const line of f.details) console.log(`   · ${line}`)
}

export function printSummary(figures: readonly Figure[]): void {
  console.log('\n== summary')
  for (const f of figures) console.log(`${f.pass ? 'PASS' : 'FAIL'}  ${f.name.padEnd(24)} ${f.value}   (target ${f.target}; bound ${f.bound})`)
}

/** Progress lines go to stderr so stdout holds the results only. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}
