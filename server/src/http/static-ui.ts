import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ServiceDeps } from '../services/deps.ts'
import { authenticateRequest } from './auth-context.ts'

/** Where `npm run build -w web` puts the UI, beside the server's source. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url))

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
}

/** Vite names every file under assets/ after its content hash: it never changes, so caches keep it. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

async function fileIn(root: string, urlPath: string): Promise<{ file: string; size: number } | null> {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0')) return null
  const file = path.resolve(root, '.' + path.posix.normalize('/' + decoded))
  if (file !== root && !file.startsWith(root + path.sep)) return null
  try {
    const s = await stat(file)
    return s.isFile() ? { file, size: s.size } : null
  } catch {
    return null
  }
}

function sendFile(reply: FastifyReply, found: { file: string; size: number }, cacheControl: string): FastifyReply {
  return reply
    .type(TYPES[path.extname(found.file).toLowerCase()] ?? 'application/octet-stream')
    .header('cache-control', cacheControl)
    .header('x-content-type-options', 'nosniff')
    .header('content-length', found.size)
    .send(createReadStream(found.file))
}

/**
 * Serves the built single-page app at `/`: files of web/dist as they are, and index.html for
 * every other GET outside /api (the app routes in the browser). /api stays JSON: an unknown
 * /api path answers the API's 404 body, after the same authentication as every API route.
 */
export function staticUiRoutes(app: FastifyInstance, services: ServiceDeps, webDir: string = DEFAULT_WEB_DIR): void {
  const root = path.resolve(webDir)
  app.get('/*', { schema: { hide: true }, config: { public: true } }, async (request, reply) => {
    const urlPath = request.url.split('?')[0] ?? '/'
    if (urlPath === '/api' || urlPath.startsWith('/api/')) {
      await authenticateRequest(services, request)
      return reply.status(404).send({ success: false, message: 'Not found', error: `No route ${request.method} ${urlPath}` })
    }
    const found = urlPath === '/' ? null : await fileIn(root, urlPath)
    if (found) return sendFile(reply, found, urlPath.startsWith('/assets/') ? IMMUTABLE : 'no-cache')
    if (urlPath.startsWith('/assets/')) return reply.status(404).type('text/plain; charset=utf-8').send('Not found')
    const index = await fileIn(root, '/index.html')
    if (!index) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The web UI is not built. Run `npm run build` (or `npm start`, which builds it when missing).')
    }
    // no-cache: a new release must reach the browser at once; the hashed assets it names are cached.
    return sendFile(reply, index, 'no-cache')
  })
}
