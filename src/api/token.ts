/**
 * The local API's bearer token: one per home, in `ATTN_HOME/api-token` (mode 0600), created at
 * `attn init` or the first `attn start`. Whoever can read the home can use the API; a web page
 * cannot. The CLI reads it from the home; the web client will get it through a one-time login URL.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, link, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { API_TOKEN_BYTES, API_TOKEN_FILE, API_TOKEN_PATTERN } from './constants.js'
import { ApiTokenFileError } from './errors.js'

export function apiTokenPath (home: string): string {
  return join(home, API_TOKEN_FILE)
}

/** A fresh token: 32 random bytes, base64url (URL-safe, so it fits a `#token=` login link). */
export function generateApiToken (): string {
  return randomBytes(API_TOKEN_BYTES).toString('base64url')
}

/** The home's token, or undefined when there is none yet. Tightens a file readable by others to 0600. */
export async function readApiToken (home: string): Promise<string | undefined> {
  const path = apiTokenPath(home)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return undefined
    throw new ApiTokenFileError(path, err.message)
  }
  const token = text.replace(/\r?\n$/, '')
  if (!API_TOKEN_PATTERN.test(token)) throw new ApiTokenFileError(path, 'not a token (32 to 512 base64url characters); delete the file to make a new one')
  if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600)
  return token
}

/** The home's token, created (0600, atomically: never a half-written file) when missing. */
export async function loadOrCreateApiToken (home: string): Promise<{ token: string, created: boolean }> {
  const existing = await readApiToken(home)
  if (existing != null) return { token: existing, created: false }
  const path = apiTokenPath(home)
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(tmp, generateApiToken() + '\n', { mode: 0o600, flag: 'wx' })
  let created = true
  try {
    await chmod(tmp, 0o600) // the umask may have narrowed it further, never widened; make it exact
    // link() fails if another process created the token first: then theirs wins
    await link(tmp, path)
  } catch (err: any) {
    if (err.code !== 'EEXIST') throw new ApiTokenFileError(path, err.message)
    created = false
  } finally {
    await unlink(tmp)
  }
  const token = await readApiToken(home)
  if (token == null) throw new ApiTokenFileError(path, 'the file vanished while it was created')
  return { token, created }
}

/** Compares a presented token with the expected one in constant time (digests hide the length too). */
export function tokenMatches (presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}
