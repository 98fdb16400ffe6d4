/**
 * Messaging endpoints of the local API: send, inbox, outbox status, server-sent events, directory
 * publish, mailbox fetch and groups. Every body is validated strictly (unknown fields are an
 * error); errors of the messaging service are mapped to HTTP statuses by their stable `code`.
 */
import { streamSSE } from 'hono/streaming'
import { AttnError } from '../errors.js'
import { MAX_ADDRESS_LENGTH, MAX_BODY_BYTES, MAX_CONTENT_TYPE_LENGTH, MAX_GROUP_MEMBERS, MAX_GROUP_NAME_BYTES } from '../messaging/constants.js'
import { ApiError, BadRequestError } from './errors.js'
import type { MessagingService } from '../messaging/messaging-service.js'
import type { AttnNode, AttnServices } from '../node/create-node.js'
import type { Context, Hono } from 'hono'
import { anySignal } from '../utils/signals.js'

export type { InboxMessage, MessageState, MessageStatus, GroupInfo } from '../messaging/messaging-service.js'

export interface MessagingRoutesOptions {
  /** Parses a JSON object body (415/413/400 on failure); shared with the other routes. */
  jsonBody: (c: Context) => Promise<Record<string, unknown>>
  /** Interval of the SSE heartbeat comment, ms (default 15 000). */
  heartbeatMs?: number
  /** Deadline of one network operation (send, publish, fetch, group change), ms (default 60 000). */
  operationTimeoutMs?: number
}

/** Largest inbox page. */
export const MAX_INBOX_LIMIT = 1000
const GROUP_ID = /^grp_[0-9a-f]{32}$/
const MESSAGE_ID = /^[0-9a-f]{1,128}$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** HTTP status of each error code the messaging service raises; other AttnErrors are network failures (502). */
const STATUS_OF_CODE: Record<string, number> = {
  ERR_MESSAGE_TOO_LARGE: 413,
  ERR_MESSAGE_NOT_FOUND: 404,
  ERR_UNKNOWN_GROUP: 404,
  ERR_NOT_STARTED: 503,
  ERR_RECIPIENT_UNKNOWN: 404,
  ERR_INVALID_ADDRESS: 400,
  ERR_INVALID_ARGUMENT: 400,
  ERR_INVALID_GROUP: 400,
  ERR_MESSAGE_MALFORMED: 400,
  ERR_NOT_GROUP_ADMIN: 403,
  ERR_QUOTA_EXCEEDED: 429,
  ERR_STORE_CORRUPT: 500,
  ERR_STORE_VERSION: 500,
  ERR_CONTACT_EXISTS: 409,
  ERR_CONTACT_NOT_FOUND: 404,
  ERR_INVALID_CONTACT_NAME: 400,
  ERR_CONTACTS_FULL: 409,
  ERR_NOT_GROUP_MEMBER: 403,
  ERR_NO_SUCH_MEMBER: 404,
  ERR_LAST_ADMIN: 409
}

/** Maps an error of the messaging service to an ApiError. `network`: unknown errors are 502, not 500. */
export function apiErrorOf (err: unknown, network: boolean): ApiError | unknown {
  if (err instanceof ApiError) return err
  const e = err as { name?: string, code?: string, message?: string }
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ABORT_ERR') {
    return new ApiError(504, 'TIMEOUT', `the operation did not complete in time: ${e.message ?? ''}`.trim())
  }
  if (err instanceof AttnError) {
    // statuses outside ApiError's union (403, 429) are still valid HTTP statuses for c.json
    return new ApiError((STATUS_OF_CODE[err.code] ?? (network ? 502 : 500)) as ApiError['status'], err.code, err.message)
  }
  if (network && err instanceof Error) return new ApiError(502, 'ERR_NETWORK', err.message)
  return err
}

export function reject (fields: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(fields).filter(k => !allowed.includes(k))
  if (extra.length > 0) throw new BadRequestError('INVALID_BODY', `unknown field(s): ${extra.join(', ')}`)
}

export function str (body: Record<string, unknown>, key: string, { required = true, maxBytes, min = 1 }: { required?: boolean, maxBytes: number, min?: number }): string | undefined {
  const v = body[key]
  if (v === undefined) {
    if (required) throw new BadRequestError('INVALID_BODY', `"${key}" (string) is required`)
    return undefined
  }
  if (typeof v !== 'string') throw new BadRequestError('INVALID_BODY', `"${key}" must be a string`)
  if (v.length < min) throw new BadRequestError('INVALID_BODY', `"${key}" must not be empty`)
  if (Buffer.byteLength(v) > maxBytes) throw new BadRequestError('INVALID_BODY', `"${key}" is longer than ${maxBytes} bytes`)
  return v
}

