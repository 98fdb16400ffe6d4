import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { waitFor } from '../helpers/nodes.js'
import { MessagingTestNet } from '../helpers/messaging.js'
import { rootIdentity } from '../helpers/identities.js'
import { METHOD_MAILBOX_PUT, DirectoryClient } from '../../src/messaging/index.js'
import { sealTestBundle } from '../helpers/messaging.js'
import type { DirectoryRecord } from '../../src/messaging/index.js'
import type { AttnNode } from '../../src/node/create-node.js'

/** A well-formed bundle for the record's devices (listed devices, valid headers) whose body opens for nobody. */
function floodParcel (record: DirectoryRecord, sender: AttnNode): Uint8Array {
  return sealTestBundle(sender.services.attn.identity, record, { body: randomBytes(64), corrupt: true })
}

const REFUSALS = ['ERR_RATE_LIMITED', 'ERR_QUOTA_EXCEEDED', 'ERR_MAILBOX_FULL']

/** Dials `to` on its first address of `family` and waits for the connection. */
async function connect (from: AttnNode, to: AttnNode, family: 'ip4' | 'ip6'): Promise<void> {
  const ma = to.getMultiaddrs().find(a => a.toString().startsWith(`/${family}/`))
  assert.ok(ma != null, `${to.peerId.toString()} listens on ${family}`)
  await from.dial(multiaddr(ma.toString()))
  await waitFor(() => from.getConnections(to.peerId).length > 0, { what: `${family} connection` })
}

