import { randomBytes } from 'node:crypto'
import path from 'node:path'
import type { FastifyRequest } from 'fastify'
import { TaskyardError, uploadFailed } from '../domain/errors.ts'
import { assertKnownFields } from './known-fields.ts'
import type { MultipartFieldKind } from './schemas/tasks.ts'

export interface ParsedForm {
  fields: Record<string, string>
  /** Uploaded files by field name, each already whole on disk. */
  files: Record<string, { path: string; filename: string }>
  /** Text of small file parts read into memory (requirements_file). */
  texts: Record<string, string>
}

export interface MultipartOptions {
  uploadsDir: string
  maxUploadBytes: number
  /**
   * Every field the route accepts: 'file' parts stream to disk, 'text' file parts are read as
   * UTF-8 up to maxTextBytes (or come as plain fields). Any other name is refused, all named.
   */
  fields: Readonly<Record<string, MultipartFieldKind>>
  maxTextBytes: number
  saveUpload(stream: NodeJS.ReadableStream, destPath: string, maxBytes: number): Promise<number>
  discard(path: string): Promise<void>
}

/**
 * Reads a multipart form in arrival order: file parts stream straight to disk under the size cap;
 * small file parts (requirements.txt) become text. On any error every saved file is removed, so
 * an upload is either whole or gone.
 */
export async function parseMultipart(request: FastifyRequest, options: MultipartOptions): Promise<ParsedForm> {
  if (!request.isMultipart()) {
    throw new TaskyardError('invalid_input', 'Invalid request', { error: 'Content-Type must be multipart/form-data' })
  }
  const form: ParsedForm = { fields: {}, files: {}, texts: {} }
  const sent: string[] = []
  const kindOf = (name: string): MultipartFieldKind | undefined => (Object.hasOwn(options.fields, name) ? options.fields[name] : undefined)
  try {
    for await (const part of request.parts()) {
      sent.push(part.fieldname)
      const kind = kindOf(part.fieldname)
      if (part.type === 'field') {
        if (kind === 'file') throw uploadFailed(`'${part.fieldname}' must be sent as a file, not as a text field`)
        if (kind !== undefined && typeof part.value === 'string') form.fields[part.fieldname] = part.value
        continue
      }
      if (kind === 'file') {
        if (form.files[part.fieldname]) throw uploadFailed(`Only one file may be sent as '${part.fieldname}'`)
        const dest = path.join(options.uploadsDir, `${Date.now()}-${randomBytes(6).toString('hex')}.upload`)
        form.files[part.fieldname] = { path: dest, filename: part.filename }
        await options.saveUpload(part.file, dest, options.maxUploadBytes)
      } else if (kind === 'text') {
        const chunks: Buffer[] = []
        let size = 0
        for await (const chunk of part.file) {
          size += (chunk as Buffer).length
          if (size > options.maxTextBytes) throw uploadFailed(`'${part.fieldname}' is larger than ${options.maxTextBytes} bytes`)
          chunks.push(chunk as Buffer)
        }
        form.texts[part.fieldname] = Buffer.concat(chunks).toString('utf8')
      } else if (kind === 'field') {
        throw new TaskyardError('invalid_input', 'Invalid request', { error: `'${part.fieldname}' must be a text field, not a file` })
      } else {
        // Drained, not stored: an unknown part is refused below with every other unknown name.
        part.file.resume()
      }
    }
    assertKnownFields(sent, Object.keys(options.fields))
    return form
  } catch (error) {
    // What the client is still sending is read and dropped: left unread, it would hold the
    // connection open until a timeout and the client would see a reset instead of our answer.
    request.raw.unpipe()
    request.raw.resume()
    await Promise.all(Object.values(form.files).map((f) => options.discard(f.path)))
    throw error
  }
}

/**
 * parseMultipart, then `map` from the form to a service's typed input. When `map` refuses the
 * form, every saved file is removed: the service that would have removed them never gets them.
 */
export async function parseMultipartAs<T>(request: FastifyRequest, options: MultipartOptions, map: (form: ParsedForm) => T): Promise<T> {
  const form = await parseMultipart(request, options)
  try {
    return map(form)
  } catch (error) {
    await Promise.all(Object.values(form.files).map((f) => options.discard(f.path)))
    throw error
  }
}
