import { lstat, readdir } from 'node:fs/promises'
import path from 'node:path'

/**
 * Bytes of the files under `root`, symlinks not followed, hard links counted once (conda links
 * packages from its cache). Top-level entries named in `exclude` are left out.
 */
export async function directorySize(root: string, exclude: readonly string[] = []): Promise<number> {
  const seen = new Set<string>()
  let total = 0
  const walk = async (dir: string, top: boolean): Promise<void> => {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      return // removed meanwhile, or unreadable: not ours to count
    }
    for (const entry of entries) {
      if (top && exclude.includes(entry.name)) continue
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        await walk(full, false)
        continue
      }
      try {
        const st = await lstat(full)
        const key = `${st.dev}:${st.ino}`
        if (st.nlink > 1) {
          if (seen.has(key)) continue
          seen.add(key)
        }
        total += st.size
      } catch {
        // gone meanwhile
      }
    }
  }
  await walk(root, true)
  return total
}
