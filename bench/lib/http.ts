/**
 * A lean HTTP client over node:http with keep-alive. The server under test runs in this very
 * process, so the client's own CPU cost counts against it: no fetch/FormData machinery here, the
 * multipart bodies are plain pre-built buffers.
 */
import http from 'node:http'
import { randomBytes } from 'node:crypto'

export interface HttpResponse {
  status: number
  text: string
}

export class HttpClient {
  readonly #url: URL
  readonly #maxSockets: number
  #agent: http.Agent
  /** Sent with every request once set (the bench logs in as the bootstrap admin). */
  #authorization: string | null = null

  setBearer(token: string): void {
    this.#authorization = `Bearer ${token}`
  }

  /** The Authorization header this client sends (for a load client in another process). */
  get authorization(): string | null {
    return this.#authorization
  }

  setAuthorization(value: string): void {
    this.#authorization = value
  }

  constructor(baseUrl: string, maxSockets = 16) {
    this.#url = new URL(baseUrl)
    this.#maxSockets = maxSockets
    this.#agent = new http.Agent({ keepAlive: true, maxSockets })
  }

  /**
   * Drops the pooled connections and starts a new pool: after a long pause (seeding a million
   * runs) the server has closed them (keep-alive 72 s), and reusing one would be ECONNRESET.
   */
  reconnect(): void {
    this.#agent.destroy()
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: this.#maxSockets })
  }

  request(method: string, path: string, body?: Buffer, headers: Record<string, string | number> = {}): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          method,
          path,
          agent: this.#agent,
          headers: {
            ...(this.#authorization ? { authorization: this.#authorization } : {}),
            ...headers,
            ...(body ? { 'content-length': body.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  /** Like request(), but throws unless the status is `expect`, and parses the JSON body. */
  async json(method: string, path: string, expect: number, body?: Buffer, headers?: Record<string, string | number>): Promise<any> {
    const res = await this.request(method, path, body, headers)
    if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${res.text.slice(0, 500)}`)
    return JSON.parse(res.text)
  }

  close(): void {
    this.#agent.destroy()
  }
}

/** A multipart/form-data body: text fields, then one file. */
export function multipartBody(fields: Record<string, string>, file: { field: string; name: string; content: string }): { body: Buffer; contentType: string } {
  const boundary = `----taskyardbench${randomBytes(8).toString('hex')}`
  let text = ''
  for (const [k, v] of Object.entries(fields)) {
    text += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`
  }
  text += `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n${file.content}\r\n`
  text += `--${boundary}--\r\n`
  return { body: Buffer.from(text), contentType: `multipart/form-data; boundary=${boundary}` }
}

/** POST /api/tasks with a one-line shell script; returns the created task's id. */
export async function createTask(client: HttpClient, fields: Record<string, string>): Promise<number> {
  const { body, contentType } = multipartBody({ conda_env: 'base', ...fields }, { field: 'script_file', name: 'job.sh', content: 'true\n' })
  const created = await client.json('POST', '/api/tasks', 201, body, { 'content-type': contentType })
  const id = Number(created.task?.task_id ?? created.task?.id)
  if (!Number.isInteger(id)) throw new Error(`POST /api/tasks: no task id in ${JSON.stringify(created).slice(0, 300)}`)
  return id
}
