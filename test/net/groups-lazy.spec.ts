import assert from 'node:assert/strict'
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

    const record = member.services.messaging.publishedRecord()
    assert.ok(record != null)
    const keyParcel = sealTestBundle(identity, record, { kind: 'sender-key', body: encodeSenderKey(key) })
    assert.deepEqual(await m2.services.attn.call(member.peerId, METHOD_DELIVER, keyParcel), Uint8Array.of(1))
    await waitFor(() => count(member, 'ahead of its key') === 1, { what: 'the quarantined parcel opens once the key arrives', timeout: 30_000 })
    const got = member.services.messaging.inbox().find(m => m.body === 'ahead of its key')
    assert.equal(got?.from, addr(m2))
    assert.equal(stats(member).mailboxFetched, 0)
    // delivered again (a resend): a duplicate, not a second message
    await m2.services.attn.call(member.peerId, METHOD_DELIVER, parcel).catch(() => {})
    assert.equal(count(member, 'ahead of its key'), 1)
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
