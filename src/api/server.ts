import { serve } from '@hono/node-server'
import { multiaddr } from '@multiformats/multiaddr'
import { Hono } from 'hono'
import { allowedHosts, apiAccess } from './access.js'
import { readBodyText } from './body.js'
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_SSE_HEARTBEAT_MS, METRICS_CONTENT_TYPE } from './constants.js'
import { ApiError, BadRequestError, LoginCodeInvalidError, MethodNotAllowedError, NotFoundError } from './errors.js'
import { LoginCodes } from './login.js'
import { registerMessagingRoutes } from './messaging-routes.js'
import { registerRewardsRoutes } from './rewards-routes.js'
import { registerInboxRoutes } from './inbox-routes.js'
import { deviceStatus, registerDeviceRoutes } from './device-routes.js'
import { createMetricsRegistry, withoutAddressLabels } from './metrics.js'
import { libp2pMetricsRegistry } from '../node/create-node.js'
import { OPENAPI_DOCUMENT } from './openapi.js'
import { DEFAULT_WEB_ROOT, loadWebFiles, SECURITY_HEADERS } from './web.js'
import type { WebFile } from './web.js'
import type { AttnNode } from '../node/create-node.js'
import type { NodeRewards } from '../rewards/node-rewards.js'
import type { Connection } from '@libp2p/interface'
import type { Context } from 'hono'
import type { AddressInfo } from 'node:net'
import { reachStatus } from '../node/reach-status.js'
import { secp256k1Backend } from '../crypto/secp256k1.js'

export interface ApiServerOptions {
  host: string
  port: number
  /** The user's ATT address, shown in /v1/status. */
  address: string
  version?: string
  /** The home's API token (see token.ts): required as `Authorization: Bearer` on all but the public routes. */
  token: string
  /** Largest request body accepted, bytes (default 1 MiB); refused before the rest is read. */
  maxBodyBytes?: number
  /** Interval of the heartbeat comment on `GET /v1/events`, ms (default 15 000). */
  sseHeartbeatMs?: number
  /** Directory of the built web client served at `/` (default dist/web). */
  webRoot?: string
  /** The node's rewards (ledger and chain), for /v1/rewards; absent: those routes answer ERR_REWARDS_DISABLED. */
  rewards?: NodeRewards
}

export interface ApiAppOptions extends Pick<ApiServerOptions, 'address' | 'version' | 'token' | 'maxBodyBytes' | 'sseHeartbeatMs' | 'webRoot' | 'rewards'> {
  /** `Host` values the API answers to (lowercase `host:port`), read per request; see access.ts. */
  hosts: ReadonlySet<string>
  /** Single-use codes `POST /v1/login` trades for the token (default: none issued). */
  loginCodes?: LoginCodes
}

export interface ApiServer {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string
  /** A login link for the web client, `url/#login=CODE`, with a new single-use code. */
  loginUrl(): string
  close(): Promise<void>
}

/** The documented paths, `{param}` segments as wildcards: a wrong method on one of them is 405, not 404. */
const KNOWN_PATHS = Object.keys(OPENAPI_DOCUMENT.paths).map(p => new RegExp('^' + p.replace(/\{[^/}]+\}/g, '[^/]+').replace(/\./g, '\\.') + '$'))

function connectionJson (c: Connection): { peerId: string, remoteAddr: string, direction: string } {
  return { peerId: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), direction: c.direction }
}

/** What each layer counted: frames, rejected input by error code, sessions, RPC, messaging. */
function counters (node: AttnNode): Record<string, unknown> {
  const attn = node.services.attn
  const rpc = attn.rpcStats()
  return {
    carrier: attn.stats(),
    sessions: attn.sessionStats() ?? null,
    rpc: rpc == null
      ? null
      : { callsSent: rpc.callsSent, callsReceived: rpc.callsReceived, resends: rpc.resends, duplicatesDropped: rpc.duplicatesDropped, pendingCalls: rpc.pendingCalls, decodeErrors: rpc.decodeErrors },
    messaging: node.services.messaging?.stats() ?? null,
    dht: node.services.dhtStore?.stats() ?? null
  }
}

