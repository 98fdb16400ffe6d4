import assert from 'node:assert/strict'
import { join } from 'node:path'
import { waitFor } from '../helpers/nodes.js'
import { MessagingTestNet } from '../helpers/messaging.js'
import { rootIdentity } from '../helpers/identities.js'

/** Rejects if `promise` has not settled within `ms`: a hang becomes a clear failure. */
async function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what} did not settle within ${ms} ms`)) }, ms) })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Found by the fault suite (test/faults): a node started while its only bootstrap peer (its
 * mailbox) was down stayed alone for good — libp2p's bootstrap dials once — and kad-dht held every
 * directory lookup until a peer appeared, so its sends, outbox passes and publishes hung.
 */
describe('a node started while its bootstrap peer is down', function () {
  this.timeout(120_000)
  const net = new MessagingTestNet()
  afterEach(async () => { await net.cleanup() })

  it('does not hang: sends return at once, lookups fail by their deadline; it joins once the peer is back and delivers', async () => {
    const relayIdentity = await rootIdentity()
    const first = await net.node({ identity: relayIdentity })
    const relayAddr = first.getMultiaddrs().find(ma => ma.toString().startsWith('/ip4/127.0.0.1/tcp/'))
    assert.ok(relayAddr != null)
    const port = Number(/\/tcp\/(\d+)/.exec(relayAddr.toString())?.[1])
    await first.stop()

    const aDir = await net.tempDir()
    const a = await net.nodes.create({
      bootstrap: [relayAddr.toString()],
      bootstrapRedialInterval: 300,
      attn: { identity: await rootIdentity(), rpc: { callTimeout: 3_000 } },
      messaging: { dbPath: join(aDir, 'messages.db'), publishOnStart: false, fetchInterval: 500, retryInitial: 200, retryMax: 1_000, callTimeout: 3_000, lookupTimeout: 1_000 }
    })
    const bIdentity = await rootIdentity()

    // alone: the send is queued and answered at once; the outbox's lookup fails by its deadline (it used to wait for a peer forever)
    const { id } = await within(a.services.messaging.send(bIdentity.address, 'sent while alone'), 10_000, 'send() on a node with no peers')
    const queued = await waitFor(async () => {
      const s = await a.services.messaging.status(id)
      return s.reason != null ? s : undefined
    }, { timeout: 20_000, what: 'a failed lookup reported in the status' })
    assert.equal(queued.state, 'queued')
    assert.match(queued.reason ?? '', /recipient unknown/)

    // the bootstrap peer comes back on the same address; b joins through it and publishes
    const relay = await net.node({ identity: relayIdentity, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    await waitFor(() => a.getConnections(relay.peerId).length > 0, { timeout: 20_000, what: 'a to re-dial its bootstrap peer' })
    const b = await net.node({ via: relay, identity: bIdentity })
    await net.publish(b)
    await net.publish(a) // for b's receipt

    await waitFor(() => net.inboxBodies(b).includes('sent while alone'), { timeout: 30_000, what: 'the queued message at b' })
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { timeout: 30_000, what: 'delivered at a' })
  })
})
