import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { waitFor } from '../helpers/nodes.js'
import { MessagingTestNet } from '../helpers/messaging.js'
import type { MessagingNodeOptions } from '../helpers/messaging.js'
import { sealTestBundle } from '../helpers/messaging.js'
import { METHOD_DELIVER, PARCEL_GROUP, encodeParcel, utf8 } from '../../src/messaging/index.js'
import { GroupMessageSender, createSenderKey, encodeSenderKey } from '../../src/messaging/protocol/group.js'
import { TEXT_PLAIN } from '../../src/messaging/protocol/message.js'
import type { AttnNode } from '../../src/node/create-node.js'

/** No mailbox polling: what arrives came over `msg.deliver` (or an explicit fetch). */
const NO_POLLING = { fetchInterval: 3_600_000 }

describe('groups: lazy sender keys and parcels ahead of their keys (issue 17)', function () {
  this.timeout(180_000)
  const net = new MessagingTestNet()
  afterEach(async () => { await net.cleanup() })
  const node = async (opts: MessagingNodeOptions = {}): Promise<AttnNode> => await net.node(opts)
  const bodies = (n: AttnNode): string[] => net.inboxBodies(n)
  const count = (n: AttnNode, body: string): number => bodies(n).filter(b => b === body).length
  const addr = (n: AttnNode): string => n.services.messaging.address
  const stats = (n: AttnNode): ReturnType<AttnNode['services']['messaging']['stats']> => n.services.messaging.stats()
  const knows = (n: AttnNode, id: string, epoch?: number): boolean =>
    n.services.messaging.listGroups().some(g => g.id === id && (epoch == null || g.epoch === epoch))

  it('a new group of N costs N group-update envelopes and no sender key; each first message costs N sender keys and arrives exactly once; later messages none', async () => {
    const relay = await node()
    const admin = await node({ via: relay })
    const members = await Promise.all([0, 1, 2, 3].map(async () => await node({ via: relay })))
    for (const n of [admin, ...members]) await net.publish(n)

    const group = await admin.services.messaging.createGroup('lazy', members.map(addr))
    assert.equal(stats(admin).groupUpdatesSent, members.length, 'one group-update per member')
    assert.equal(stats(admin).senderKeysSent, 0, 'no sender key at creation')
    await waitFor(() => members.every(m => knows(m, group.id)), { what: 'members learn the group', timeout: 60_000 })
    for (const m of members) {
      assert.equal(stats(m).senderKeysSent, 0, 'a member does not answer the group-update with its key')
      assert.equal(stats(m).groupUpdatesSent, 0)
    }

    // every member (the admin first) sends its first message: its key to the N others, then the parcels
    const all = [admin, ...members]
    for (const [i, sender] of all.entries()) {
      const body = `first from ${i}`
      await sender.services.messaging.send(group.id, body)
      assert.equal(stats(sender).senderKeysSent, all.length - 1, 'one sender key per other member')
      const others = all.filter(n => n !== sender)
      await waitFor(() => others.every(n => count(n, body) === 1), { what: `every member has ${body}`, timeout: 60_000 })
    }
    // a later message needs no key
    await members[1].services.messaging.send(group.id, 'second from 2')
    await waitFor(() => all.filter(n => n !== members[1]).every(n => count(n, 'second from 2') === 1), { what: 'the second message', timeout: 60_000 })
    for (const n of all) assert.equal(stats(n).senderKeysSent, all.length - 1, 'no new key for a later message of the epoch')
    // exactly once: nothing arrived twice
    for (const n of all) assert.equal(new Set(bodies(n)).size, bodies(n).length)
  })

  it('a member added in a new epoch reads the next message of an old member (its key sent lazily); a removed member cannot read the new epoch', async () => {
    const relay = await node()
    const admin = await node({ via: relay })
    const [m1, m2, m3] = await Promise.all([0, 1, 2].map(async () => await node({ via: relay })))
    for (const n of [admin, m1, m2, m3]) await net.publish(n)

    const group = await admin.services.messaging.createGroup('epochs', [addr(m1), addr(m2)])
    await waitFor(() => [m1, m2].every(m => knows(m, group.id)), { what: 'members learn the group', timeout: 60_000 })
    await m1.services.messaging.send(group.id, 'epoch 0')
    await waitFor(() => [admin, m2].every(n => count(n, 'epoch 0') === 1), { what: 'epoch 0 message', timeout: 60_000 })
    assert.equal(stats(m1).senderKeysSent, 2)

    const added = await admin.services.messaging.addMember(group.id, addr(m3))
    await waitFor(() => [m1, m2, m3].every(m => knows(m, group.id, added.epoch)), { what: 'everyone sees epoch 1', timeout: 60_000 })
    await m1.services.messaging.send(group.id, 'epoch 1')
    await waitFor(() => [admin, m2, m3].every(n => count(n, 'epoch 1') === 1), { what: 'the new member reads the old member', timeout: 60_000 })
    assert.equal(stats(m1).senderKeysSent, 2 + 3, 'a fresh key for the new epoch to its 3 other members')
    assert.equal(count(m3, 'epoch 0'), 0, 'no history for the new member')

    const removed = await admin.services.messaging.removeMember(group.id, addr(m2))
    await waitFor(() => [m1, m3].every(m => knows(m, group.id, removed.epoch)), { what: 'the others see epoch 2', timeout: 60_000 })
    await m1.services.messaging.send(group.id, 'epoch 2')
    await waitFor(() => [admin, m3].every(n => count(n, 'epoch 2') === 1), { what: 'the remaining members read epoch 2', timeout: 60_000 })
    assert.equal(stats(m1).senderKeysSent, 2 + 3 + 2, 'the epoch 2 key goes to the 2 remaining others only')
    await m2.services.messaging.fetchMailboxes()
    assert.equal(count(m2, 'epoch 2'), 0, 'the removed member cannot read it')
  })

  it('a group message that arrives before its sender key (forced) is quarantined on the direct path and opens once the key arrives; only from its own sender', async () => {
    const relay = await node()
    const admin = await node({ via: relay })
    const member = await node({ via: relay, messaging: NO_POLLING })
    const m2 = await node({ via: relay })
    for (const n of [admin, member, m2]) await net.publish(n)
    const group = await admin.services.messaging.createGroup('held', [addr(member), addr(m2)])
    await waitFor(() => knows(member, group.id) && knows(m2, group.id), { what: 'members learn the group', timeout: 60_000 })

    // m2's first message and its sender key, made by hand so that the message goes first
    const identity = m2.services.attn.identity
    const groupId = Uint8Array.from(Buffer.from(group.id.slice('grp_'.length), 'hex'))
    const key = createSenderKey(identity, groupId, BigInt(group.epoch))
    const payload = new GroupMessageSender(identity, key).encrypt({ contentType: TEXT_PLAIN, body: utf8('ahead of its key'), groupId, sentAt: Date.now() })
    const parcel = encodeParcel({ kind: PARCEL_GROUP, recipient: addr(member), payload })

    // relayed by another member than the one it names: refused as before (no quarantine for it)
    await assert.rejects(admin.services.attn.call(member.peerId, METHOD_DELIVER, parcel), { code: 'ERR_UNKNOWN_SENDER_KEY' })
    assert.equal(stats(member).quarantined, 0)
    // from its sender: accepted and quarantined
    assert.deepEqual(await m2.services.attn.call(member.peerId, METHOD_DELIVER, parcel), Uint8Array.of(1))
    assert.equal(stats(member).quarantined, 1)
    assert.equal(count(member, 'ahead of its key'), 0)
    // kept as a member's parcel: a flood of strangers' parcels cannot push it out (quarantine shares)
    const held = (member.services.messaging as any).running.store.quarantined(groupId)
    assert.deepEqual(held.map((q: any) => [q.sender, q.trust]), [[addr(m2), 2]])

    const record = member.services.messaging.publishedRecord()
    assert.ok(record != null)
    const keyParcel = sealTestBundle(identity, record, { kind: 'sender-key', body: encodeSenderKey(key) })
    assert.deepEqual(await m2.services.attn.call(member.peerId, METHOD_DELIVER, keyParcel), Uint8Array.of(1))
    await waitFor(() => count(member, 'ahead of its key') === 1, { what: 'the quarantined parcel opens once the key arrives', timeout: 30_000 })
    const got = member.services.messaging.inbox().find(m => m.body === 'ahead of its key')
    assert.equal(got?.from, addr(m2))
    assert.equal(stats(member).mailboxFetched, 0)
    // delivered again (a resend, its mailbox copy): a duplicate, accepted and counted, not a second message nor junk
    const duplicates = stats(member).duplicates
    assert.deepEqual(await m2.services.attn.call(member.peerId, METHOD_DELIVER, parcel), Uint8Array.of(1))
    assert.equal(stats(member).duplicates, duplicates + 1)
    assert.equal(stats(member).rejected.ERR_MESSAGE_KEY_UNAVAILABLE ?? 0, 0)
    assert.equal(count(member, 'ahead of its key'), 1)
  })

  it('a quarantined sender key retried while another key is being stored, and still unreadable then, is not lost: it opens when its epoch arrives', async () => {
    const relay = await node()
    const admin = await node({ via: relay })
    const member = await node({ via: relay, messaging: NO_POLLING })
    const [x, y] = await Promise.all([0, 1].map(async () => await node({ via: relay })))
    for (const n of [admin, member, x, y]) await net.publish(n)
    const group = await admin.services.messaging.createGroup('epochs', [addr(member), addr(x), addr(y)])
    await waitFor(() => knows(member, group.id), { what: 'the member learns epoch 0', timeout: 60_000 })
    const groupId = Uint8Array.from(Buffer.from(group.id.slice('grp_'.length), 'hex'))
    const record = member.services.messaging.publishedRecord()
    assert.ok(record != null)

    // x's key for epoch 1 arrives while the member is still at epoch 0: quarantined
    const xId = x.services.attn.identity
    const xKey = createSenderKey(xId, groupId, BigInt(group.epoch + 1))
    assert.deepEqual(await x.services.attn.call(member.peerId, METHOD_DELIVER, sealTestBundle(xId, record, { kind: 'sender-key', body: encodeSenderKey(xKey) })), Uint8Array.of(1))
    assert.equal(stats(member).quarantined, 1)
    // y's key for epoch 0 opens and retries the quarantine: x's key still cannot open (retried
    // inside y's transaction, its session step used to be committed with it, and x's key was then
    // dropped as a duplicate at its next retry)
    const yId = y.services.attn.identity
    assert.deepEqual(await y.services.attn.call(member.peerId, METHOD_DELIVER, sealTestBundle(yId, record, { kind: 'sender-key', body: encodeSenderKey(createSenderKey(yId, groupId, BigInt(group.epoch))) })), Uint8Array.of(1))
    // epoch 1 arrives (a rename): x's key opens
    const renamed = await admin.services.messaging.renameGroup(group.id, 'epochs 1')
    await waitFor(() => knows(member, group.id, renamed.epoch), { what: 'the member learns epoch 1', timeout: 60_000 })
    const payload = new GroupMessageSender(xId, xKey).encrypt({ contentType: TEXT_PLAIN, body: utf8('x in epoch 1'), groupId, sentAt: Date.now() })
    await x.services.attn.call(member.peerId, METHOD_DELIVER, encodeParcel({ kind: PARCEL_GROUP, recipient: addr(member), payload }))
    await waitFor(() => count(member, 'x in epoch 1') === 1, { what: "x's epoch-1 message opens with its once-quarantined key", timeout: 30_000 })
    assert.equal(stats(member).duplicates, 0, 'no bundle taken for a duplicate')
  })

  it('direct-path quarantine is bounded per caller: past its burst a caller\'s unreadable group parcels are refused as before, another caller is still taken', async () => {
    const relay = await node()
    const member = await node({ via: relay, messaging: NO_POLLING })
    const [x, y] = await Promise.all([0, 1].map(async () => await node({ via: relay })))
    for (const n of [member, x, y]) await net.publish(n)
    // group parcels for a group the member does not know, each naming its caller as sender
    let xGroup = new Uint8Array(0)
    const junk = (from: AttnNode): () => Uint8Array => {
      const id = from.services.attn.identity
      const groupId = Uint8Array.from(randomBytes(16))
      if (from === x) xGroup = groupId
      const sender = new GroupMessageSender(id, createSenderKey(id, groupId, 0n))
      return () => encodeParcel({ kind: PARCEL_GROUP, recipient: addr(member), payload: sender.encrypt({ contentType: TEXT_PLAIN, body: utf8('junk'), groupId }) })
    }
    const fromX = junk(x)
    let accepted = 0
    let refused: any
    // in parallel batches, until the first refusal (the bucket refills at 20/s: sending faster drains it)
    for (let sent = 0; refused == null && sent < 5_000; sent += 100) {
      const batch = Array.from({ length: 100 }, fromX)
      const results = await Promise.allSettled(batch.map(async p => await x.services.attn.call(member.peerId, METHOD_DELIVER, p)))
      for (const r of results) {
        if (r.status === 'fulfilled') accepted++
        else refused ??= r.reason
      }
    }
    assert.ok(refused != null, `x was never refused (${accepted} accepted)`)
    assert.equal(refused.code, 'ERR_UNKNOWN_GROUP')
    assert.ok(accepted >= 400, `the burst was taken (${accepted})`)
    assert.ok((stats(member).rejected.ERR_UNKNOWN_GROUP ?? 0) >= 1, 'the refusals are counted')
    // kept as a stranger's parcels (a group the member is not in), at most 100 for x in its one group
    const held = (member.services.messaging as any).running.store.quarantined(xGroup)
    assert.equal(held.length, 100)
    assert.ok(held.every((q: any) => q.sender === addr(x) && q.trust === 0))
    // another caller has its own bucket
    assert.deepEqual(await y.services.attn.call(member.peerId, METHOD_DELIVER, junk(y)()), Uint8Array.of(1))
    assert.equal(member.services.messaging.inbox().length, 0)
  })

  it('the first message right after creation reaches every member over the direct path, without the mailbox', async () => {
    const relay = await node()
    // long timeouts: a slow direct call must not be what sends a copy to the mailbox under load
    const admin = await node({ via: relay, messaging: { callTimeout: 30_000, mailboxGrace: 60_000 } })
    const members = await Promise.all([0, 1, 2].map(async () => await node({ via: relay, messaging: NO_POLLING })))
    for (const n of [admin, ...members]) await net.publish(n)

    // no wait between: the group state, the admin's key and the parcels race to each member
    const group = await admin.services.messaging.createGroup('race', members.map(addr))
    await admin.services.messaging.send(group.id, 'right away')
    await waitFor(() => members.every(m => count(m, 'right away') === 1), { what: 'every member has the first message (direct only: nobody polls)', timeout: 90_000 })
    for (const m of members) {
      assert.equal(stats(m).mailboxFetched, 0, 'nothing came through a mailbox')
      assert.equal(stats(m).rejected.ERR_UNKNOWN_GROUP ?? 0, 0)
      assert.equal(stats(m).rejected.ERR_UNKNOWN_SENDER_KEY ?? 0, 0)
    }
  })
})