export function address (v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new BadRequestError('INVALID_BODY', `${what} must be a non-empty string`)
  if (Buffer.byteLength(v) > MAX_ADDRESS_LENGTH || /[\s\u0000-\u001f]/.test(v)) {
    throw new ApiError(400, 'ERR_INVALID_ADDRESS', `${what} is not an ATT address`)
  }
  return v
}

function groupId (v: string): string {
  if (!GROUP_ID.test(v)) throw new BadRequestError('INVALID_GROUP_ID', 'a group id is "grp_" followed by 32 lowercase hex digits')
  return v
}

/** Query parameters, each at most once, none but `allowed`. */
export function query (c: Context, allowed: string[]): Record<string, string> {
  const params = new URL(c.req.url).searchParams
  const out: Record<string, string> = {}
  for (const [k, v] of params) {
    if (!allowed.includes(k)) throw new BadRequestError('INVALID_QUERY', `unknown query parameter: ${k}`)
    if (k in out) throw new BadRequestError('INVALID_QUERY', `query parameter ${k} given more than once`)
    out[k] = v
  }
  return out
}

export function intParam (value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,16}$/.test(value)) throw new BadRequestError('INVALID_QUERY', `${name} must be a non-negative integer`)
  const n = Number(value)
  if (n < min || n > max) throw new BadRequestError('INVALID_QUERY', `${name} must be between ${min} and ${max}`)
  return n
}

