import assert from 'node:assert/strict'
import { readFile, mkdtemp, rm, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { waitFor } from '../helpers/nodes.js'
import { MessagingTestNet } from '../helpers/messaging.js'
import type { MessagingNodeOptions } from '../helpers/messaging.js'
import { deviceIdentity, rootIdentity } from '../helpers/identities.js'
import { createDirectoryRecord, directoryKey, encodeDirectoryRecord, METHOD_DELIVER, createReceipt } from '../../src/messaging/index.js'
import { sealTestBundle } from '../helpers/messaging.js'
import { encodeDevicesHint } from '../../src/messaging/stale-devices.js'
import type { AttnNode, CreateAttnNodeOptions } from '../../src/node/create-node.js'
import type { Identity } from '../../src/keys/index.js'

describe('messaging between real nodes', function () {
  this.timeout(120_000)
  const net = new MessagingTestNet()
  const nodes = net.nodes
  afterEach(async () => { await net.cleanup() })
  const tempDir = async (): Promise<string> => await net.tempDir()
  const node = async (opts: MessagingNodeOptions = {}): Promise<AttnNode> => await net.node(opts)
  const publish = async (n: AttnNode): Promise<void> => { await net.publish(n) }
  const inboxBodies = (n: AttnNode): string[] => net.inboxBodies(n)

  it('online 1:1 both ways: delivered directly, receipts turn the status to delivered', async () => {
    const relay = await node()
    const a = await node({ via: relay })
    const b = await node({ via: relay })
    await publish(a)
    await publish(b)
    const { id } = await a.services.messaging.send(b.services.messaging.address, 'hello bob')
    await waitFor(() => inboxBodies(b).includes('hello bob'), { what: 'bob receives' })
    const got = b.services.messaging.inbox().find(m => m.body === 'hello bob')
    assert.equal(got?.from, a.services.messaging.address)
    assert.equal(got?.to, b.services.messaging.address)
    assert.equal(got?.id, id)
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: 'delivered status' })

    const back = await b.services.messaging.send(a.services.messaging.address, 'hello alice')
    await waitFor(() => inboxBodies(a).includes('hello alice'), { what: 'alice receives' })
    await waitFor(async () => (await b.services.messaging.status(back.id)).state === 'delivered', { what: 'delivered back' })
    // a note to self lands in our own inbox (and its receipt marks it delivered)
    const self = await a.services.messaging.send(a.services.messaging.address, 'note to self')
    await waitFor(() => inboxBodies(a).includes('note to self'), { what: 'note to self in the inbox' })
    await waitFor(async () => (await a.services.messaging.status(self.id)).state === 'delivered', { what: 'note to self delivered' })
    await assert.rejects(a.services.messaging.send(b.services.messaging.address, 'x'.repeat(256 * 1024 + 1)), { code: 'ERR_MESSAGE_TOO_LARGE' })
    await assert.rejects(a.services.messaging.status('00'.repeat(16)), { code: 'ERR_MESSAGE_NOT_FOUND' })
  })

  it('recipient offline: stored at 2 mailboxes, fetched exactly once after restart, sender sees delivered; the relay holds only ciphertext', async () => {
    const relay = await node()
    const m1Dir = await tempDir()
    const m1 = await node({ via: relay, dir: m1Dir })
    const m2 = await node({ via: relay })
    const a = await node({ via: relay })
    const bIdentity = await rootIdentity()
    const bDir = await tempDir()
    let b = await node({ via: relay, identity: bIdentity, dir: bDir, mailboxes: [m1.peerId.toString(), m2.peerId.toString()] })
    await publish(a)
    await publish(b)
    await b.stop()

    const secret = 'meet me at the old mill at nine'
    const { id } = await a.services.messaging.send(bIdentity.address, secret)
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'stored', { what: 'stored at mailboxes' })

    // the mailboxes hold ciphertext only (and m1 going away leaves the copy at m2)
    await m1.stop()
    const files = await readdir(m1Dir)
    assert.ok(files.includes('messages.db'))
    for (const file of files) {
      const raw = await readFile(join(m1Dir, file))
      assert.equal(raw.includes(Buffer.from(secret)), false, `${file} contains the plaintext`)
    }
    assert.ok((await readFile(join(m1Dir, 'messages.db'))).length > 0)

    b = await node({ via: relay, identity: bIdentity, dir: bDir, mailboxes: [m1.peerId.toString(), m2.peerId.toString()] })
    await publish(b)
    await waitFor(() => inboxBodies(b).includes(secret), { what: 'b fetches from the mailbox' })
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: 'delivered after fetch' })
    await b.services.messaging.fetchMailboxes()
    assert.equal(inboxBodies(b).filter(x => x === secret).length, 1, 'exactly once')
  })

  it('the sender restarts with messages still queued: they go out after the restart, none duplicated', async () => {
    const relay = await node()
    const aIdentity = await rootIdentity()
    const aDir = await tempDir()
    let a = await node({ via: relay, identity: aIdentity, dir: aDir })
    const bDir = await tempDir()
    const bIdentity = await rootIdentity()
    const bListen = ['/ip4/127.0.0.1/tcp/0']
    let b = await node({ via: relay, identity: bIdentity, dir: bDir, listen: bListen, mailboxes: [] })
    await publish(a)
    await publish(b)
    await b.stop()
    const first = await a.services.messaging.send(bIdentity.address, 'queued one')
    const second = await a.services.messaging.send(bIdentity.address, 'queued two')
    // no device and no mailbox reachable: they stay queued
    await waitFor(async () => (await a.services.messaging.status(first.id)).state === 'queued', { what: 'queued' })
    await a.stop()

    b = await node({ via: relay, identity: bIdentity, dir: bDir, mailboxes: [] })
    await publish(b)
    a = await node({ via: relay, identity: aIdentity, dir: aDir })
    for (const { id } of [first, second]) {
      await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: `delivered ${id} after restart` })
    }
    assert.deepEqual(inboxBodies(b).sort(), ['queued one', 'queued two'])
  })

  it('two devices of one identity both receive; each device sees the other\'s sent messages', async () => {
    const relay = await node()
    const root = await generateKeyPair('secp256k1')
    const phone = await node({ via: relay, identity: await rootIdentity(root) })
    const laptop = await node({ via: relay, identity: await deviceIdentity(root, { label: 'laptop' }) })
    const alice = await node({ via: relay })
    await publish(alice)
    await publish(phone)
    await publish(laptop) // merges: both devices listed
    await waitFor(async () => {
      const { DirectoryClient } = await import('../../src/messaging/index.js')
      const rec = await new DirectoryClient(alice.services.dht, (() => {}) as any).lookup(phone.services.messaging.address, { fresh: true })
      return rec.devices.length === 2
    }, { what: 'both devices listed in the directory record' })
    const { id } = await alice.services.messaging.send(phone.services.messaging.address, 'to all my devices')
    await waitFor(() => inboxBodies(phone).includes('to all my devices') && inboxBodies(laptop).includes('to all my devices'), { timeout: 90_000, what: 'both devices receive' })
    await waitFor(async () => (await alice.services.messaging.status(id)).state === 'delivered', { what: 'delivered' })

    await laptop.services.messaging.send(alice.services.messaging.address, 'sent from the laptop')
    await waitFor(() => inboxBodies(alice).includes('sent from the laptop'), { what: 'alice receives' })
    await waitFor(() => phone.services.messaging.inbox().some(m => m.body === 'sent from the laptop' && m.from === phone.services.messaging.address && m.to === alice.services.messaging.address), { what: 'the phone sees the laptop\'s sent message' })
  })

  it('a sender holding an older record of a two-device identity: the device it reached says so (devices hint) and the other device gets the message too', async () => {
    const relay = await node()
    const root = await generateKeyPair('secp256k1')
    const phone = await node({ via: relay, identity: await rootIdentity(root) })
    const alice = await node({ via: relay })
    await publish(alice)
    await publish(phone)
    const { DirectoryClient } = await import('../../src/messaging/index.js')
    const phoneAddress = phone.services.messaging.address
    const older = await new DirectoryClient(alice.services.dht, (() => {}) as any).lookup(phoneAddress, { fresh: true })
    assert.equal(older.devices.length, 1)
    const laptop = await node({ via: relay, identity: await deviceIdentity(root, { label: 'laptop' }) })
    await publish(laptop) // merges: both devices listed
    // alice's cache still holds the record from before the laptop (as a sender that looked it up
    // seconds earlier would): she seals for the phone only
    ;(alice.services.messaging as any).directory.put(phoneAddress, older, Date.now())
    const { id } = await alice.services.messaging.send(phoneAddress, 'sealed for an older record')
    await waitFor(() => inboxBodies(phone).includes('sealed for an older record'), { what: 'the phone receives' })
    await waitFor(() => inboxBodies(laptop).includes('sealed for an older record'), { timeout: 60_000, what: 'the laptop receives the copy sealed again for it' })
    await waitFor(async () => (await alice.services.messaging.status(id)).state === 'delivered', { what: 'delivered' })
    assert.ok(phone.services.messaging.stats().staleDevicesHinted >= 1, 'the phone told alice')
    assert.ok(alice.services.messaging.stats().staleDevicesResealed >= 1, 'alice sealed it again for the laptop')
    assert.equal(inboxBodies(laptop).filter(b => b === 'sealed for an older record').length, 1, 'exactly once on the laptop')
    assert.equal(inboxBodies(phone).filter(b => b === 'sealed for an older record').length, 1, 'exactly once on the phone')

    // a flood of hints with the same record: at most one reseal run per sender per 10 s, nothing sealed twice
    const hints = (alice.services.messaging as any).running.receiver.init.staleDevices
    const current = (alice.services.messaging as any).directory.cached(phoneAddress)
    assert.equal(current.devices.length, 2)
    const body = encodeDevicesHint(new Uint8Array(16), encodeDirectoryRecord(current))
    const before = alice.services.messaging.stats()
    for (let i = 0; i < 50; i++) hints.onHint(body, phoneAddress)
    await hints.idle()
    const after = alice.services.messaging.stats()
    assert.ok(after.staleDevicesHintsIgnored - before.staleDevicesHintsIgnored >= 49, `ignored ${after.staleDevicesHintsIgnored - before.staleDevicesHintsIgnored} of 50`)
    assert.equal(after.staleDevicesResealed, before.staleDevicesResealed, 'nothing sealed again twice')
  })

  it('a record lists as mailboxes only peers that answer as mailboxes: nodes with the mailbox role off are not chosen', async () => {
    const relay = await node()
    const off = await Promise.all([0, 1].map(async () => await node({ via: relay, messaging: { mailbox: false } })))
    const a = await node({ via: relay })
    await publish(a)
    // they were candidates: the closest-peer query for a's record found them
    for (const o of off) assert.ok(await a.peerStore.has(o.peerId), 'the query met the node with the mailbox role off')
    const listed = a.services.messaging.publishedRecord()?.mailboxes.map(m => m.peerId) ?? []
    assert.deepEqual(listed, [relay.peerId.toString()], 'only the relay serves mail')
  })

  it('forged directory records are refused by DHT peers; a forged receipt does not mark delivered', async () => {
    const relay = await node()
    const a = await node({ via: relay })
    const b = await node({ via: relay })
    const mallory = await node({ via: relay })
    await publish(a)
    await publish(b)
    // mallory signs a record for b's address with her own key
    const forged = encodeDirectoryRecord({ ...createDirectoryRecord(mallory.services.attn.identity, { seq: 10n ** 15n, expiresAt: Math.floor(Date.now() / 1000) + 3600 }), address: b.services.messaging.address })
    let accepted = 0
    let errors = 0
    for await (const event of mallory.services.dht.put(directoryKey(b.services.messaging.address), forged)) {
      if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') accepted++
      if (event.name === 'QUERY_ERROR') errors++
    }
    assert.equal(accepted, 0, 'no peer accepted the forged record')
    assert.ok(errors > 0)

    // a's message to b, held back from b so no genuine receipt exists
    const { DirectoryClient } = await import('../../src/messaging/index.js')
    const record = await new DirectoryClient(mallory.services.dht, (() => {}) as any).lookup(a.services.messaging.address, { fresh: true })
    await b.stop()
    const { id } = await a.services.messaging.send(b.services.messaging.address, 'for bob only')
    // mallory forges a receipt for it, signed with her own key, sealed to a
    const receipt = createReceipt(mallory.services.attn.identity, { envelopeId: Buffer.from(id, 'hex'), senderAddress: a.services.messaging.address })
    const parcel = sealTestBundle(mallory.services.attn.identity, record, { kind: 'receipt', body: Buffer.concat([Buffer.from(id, 'hex'), receipt]) })
    await assert.rejects(mallory.services.attn.call(a.peerId, METHOD_DELIVER, parcel), { code: 'ERR_RECEIPT_FORGED' })
    assert.notEqual((await a.services.messaging.status(id)).state, 'delivered')
  })

  it('a group of 5 with one member offline; a removed member cannot read later messages', async () => {
    const relay = await node()
    const admin = await node({ via: relay })
    const members = await Promise.all([0, 1, 2, 3].map(async () => await node({ via: relay })))
    const offlineIdentity = await rootIdentity()
    const offlineDir = await tempDir()
    let offline = await node({ via: relay, identity: offlineIdentity, dir: offlineDir, mailboxes: [relay.peerId.toString()] })
    const [m1, m2, m3] = members
    const group5 = [m1, m2, m3, offline]
    for (const n of [admin, ...group5]) await publish(n)
    await offline.stop()

    const group = await admin.services.messaging.createGroup('five', group5.map(n => n === offline ? offlineIdentity.address : n.services.messaging.address))
    assert.equal(group.members.length, 5)
    await waitFor(() => [m1, m2, m3].every(n => n.services.messaging.listGroups().some(g => g.id === group.id)), { what: 'members learn the group' })
    await admin.services.messaging.send(group.id, 'hello group')
    await waitFor(() => [m1, m2, m3].every(n => inboxBodies(n).includes('hello group')), { what: 'online members receive' })
    // a member can write to the group too
    await m1.services.messaging.send(group.id, 'hi from m1')
    await waitFor(() => [admin, m2, m3].every(n => inboxBodies(n).includes('hi from m1')), { what: 'members receive from m1' })

    offline = await node({ via: relay, identity: offlineIdentity, dir: offlineDir, mailboxes: [relay.peerId.toString()] })
    await publish(offline)
    await waitFor(async () => { await offline.services.messaging.fetchMailboxes(); return inboxBodies(offline).includes('hello group') }, { what: 'the offline member gets it from its mailbox' })

    // remove m3: new epoch, new sender keys for the others only
    const after = await admin.services.messaging.removeMember(group.id, m3.services.messaging.address)
    assert.equal(after.epoch, group.epoch + 1)
    await waitFor(() => [m1, m2].every(n => n.services.messaging.listGroups().find(g => g.id === group.id)?.epoch === after.epoch), { what: 'members see the new epoch' })
    await admin.services.messaging.send(group.id, 'after removal')
    await waitFor(() => [m1, m2].every(n => inboxBodies(n).includes('after removal')), { what: 'remaining members receive' })
    assert.equal(inboxBodies(m3).includes('after removal'), false, 'the removed member cannot read it')
  })

  it('status while a delivery is in flight uses an RPC status query at the device', async () => {
    const relay = await node()
    const a = await node({ via: relay })
    let dropping = true
    const { decodeRpcMessage } = await import('../../src/rpc/index.js')
    // replies (to a's msg.deliver) and calls (b's receipt back to a) are lost while `dropping`
    const lost = (kind: string): boolean => kind === 'reply' || kind === 'call'
    const isLost = (data: Uint8Array): boolean => {
      const m = decodeRpcMessage(data)
      return lost(m.kind) || (m.kind === 'container' && m.messages.some(x => lost(x.message.kind)))
    }
    const bIdentity = await rootIdentity()
    const b = await nodes.create({
      bootstrap: [relay.getMultiaddrs()[0].toString()],
      attn: { identity: bIdentity, dropOutgoing: (_s: unknown, data: Uint8Array) => dropping && isLost(data) },
      messaging: { dbPath: join(await tempDir(), 'messages.db'), publishOnStart: false, mailboxes: [], mailboxGrace: 60_000 }
    })
    await publish(a)
    await publish(b)
    const { id } = await a.services.messaging.send(bIdentity.address, 'in flight')
    await waitFor(() => inboxBodies(b).includes('in flight'), { what: 'b processed the delivery' })
    const status = await waitFor(async () => {
      const s = await a.services.messaging.status(id)
      return s.transit?.some(t => t.peer === b.peerId.toString() && t.state === 'done') === true ? s : undefined
    }, { what: 'transit state done at the device' })
    assert.equal(status.state, 'queued', 'the sender has no reply yet')
    dropping = false
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: 'delivered once replies flow' })
    assert.equal(inboxBodies(b).filter(x => x === 'in flight').length, 1)
  })
})
