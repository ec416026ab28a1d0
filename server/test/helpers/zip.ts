/**
 * ZIP archives for tests. `zipFiles` makes ordinary archives with yazl, as real tools would;
 * `rawZip` writes local headers and a central directory byte by byte, so a test can make the
 * hostile archives that well-behaved writers refuse to: any name, any attributes, lying sizes.
 */
import { writeFile } from 'node:fs/promises'
import zlib from 'node:zlib'
import yazl from 'yazl'

export interface RawZipEntry {
  /** Written as given: a string is stored as UTF-8 (and flagged so), a Buffer byte for byte. */
  name: string | Buffer
  content?: string | Buffer
  /** Default 'deflate'. */
  method?: 'store' | 'deflate'
  /** The uncompressed size both headers declare; default the real size. */
  declaredSize?: number
  /** The whole 32-bit external attributes; default from `unixMode`. */
  externalAttributes?: number
  /** A unix st_mode (type and permission bits); default 0o100644, or 0o040755 for names ending in '/'. */
  unixMode?: number
  /** Extra general purpose bits, e.g. 0x1 (encrypted). */
  flags?: number
  /** The CRC-32 both headers declare; default the real one. */
  crc?: number
}

export const S_IFLNK = 0o120000
export const S_IFIFO = 0o010000
export const S_IFCHR = 0o020000

const VERSION = 20
const MADE_BY_UNIX = (3 << 8) | VERSION
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1

export function rawZip(entries: readonly RawZipEntry[]): Buffer {
  const chunks: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name
    const data = typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : (e.content ?? Buffer.alloc(0))
    const method = e.method ?? 'deflate'
    const body = method === 'deflate' ? zlib.deflateRawSync(data) : data
    const crc = e.crc ?? zlib.crc32(data)
    const size = e.declaredSize ?? data.length
    const flags = (e.flags ?? 0) | (typeof e.name === 'string' ? 0x800 : 0)
    const isDirName = name.length > 0 && name[name.length - 1] === 0x2f
    const unixMode = e.unixMode ?? (isDirName ? 0o040755 : 0o100644)
    const external = e.externalAttributes ?? ((unixMode << 16) >>> 0) | (isDirName ? 0x10 : 0)

    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(VERSION, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(method === 'deflate' ? 8 : 0, 8)
    local.writeUInt16LE(0, 10)
    local.writeUInt16LE(DOS_DATE_1980_01_01, 12)
    local.writeUInt32LE(crc >>> 0, 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(size, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)

    const header = Buffer.alloc(46)
    header.writeUInt32LE(0x02014b50, 0)
    header.writeUInt16LE(MADE_BY_UNIX, 4)
    header.writeUInt16LE(VERSION, 6)
    header.writeUInt16LE(flags, 8)
    header.writeUInt16LE(method === 'deflate' ? 8 : 0, 10)
    header.writeUInt16LE(0, 12)
    header.writeUInt16LE(DOS_DATE_1980_01_01, 14)
    header.writeUInt32LE(crc >>> 0, 16)
    header.writeUInt32LE(body.length, 20)
    header.writeUInt32LE(size, 24)
    header.writeUInt16LE(name.length, 28)
    header.writeUInt16LE(0, 30) // extra field length
    header.writeUInt16LE(0, 32) // comment length
    header.writeUInt16LE(0, 34) // disk number
    header.writeUInt16LE(0, 36) // internal attributes
    header.writeUInt32LE(external >>> 0, 38)
    header.writeUInt32LE(offset, 42)

    chunks.push(local, name, body)
    central.push(header, name)
    offset += local.length + name.length + body.length
  }
  const centralDir = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(0, 4)
  end.writeUInt16LE(0, 6)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(centralDir.length, 12)
  end.writeUInt32LE(offset, 16)
  end.writeUInt16LE(0, 20)
  return Buffer.concat([...chunks, centralDir, end])
}

/** A well-formed archive as yazl writes it; names ending in '/' become folder entries. */
export function zipFiles(files: Readonly<Record<string, string | Buffer>>, options: { mode?: number } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('/')) zip.addEmptyDirectory(name)
    else zip.addBuffer(typeof content === 'string' ? Buffer.from(content, 'utf8') : content, name, options.mode === undefined ? {} : { mode: options.mode })
  }
  zip.end()
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    zip.outputStream.on('data', (chunk: Buffer) => parts.push(chunk))
    zip.outputStream.on('error', reject)
    zip.outputStream.on('end', () => resolve(Buffer.concat(parts)))
  })
}

export async function writeZip(file: string, zip: Buffer | Promise<Buffer>): Promise<string> {
  await writeFile(file, await zip)
  return file
}
