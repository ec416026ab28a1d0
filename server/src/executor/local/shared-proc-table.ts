import { readProcTable, type ProcEntry } from '../../lib/proc-table.ts'

export interface SharedProcTable {
  /** The process table, read at most `maxAgeMs` ago; concurrent callers share one read. */
  read(maxAgeMs: number): Promise<ProcEntry[]>
}

/**
 * One /proc scan costs tens of microseconds per process on the machine, so runs that sample at
 * the same time share it instead of each paying for it. Only samples may use it: decisions about
 * killing read the table fresh.
 */
export function createSharedProcTable(now: () => number = Date.now): SharedProcTable {
  let last: { at: number; table: Promise<ProcEntry[]> } | null = null
  return {
    read(maxAgeMs) {
      const at = now()
      if (last && at - last.at <= maxAgeMs) return last.table
      const table = readProcTable()
      const entry = { at, table }
      last = entry
      // A failed read must not be served to the next caller.
      table.catch(() => {
        if (last === entry) last = null
      })
      return table
    },
  }
}
