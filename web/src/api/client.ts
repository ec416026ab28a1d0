/**
 * A small typed fetch client over the generated OpenAPI types (schema.d.ts, from ../openapi.json).
 * Paths are checked against the server's routes: a removed or renamed route breaks the typecheck.
 * Cookie auth: the browser sends the `session` cookie itself; the served UI is same-origin.
 */
import type { paths } from './schema'

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'
type PathsWith<M extends Method> = { [P in keyof paths]: paths[P] extends Record<M, object> ? P : never }[keyof paths]
type Op<P extends keyof paths, M extends Method> = paths[P] extends Record<M, infer O> ? O : never
type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never
type Responses<P extends keyof paths, M extends Method> = Op<P, M> extends { responses: infer R } ? R : never
/**
 * The JSON body of a route's success (200, else 201) as its schema declares it; `null` for a 204
 * (no body: `request` gives null). Every route has a response schema
 * (server/test/http/response-schemas.test.ts holds them to real answers); one without would give
 * `never`, so its use does not compile.
 */
export type ResponseOf<P extends keyof paths, M extends Method> =
  Responses<P, M> extends { 200: infer S }
    ? JsonOf<S>
    : Responses<P, M> extends { 201: infer S }
      ? JsonOf<S>
      : Responses<P, M> extends { 204: unknown }
        ? null
        : never
/** The success body of a multipart upload: a route that creates (201) answers an upload so, else 200. */
export type FormResponseOf<P extends keyof paths> =
  Responses<P, 'post'> extends { 201: infer S } ? JsonOf<S> : Responses<P, 'post'> extends { 200: infer S } ? JsonOf<S> : never
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

type Query = Record<string, string | number | boolean | undefined>
type ParamsOf<O> = O extends { parameters: { path: infer T } } ? T : never
type QueryOf<O> = O extends { parameters: { query?: infer T } } ? ([T] extends [never] ? never : T) : never
/** Path parameters and query of one operation, by the names its schema gives them. */
export interface CallOptions<O = unknown> {
  params?: [ParamsOf<O>] extends [never] ? never : { [K in keyof ParamsOf<O>]: string | number }
  query?: [QueryOf<O>] extends [never] ? never : { [K in keyof QueryOf<O>]?: QueryOf<O>[K] | undefined }
}
interface AnyOptions {
  params?: Params
  query?: Query
}

function urlOf(path: string, options: AnyOptions = {}): string {
  const q = Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined) as [string, string | number | boolean][]
  const qs = q.length ? '?' + new URLSearchParams(q.map(([k, v]) => [k, String(v)])).toString() : ''
  return fillPath(path, options.params) + qs
}

export const api = {
  get<P extends PathsWith<'get'>>(path: P, options?: CallOptions<Op<P, 'get'>>): Promise<ResponseOf<P, 'get'>> {
    return request('get', urlOf(path, options as AnyOptions))
  },
  post<P extends PathsWith<'post'>>(path: P, body?: BodyOf<P, 'post'>, options?: CallOptions<Op<P, 'post'>>): Promise<ResponseOf<P, 'post'>> {
    return request('post', urlOf(path, options as AnyOptions), body)
  },
  /** A multipart upload (a script, a ZIP, files); the form's fields are the route's description's. */
  postForm<P extends PathsWith<'post'>>(path: P, form: FormData, options?: CallOptions<Op<P, 'post'>>): Promise<FormResponseOf<P>> {
    return request('post', urlOf(path, options as AnyOptions), form)
  },
  put<P extends PathsWith<'put'>>(path: P, body: BodyOf<P, 'put'>, options?: CallOptions<Op<P, 'put'>>): Promise<ResponseOf<P, 'put'>> {
    return request('put', urlOf(path, options as AnyOptions), body)
  },
  patch<P extends PathsWith<'patch'>>(path: P, body: BodyOf<P, 'patch'>, options?: CallOptions<Op<P, 'patch'>>): Promise<ResponseOf<P, 'patch'>> {
    return request('patch', urlOf(path, options as AnyOptions), body)
  },
  delete<P extends PathsWith<'delete'>>(path: P, options?: CallOptions<Op<P, 'delete'>>, body?: BodyOf<P, 'delete'>): Promise<ResponseOf<P, 'delete'>> {
    return request('delete', urlOf(path, options as AnyOptions), body)
  },
  /** A path as a URL, for EventSource and download links. */
  url<P extends PathsWith<'get'>>(path: P, options?: CallOptions<Op<P, 'get'>>): string {
    return urlOf(path, options as AnyOptions)
  },
}
