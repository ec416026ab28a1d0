import type { FastifyReply, FastifyRequest } from 'fastify'

export interface Download {
  /** Sends the bytes through `write`, which must resolve only once a chunk's buffer may be reused. */
  copyTo(write: (chunk: Uint8Array) => Promise<void>): Promise<void>
  /** Releases the source unsent. */
  close(): Promise<void>
}

/**
 * Writes a download straight to the socket: each chunk resolves when the socket has taken it, so
 * the source reuses its buffers and a slow client only slows its own download. A client that goes
 * away ends the copy (its pending write fails) and the source is closed.
 */
export async function sendDownload(request: FastifyRequest, reply: FastifyReply, download: Download, headers: Record<string, string>): Promise<FastifyReply> {
  const res = reply.raw
  reply.hijack()
  res.writeHead(200, headers)
  if (request.method === 'HEAD') {
    // Headers only: reading the file would be for nothing.
    await download.close()
    res.end()
    return reply
  }
  let gone: Error | null = null
  const waiters = new Set<(error: Error) => void>()
  const onClose = (): void => {
    if (res.writableFinished) return
    gone = new Error('the client went away')
    for (const fail of waiters) fail(gone)
  }
  res.on('close', onClose)
  const write = (chunk: Uint8Array): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (gone) return reject(gone)
      const fail = (error: Error): void => reject(error)
      waiters.add(fail)
      res.write(chunk, (error) => {
        waiters.delete(fail)
        if (error) reject(error)
        else resolve()
      })
    })
  try {
    await download.copyTo(write)
    res.end()
  } catch (error) {
    if (!gone) request.log.error({ err: error }, 'download failed')
    // Fewer bytes than Content-Length promised: the connection must not look like a whole file.
    res.destroy()
  } finally {
    res.off('close', onClose)
  }
  return reply
}
