/**
 * Everyday-use endpoints of the local API (issue 15): read/unread state and deletion of received
 * messages, unread counts, the list of sent messages, and contacts kept in the node's store.
 */
import { MAX_CONTACT_NAME_BYTES } from '../messaging/constants.js'
import { ApiError, BadRequestError } from './errors.js'
import { MAX_INBOX_LIMIT, address, apiErrorOf, intParam, query, reject, str } from './messaging-routes.js'
import type { MessagingService } from '../messaging/messaging-service.js'
import type { AttnNode, AttnServices } from '../node/create-node.js'
import type { Context, Hono } from 'hono'

const MESSAGE_ID = /^[0-9a-f]{32}$/
/** At most this many ids in one read request. */
export const MAX_READ_IDS = 1000

export function registerInboxRoutes (app: Hono, node: AttnNode, options: { jsonBody: (c: Context) => Promise<Record<string, unknown>> }): void {
  function service (): MessagingService {
    const svc = (node.services as Partial<AttnServices>).messaging
    if (svc == null) throw new ApiError(503, 'MESSAGING_DISABLED', 'messaging is not enabled on this node')
    return svc
  }
  function call<T> (fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      throw apiErrorOf(err, false)
    }
  }
  function messageId (c: Context): string {
    const id = c.req.param('id')?.toLowerCase() ?? ''
    if (!MESSAGE_ID.test(id)) throw new BadRequestError('INVALID_ID', 'a message id is 32 hex digits')
    return id
  }

  app.get('/v1/messages/unread', (c) => {
    query(c, [])
    return c.json(call(() => service().unread()))
  })

  app.post('/v1/messages/read', async (c) => {
    const svc = service()
    const body = await options.jsonBody(c)
    reject(body, ['ids', 'all', 'read'])
    if (body.read !== undefined && typeof body.read !== 'boolean') throw new BadRequestError('INVALID_BODY', '"read" must be a boolean')
    if (body.all === true) {
      if (body.ids !== undefined || body.read === false) throw new BadRequestError('INVALID_BODY', '"all" marks every message read; it takes no "ids"')
      return c.json({ changed: call(() => svc.markAllRead()) })
    }
    if (!Array.isArray(body.ids) || body.ids.length === 0 || body.ids.length > MAX_READ_IDS || !body.ids.every(i => typeof i === 'string' && MESSAGE_ID.test(i))) {
      throw new BadRequestError('INVALID_BODY', `"ids" is 1 to ${MAX_READ_IDS} message ids (32 hex digits), or "all": true`)
    }
    const ids = body.ids as string[]
    return c.json({ changed: call(() => svc.markRead(ids, body.read !== false)) })
  })

  app.delete('/v1/messages/:id', (c) => {
    query(c, [])
    const id = messageId(c)
    call(() => { service().deleteMessage(id) })
    return c.json({ id, deleted: true })
  })

  app.get('/v1/sent', (c) => {
    const q = query(c, ['limit', 'before'])
    const limit = intParam(q.limit, 'limit', 1, MAX_INBOX_LIMIT)
    const before = intParam(q.before, 'before', 0, Number.MAX_SAFE_INTEGER)
    return c.json(call(() => service().sent({ ...(limit != null ? { limit } : {}), ...(before != null ? { before } : {}) })))
  })

  app.get('/v1/contacts', (c) => {
    query(c, [])
    return c.json(call(() => service().contacts()))
  })

  app.post('/v1/contacts', async (c) => {
    const svc = service()
    const body = await options.jsonBody(c)
    reject(body, ['name', 'address'])
    const name = str(body, 'name', { maxBytes: MAX_CONTACT_NAME_BYTES }) as string
    const addr = address(body.address, '"address"')
    return c.json(call(() => svc.addContact(name, addr)), 201)
  })

  app.patch('/v1/contacts/:name', async (c) => {
    const svc = service()
    const body = await options.jsonBody(c)
    reject(body, ['name'])
    const to = str(body, 'name', { maxBytes: MAX_CONTACT_NAME_BYTES }) as string
    const from = c.req.param('name')
    return c.json(call(() => svc.renameContact(from, to)))
  })

  app.delete('/v1/contacts/:name', (c) => {
    query(c, [])
    const name = c.req.param('name')
    return c.json(call(() => service().removeContact(name)))
  })
}
