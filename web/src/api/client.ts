/**
 * A small typed fetch client over the generated OpenAPI types (schema.d.ts, from ../openapi.json).
 * Paths are checked against the server's routes: a removed or renamed route breaks the typecheck.
 * Cookie auth: the browser sends the `session` cookie itself; the served UI is same-origin.
 */
import type { paths } from './schema'

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'
type PathsWith<M extends Method> = { [P in keyof paths]: paths[P] extends Record<M, object> ? P : never }[keyof paths]
type Op<P extends keyof paths, M extends Method> = paths[P] extends Record<M, infer O> ? O : never
type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : unknown
/** The 200/201 JSON body the route's schema declares; unknown where the route has no response schema yet. */
export type ResponseOf<P extends keyof paths, M extends Method> =
  Op<P, M> extends { responses: infer R } ? (R extends { 200: infer S } ? JsonOf<S> : R extends { 201: infer S } ? JsonOf<S> : unknown) : unknown
export type BodyOf<P extends keyof paths, M extends Method> = Op<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never

/** A refused request: the server's status and its `{ success: false, message, error }` body. */
export class ApiError extends Error {
  readonly status: number
  readonly body: { success?: false; message?: string; error?: string; [k: string]: unknown }
  constructor(status: number, body: ApiError['body']) {
    super(body.message ?? `HTTP ${status}`)
    this.status = status
    this.body = body
  }
  /** What to tell the user: the server's words, message and detail. */
  get detail(): string {
    return [this.body.message, this.body.error].filter((s) => typeof s === 'string' && s !== '').join(': ')
  }
}

/** Called on any 401, so the app can send the user to the login page. */
let onUnauthenticated: () => void = () => undefined
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler
}

type Params = Record<string, string | number>

/** Fills `{name}` placeholders of an OpenAPI path. */
export function fillPath(path: string, params: Params = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name]
    if (v === undefined) throw new Error(`missing path parameter ${name}`)
    return encodeURIComponent(String(v))
  })
}

async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method: method.toUpperCase(), credentials: 'same-origin', headers: {} }
  if (body instanceof FormData) init.body = body
  else if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = { 'content-type': 'application/json' }
  }
  const res = await fetch(url, init)
  const text = await res.text()
  let parsed: unknown = null
  try {
    parsed = text === '' ? null : JSON.parse(text)
  } catch {
    parsed = { success: false, message: `HTTP ${res.status}`, error: text.slice(0, 300) }
  }
  if (!res.ok) {
    if (res.status === 401 && !url.endsWith('/api/auth/login')) onUnauthenticated()
    throw new ApiError(res.status, (parsed ?? {}) as ApiError['body'])
  }
  return parsed as T
}

export interface CallOptions {
  params?: Params
  query?: Record<string, string | number | boolean | undefined>
}

function urlOf(path: string, options: CallOptions = {}): string {
  const q = Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined) as [string, string | number | boolean][]
  const qs = q.length ? '?' + new URLSearchParams(q.map(([k, v]) => [k, String(v)])).toString() : ''
  return fillPath(path, options.params) + qs
}

export const api = {
  get<P extends PathsWith<'get'>>(path: P, options?: CallOptions): Promise<ResponseOf<P, 'get'>> {
    return request('get', urlOf(path, options))
  },
  post<P extends PathsWith<'post'>>(path: P, body?: BodyOf<P, 'post'> | FormData, options?: CallOptions): Promise<ResponseOf<P, 'post'>> {
    return request('post', urlOf(path, options), body)
  },
  put<P extends PathsWith<'put'>>(path: P, body: BodyOf<P, 'put'>, options?: CallOptions): Promise<ResponseOf<P, 'put'>> {
    return request('put', urlOf(path, options), body)
  },
  patch<P extends PathsWith<'patch'>>(path: P, body: BodyOf<P, 'patch'>, options?: CallOptions): Promise<ResponseOf<P, 'patch'>> {
    return request('patch', urlOf(path, options), body)
  },
  delete<P extends PathsWith<'delete'>>(path: P, options?: CallOptions, body?: BodyOf<P, 'delete'>): Promise<ResponseOf<P, 'delete'>> {
    return request('delete', urlOf(path, options), body)
  },
  /** A path as a URL, for EventSource and download links. */
  url<P extends keyof paths>(path: P, options?: CallOptions): string {
    return urlOf(path, options)
  },
}