/** Registers the messaging routes on `app`. */
export function registerMessagingRoutes (app: Hono, node: AttnNode, options: MessagingRoutesOptions): void {
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const timeoutMs = options.operationTimeoutMs ?? 60_000

  function service (): MessagingService {
    const svc = (node.services as Partial<AttnServices>).messaging
    if (svc == null) throw new ApiError(503, 'MESSAGING_DISABLED', 'messaging is not enabled on this node')
    return svc
  }

  /** Aborts when the client goes away or the operation deadline passes. */
  function signalOf (c: Context): AbortSignal {
    return anySignal(c.req.raw.signal, AbortSignal.timeout(timeoutMs))
  }

  /** Runs one call into the service, mapping its errors. */
  async function call<T> (network: boolean, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw apiErrorOf(err, network)
    }
  }

  /** A body that must be absent, empty, or `{}`. */
  async function emptyBody (c: Context): Promise<void> {
    const length = c.req.header('content-length')
    const chunked = c.req.header('transfer-encoding') != null
    if ((length == null || length === '0') && !chunked) return
    reject(await options.jsonBody(c), [])
  }

  app.post('/v1/messages', async (c) => {
    const svc = service()
    const body = await options.jsonBody(c)
    reject(body, ['to', 'body', 'contentType'])
    const to = address(body.to, '"to"')
    if (typeof body.body !== 'string') throw new BadRequestError('INVALID_BODY', '"body" (string) is required')
    const contentType = str(body, 'contentType', { required: false, maxBytes: MAX_CONTENT_TYPE_LENGTH })
    if (contentType != null && !/^[\x21-\x7e]+\/[\x20-\x7e]+$/.test(contentType)) {
      throw new BadRequestError('INVALID_BODY', '"contentType" must be a MIME type such as text/plain')
    }
    let payload: Uint8Array | string = body.body
    if (contentType != null && !contentType.toLowerCase().startsWith('text/')) {
      // non-text bodies travel as base64 in JSON
      if (!BASE64.test(body.body)) throw new BadRequestError('INVALID_BODY', '"body" must be base64 when contentType is not text/*')
      payload = new Uint8Array(Buffer.from(body.body, 'base64'))
    }
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'ERR_MESSAGE_TOO_LARGE', `a message body is at most ${MAX_BODY_BYTES} bytes, got ${size}`)
    const { id } = await call(true, async () => await svc.send(to, payload, { ...(contentType != null ? { contentType } : {}), signal: signalOf(c) }))
    return c.json({ id }, 201)
  })

  app.get('/v1/messages', async (c) => {
    const svc = service()
    const q = query(c, ['limit', 'after', 'before', 'unread'])
    const limit = intParam(q.limit, 'limit', 1, MAX_INBOX_LIMIT)
    const after = intParam(q.after, 'after', 0, Number.MAX_SAFE_INTEGER)
    const before = intParam(q.before, 'before', 0, Number.MAX_SAFE_INTEGER)
    if (q.unread != null && q.unread !== 'true' && q.unread !== 'false') throw new BadRequestError('INVALID_QUERY', 'unread must be true or false')
    const list = await call(false, () => svc.inbox({ ...(limit != null ? { limit } : {}), ...(after != null ? { after } : {}), ...(before != null ? { before } : {}), unread: q.unread === 'true' }))
    return c.json(list)
  })

  app.get('/v1/messages/:id/status', async (c) => {
    const svc = service()
    query(c, [])
    const id = c.req.param('id').toLowerCase()
    if (!MESSAGE_ID.test(id)) throw new BadRequestError('INVALID_ID', 'a message id is hex')
    return c.json(await call(true, async () => await svc.status(id)))
  })

  app.get('/v1/events', (c) => {
    const svc = service()
    query(c, [])
    return streamSSE(c, async (stream) => {
      let done!: () => void
      const closed = new Promise<void>(resolve => { done = resolve })
      const send = (event: 'message' | 'status') => (evt: CustomEvent<unknown>): void => {
        if (stream.aborted || stream.closed) return
        void stream.writeSSE({ event, data: JSON.stringify(evt.detail) })
      }
      const onMessage = send('message')
      const onStatus = send('status')
      svc.addEventListener('message', onMessage)
      svc.addEventListener('status', onStatus)
      const heartbeat = setInterval(() => { void stream.write(': heartbeat\n\n') }, heartbeatMs)
      heartbeat.unref?.()
      const cleanup = (): void => {
        clearInterval(heartbeat)
        svc.removeEventListener('message', onMessage)
        svc.removeEventListener('status', onStatus)
        done()
      }
      stream.onAbort(cleanup)
      c.req.raw.signal?.addEventListener('abort', cleanup, { once: true })
      // flushes the headers: the client knows it is subscribed once it reads this
      await stream.write(': connected\n\n')
      await closed
    })
  })

  app.post('/v1/directory/publish', async (c) => {
    const svc = service()
    await emptyBody(c)
    const { seq, accepted } = await call(true, async () => await svc.publish({ signal: signalOf(c) }))
    return c.json({ seq: String(seq), accepted })
  })

  app.post('/v1/mailbox/fetch', async (c) => {
    const svc = service()
    await emptyBody(c)
    const { fetched } = await call(true, async () => await svc.fetchMailboxes({ signal: signalOf(c) }))
    return c.json({ fetched })
  })

  app.post('/v1/groups', async (c) => {
    const svc = service()
    const body = await options.jsonBody(c)
    reject(body, ['name', 'members'])
    const name = str(body, 'name', { maxBytes: MAX_GROUP_NAME_BYTES }) as string
    if (!Array.isArray(body.members)) throw new BadRequestError('INVALID_BODY', '"members" (array of addresses) is required')
    if (body.members.length > MAX_GROUP_MEMBERS) throw new BadRequestError('INVALID_BODY', `a group has at most ${MAX_GROUP_MEMBERS} members`)
    const members = body.members.map((m, i) => address(m, `"members[${i}]"`))
    const group = await call(true, async () => await svc.createGroup(name, members, { signal: signalOf(c) }))
    return c.json(group, 201)
  })

  app.get('/v1/groups', async (c) => {
    const svc = service()
    query(c, [])
    return c.json(await call(false, () => svc.listGroups()))
  })

  app.post('/v1/groups/:id/members', async (c) => {
    const svc = service()
    const id = groupId(c.req.param('id'))
    const body = await options.jsonBody(c)
    reject(body, ['address'])
    const member = address(body.address, '"address"')
    return c.json(await call(true, async () => await svc.addMember(id, member, { signal: signalOf(c) })))
  })

  app.patch('/v1/groups/:id', async (c) => {
    const svc = service()
    const id = groupId(c.req.param('id'))
    const body = await options.jsonBody(c)
    reject(body, ['name'])
    const name = str(body, 'name', { maxBytes: MAX_GROUP_NAME_BYTES }) as string
    return c.json(await call(true, async () => await svc.renameGroup(id, name, { signal: signalOf(c) })))
  })

  app.post('/v1/groups/:id/leave', async (c) => {
    const svc = service()
    const id = groupId(c.req.param('id'))
    await emptyBody(c)
    return c.json(await call(true, async () => await svc.leaveGroup(id, { signal: signalOf(c) })))
  })

  app.delete('/v1/groups/:id/members/:address', async (c) => {
    const svc = service()
    query(c, [])
    const id = groupId(c.req.param('id'))
    const member = address(c.req.param('address'), 'the address')
    return c.json(await call(true, async () => await svc.removeMember(id, member, { signal: signalOf(c) })))
  })
}
