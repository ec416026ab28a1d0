import { strToU8, zipSync, type Zippable } from 'fflate'
import type { ResponseOf } from '../../api/client'

/** One entry of GET /api/tasks/{id}/files. */
export type TaskFileEntry = ResponseOf<'/api/tasks/{task_id}/files', 'get'>['files'][number]

export interface FileTreeNode {
  key: string
  title: string
  isLeaf: boolean
  children?: FileTreeNode[]
}

/** The flat, path-sorted listing as a tree (AntD Tree's shape); folders first, then files, each by name. */
export function buildFileTree(entries: readonly TaskFileEntry[]): FileTreeNode[] {
  const root: FileTreeNode[] = []
  const folders = new Map<string, FileTreeNode[]>([['', root]])
  for (const e of entries) {
    const slash = e.path.lastIndexOf('/')
    const parent = folders.get(slash < 0 ? '' : e.path.slice(0, slash)) ?? root
    const node: FileTreeNode = { key: e.path, title: e.path.slice(slash + 1), isLeaf: e.type !== 'directory' }
    if (e.type === 'directory') {
      node.children = []
      folders.set(e.path, node.children)
    }
    parent.push(node)
  }
  const order = (nodes: FileTreeNode[]): FileTreeNode[] => {
    nodes.sort((a, b) => Number(a.isLeaf) - Number(b.isLeaf) || a.title.localeCompare(b.title))
    for (const n of nodes) if (n.children) order(n.children)
    return nodes
  }
  return order(root)
}

/** Why the task's files cannot be sent back whole through update-script, or null when they can. */
export type SaveBlocker = { key: 'files.why.truncated' } | { key: 'files.why.unsupported'; path: string } | { key: 'files.why.tooLarge'; path: string }

export function saveBlocker(entries: readonly TaskFileEntry[], truncated: boolean, maxReadBytes: number): SaveBlocker | null {
  if (truncated) return { key: 'files.why.truncated' }
  for (const e of entries) {
    if (e.type === 'symlink' || e.type === 'other') return { key: 'files.why.unsupported', path: e.path }
    if (e.type === 'file' && e.size > maxReadBytes) return { key: 'files.why.tooLarge', path: e.path }
  }
  return null
}

/** A file's bytes as the content route gives them. */
export function decodeContent(body: { encoding: 'utf-8' | 'base64'; content: string }): Uint8Array {
  if (body.encoding === 'utf-8') return strToU8(body.content)
  return Uint8Array.from(atob(body.content), (c) => c.charCodeAt(0))
}

const S_IFREG = 0o100000
const S_IFDIR = 0o040000

/**
 * What update-script receives: update-script replaces the whole task directory, so a single-file
 * task gets its one file back under its own name, and anything else a ZIP of every file and
 * folder (execute bits kept, as extract-zip reads them), with the edited texts in place.
 */
export function buildScriptUpload(entries: readonly TaskFileEntry[], contents: ReadonlyMap<string, Uint8Array>, edited: ReadonlyMap<string, string>): File {
  const bytesOf = (path: string): Uint8Array => {
    const text = edited.get(path)
    if (text !== undefined) return strToU8(text)
    const bytes = contents.get(path)
    if (!bytes) throw new Error(`the content of ${path} was not read`)
    return bytes
  }
  const only = entries[0]
  if (entries.length === 1 && only?.type === 'file') return new File([bytesOf(only.path) as BlobPart], only.path.split('/').pop()!)
  const zippable: Zippable = {}
  for (const e of entries) {
    if (e.type === 'directory') zippable[`${e.path}/`] = [new Uint8Array(0), { attrs: (S_IFDIR | 0o755) << 16, os: 3 }]
    else if (e.type === 'file') zippable[e.path] = [bytesOf(e.path), { attrs: (S_IFREG | (e.executable ? 0o755 : 0o644)) << 16, os: 3 }]
  }
  return new File([zipSync(zippable) as BlobPart], 'files.zip', { type: 'application/zip' })
}
