/** A minimal SSE reader for tests: the raw frames as the server sent them, parsed per the spec. */
export interface SseFrame {
  id: string | undefined
  event: string | undefined
  data: string
}

/** Stopping early (a `break`, a failed assertion in the loop) cancels the body, which closes the stream on the server. */
export async function* readSse(res: Response): AsyncGenerator<SseFrame> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  try {
    yield* frames(reader)
  } finally {
    await reader.cancel().catch(() => {})
  }
}

async function* frames(reader: ReadableStreamDefaultReader<string>): AsyncGenerator<SseFrame> {
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += value
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const frame: SseFrame = { id: undefined, event: undefined, data: '' }
      const data: string[] = []
      for (const line of block.split(/\r\n|\r|\n/)) {
        if (line.startsWith(':')) continue
        const i = line.indexOf(':')
        const field = i < 0 ? line : line.slice(0, i)
        const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '')
        if (field === 'data') data.push(val)
        else if (field === 'id') frame.id = val
        else if (field === 'event') frame.event = val
      }
      if (data.length === 0) continue
      frame.data = data.join('\n')
      yield frame
    }
  }
}
