import { randomUUID } from 'node:crypto'
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import type { TaskSource } from '../domain/task.ts'
import { insufficientStorage, isDiskFull, uploadFailed } from '../domain/errors.ts'
import { extractZip, type ZipLimits } from './extract-zip.ts'
import { quoteName } from './quote-name.ts'
import { hasControlCharacters } from '../lib/control-characters.ts'

export interface PrepareTaskFilesInput extends ZipLimits {
  /** The upload as saved on disk. Never changed or removed here: it stays the caller's. */
  uploadPath: string
  /** The file name the client sent. */
  originalName: string
  /** Where staging directories are made; on the same file system as the task directories. */
  stagingRoot: string
  /**
   * The command the task will run, if known. A ZIP whose files all sit under one folder is
   * unpacked from inside it, unless this command names paths through that folder.
   */
  command?: string | null | undefined
}

export interface PreparedTaskFiles {
  /** A new directory inside the staging root holding exactly the task's files. */
  dir: string
  source: TaskSource
  /** The single script's name; '' for a ZIP. */
  scriptFile: string
  /** Relative '/'-separated paths of the files, sorted. */
  files: string[]
  /** The one top-level folder of a ZIP that was unpacked from inside it; null otherwise. */
  unwrappedFolder: string | null
}

const MAX_NAME_BYTES = 255

/**
 * Turns an upload into a staging directory: a ZIP (known by its first bytes, or a .zip name) is
 * extracted; anything else is one script kept under its own name. On refusal (upload_failed,
 * naming what is wrong) nothing is left in the staging root.
 */
export async function prepareTaskFiles(input: PrepareTaskFilesInput): Promise<PreparedTaskFiles> {
  try {
    return await prepareInto(input)
  } catch (error) {
    if (isDiskFull(error)) throw insufficientStorage(`unpacking the upload into ${input.stagingRoot}`)
    throw error
  }
}

async function prepareInto(input: PrepareTaskFilesInput): Promise<PreparedTaskFiles> {
  await mkdir(input.stagingRoot, { recursive: true })
  const dir = path.join(input.stagingRoot, `staging-${randomUUID()}`)
  if ((await startsLikeZip(input.uploadPath)) || /\.zip$/i.test(input.originalName)) {
    const files = await extractZip(input.uploadPath, dir, input)
    if (files.length === 0) {
      await rm(dir, { recursive: true, force: true })
      throw uploadFailed('The ZIP archive holds no files')
    }
    return unwrapSingleFolder({ dir, source: 'zip', scriptFile: '', files, unwrappedFolder: null }, input.command ?? null)
  }
  const scriptFile = scriptFileName(input.originalName)
  await mkdir(dir)
  try {
    await copyFile(input.uploadPath, path.join(dir, scriptFile))
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  return { dir, source: 'file', scriptFile, files: [scriptFile], unwrappedFolder: null }
}

/**
 * spec 000 asks for no top-level folder in a ZIP, but zipping a folder makes one: when every
 * file sits under one folder, its contents become the task directory (a rename, no copying).
 * Not when the command goes through the folder (`python proj/main.py`): it means the layout.
 */
async function unwrapSingleFolder(prepared: PreparedTaskFiles, command: string | null): Promise<PreparedTaskFiles> {
  const top = prepared.files[0]!.split('/')[0]!
  const single = prepared.files.every((f) => f.startsWith(`${top}/`))
  if (!single || (command !== null && command.includes(`${top}/`))) return prepared
  const unwrapped = `${prepared.dir}-unwrapped`
  try {
    await rename(path.join(prepared.dir, top), unwrapped)
  } finally {
    await rm(prepared.dir, { recursive: true, force: true })
  }
  await rename(unwrapped, prepared.dir)
  return { ...prepared, files: prepared.files.map((f) => f.slice(top.length + 1)), unwrappedFolder: top }
}

/** The name a single uploaded script is stored under: the client's, if it is a plain file name. */
export function scriptFileName(originalName: string): string {
  const name = originalName.trim()
  const q = quoteName(originalName)
  if (name === '') throw uploadFailed('The uploaded file has no name')
  if (name.includes('\u0000')) throw uploadFailed(`File name ${q} has a NUL character`)

  if (hasControlCharacters(name)) throw uploadFailed(`File name ${q} has control characters`)
  if (name.includes('/') || name.includes('\\')) throw uploadFailed(`File name ${q} must not contain '/' or '\\'`)
  if (name === '.' || name === '..') throw uploadFailed(`File name ${q} is not a file name`)
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw uploadFailed(`File name ${q} is longer than ${MAX_NAME_BYTES} bytes`)
  return name
}

/** `PK\x03\x04` opens a ZIP with entries, `PK\x05\x06` an empty one. */
async function startsLikeZip(file: string): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const head = Buffer.alloc(4)
    const { bytesRead } = await handle.read(head, 0, 4, 0)
    if (bytesRead < 4) return false
    return head.equals(Buffer.from('PK\x03\x04', 'latin1')) || head.equals(Buffer.from('PK\x05\x06', 'latin1'))
  } finally {
    await handle.close()
  }
}

/** How a single uploaded file runs, by its extension. */
const RUNNER_BY_EXTENSION: ReadonlyMap<string, string> = new Map([
  ['.py', 'python'],
  ['.sh', 'sh'],
  ['.js', 'node'],
  ['.mjs', 'node'],
  ['.cjs', 'node'],
])

/**
 * spec 000: a ZIP runs `python main.py` unless a command is given; a single file runs with the
 * interpreter its extension names. Null for any other file: the user must say how to run it.
 */
export function defaultCommand(source: TaskSource, scriptFile: string): string | null {
  if (source === 'zip') return 'python main.py'
  const runner = RUNNER_BY_EXTENSION.get(path.extname(scriptFile).toLowerCase())
  return runner === undefined ? null : `${runner} ${shellWord(scriptFile)}`
}

/**
 * For update-script without a command (spec 000: "自动检测主要脚本文件"): main.py if present,
 * else the only .py file at the top of the archive; null when there is no clear choice.
 */
export function detectMainScript(files: readonly string[]): string | null {
  if (files.includes('main.py')) return 'main.py'
  const topLevel = files.filter((f) => !f.includes('/') && f.toLowerCase().endsWith('.py'))
  return topLevel.length === 1 ? topLevel[0]! : null
}

/** One /bin/sh word naming a file in the working directory; never read as an option by the interpreter. */
function shellWord(fileName: string): string {
  const name = fileName.startsWith('-') ? `./${fileName}` : fileName
  if (/^[A-Za-z0-9_.,+@%=:/-]+$/.test(name)) return name
  return `'${name.replaceAll("'", `'\\''`)}'`
}
