import assert from 'node:assert/strict'
import { waitFor } from '../helpers/nodes.js'
import { MessagingTestNet } from '../helpers/messaging.js'
import { carrierUrlToMultiaddr } from '../../src/carriers/index.js'
import type { MessageStatus } from '../../src/messaging/index.js'

/** Resolves with the promise's value if it settles before the event loop turns, else 'pending'. */
async function settledNow<T> (p: Promise<T>): Promise<T | 'pending'> {
  return await Promise.race([p, new Promise<'pending'>(resolve => { setImmediate(() => { resolve('pending') }) })])
}

describe('messaging status (issue 15 items 4, 7): local answers, mailbox hand-off at the grace, receipts are not messages', function () {
  this.timeout(180_000)
  const net = new MessagingTestNet()
  afterEach(async () => { await net.cleanup() })

  it('status answers from local state while a direct call hangs; the mailbox hand-off is reported at the grace, not at the call timeout', async () => {
    const relay = await net.node()
    // alice's direct calls may hang for a minute: the hand-off must not wait for them
    const alice = await net.node({ via: relay, messaging: { callTimeout: 60_000, mailboxGrace: 1_500 }, attn: { rpc: { callTimeout: 60_000 } } })
    // bob is online but never answers (every frame he sends is lost): a device that hangs
    const bob = await net.node({ via: relay, mailboxes: [relay.peerId.toString()], attn: { dropOutgoing: () => true } })
    await net.publish(bob)
    const svc = alice.services.messaging
    const outbox = (svc as any).running.outbox
    let inFlightAtStored: unknown
    const events: MessageStatus[] = []
    svc.addEventListener('status', (e) => {
      events.push(e.detail)
      if (e.detail.state === 'stored') inFlightAtStored = outbox.inFlight(e.detail.id)
    })
    const { id } = await svc.send(bob.services.messaging.address, 'are you there?')
    // while the direct call is in flight, every status call answers at once (no transit probe awaited)
    const inFlight = await waitFor(async () => {
      const s = await settledNow(svc.status(id))
      assert.notEqual(s, 'pending', 'status() waited for the network')
      return (s as MessageStatus).transit != null ? s as MessageStatus : undefined
    }, { what: 'a direct call in flight', timeout: 60_000 })
    assert.equal(inFlight.transit?.[0].peer, bob.peerId.toString())
    await waitFor(() => events.some(e => e.id === id && e.state === 'stored'), { what: 'stored', timeout: 60_000 })
    assert.ok(Array.isArray(inFlightAtStored) && inFlightAtStored.length > 0, 'stored was reported while the direct call still ran')
    const stored = await svc.status(id)
    assert.equal(stored.state, 'stored')
    // the mailbox copy was handed off over the relay's libp2p session (message-status `carrier`)
    assert.equal(stored.path, 'mailbox', JSON.stringify(stored))
    assert.equal(stored.carrier, 'libp2p', JSON.stringify(stored))
  })

  it('receipts are protocol traffic: the recipient emits no status events; the sender gets one delivered per message', async () => {
    const relay = await net.node()
    const alice = await net.node({ via: relay })
    const bob = await net.node({ via: relay })
    await net.publish(bob)
    await net.publish(alice)
    const aliceEvents: MessageStatus[] = []
    const bobEvents: MessageStatus[] = []
    alice.services.messaging.addEventListener('status', (e) => { aliceEvents.push(e.detail) })
    bob.services.messaging.addEventListener('status', (e) => { bobEvents.push(e.detail) })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await alice.services.messaging.send(bob.services.messaging.address, `m${i}`)).id)
    for (const id of ids) await waitFor(async () => (await alice.services.messaging.status(id)).state === 'delivered', { what: `${id} delivered`, timeout: 60_000 })
    // one more round trip: any late duplicate of the first five has been emitted by then
    const last = await alice.services.messaging.send(bob.services.messaging.address, 'last')
    await waitFor(async () => (await alice.services.messaging.status(last.id)).state === 'delivered', { what: 'last delivered', timeout: 60_000 })
    for (const id of ids) assert.equal(aliceEvents.filter(e => e.id === id && e.state === 'delivered').length, 1, `one delivered event for ${id}`)
    assert.deepEqual(bobEvents, [], 'bob sent nothing: his receipts are no status events')
    assert.ok(aliceEvents.every(e => [...ids, last.id].includes(e.id)), 'alice\'s events are about her messages only')
  })

  it('message-status `carrier` (issue 13 item 3): libp2p for a direct delivery, then udp and http once the session moved to those carriers', async () => {
    const LOOP = { host: '127.0.0.1', port: 0 }
    const relay = await net.node()
    const alice = await net.node({ via: relay })
    const bob = await net.node({ via: relay, attn: { udp: LOOP, http: LOOP } })
    await net.publish(bob)
    await net.publish(alice)
    const svc = alice.services.messaging
    const sendAndCheck = async (body: string, carrier: string): Promise<void> => {
      const { id } = await svc.send(bob.services.messaging.address, body)
      await waitFor(async () => (await svc.status(id)).state === 'delivered', { what: `${body} delivered`, timeout: 60_000 })
      const status = await svc.status(id)
      assert.equal(status.path, 'direct', JSON.stringify(status))
      assert.equal(status.carrier, carrier, JSON.stringify(status))
    }
    await sendAndCheck('over libp2p', 'libp2p')
    const endpoint = (scheme: string): string => bob.services.attn.endpoints().find(e => e.startsWith(scheme)) ?? assert.fail(`no ${scheme} endpoint`)
    const session = alice.services.attn.sessions?.sessionWithPeer(bob.peerId) ?? assert.fail('no session with bob')
    await alice.services.attn.useCarrier(session, carrierUrlToMultiaddr(endpoint('udp://')))
    await sendAndCheck('over udp', 'udp')
    await alice.services.attn.useCarrier(session, carrierUrlToMultiaddr(endpoint('http://')))
    await sendAndCheck('over http', 'http')
  })
})
