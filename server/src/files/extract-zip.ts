import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import yauzl from 'yauzl'
import { TaskyardError, uploadFailed } from '../domain/errors.ts'
import { formatBytes } from './format-bytes.ts'
import { quoteName } from './quote-name.ts'
import { hasControlCharacters } from '../lib/control-characters.ts'

export interface ZipLimits {
  /** Entries of any kind (files and folders) the archive may list. */
  maxEntries: number
  /** Bytes the extracted files may take, counted as they are written. */
  maxExtractedBytes: number
}

const S_IFMT = 0o170000
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000
const MSDOS_DIRECTORY = 0x10

type Kind = 'file' | 'dir'

/**
 * Extracts a ZIP archive into `destDir`, which this creates and which must not exist yet.
 * Returns the extracted files' relative paths ('/'-separated), sorted.
 *
 * Invariants: nothing is ever written outside `destDir`; no link, device or FIFO is created; no
 * file is written twice; the bytes written never exceed `maxExtractedBytes` whatever the headers
 * claim. Any refusal throws upload_failed naming the entry at fault, after removing `destDir`.
 */
export async function extractZip(zipPath: string, destDir: string, limits: ZipLimits): Promise<string[]> {
  await mkdir(destDir)
  try {
    return await extractInto(zipPath, destDir, limits)
  } catch (error) {
    await rm(destDir, { recursive: true, force: true })
    throw error
  }
}

async function extractInto(zipPath: string, destDir: string, limits: ZipLimits): Promise<string[]> {
  let zip: yauzl.ZipFile
  try {
    // decodeStrings off: names are decoded and judged below, so every refusal can name its entry.
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, validateEntrySizes: true, autoClose: true, decodeStrings: false })
  } catch (error) {
    throw uploadFailed(`The file is not a valid ZIP archive (${messageOf(error)})`)
  }
  // yauzl may report a late error after we stopped listening; it must not crash the process.
  zip.on('error', () => {})
  const entries = zip.eachEntry()
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw uploadFailed(`The archive has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`)
    }
    const seen = new Map<string, { kind: Kind; explicit: boolean }>()
    const files: string[] = []
    const budget = { declared: 0, written: 0 }
    let previous: string | null = null
    for (let index = 1; ; index++) {
      let next: IteratorResult<yauzl.Entry>
      try {
        next = await entries.next()
      } catch (error) {
        const where = previous === null ? `at its entry #${index}` : `at entry #${index} (after ${quoteName(previous)})`
        throw uploadFailed(`The ZIP archive is corrupt ${where}: ${messageOf(error)}`)
      }
      if (next.done) break
      const entry = next.value
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true)
      previous = name
      const { rel, kind } = judgeEntry(entry, name, index)
      if (rel === '') continue // a folder entry for the archive root ('./') adds nothing
      claimPath(seen, rel, kind, name)
      const target = path.join(destDir, ...rel.split('/'))
      if (!target.startsWith(destDir + path.sep)) throw uploadFailed(`Entry ${quoteName(name)} points outside the extraction folder`)
      if (kind === 'dir') {
        await mkdirFor(target, name)
        continue
      }
      budget.declared += entry.uncompressedSize
      if (budget.declared > limits.maxExtractedBytes) throw tooLarge(name, limits.maxExtractedBytes)
      await mkdirFor(path.dirname(target), name)
      await writeEntry(zip, entry, name, target, budget, limits.maxExtractedBytes)
      files.push(rel)
    }
    return files.sort()
  } finally {
    await entries.return?.()
    zip.close()
  }
}