describe('mailbox flood (issue 11 fault suite): many identities flood mailbox.put, legitimate mail still gets through', function () {
  this.timeout(240_000)
  const net = new MessagingTestNet()
  afterEach(async () => { await net.cleanup() })

  it('the flood is refused by the put rate limits and sender quotas (counted), while an offline recipient still receives every legitimate message', async () => {
    // Small limits so the test reaches them. On loopback the "network source" is the IP: the attackers come from
    // 127.0.0.1, the legitimate sender from ::1, as a flood from one host and a user elsewhere would.
    const PER_SENDER_BURST = 4
    const PER_SOURCE_BURST = 20
    const MAX_PER_SENDER = 3
    const relay = await net.node({
      listen: ['/ip4/127.0.0.1/tcp/0', '/ip6/::1/tcp/0'],
      messaging: {
        mailboxPutRate: { perSender: 0.001, perSenderBurst: PER_SENDER_BURST, perSource: 0.001, perSourceBurst: PER_SOURCE_BURST },
        mailboxQuotas: { maxPerSender: MAX_PER_SENDER, maxPerRecipient: 1_000, maxBytesTotal: 4 * 1024 * 1024 }
      }
    })
    const a = await net.node({ listen: ['/ip6/::1/tcp/0'] })
    await connect(a, relay, 'ip6')
    const bIdentity = await rootIdentity()
    const bDir = await net.tempDir()
    const mailboxes = [relay.peerId.toString()]
    let b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes, messaging: { fetchInterval: 60_000 } })
    await net.publish(a)
    await net.publish(b)
    await b.stop()

    // the attackers: distinct identities, one host; each knows b's record (it is public) and its listed prekey
    const ATTACKERS = 8
    const PUTS_EACH = 6
    const attackers: AttnNode[] = []
    for (let i = 0; i < ATTACKERS; i++) {
      // a generous call deadline: the outcome of every put is asserted, even on a loaded machine
      const m = await net.node({ attn: { rpc: { callTimeout: 30_000 } } })
      await connect(m, relay, 'ip4')
      // a session first (one handshake at a time): what is measured is mailbox.put, not handshake admission
      await waitFor(async () => await m.services.attn.ping(relay.peerId).catch(() => undefined), { what: 'attacker session with the mailbox', timeout: 30_000 })
      attackers.push(m)
    }
    // (once the attacker's DHT has the relay in its routing table)
    const directory = new DirectoryClient(attackers[0].services.dht, (() => {}) as any)
    const record = await waitFor(async () => await directory.lookup(bIdentity.address, { fresh: true }).catch(() => undefined), { what: "b's record found by an attacker", timeout: 30_000 })

    const outcomes: Record<string, number> = {}
    const put = async (m: AttnNode): Promise<void> => {
      let outcome = 'stored'
      try {
        await m.services.attn.call(relay.peerId, METHOD_MAILBOX_PUT, floodParcel(record, m))
      } catch (err: any) {
        outcome = String(err.code)
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    }
    // the first put makes the mailbox look b's record up (then it is cached), as any first parcel for b would
    await put(attackers[0])
    const flood = Promise.all(attackers.map(async (m, i) => {
      for (let n = i === 0 ? 1 : 0; n < PUTS_EACH; n++) await put(m)
    }))
    // meanwhile the legitimate sender writes to b, who is offline: its messages go to b's mailbox
    const texts = ['legit one', 'legit two', 'legit three']
    const sent: string[] = []
    for (const text of texts) sent.push((await a.services.messaging.send(bIdentity.address, text)).id)
    await flood
    await waitFor(async () => (await Promise.all(sent.map(async id => (await a.services.messaging.status(id)).state))).every(s => s === 'stored'),
      { what: 'legitimate messages stored at the mailbox during the flood', timeout: 60_000 })

    // the attacker was refused with the flood codes only, and got at most what the limits allow
    const stored = outcomes.stored ?? 0
    const refused = ATTACKERS * PUTS_EACH - stored
    assert.deepEqual(Object.keys(outcomes).filter(k => k !== 'stored' && !REFUSALS.includes(k)), [], `attacker outcomes: ${JSON.stringify(outcomes)}`)
    assert.ok(stored <= Math.min(PER_SOURCE_BURST, ATTACKERS * MAX_PER_SENDER), `attacker stored ${stored}`)
    assert.ok((outcomes.ERR_RATE_LIMITED ?? 0) > 0, `rate limits refused the flood: ${JSON.stringify(outcomes)}`)
    // every refusal is counted by the mailbox, and nothing of the legitimate sender's was refused
    const rejected = relay.services.messaging.stats().rejected
    const counted = REFUSALS.reduce((n, code) => n + (rejected[code] ?? 0), 0)
    assert.equal(counted, refused, `mailbox counters ${JSON.stringify(rejected)} vs attacker outcomes ${JSON.stringify(outcomes)}`)
    for (const code of REFUSALS) assert.equal(rejected[code] ?? 0, outcomes[code] ?? 0, code)

    // b comes online: every legitimate message is fetched past the flood's parcels, which are acknowledged as junk
    b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes, messaging: { fetchInterval: 60_000 } })
    await net.publish(b)
    await waitFor(async () => {
      await b.services.messaging.fetchMailboxes()
      return texts.every(t => net.inboxBodies(b).includes(t))
    }, { what: 'all legitimate messages fetched', timeout: 60_000 })
    assert.deepEqual(net.inboxBodies(b).sort(), [...texts].sort(), 'only the legitimate messages reach the inbox')
    assert.equal(b.services.messaging.stats().junkDropped, stored, 'each stored flood parcel dropped as junk once')
    // nothing stays behind: later fetches find the mailbox empty (a legitimate message that also came directly
    // may be fetched once more as a duplicate first, and acknowledged)
    await waitFor(async () => (await b.services.messaging.fetchMailboxes()).fetched === 0, { what: 'the mailbox holds nothing more for b' })
    assert.deepEqual(net.inboxBodies(b).sort(), [...texts].sort(), 'no duplicate in the inbox')
    await waitFor(async () => (await Promise.all(sent.map(async id => (await a.services.messaging.status(id)).state))).every(s => s === 'delivered'),
      { what: 'the legitimate sender sees delivered', timeout: 60_000 })
  })
})
