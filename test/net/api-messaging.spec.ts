import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiApp, startApiServer } from '../../src/api/server.js'
import { OPENAPI_DOCUMENT } from '../../src/api/openapi.js'
import { generateApiToken } from '../../src/api/token.js'
import { createAttnNode } from '../../src/node/create-node.js'
import { rootIdentity } from '../helpers/identities.js'
import { LOOPBACK_TCP, waitFor } from '../helpers/nodes.js'
import type { ApiServer } from '../../src/api/server.js'
import type { GroupInfo, InboxMessage, MessagingService, MessageStatus } from '../../src/messaging/messaging-service.js'
import type { AttnNode } from '../../src/node/create-node.js'

interface ApiNode { node: AttnNode, api: ApiServer, address: string, home: string, token: string }

/** A full node with messaging, its store under a temp dir, and its local API on a free port. */
async function startNode (homes: string[], bootstrap: string[] = [], sseHeartbeatMs?: number): Promise<ApiNode> {
  const home = await mkdtemp(join(tmpdir(), 'attn-api-msg-'))
  homes.push(home)
  const identity = await rootIdentity()
  const node = await createAttnNode({
    listen: LOOPBACK_TCP,
    api: '',
    bootstrap,
    privateKey: identity.nodeKey,
    attn: { identity, sessionStorePath: join(home, 'sessions.db') },
    messaging: { dbPath: join(home, 'messages.db') }
  })
  const token = generateApiToken()
  const api = await startApiServer(node, { host: '127.0.0.1', port: 0, address: identity.address, sseHeartbeatMs, token })
  return { node, api, address: identity.address, home, token }
}

function messaging (n: ApiNode): MessagingService {
  return n.node.services.messaging
}

interface Reply { status: number, body: any }

async function request (n: ApiNode, method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Reply> {
  const headers = { authorization: `Bearer ${n.token}`, ...extra }
  const res = await fetch(n.api.url + path, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json', ...headers } : headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(90_000)
  })
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) }
}

function assertError (reply: Reply, status: number, code?: string | RegExp): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body))
  assert.equal(typeof reply.body?.error?.message, 'string', JSON.stringify(reply.body))
  if (typeof code === 'string') assert.equal(reply.body.error.code, code, JSON.stringify(reply.body))
  else if (code != null) assert.match(reply.body.error.code, code)
}

/** A client of `GET /v1/events`: collects events and comments until closed. */
class SseClient {
  readonly events: Array<{ event: string, data: any }> = []
  readonly comments: string[] = []
  private readonly controller = new AbortController()
  readonly done: Promise<void>
  readonly connected: Promise<void>
  contentType = ''

  constructor (n: ApiNode, path = '/v1/events') {
    const url = n.api.url + path
    let onConnected!: () => void
    let onFailed!: (err: unknown) => void
    this.connected = new Promise((resolve, reject) => { onConnected = resolve; onFailed = reject })
    this.done = (async () => {
      const res = await fetch(url, { signal: this.controller.signal, headers: { authorization: `Bearer ${n.token}` } })
      this.contentType = res.headers.get('content-type') ?? ''
      if (res.body == null) throw new Error(`no body, status ${res.status}`)
      const decoder = new TextDecoder()
      let buffer = ''
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          let event = 'message'
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) this.comments.push(line.slice(1).trim())
            else if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('data: ')) data.push(line.slice(6))
          }
          if (this.comments.includes('connected')) onConnected()
          if (data.length > 0) this.events.push({ event, data: JSON.parse(data.join('\n')) })
        }
      }
    })().catch((err) => { onFailed(err); if (!this.controller.signal.aborted) throw err })
    // the failure also rejects `connected`; keep it for a test that awaits neither
    this.done.catch((err: unknown) => { this.failure = err })
  }

  /** Why the stream ended with an error (undefined while it runs or after a clean close). */
  failure: unknown

  close (): void { this.controller.abort() }
}

