import { isLive, readRssBytes, type ProcEntry } from '../../lib/proc-table.ts'

/**
 * The processes that belong to a run: every member of its process group, plus every descendant
 * (by parent pid) of those members, which catches children that moved to a group or session of
 * their own (setsid, start_new_session=True). A descendant whose parent died was re-parented and
 * can only be found through its group, so that half is the one that must never be dropped.
 */
export function selectProcessTree(table: readonly ProcEntry[], pgid: number): ProcEntry[] {
  const childrenOf = new Map<number, ProcEntry[]>()
  for (const entry of table) {
    const siblings = childrenOf.get(entry.ppid)
    if (siblings) siblings.push(entry)
    else childrenOf.set(entry.ppid, [entry])
  }
  const tree = new Map<number, ProcEntry>()
  const pending = table.filter((entry) => entry.pgrp === pgid)
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (tree.has(next.pid)) continue
    tree.set(next.pid, next)
    pending.push(...(childrenOf.get(next.pid) ?? []))
  }
  return [...tree.values()]
}

/**
 * Sum of the resident memory of the live processes of a tree; null when none of them holds any
 * (all gone or zombies), so the caller can skip a sample that would only say "0".
 * Pages shared between processes (fork's copy-on-write) count once per process, as VmRSS does.
 */
export async function treeRssBytes(tree: readonly ProcEntry[]): Promise<number | null> {
  const sizes = await Promise.all(tree.filter(isLive).map((entry) => readRssBytes(entry.pid)))
  let total: number | null = null
  for (const size of sizes) if (size !== null) total = (total ?? 0) + size
  return total
}
