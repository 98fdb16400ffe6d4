/**
 * The web client's static files (built by `npm run build` into dist/web), served at `/` by the
 * local API. Only the files found in that directory at the first request are served, from memory:
 * a request path is looked up in that table, never joined to a file system path. The pages need
 * no token (they hold no data); every call they make to /v1 does.
 */
import { readdir, readFile } from 'node:fs/promises'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MAX_WEB_FILE_BYTES, MAX_WEB_FILES, WEB_CONTENT_SECURITY_POLICY } from './constants.js'
import { WebFilesError } from './errors.js'

/** dist/web, next to dist/src where this module runs from. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url))

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8'
}

export interface WebFile { body: Uint8Array, type: string, immutable: boolean }

/** Headers on every answer of the API: no framing, no sniffing, no referrer, the CSP. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': WEB_CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin'
}

async function walk (dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) await walk(path, out)
    else if (entry.isFile()) out.push(path)
    if (out.length > MAX_WEB_FILES) return
  }
}

/** The files of the web client by URL path (`/` is index.html); empty when it is not built. */
export async function loadWebFiles (root: string): Promise<Map<string, WebFile>> {
  const files = new Map<string, WebFile>()
  const paths: string[] = []
  try {
    await walk(root, paths)
  } catch (err: any) {
    if (err.code === 'ENOENT') return files // not built: `/` is a 404
    throw new WebFilesError(root, err.message)
  }
  for (const path of paths.slice(0, MAX_WEB_FILES)) {
    const type = CONTENT_TYPES[extname(path).toLowerCase()]
    if (type == null) continue
    let body: Uint8Array
    try {
      body = new Uint8Array(await readFile(path))
    } catch (err: any) {
      throw new WebFilesError(root, err.message)
    }
    if (body.byteLength > MAX_WEB_FILE_BYTES) continue
    const url = '/' + relative(root, path).split(sep).join('/')
    // Vite names the bundles by content hash: they never change under the same name
    files.set(url, { body, type, immutable: url.startsWith('/assets/') })
  }
  const index = files.get('/index.html')
  if (index != null) files.set('/', index)
  return files
}
