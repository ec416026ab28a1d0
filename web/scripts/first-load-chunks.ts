/**
 * Build-time chunk grouping for the first load (issue 11: the cold task list fetched ~25 chunks,
 * queued six at a time by the browser over HTTP/1.1). Left alone, Rolldown gives each Ant Design
 * part a page uses its own file. This puts the parts that two or more pages share — the
 * library's, and our own components, lib, API code and features' parts other than the pages
 * themselves — into one `pages` chunk, so a first page fetches the entry, `pages` and its own.
 *
 * A module whose static imports reach a library that only some pages use (the editor, the charts,
 * the cron reading, ZIP, the virtual log list, ANSI parsing) stays out: the group takes a module's
 * dependencies with it, so it would load that library with every page.
 */
import path from 'node:path'

interface Context {
  getModuleInfo(id: string): { importedIds: readonly string[] } | null
}

const HEAVY = /[\\/]node_modules[\\/](echarts|zrender|codemirror|@codemirror|@lezer|cronstrue|croner|fflate|@tanstack[\\/]react-virtual|anser)[\\/]/
const SHARED_LIBRARIES = /[\\/]node_modules[\\/](antd|@ant-design|@rc-component|rc-[\w-]+|@babel[\\/]runtime|@tanstack[\\/](query-core|react-query))[\\/]/

/** A Rolldown `codeSplitting.groups[].name`: 'pages' for a module of the shared chunk, else null. */
export function firstLoadChunks(root: string) {
  const ours = ['components', 'lib', 'api', 'features'].map((d) => path.join(root, 'src', d) + path.sep)
  const reachesHeavy = new Map<string, boolean>()
  function heavy(id: string, ctx: Context): boolean {
    const known = reachesHeavy.get(id)
    if (known !== undefined) return known
    reachesHeavy.set(id, false) // on a cycle, the first visit answers
    const result = HEAVY.test(id) || (ctx.getModuleInfo(id)?.importedIds ?? []).some((dep) => heavy(dep, ctx))
    reachesHeavy.set(id, result)
    return result
  }
  return (id: string, ctx: Context): string | null => {
    // A page is its route's own chunk (app/pages.ts), never part of the shared one.
    if (!SHARED_LIBRARIES.test(id) && !(ours.some((dir) => id.startsWith(dir)) && !/Page\.tsx$/.test(id))) return null
    return heavy(id, ctx) ? null : 'pages'
  }
}
