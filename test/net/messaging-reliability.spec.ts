import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { waitFor } from '../helpers/nodes.js'
import { MessagingTestNet } from '../helpers/messaging.js'
import { rootIdentity } from '../helpers/identities.js'
import { METHOD_MAILBOX_FETCH, METHOD_MAILBOX_PUT, DirectoryClient } from '../../src/messaging/index.js'
import { METHOD_PREKEY_PUT } from '../../src/messaging/protocol/prekey-rpc.js'
import { sealTestBundle } from '../helpers/messaging.js'
import type { DirectoryRecord } from '../../src/messaging/index.js'
import { decodeRpcMessage } from '../../src/rpc/index.js'
import type { RpcHandleOptions, RpcHandler } from '../../src/rpc/index.js'
import type { AttnNode } from '../../src/node/create-node.js'

/** A well-formed bundle for the record's devices whose body is garbage: passes every check a mailbox can make, opens for nobody. */
function junkParcel (record: DirectoryRecord, sender: AttnNode, deviceId?: string): Uint8Array {
  return sealTestBundle(sender.services.attn.identity, record, { body: randomBytes(64), corrupt: true, deviceId })
}

/** A TCP port free right now on 127.0.0.1 (a node restarted on it keeps its address). */
async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => { resolve(port) })
    })
  })
}

