/**
 * Checks a running server's answers against the response schemas its routes declare.
 *
 * `instrument` goes to createTestApp (HttpDeps.instrument): it records every route as it is
 * registered and every answer as it leaves, with the body BEFORE serialization — Fastify's
 * serializer drops fields a schema does not list and coerces types, so checking the bytes on the
 * wire would hide exactly the mismatches this is for. `problems()` then names every route with no
 * response schema, every route no answer exercised, and every answer its schema refuses.
 */
import { isDeepStrictEqual } from 'node:util'
import { Ajv, type ValidateFunction } from 'ajv'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SHARED_SCHEMAS } from '../../src/http/schemas/components.ts'

interface ContentEntry {
  content: Record<string, { schema: object }>
}
type ResponseEntry = object | ContentEntry
type ResponseSchemas = Record<string, ResponseEntry>

export interface Answer {
  route: string
  status: number
  contentType: string
  /** The payload the handler or error handler sent, as JSON would carry it; undefined when it sent a string, stream or nothing. */
  body: unknown
  /** The body on the wire, parsed, when it was serialized from `body`. */
  sent: unknown
}

const hasContent = (entry: ResponseEntry): entry is ContentEntry => 'content' in entry && typeof entry.content === 'object'
const mediaType = (contentType: string): string => contentType.split(';', 1)[0]!.trim().toLowerCase()

export class ResponseChecker {
  readonly routes = new Map<string, ResponseSchemas | undefined>()
  readonly answers: Answer[] = []
  private readonly raw = new WeakMap<FastifyRequest, unknown>()
  private readonly sent = new WeakMap<FastifyRequest, unknown>()
  private readonly ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
  private readonly compiled = new Map<object, ValidateFunction>()

  /**
   * @param exempt routes ('METHOD /url') that answer no API body, each with the reason: they are
   * neither required to declare a schema nor to be exercised.
   */
  private readonly exempt: Readonly<Record<string, string>>
  constructor(exempt: Readonly<Record<string, string>> = {}) {
    this.exempt = exempt
    for (const schema of SHARED_SCHEMAS) this.ajv.addSchema(schema)
  }

  /** Pass as `instrument` to createTestApp. */
  readonly instrument = (app: FastifyInstance): void => {
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method === 'HEAD') continue // Fastify's automatic HEAD routes share their GET's schema
        this.routes.set(`${method} ${route.url}`, route.schema?.response as ResponseSchemas | undefined)
      }
    })
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const url = request.routeOptions.url
      if (url === undefined) return // no route: the not-found handler
      const route = `${request.method} ${url}`
      // Every answer, Fastify's and the streamed ones (SSE, downloads) that hijack the reply and
      // skip the hooks, goes out through writeHead with its headers.
      const res = reply.raw
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => typeof res
      let contentType = ''
      res.writeHead = ((...args: unknown[]) => {
        const headers = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null) as Record<string, unknown> | undefined
        const found = headers && Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1]
        contentType = typeof found === 'string' ? found : String(res.getHeader('content-type') ?? '')
        return writeHead(...args)
      }) as typeof res.writeHead
      res.once('close', () => {
        this.answers.push({ route, status: res.statusCode, contentType, body: this.raw.get(request), sent: this.sent.get(request) })
      })
    })
    app.addHook('preSerialization', async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
      this.raw.set(request, JSON.parse(JSON.stringify(payload)) as unknown)
      return payload
    })
    app.addHook('onSend', async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
      if (this.raw.has(request) && typeof payload === 'string') this.sent.set(request, JSON.parse(payload) as unknown)
      return payload
    })
  }

  private validator(schema: object): ValidateFunction {
    let v = this.compiled.get(schema)
    if (!v) {
      v = this.ajv.compile(schema)
      this.compiled.set(schema, v)
    }
    return v
  }

  /** Waits for answers still being written (a 'close' comes just after the client has the body). */
  async settled(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  /** Every problem found, one line each; empty when every route is declared, exercised and answered to its schema. */
  problems(): string[] {
    const problems: string[] = []
    for (const [route, response] of this.routes) {
      if (route in this.exempt) continue
      if (!response) {
        problems.push(`${route}: no response schema`)
        continue
      }
      if (!Object.keys(response).some((s) => s.startsWith('2'))) problems.push(`${route}: no success (2xx) response schema`)
      if (!('4xx' in response) && !Object.keys(response).some((s) => s.startsWith('4'))) problems.push(`${route}: no error (4xx) response schema`)
      for (const entry of Object.values(response)) {
        for (const schema of hasContent(entry) ? Object.values(entry.content).map((c) => c.schema) : [entry]) {
          try {
            this.validator(schema)
          } catch (error) {
            problems.push(`${route}: a response schema does not compile: ${(error as Error).message}`)
          }
        }
      }
      const answered = this.answers.filter((a) => a.route === route)
      if (!answered.some((a) => a.status >= 200 && a.status < 300)) problems.push(`${route}: no success answer exercised it`)
      if (!answered.some((a) => a.status >= 400)) problems.push(`${route}: no error answer exercised it`)
    }
    for (const answer of this.answers) {
      const problem = this.check(answer)
      if (problem) problems.push(`${answer.route} → ${answer.status}: ${problem}`)
    }
    return problems
  }

  /** What is wrong with one answer, or null. */
  check(answer: Answer): string | null {
    if (answer.route in this.exempt) return null
    const response = this.routes.get(answer.route)
    if (!response) return 'the route declares no response schema'
    const entry = response[String(answer.status)] ?? response[`${String(answer.status)[0]}xx`] ?? response.default
    if (!entry) return `no schema for this status (declared: ${Object.keys(response).join(', ')})`
    const type = mediaType(answer.contentType)
    let schema: object
    if (hasContent(entry)) {
      const declared = entry.content[type]
      if (!declared) return `content-type ${answer.contentType || '(none)'} is not declared (declared: ${Object.keys(entry.content).join(', ')})`
      if (type !== 'application/json') return null // a stream or a file: its content type is all a schema says
      schema = declared.schema
    } else if (answer.status === 204) {
      return (entry as { type?: string }).type === 'null' && answer.body === undefined ? null : '204 must declare type null and send no body'
    } else {
      if (type !== 'application/json') return `content-type ${answer.contentType || '(none)'}, but the schema describes JSON`
      schema = entry
    }
    if (answer.body === undefined) return 'a JSON answer whose body was not seen before serialization'
    const validate = this.validator(schema)
    if (validate(answer.body)) {
      // The schema accepts the body; the serializer must then have sent it unchanged.
      return isDeepStrictEqual(answer.sent, answer.body) ? null : `the serializer changed the body: sent ${JSON.stringify(answer.sent).slice(0, 400)}`
    }
    return `${this.ajv.errorsText(validate.errors, { separator: '; ' })} in ${JSON.stringify(answer.body).slice(0, 400)}`
  }
}
