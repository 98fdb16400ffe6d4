/**
 * Who may use the local API. A web page can make the browser send requests to 127.0.0.1, and
 * through DNS rebinding can even read the answers under its own name, so three checks run before
 * any route:
 * 1. `Host` must name this API (the literal `host:port` it listens on, or `localhost:port` when
 *    bound to loopback): a rebinding page sends its own name, and gets 421.
 * 2. A browser's `Origin`, when present, must be this API's own origin (the future web client):
 *    any other page gets 403 on every method, so it can neither change nor read anything; so does
 *    a request a browser marks `Sec-Fetch-Site: cross-site` or `same-site` (no Origin on a GET).
 * 3. Every route but the public ones (`PUBLIC_ROUTES`: status, metrics, login; and the web client's
 *    static files, `WEB_PUBLIC_PATH`) needs the home's API token as `Authorization: Bearer <token>`,
 *    compared in constant time. The web client keeps the token in its origin's localStorage and
 *    sends it as that header on every call, its event stream included (a fetch() reader, not
 *    EventSource): no cookie, so nothing a foreign page triggers carries the credential.
 */
import { isIP } from 'node:net'
import { PUBLIC_ROUTES, WEB_PUBLIC_PATH } from './constants.js'
import { HostNotAllowedError, OriginNotAllowedError, TokenInvalidError, TokenRequiredError } from './errors.js'
import { tokenMatches } from './token.js'
import type { MiddlewareHandler } from 'hono'
import type { AddressInfo } from 'node:net'

export interface ApiAccessOptions {
  /** The API token of the home. */
  token: string
  /** `Host` values accepted, lowercase `host:port`; read on every request (filled in once bound). */
  hosts: ReadonlySet<string>
}

function isLoopback (address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  if (isIP(v4) === 4) return v4.startsWith('127.')
  return address === '::1'
}

function hostLiteral (host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  return (isIP(bare) === 6 ? `[${bare}]` : bare).toLowerCase()
}

/**
 * The `Host` values of an API configured as `configuredHost` and bound to `bound`: the configured
 * name and the bound address with the bound port, plus `localhost` when the address is loopback.
 * Nothing else: a server bound to 0.0.0.0 answers to `0.0.0.0:port` only, not to a LAN name.
 */
export function allowedHosts (configuredHost: string, bound: AddressInfo): Set<string> {
  const names = new Set([hostLiteral(configuredHost), hostLiteral(bound.address)])
  if (isLoopback(bound.address)) names.add('localhost')
  const out = new Set<string>()
  for (const name of names) {
    out.add(`${name}:${bound.port}`)
    // a browser leaves the default port out of Host
    if (bound.port === 80) out.add(name)
  }
  return out
}

/** The token a request presents: undefined without an `Authorization` header, '' if not Bearer. */
function presentedToken (authorization: string | undefined): string | undefined {
  if (authorization == null) return undefined
  const m = /^Bearer +(\S+) *$/i.exec(authorization)
  return m?.[1] ?? ''
}

/** The Host, Origin and token checks as one Hono middleware, to run before every route. */
export function apiAccess (options: ApiAccessOptions): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host')?.toLowerCase()
    if (host == null || !options.hosts.has(host)) throw new HostNotAllowedError(host)
    const origin = c.req.header('origin')
    // an opaque origin ("null": sandboxed frames, file: pages) is foreign too
    if (origin != null && !options.hosts.has(originHost(origin) ?? '')) throw new OriginNotAllowedError(origin)
    // browsers send no Origin on a cross-site <img>/<script>/link, but do send Sec-Fetch-Site:
    // only our own pages and what the user typed or bookmarked ("none") get through
    const site = c.req.header('sec-fetch-site')
    if (site != null && site !== 'same-origin' && site !== 'none') throw new OriginNotAllowedError(`Sec-Fetch-Site: ${site}`)
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method
    if (!PUBLIC_ROUTES.has(`${method} ${c.req.path}`) && !(method === 'GET' && WEB_PUBLIC_PATH.test(c.req.path))) {
      // the one place that reads the credential
      const token = presentedToken(c.req.header('authorization'))
      if (token == null) throw new TokenRequiredError()
      if (!tokenMatches(token, options.token)) throw new TokenInvalidError()
    }
    await next()
  }
}

/** `host:port` of an `http://` origin as it would appear in Host; undefined for anything else. */
function originHost (origin: string): string | undefined {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return undefined // not a URL (e.g. "null"): no host, refused by the caller
  }
  if (url.protocol !== 'http:' || url.pathname !== '/' || url.username !== '' || url.search !== '') return undefined
  return url.host.toLowerCase()
}