/** Refuses what must never be extracted; returns the normalised relative path and the kind. */
function judgeEntry(entry: yauzl.Entry, name: string, index: number): { rel: string; kind: Kind } {
  const q = quoteName(name)
  if (name === '') throw uploadFailed(`Entry #${index} of the archive has an empty name`)
  if (name.includes('\u0000')) throw uploadFailed(`Entry ${q} has a NUL character in its name`)
  // A newline or escape in a file name would forge lines in logs and listings, and breaks commands.
  if (hasControlCharacters(name)) throw uploadFailed(`Entry ${q} has control characters in its name`)
  if (name.includes('\\')) throw uploadFailed(`Entry ${q} contains a backslash; ZIP entry names must separate folders with '/'`)
  if (name.startsWith('/')) throw uploadFailed(`Entry ${q} is an absolute path`)
  if (/^[A-Za-z]:/.test(name)) throw uploadFailed(`Entry ${q} starts with a drive letter`)
  const segments = name.split('/')
  if (segments.includes('..')) throw uploadFailed(`Entry ${q} points outside the extraction folder ('..')`)

  const mode = (entry.externalFileAttributes >>> 16) & 0xffff
  const type = mode & S_IFMT
  if (type === S_IFLNK) throw uploadFailed(`Entry ${q} is a symbolic link, which uploaded archives may not contain`)
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
    throw uploadFailed(`Entry ${q} is a special file (device, FIFO or socket), which uploaded archives may not contain`)
  }
  if (entry.isEncrypted()) throw uploadFailed(`Entry ${q} is encrypted; upload an archive without a password`)
  const isDir = name.endsWith('/') || type === S_IFDIR || (type === 0 && (entry.externalFileAttributes & MSDOS_DIRECTORY) !== 0)
  if (!isDir && entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw uploadFailed(`Entry ${q} uses compression method ${entry.compressionMethod}; only stored and deflated entries are supported`)
  }
  const rel = segments.filter((s) => s !== '' && s !== '.').join('/')
  if (rel === '' && !isDir) throw uploadFailed(`Entry ${q} does not name a file`)
  return { rel, kind: isDir ? 'dir' : 'file' }
}

/** Duplicates are judged on normalised paths, and a path is a file or a folder, never both. */
function claimPath(seen: Map<string, { kind: Kind; explicit: boolean }>, rel: string, kind: Kind, name: string): void {
  const q = quoteName(name)
  const parts = rel.split('/')
  for (let i = 1; i < parts.length; i++) {
    const ancestor = parts.slice(0, i).join('/')
    const had = seen.get(ancestor)
    if (had?.kind === 'file') throw uploadFailed(`Entry ${q} would put a file inside ${quoteName(ancestor)}, which is a file in the archive`)
    if (!had) seen.set(ancestor, { kind: 'dir', explicit: false })
  }
  const had = seen.get(rel)
  if (had) {
    if (had.kind !== kind) throw uploadFailed(`Entry ${q} is both a file and a folder in the archive`)
    if (kind === 'file' || had.explicit) throw uploadFailed(`Entry ${q} appears more than once in the archive`)
    had.explicit = true
    return
  }
  seen.set(rel, { kind, explicit: true })
}

async function writeEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, name: string, target: string, budget: { written: number }, maxBytes: number): Promise<void> {
  const mode = (entry.externalFileAttributes >>> 16) & 0o111 ? 0o755 : 0o644
  let crc = 0
  // Counts what inflating really produces: a lying header cannot carry the total past the cap.
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      budget.written += chunk.length
      if (budget.written > maxBytes) {
        callback(tooLarge(name, maxBytes))
        return
      }
      crc = zlib.crc32(chunk, crc)
      callback(null, chunk)
    },
    flush(callback) {
      callback(crc === entry.crc32 ? null : uploadFailed(`Entry ${quoteName(name)} is corrupt: its checksum does not match`))
    },
  })
  try {
    const source = await zip.openReadStreamPromise(entry)
    // 'wx': a path is written once, and never through something already there.
    await pipeline(source, counter, createWriteStream(target, { flags: 'wx', mode }))
  } catch (error) {
    throw entryError(error, name)
  }
}

async function mkdirFor(dir: string, name: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (error) {
    throw entryError(error, name)
  }
}

/** File system trouble is the server's (500), except names this file system cannot hold. */
function entryError(error: unknown, name: string): unknown {
  if (error instanceof TaskyardError) return error
  const q = quoteName(name)
  const err = error as NodeJS.ErrnoException
  if (err.code === 'ENAMETOOLONG') return uploadFailed(`Entry ${q} has a name too long for the file system`)
  if (err.syscall !== undefined) return error
  if (/too many bytes/.test(err.message)) return uploadFailed(`Entry ${q} holds more data than its header declares`)
  return uploadFailed(`Entry ${q} is corrupt: ${messageOf(error)}`)
}

function tooLarge(name: string, maxBytes: number): TaskyardError {
  return uploadFailed(`Entry ${quoteName(name)} would take the extracted files past the limit of ${formatBytes(maxBytes)}`)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
