import { randomBytes } from 'node:crypto'
import path from 'node:path'
import type { FastifyRequest } from 'fastify'
import { TaskyardError, uploadFailed } from '../domain/errors.ts'

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
  /** File fields streamed to disk. */
  fileFields: readonly string[]
  /** File fields read as UTF-8 text, up to maxTextBytes. */
  textFields: readonly string[]
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
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (typeof part.value === 'string') form.fields[part.fieldname] = part.value
        continue
      }
      if (options.fileFields.includes(part.fieldname)) {
        if (form.files[part.fieldname]) throw uploadFailed(`Only one file may be sent as '${part.fieldname}'`)
        const dest = path.join(options.uploadsDir, `${Date.now()}-${randomBytes(6).toString('hex')}.upload`)
        form.files[part.fieldname] = { path: dest, filename: part.filename }
        await options.saveUpload(part.file, dest, options.maxUploadBytes)
      } else if (options.textFields.includes(part.fieldname)) {
        const chunks: Buffer[] = []
        let size = 0
        for await (const chunk of part.file) {
          size += (chunk as Buffer).length
          if (size > options.maxTextBytes) throw uploadFailed(`'${part.fieldname}' is larger than ${options.maxTextBytes} bytes`)
          chunks.push(chunk as Buffer)
        }
        form.texts[part.fieldname] = Buffer.concat(chunks).toString('utf8')
      } else {
        part.file.resume()
      }
    }
    return form
  } catch (error) {
    await Promise.all(Object.values(form.files).map((f) => options.discard(f.path)))
    throw error
  }
}