/** Builds the Hono app (exported for in-process tests). */
export function createApiApp (node: AttnNode, options: ApiAppOptions): Hono {
  const app = new Hono()
  const startedAt = Date.now()
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  // refused requests by error code (a fixed set of codes: the map stays small)
  const rejected: Record<string, number> = {}
  const reject = (err: ApiError): void => { rejected[err.code] = (rejected[err.code] ?? 0) + 1 }

  async function jsonBody (c: Context): Promise<Record<string, unknown>> {
    const type = c.req.header('content-type') ?? ''
    if (!type.toLowerCase().startsWith('application/json')) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json')
    }
    const text = await readBodyText(c.req.raw, maxBody)
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      throw new BadRequestError('INVALID_JSON', 'request body is not valid JSON')
    }
    if (value == null || typeof value !== 'object' || Array.isArray(value)) {
      throw new BadRequestError('INVALID_BODY', 'request body must be a JSON object')
    }
    return value as Record<string, unknown>
  }

  // on every answer, refusals included
  app.use('*', async (c, next) => {
    await next()
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v)
  })
  // before any route, the unknown ones included: Host, Origin, then the token
  app.use('*', apiAccess({ token: options.token, hosts: options.hosts }))

  // public (no token): Prometheus text, counts only
  const metrics = createMetricsRegistry(node, () => rejected)
  app.get('/metrics', async (c) => {
    // ours, then libp2p's own (`libp2p_*`, when the node was made by createAttnNode)
    const libp2p = libp2pMetricsRegistry(node)
    const text = await metrics.metrics() + (libp2p != null ? withoutAddressLabels(await libp2p.metrics()) : '')
    return c.body(text, 200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' })
  })

  // public (no token): the web client's files, read once
  let web: Promise<Map<string, WebFile>> | undefined
  app.get('*', async (c, next) => {
    if (c.req.path.startsWith('/v1/')) { await next(); return }
    // a failed read (500) is tried again by the next request
    web ??= loadWebFiles(options.webRoot ?? DEFAULT_WEB_ROOT).catch((err: unknown) => { web = undefined; throw err })
    const file = (await web).get(c.req.path)
    if (file == null) { await next(); return }
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
      'content-type': file.type,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache'
    })
  })

  // public (no token): identities and counters only, never message content
  app.get('/v1/status', (c) => c.json({
    peerId: node.peerId.toString(),
    address: options.address,
    addresses: node.getMultiaddrs().map(ma => ma.toString()),
    protocols: node.getProtocols(),
    connections: node.getConnections().map(connectionJson),
    carriers: node.services.attn.carrierStats(),
    version: options.version ?? '0.0.0',
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    counters: { ...counters(node), api: { rejected: { ...rejected } } },
    reach: reachStatus(node),
    rewards: options.rewards != null,
    device: deviceStatus(node),
    crypto: { secp256k1: secp256k1Backend() }
  }))

  // public (no token, but Host and Origin checked): a single-use code for the token
  const loginCodes = options.loginCodes ?? new LoginCodes()
  app.post('/v1/login', async (c) => {
    const body = await jsonBody(c)
    const extra = Object.keys(body).filter(k => k !== 'code')
    if (extra.length > 0) throw new BadRequestError('INVALID_BODY', `unknown field(s): ${extra.join(', ')}`)
    if (typeof body.code !== 'string' || body.code.length > 512) throw new BadRequestError('INVALID_BODY', '"code" (string) is required')
    if (!loginCodes.redeem(body.code)) throw new LoginCodeInvalidError()
    return c.json({ token: options.token }, 200, { 'cache-control': 'no-store' })
  })

  app.post('/v1/connect', async (c) => {
    const body = await jsonBody(c)
    const extra = Object.keys(body).filter(k => k !== 'multiaddr')
    if (extra.length > 0) throw new BadRequestError('INVALID_BODY', `unknown field(s): ${extra.join(', ')}`)
    if (typeof body.multiaddr !== 'string') throw new BadRequestError('INVALID_BODY', '"multiaddr" (string) is required')
    let ma
    try {
      ma = multiaddr(body.multiaddr)
    } catch (err: any) {
      throw new BadRequestError('INVALID_MULTIADDR', `invalid multiaddr: ${err.message}`)
    }
    try {
      const conn = await node.dial(ma, { signal: AbortSignal.timeout(15_000) })
      return c.json(connectionJson(conn))
    } catch (err: any) {
      throw new ApiError(502, 'DIAL_FAILED', `could not dial ${body.multiaddr}: ${err.message}`)
    }
  })

  // before the messaging routes: /v1/messages/unread and /v1/messages/read are not message ids
  registerInboxRoutes(app, node, { jsonBody })
  registerDeviceRoutes(app, node)
  registerMessagingRoutes(app, node, { jsonBody, heartbeatMs: options.sseHeartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS })
  registerRewardsRoutes(app, options.rewards, { jsonBody })

  app.get('/v1/openapi.json', (c) => c.json(OPENAPI_DOCUMENT))

  app.notFound((c) => {
    const err = KNOWN_PATHS.some(re => re.test(c.req.path)) ? new MethodNotAllowedError(c.req.method, c.req.path) : new NotFoundError(c.req.path)
    reject(err)
    return c.json({ error: { code: err.code, message: err.message } }, err.status)
  })

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      reject(err)
      return c.json({ error: { code: err.code, message: err.message } }, err.status, err.headers)
    }
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500)
  })
  return app
}

/** Serves the local API; resolves once listening. Port 0 picks a free port. */
export async function startApiServer (node: AttnNode, options: ApiServerOptions): Promise<ApiServer> {
  // empty until the port is bound: every request before that is 421
  const hosts = new Set<string>()
  const loginCodes = new LoginCodes()
  const app = createApiApp(node, { ...options, hosts, loginCodes })
  return await new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, (info: AddressInfo) => {
      for (const h of allowedHosts(options.host, info)) hosts.add(h)
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address
      resolve({
        url: `http://${host}:${info.port}`,
        loginUrl: () => `http://${host}:${info.port}/#login=${loginCodes.issue()}`,
        close: async () => {
          await new Promise<void>((resolve) => {
            (server as any).closeAllConnections?.()
            server.close(() => { resolve() })
          })
        }
      })
    })
    server.once('error', reject)
  })
}