describe('messaging reliability (issue 10 restart, issue 11 breaks 1, 2, 8, 11)', function () {
  this.timeout(180_000)
  const net = new MessagingTestNet()
  afterEach(async () => { await net.cleanup() })

  it('every service survives libp2p stop() then start(): attn answers pings, messaging sends and delivers', async () => {
    const relay = await net.node()
    const aDir = await net.tempDir()
    const aIdentity = await rootIdentity()
    const a = await net.node({ via: relay, identity: aIdentity, dir: aDir })
    const b = await net.node({ via: relay })
    await net.publish(a)
    await net.publish(b)
    const first = await a.services.messaging.send(b.services.messaging.address, 'before the restart')
    await waitFor(async () => (await a.services.messaging.status(first.id)).state === 'delivered', { what: 'first message delivered' })

    await a.stop()
    assert.equal(a.services.messaging.isStarted(), false)
    await assert.rejects(a.services.messaging.send(b.services.messaging.address, 'while stopped'), { code: 'ERR_NOT_STARTED' })
    await a.start()
    await a.dial(relay.getMultiaddrs()[0])
    assert.equal(typeof await a.services.attn.ping(b.peerId), 'number', 'attn serves RPC after the restart')
    assert.equal(typeof await b.services.attn.ping(a.peerId), 'number', 'and is reachable')

    const second = await a.services.messaging.send(b.services.messaging.address, 'after the restart')
    await waitFor(() => net.inboxBodies(b).includes('after the restart'), { what: 'b receives after a restarted' })
    await waitFor(async () => (await a.services.messaging.status(second.id)).state === 'delivered', { what: 'delivered after the restart' })
    // the store was reopened, not replaced: the first message is still there
    assert.equal((await a.services.messaging.status(first.id)).state, 'delivered')
  })

  it('mailbox poisoning: junk parcels ahead of real mail are acknowledged and counted; every real message arrives', async () => {
    const relay = await net.node()
    const a = await net.node({ via: relay })
    const mallory = await net.node({ via: relay })
    const bIdentity = await rootIdentity()
    const bDir = await net.tempDir()
    const mailboxes = [relay.peerId.toString()]
    let b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes, messaging: { fetchInterval: 60_000 } })
    await net.publish(a)
    await net.publish(b)
    await b.stop()

    // mallory fills b's mailbox with 70 well-formed parcels nobody can open (more than a fetch page of 64)
    const record = await new DirectoryClient(mallory.services.dht, (() => {}) as any).lookup(bIdentity.address, { fresh: true })
    for (let i = 0; i < 70; i++) {
      await mallory.services.attn.call(relay.peerId, METHOD_MAILBOX_PUT, junkParcel(record, mallory))
    }
    const sent: string[] = []
    for (const text of ['one', 'two', 'three']) sent.push((await a.services.messaging.send(bIdentity.address, text)).id)
    await waitFor(async () => (await Promise.all(sent.map(async id => (await a.services.messaging.status(id)).state))).every(s => s === 'stored'), { what: 'stored at the mailbox' })

    b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes, messaging: { fetchInterval: 60_000 } })
    await net.publish(b)
    await waitFor(async () => {
      await b.services.messaging.fetchMailboxes()
      return ['one', 'two', 'three'].every(t => net.inboxBodies(b).includes(t))
    }, { what: 'all three real messages fetched past the junk' })
    const stats = b.services.messaging.stats()
    assert.equal(stats.junkDropped, 70, 'each junk parcel counted once')
    assert.ok((stats.rejected.ERR_DECRYPTION_FAILED ?? stats.rejected.ERR_DECRYPT_FAILED ?? 0) >= 70)
    // everything was acknowledged: the mailbox holds nothing more for b
    assert.deepEqual(await b.services.messaging.fetchMailboxes(), { fetched: 0 })
    await waitFor(async () => (await Promise.all(sent.map(async id => (await a.services.messaging.status(id)).state))).every(s => s === 'delivered'), { what: 'the sender sees delivered' })
  })

  it('a mailbox refuses provable junk: unlisted prekey, a recipient that does not list it; mailbox.put is rate-limited per sender', async () => {
    const relay = await net.node({ messaging: { mailboxPutRate: { perSender: 0.001, perSenderBurst: 5 } } })
    const mallory = await net.node({ via: relay })
    const b = await net.node({ via: relay, mailboxes: [relay.peerId.toString()] })
    const c = await net.node({ via: relay, mailboxes: [mallory.peerId.toString()] })
    await net.publish(b)
    await net.publish(c)
    const bAddress = b.services.messaging.address
    const record = await new DirectoryClient(mallory.services.dht, (() => {}) as any).lookup(bAddress, { fresh: true })
    // a bundle for a device b does not list can never be opened
    await assert.rejects(mallory.services.attn.call(relay.peerId, METHOD_MAILBOX_PUT, junkParcel(record, mallory, mallory.peerId.toString())), { code: 'ERR_PREKEY_UNLISTED' })
    const cRecord = await new DirectoryClient(mallory.services.dht, (() => {}) as any).lookup(c.services.messaging.address, { fresh: true })
    await assert.rejects(mallory.services.attn.call(relay.peerId, METHOD_MAILBOX_PUT, junkParcel(cRecord, mallory)), { code: 'ERR_NOT_MAILBOX' })
    // 5 tokens, two already spent above: three more pass, the next is refused
    for (let i = 0; i < 3; i++) await mallory.services.attn.call(relay.peerId, METHOD_MAILBOX_PUT, junkParcel(record, mallory))
    await assert.rejects(mallory.services.attn.call(relay.peerId, METHOD_MAILBOX_PUT, junkParcel(record, mallory)), { code: 'ERR_RATE_LIMITED' })
    const rejected = relay.services.messaging.stats().rejected
    assert.equal(rejected.ERR_PREKEY_UNLISTED, 1)
    assert.equal(rejected.ERR_NOT_MAILBOX, 1)
    assert.equal(rejected.ERR_RATE_LIMITED, 1)
  })

  it('durable receipts: the recipient stops before its receipt leaves; after its restart the sender sees delivered', async () => {
    const relay = await net.node()
    const a = await net.node({ via: relay })
    const bIdentity = await rootIdentity()
    const bDir = await net.tempDir()
    let dropping = true
    // b loses every call it makes (its receipts) while `dropping`
    const dropCalls = (_s: unknown, data: Uint8Array): boolean => {
      if (!dropping) return false
      const m = decodeRpcMessage(data)
      return m.kind === 'call' || (m.kind === 'container' && m.messages.some(x => x.message.kind === 'call'))
    }
    let b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes: [], attn: { dropOutgoing: dropCalls } })
    await net.publish(a)
    await net.publish(b)
    const { id } = await a.services.messaging.send(bIdentity.address, 'did you get this?')
    await waitFor(() => net.inboxBodies(b).includes('did you get this?'), { what: 'b has the message' })
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'sent', { what: 'sent' })
    await b.stop()
    assert.equal((await a.services.messaging.status(id)).state, 'sent', 'no receipt reached a')
    dropping = false
    b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes: [] })
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: 'the queued receipt goes out after the restart' })
    assert.equal(net.inboxBodies(b).filter(x => x === 'did you get this?').length, 1, 'stored once')
  })

  it('a receipt that was given up on is re-triggered by the sender\'s re-probe (a duplicate delivery)', async () => {
    const relay = await net.node()
    const a = await net.node({ via: relay, messaging: { probeInitial: 300, probeMax: 600 } })
    let dropping = true
    const dropCalls = (_s: unknown, data: Uint8Array): boolean => {
      if (!dropping) return false
      const m = decodeRpcMessage(data)
      return m.kind === 'call' || (m.kind === 'container' && m.messages.some(x => x.message.kind === 'call'))
    }
    // b gives its receipts up quickly, as if its retries had run out
    const b = await net.node({ via: relay, mailboxes: [], attn: { dropOutgoing: dropCalls }, messaging: { giveUpAfter: 1_500, callTimeout: 500 } })
    await net.publish(a)
    await net.publish(b)
    const { id } = await a.services.messaging.send(b.services.messaging.address, 'probe me')
    await waitFor(() => net.inboxBodies(b).includes('probe me'), { what: 'b has the message' })
    // wait until b's receipt has failed for good, then let calls through
    await waitFor(() => (b.services.messaging.stats().receiptsRequeued ?? 0) >= 1, { what: 'a re-probe re-queued the receipt', timeout: 30_000 })
    dropping = false
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: 'delivered after the re-probe' })
    assert.ok(a.services.messaging.stats().reprobes >= 1)
    assert.equal(net.inboxBodies(b).filter(x => x === 'probe me').length, 1, 'the duplicate is not stored twice')
  })

  it('a restarted node fetches from the mailboxes of its own stored record at once (no DHT, no publish), and that fetch is its first call to the mailbox: the one-time prekey check waits for it (issue 17)', async () => {
    const relay = await net.node()
    const a = await net.node({ via: relay })
    const bIdentity = await rootIdentity()
    const bDir = await net.tempDir()
    const mailboxes = [relay.peerId.toString()]
    let b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes, messaging: { fetchInterval: 600_000 } })
    await net.publish(a)
    await net.publish(b)
    await b.stop()
    const { id } = await a.services.messaging.send(bIdentity.address, 'first call')
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'stored', { what: 'stored' })
    // the mailbox notes, in order, the fetch and prekey calls b makes to it
    const calls: string[] = []
    const handlers = (relay.services.attn as unknown as { handlers: Map<string, { handler: RpcHandler, options?: RpcHandleOptions }> }).handlers
    for (const method of [METHOD_MAILBOX_FETCH, METHOD_PREKEY_PUT]) {
      const original = handlers.get(method)
      assert.ok(original != null, `${method} is served`)
      relay.services.attn.handle(method, async (params, ctx) => {
        if (ctx.remoteAddress === bIdentity.address) calls.push(method)
        return await original.handler(params, ctx)
      }, original.options)
    }
    // no publish, no explicit fetch, polling far away: only the start-up fetch can bring it
    b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes, messaging: { fetchInterval: 600_000 } })
    await waitFor(() => net.inboxBodies(b).includes('first call'), { what: 'fetched at start from the stored record' })
    await waitFor(() => calls.includes(METHOD_PREKEY_PUT), { what: 'the one-time prekey check after the fetch' })
    assert.equal(calls[0], METHOD_MAILBOX_FETCH, `calls in order: ${calls.join(', ')}`)
  })

  it('the start-up fetch asks a mailbox that was unreachable at start again, without waiting for the next poll', async () => {
    const relay = await net.node()
    const port = await freePort()
    const m = await net.node({ via: relay, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    const a = await net.node({ via: relay })
    const bIdentity = await rootIdentity()
    const bDir = await net.tempDir()
    const mailboxes = [m.peerId.toString()]
    let b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes, messaging: { fetchInterval: 600_000 } })
    await net.publish(a)
    await net.publish(b)
    await b.stop()
    const { id } = await a.services.messaging.send(bIdentity.address, 'behind a late mailbox')
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'stored', { what: 'stored at the mailbox' })
    // the sender's re-probe would deliver directly once b is back: only the mailbox path is left
    await a.stop()
    await m.stop()
    // b starts while its only mailbox is down: the first start-up fetch fails
    b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes, messaging: { fetchInterval: 600_000 } })
    await m.start()
    await waitFor(() => net.inboxBodies(b).includes('behind a late mailbox'), { what: 'fetched by a start-up retry', timeout: 30_000 })
  })

  it('a recipient without a record yet: the send is queued (with the reason), and delivered once the recipient publishes', async () => {
    const relay = await net.node()
    const a = await net.node({ via: relay })
    await net.publish(a)
    const bIdentity = await rootIdentity()
    const { id } = await a.services.messaging.send(bIdentity.address, 'waiting for you')
    const queued = await waitFor(async () => {
      const s = await a.services.messaging.status(id)
      return s.reason != null ? s : undefined
    }, { what: 'a failed lookup recorded' })
    assert.equal(queued.state, 'queued')
    assert.match(queued.reason ?? '', /recipient unknown/)
    const b = await net.node({ via: relay, identity: bIdentity })
    await net.publish(b)
    await waitFor(() => net.inboxBodies(b).includes('waiting for you'), { what: 'b receives' })
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: 'delivered' })
  })
})