describe('local API: messaging routes between real nodes', function () {
  this.timeout(300_000)
  const homes: string[] = []
  let relay: ApiNode
  let alice: ApiNode
  let bob: ApiNode
  const sse: SseClient[] = []

  before(async () => {
    relay = await startNode(homes)
    const boot = relay.node.getMultiaddrs().map(ma => ma.toString())
    alice = await startNode(homes, boot, 200)
    bob = await startNode(homes, boot, 200)
    for (const n of [alice, bob]) {
      await waitFor(() => n.node.getConnections(relay.node.peerId).length > 0, { what: 'bootstrap connection to the relay' })
    }
    // the DHT routing tables need the other nodes before a put reaches them
    await waitFor(async () => (await relay.node.peerStore.all()).length >= 2, { what: 'relay to know both peers' })
  })

  afterEach(() => { sse.splice(0).forEach(s => { s.close() }) })

  after(async () => {
    for (const n of [alice, bob, relay]) {
      if (n == null) continue
      await n.api.close()
      await n.node.stop()
    }
    await Promise.all(homes.map(async h => { await rm(h, { recursive: true, force: true }) }))
  })

  it('documents every messaging route in the OpenAPI document', async () => {
    const doc = await request(alice, 'GET', '/v1/openapi.json')
    assert.equal(doc.status, 200)
    const expected: Record<string, string[]> = {
      '/v1/messages': ['post', 'get'],
      '/v1/messages/{id}/status': ['get'],
      '/v1/events': ['get'],
      '/v1/directory/publish': ['post'],
      '/v1/mailbox/fetch': ['post'],
      '/v1/groups': ['post', 'get'],
      '/v1/groups/{id}/members': ['post'],
      '/v1/groups/{id}/members/{address}': ['delete']
    }
    for (const [path, methods] of Object.entries(expected)) {
      for (const m of methods) assert.ok(doc.body.paths[path]?.[m] != null, `${m.toUpperCase()} ${path} documented`)
    }
    for (const schema of ['InboxMessage', 'MessageStatus', 'GroupInfo']) assert.ok(doc.body.components.schemas[schema] != null, schema)
    assert.deepEqual(doc.body, JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)))
  })

  it('publishes directory records, sends a message, the recipient sees it on SSE and in its inbox; status reaches delivered', async () => {
    for (const n of [bob, alice]) {
      const pub = await request(n, 'POST', '/v1/directory/publish')
      assert.equal(pub.status, 200, JSON.stringify(pub.body))
      assert.match(pub.body.seq, /^\d+$/)
      assert.equal(typeof pub.body.accepted, 'number')
      assert.deepEqual(Object.keys(pub.body).sort(), ['accepted', 'seq'])
    }
    // an empty JSON object is an empty body too
    assert.equal((await request(alice, 'POST', '/v1/directory/publish', {})).status, 200)

    const bobEvents = new SseClient(bob)
    const aliceEvents = new SseClient(alice)
    sse.push(bobEvents, aliceEvents)
    await Promise.all([bobEvents.connected, aliceEvents.connected])
    assert.match(bobEvents.contentType, /^text\/event-stream/)

    const sent = await request(alice, 'POST', '/v1/messages', { to: bob.address, body: 'hello bob ✓' })
    assert.equal(sent.status, 201, JSON.stringify(sent.body))
    assert.deepEqual(Object.keys(sent.body), ['id'])
    const id: string = sent.body.id
    assert.match(id, /^[0-9a-f]+$/)

    const incoming = await waitFor(() => bobEvents.events.find(e => e.event === 'message' && e.data.id === id), { timeout: 60_000, what: 'message event on bob\'s SSE stream' })
    const msg = incoming.data as InboxMessage
    assert.equal(msg.from, alice.address)
    assert.equal(msg.to, bob.address)
    assert.equal(msg.group, null)
    assert.equal(msg.body, 'hello bob ✓')
    assert.match(msg.contentType, /^text\/plain/)
    assert.equal(typeof msg.sentAt, 'number')
    assert.equal(typeof msg.receivedAt, 'number')

    const inbox = await request(bob, 'GET', '/v1/messages')
    assert.equal(inbox.status, 200)
    assert.deepEqual(inbox.body.at(-1), msg, 'newest last, same as the event')
    const after = await request(bob, 'GET', `/v1/messages?after=${msg.receivedAt}`)
    assert.deepEqual(after.body.filter((m: InboxMessage) => m.id === id), [], 'after is exclusive')
    const limited = await request(bob, 'GET', '/v1/messages?limit=1')
    assert.equal(limited.status, 200)
    assert.equal(limited.body.length, 1)

    const delivered = await waitFor(async () => {
      const s = await request(alice, 'GET', `/v1/messages/${id}/status`)
      assert.equal(s.status, 200, JSON.stringify(s.body))
      return s.body.state === 'delivered' ? s.body as MessageStatus : undefined
    }, { timeout: 60_000, what: 'delivered status' })
    assert.equal(delivered.id, id)
    assert.equal(delivered.to, bob.address)
    assert.equal(typeof delivered.updatedAt, 'number')
    // the sender's stream saw the outbox change to delivered
    await waitFor(() => aliceEvents.events.some(e => e.event === 'status' && e.data.id === id && e.data.state === 'delivered'), { what: 'status event' })

    // a non-text body travels as base64 and comes back as base64
    const bytes = Buffer.from([0, 1, 2, 250, 255])
    const bin = await request(alice, 'POST', '/v1/messages', { to: bob.address, body: bytes.toString('base64'), contentType: 'application/octet-stream' })
    assert.equal(bin.status, 201, JSON.stringify(bin.body))
    const got = await waitFor(() => bobEvents.events.find(e => e.event === 'message' && e.data.id === bin.body.id), { timeout: 60_000, what: 'binary message' })
    assert.equal(got.data.contentType, 'application/octet-stream')
    assert.deepEqual(Buffer.from(got.data.body, 'base64'), bytes)
  })

  it('SSE: heartbeat comments, and the listeners go away when the client disconnects', async () => {
    const svc = messaging(bob)
    const before = { message: svc.listenerCount('message'), status: svc.listenerCount('status') }
    const client = new SseClient(bob)
    sse.push(client)
    await client.connected
    assert.equal(svc.listenerCount('message'), before.message + 1)
    assert.equal(svc.listenerCount('status'), before.status + 1)
    await waitFor(() => client.comments.includes('heartbeat'), { timeout: 5_000, what: 'heartbeat comment' })
    client.close()
    await waitFor(() => svc.listenerCount('message') === before.message && svc.listenerCount('status') === before.status, { what: 'listeners removed' })
    assertError(await request(bob, 'GET', '/v1/events?x=1'), 400, 'INVALID_QUERY')
  })

  it('rejects bad requests with JSON errors: bad JSON, unknown fields, wrong types, too large, unknown ids', async () => {
    assertError(await request(alice, 'POST', '/v1/messages', '{"to": ', {}), 400, 'INVALID_JSON')
    assertError(await request(alice, 'POST', '/v1/messages', '[1]'), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/messages', { to: bob.address, body: 'x', extra: true }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/messages', { body: 'x' }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/messages', { to: bob.address }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/messages', { to: bob.address, body: 42 }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/messages', { to: 7, body: 'x' }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/messages', { to: bob.address, body: 'x', contentType: 5 }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/messages', { to: bob.address, body: 'x', contentType: 'not a mime type' }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/messages', { to: bob.address, body: 'not base64!', contentType: 'application/octet-stream' }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/messages', { to: 'not an address', body: 'x' }), 400, 'ERR_INVALID_ADDRESS')
    assertError(await request(alice, 'POST', '/v1/messages', { to: 'x'.repeat(500), body: 'x' }), 400, 'ERR_INVALID_ADDRESS')
    assertError(await request(alice, 'POST', '/v1/messages', { to: 'Qmnotanaddress', body: 'x' }), 400, 'ERR_INVALID_ADDRESS')
    assertError(await request(alice, 'POST', '/v1/messages', `to=${bob.address}`, { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE')
    // 256 KiB is the largest body; one byte more is 413 ERR_MESSAGE_TOO_LARGE (text and base64)
    assertError(await request(alice, 'POST', '/v1/messages', { to: bob.address, body: 'a'.repeat(256 * 1024 + 1) }), 413, 'ERR_MESSAGE_TOO_LARGE')
    assertError(await request(alice, 'POST', '/v1/messages', { to: bob.address, body: Buffer.alloc(256 * 1024 + 1).toString('base64'), contentType: 'image/png' }), 413, 'ERR_MESSAGE_TOO_LARGE')
    // past the API's request size limit
    assertError(await request(alice, 'POST', '/v1/messages', { to: bob.address, body: 'a'.repeat(2 * 1024 * 1024) }), 413)

    assertError(await request(alice, 'GET', `/v1/messages/${'ab'.repeat(16)}/status`), 404, 'ERR_MESSAGE_NOT_FOUND')
    assertError(await request(alice, 'GET', '/v1/messages/not-hex/status'), 400, 'INVALID_ID')
    assertError(await request(alice, 'GET', '/v1/messages?limit=0'), 400, 'INVALID_QUERY')
    assertError(await request(alice, 'GET', '/v1/messages?limit=abc'), 400, 'INVALID_QUERY')
    assertError(await request(alice, 'GET', '/v1/messages?after=-1'), 400, 'INVALID_QUERY')
    assertError(await request(alice, 'GET', '/v1/messages?limit=1&limit=2'), 400, 'INVALID_QUERY')
    assertError(await request(alice, 'GET', '/v1/messages?frobnicate=1'), 400, 'INVALID_QUERY')
    assertError(await request(alice, 'POST', '/v1/directory/publish', { force: true }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/mailbox/fetch', 'nope', {}), 400, 'INVALID_JSON')
    assertError(await request(alice, 'PUT', '/v1/messages'), 405, 'METHOD_NOT_ALLOWED')
    assertError(await request(alice, 'GET', '/v1/groups/grp_00/members'), 405, 'METHOD_NOT_ALLOWED')
    assertError(await request(alice, 'GET', '/v1/messagez'), 404, 'NOT_FOUND')
  })

  it('a recipient without a directory record yet: the message is accepted and waits in the outbox as queued', async () => {
    const stranger = await rootIdentity()
    const sent = await request(alice, 'POST', '/v1/messages', { to: stranger.address, body: 'anyone there?' })
    assert.equal(sent.status, 201, JSON.stringify(sent.body))
    const status = await request(alice, 'GET', `/v1/messages/${String(sent.body.id)}/status`)
    assert.equal(status.status, 200)
    assert.equal(status.body.state, 'queued')
  })

  it('mailbox fetch', async () => {
    const fetched = await request(bob, 'POST', '/v1/mailbox/fetch')
    assert.equal(fetched.status, 200, JSON.stringify(fetched.body))
    assert.equal(typeof fetched.body.fetched, 'number')
    assert.deepEqual(Object.keys(fetched.body), ['fetched'])
  })

  it('groups: create, list, add and remove members, send to the group; only admins change members', async () => {
    for (const n of [bob, relay]) assert.equal((await request(n, 'POST', '/v1/directory/publish')).status, 200)
    const created = await request(alice, 'POST', '/v1/groups', { name: 'team', members: [bob.address] })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const group = created.body as GroupInfo
    assert.match(group.id, /^grp_[0-9a-f]{32}$/)
    assert.equal(group.name, 'team')
    assert.deepEqual(group.admins, [alice.address])
    assert.ok(group.members.includes(bob.address))
    assert.equal(typeof group.epoch, 'number')

    const list = await request(alice, 'GET', '/v1/groups')
    assert.equal(list.status, 200)
    assert.deepEqual(list.body.find((g: GroupInfo) => g.id === group.id), group)

    const added = await request(alice, 'POST', `/v1/groups/${group.id}/members`, { address: relay.address })
    assert.equal(added.status, 200, JSON.stringify(added.body))
    assert.ok(added.body.members.includes(relay.address) && added.body.members.includes(bob.address))

    const bobEvents = new SseClient(bob)
    sse.push(bobEvents)
    await bobEvents.connected
    const sent = await request(alice, 'POST', '/v1/messages', { to: group.id, body: 'hello team' })
    assert.equal(sent.status, 201, JSON.stringify(sent.body))
    const got = await waitFor(() => bobEvents.events.find(e => e.event === 'message' && e.data.group === group.id && e.data.body === 'hello team'), { timeout: 60_000, what: 'group message on bob\'s stream' })
    assert.equal(got.data.from, alice.address)

    // bob knows the group now, but is not an admin
    await waitFor(async () => (await request(bob, 'GET', '/v1/groups')).body.some((g: GroupInfo) => g.id === group.id), { timeout: 30_000, what: 'bob to know the group' })
    const outsider = await rootIdentity()
    assertError(await request(bob, 'POST', `/v1/groups/${group.id}/members`, { address: outsider.address }), 403, 'ERR_NOT_GROUP_ADMIN')
    assertError(await request(bob, 'DELETE', `/v1/groups/${group.id}/members/${alice.address}`), 403, 'ERR_NOT_GROUP_ADMIN')

    const removed = await request(alice, 'DELETE', `/v1/groups/${group.id}/members/${relay.address}`)
    assert.equal(removed.status, 200, JSON.stringify(removed.body))
    assert.ok(!removed.body.members.includes(relay.address))
    assert.ok(removed.body.epoch > group.epoch || removed.body.epoch >= added.body.epoch)

    assertError(await request(alice, 'POST', '/v1/groups', { name: 'x', members: [], extra: 1 }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/groups', { name: '', members: [] }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/groups', { name: 'x', members: 'bob' }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/groups', { name: 'x', members: [1] }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/groups', { name: 'x'.repeat(300), members: [] }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'POST', '/v1/groups/grp_nothex/members', { address: bob.address }), 400, 'INVALID_GROUP_ID')
    assertError(await request(alice, 'POST', `/v1/groups/grp_${'0'.repeat(32)}/members`, { address: bob.address }), 404, 'ERR_UNKNOWN_GROUP')
    assertError(await request(alice, 'POST', `/v1/groups/${group.id}/members`, { address: bob.address, admin: true }), 400, 'INVALID_BODY')
    assertError(await request(alice, 'DELETE', `/v1/groups/grp_${'0'.repeat(32)}/members/${bob.address}`), 404, 'ERR_UNKNOWN_GROUP')
  })

  it('is 503 MESSAGING_DISABLED on a node without the messaging service', async () => {
    const token = generateApiToken()
    const app = createApiApp({ services: {} } as unknown as AttnNode, { address: 'none', token, hosts: new Set(['api.test:1']) })
    for (const [method, path] of [['GET', '/v1/messages'], ['POST', '/v1/mailbox/fetch'], ['GET', '/v1/events'], ['GET', '/v1/groups']]) {
      const res = await app.request(path, { method, headers: { host: 'api.test:1', authorization: `Bearer ${token}` } })
      assert.equal(res.status, 503, `${method} ${path}`)
      assert.equal((await res.json() as any).error.code, 'MESSAGING_DISABLED')
    }
  })
})
