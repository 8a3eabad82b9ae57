// The web console: the static files under ui/ served at / (index.html) and at their own paths. Routes
// are registered per file found at start, so unknown paths keep the API's 404, nothing outside ui/ can
// be named, and no authentication is needed (the console logs in to the API itself). Files are read at
// request time, so an edited file shows on reload. See docs/console.md.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** ui/ at the package root: this file runs as dist/src/management/routes/ui.js. */
export const UI_DIR = fileURLToPath(new URL('../../../../ui/', import.meta.url))

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
}

// The console builds its DOM with textContent (never HTML from the API) and loads nothing from
// elsewhere; the policy makes that a rule the browser enforces.
const HTML_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; " +
    "frame-ancestors 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
}

/** Third-party files the console loads, from their npm packages (served as /vendor/<package>/<file>). */
function vendorFiles(): Array<[url: string, file: string]> {
  const require = createRequire(import.meta.url)
  try {
    const uplot = dirname(require.resolve('uplot/package.json'))
    return ['uPlot.esm.js', 'uPlot.min.css'].map((f) => [`/vendor/uplot/${f}`, join(uplot, 'dist', f)])
  } catch {
    return []
  }
}

export function registerUiRoutes(app: FastifyInstance, dir = UI_DIR): void {
  if (!existsSync(dir)) return
  const files: Array<[url: string, file: string]> = listFiles(dir).map((file) => [
    '/' + relative(dir, file).split(sep).join('/'),
    file,
  ])
  for (const [url, file] of [...files, ...vendorFiles()]) {
    const type = TYPES[extname(file)]
    if (type === undefined) continue
    const headers = {
      'content-type': type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(type.startsWith('text/html') ? HTML_HEADERS : {}),
    }
    const handler = async (_req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
      reply.headers(headers).send(await readFile(file))
    app.get(url, handler)
    if (url === '/index.html') app.get('/', handler)
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...listFiles(p))
    else out.push(p)
  }
  return out
}
