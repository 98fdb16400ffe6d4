import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import {
  GroupMessageReceiver, GroupMessageSender, MessagingStore, STORE_SCHEMA_VERSION, TEXT_PLAIN, createGroup, createSenderKey,
  generatePrekey, openEnvelope, outboxTransitionAllowed, readEnvelopeHeader, sealEnvelope, utf8
} from '../../../src/messaging/index.js'
import type { OutboxState } from '../../../src/messaging/index.js'
import { NOW, NOW_MS, identity, indexOf, seedBytes } from './fixtures.js'

const alice = identity('alice')
const bob = identity('bob')
const KEY = seedBytes('store key')
const id = (n: number): Uint8Array => new Uint8Array(16).fill(n)

describe('messaging/store', () => {
  let dir: string
  let clock: number
  let store: MessagingStore
  const open = (quotas = {}): MessagingStore => new MessagingStore(join(dir, 'messaging.db'), { encryptionKey: KEY, now: () => clock, quotas })

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'attn-msg-')); clock = NOW_MS; store = open() })
  afterEach(async () => { store.close(); await rm(dir, { recursive: true, force: true }) })

  it('creates the schema (WAL, foreign keys, version) and survives reopen', () => {
    assert.equal(store.schemaVersion, STORE_SCHEMA_VERSION)
    assert.equal(store.pragma('journal_mode'), 'wal')
    assert.equal(store.pragma('foreign_keys'), 1)
    store.enqueueOutbox({ envelopeId: id(1), recipient: bob.address, envelope: new Uint8Array([9]) })
    store.insertInbox({ envelopeId: id(2), from: bob.address, to: alice.address, kind: 'message', contentType: TEXT_PLAIN, body: utf8('hi'), sentAtMs: 1, receivedAtMs: 2 })
    store.close()
    store = open()
    assert.equal(store.getOutbox(id(1))?.state, 'queued')
    assert.deepEqual(store.getInbox(id(2))?.body, utf8('hi'))
  })

  it('refuses a database from a newer schema', () => {
    store.close()
    const newer = new DatabaseSync(join(dir, 'messaging.db'))
    newer.prepare('UPDATE schema_version SET version = 99').run()
    newer.close()
    assert.throws(() => open(), (err: any) => err.code === 'ERR_STORE_VERSION')
    const raw = new DatabaseSync(join(dir, 'messaging.db'))
    raw.prepare('UPDATE schema_version SET version = ?').run(STORE_SCHEMA_VERSION)
    raw.close()
    store = open()
    assert.equal(store.schemaVersion, STORE_SCHEMA_VERSION)
  })

  it('inbox insert is exactly-once', () => {
    const e = { envelopeId: id(3), from: bob.address, to: alice.address, kind: 'message' as const, contentType: TEXT_PLAIN, body: utf8('x'), sentAtMs: 1, receivedAtMs: 2 }
    assert.equal(store.insertInbox(e), true)
    assert.equal(store.insertInbox({ ...e, body: utf8('other') }), false)
    assert.deepEqual(store.getInbox(id(3))?.body, utf8('x'))
    assert.equal(store.listInbox({ peer: bob.address }).length, 1)
  })

  it('outbox moves forward only; late stored after delivered is ignored; failed is reachable and delivered overrides it', () => {
    assert.equal(store.enqueueOutbox({ envelopeId: id(4), recipient: bob.address, envelope: new Uint8Array([1]) }), true)
    assert.equal(store.enqueueOutbox({ envelopeId: id(4), recipient: bob.address, envelope: new Uint8Array([2]) }), false)
    assert.equal(store.dueOutbox().length, 1)
    assert.equal(store.setOutboxState(id(4), 'sent', { countAttempt: true, nextAttemptAtMs: clock + 5000 }), true)
    assert.equal(store.dueOutbox().length, 0)
    assert.equal(store.setOutboxState(id(4), 'queued'), false)
    assert.equal(store.setOutboxState(id(4), 'delivered'), true)
    assert.equal(store.setOutboxState(id(4), 'stored'), false)
    assert.equal(store.setOutboxState(id(4), 'failed'), false)
    const e = store.getOutbox(id(4))!
    assert.equal(e.state, 'delivered'); assert.equal(e.attempts, 1); assert.deepEqual(e.envelope, new Uint8Array([1]))
    store.enqueueOutbox({ envelopeId: id(5), recipient: bob.address, envelope: new Uint8Array([1]) })
    assert.equal(store.setOutboxState(id(5), 'failed', { reason: 'no prekey' }), true)
    assert.equal(store.getOutbox(id(5))?.failureReason, 'no prekey')
    assert.equal(store.setOutboxState(id(5), 'sent'), false)
    assert.equal(store.setOutboxState(id(5), 'delivered'), true)
    assert.equal(store.setOutboxState(id(99), 'sent'), false)
    // The transition table, exhaustively.
    const states: OutboxState[] = ['queued', 'sent', 'stored', 'delivered', 'failed']
    const allowed = states.flatMap(f => states.filter(t => outboxTransitionAllowed(f, t)).map(t => `${f}>${t}`))
    assert.deepEqual(allowed, [
      'queued>queued', 'queued>sent', 'queued>stored', 'queued>delivered', 'queued>failed',
      'sent>sent', 'sent>stored', 'sent>delivered', 'sent>failed',
      'stored>stored', 'stored>delivered', 'stored>failed',
      'failed>delivered', 'failed>failed'
    ])
  })

  it('getOutboxStatus gives the status fields of getOutbox (no blobs read)', () => {
    store.enqueueOutbox({ envelopeId: id(30), recipient: bob.address, envelope: new Uint8Array(2000) })
    store.setOutboxState(id(30), 'failed', { reason: 'no device or mailbox reachable' })
    for (const n of [30]) {
      const full = store.getOutbox(id(n))!
      assert.deepEqual(store.getOutboxStatus(id(n)), { kind: full.kind, recipient: full.recipient, state: full.state, failureReason: full.failureReason, updatedAtMs: full.updatedAtMs })
    }
    store.setOutboxState(id(30), 'delivered')
    assert.equal(store.getOutboxStatus(id(30))?.state, 'delivered')
    assert.equal(store.getOutboxStatus(id(31)), undefined)
  })

  it('dueOutboxIds lists the ids of dueOutbox, in its order and limit (the outbox scheduler reads ids only)', () => {
    for (let n = 20; n < 26; n++) store.enqueueOutbox({ envelopeId: id(n), recipient: bob.address, envelope: new Uint8Array([n]) })
    store.setOutboxState(id(21), 'sent', { nextAttemptAtMs: clock + 5000 }) // not due
    store.setOutboxState(id(23), 'stored', { nextAttemptAtMs: clock - 1 }) // due first
    store.setOutboxState(id(24), 'delivered')
    for (const limit of [1, 2, 3, 100]) {
      assert.deepEqual(store.dueOutboxIds(limit), store.dueOutbox(limit).map(e => e.envelopeId), `limit ${limit}`)
    }
    const due = store.dueOutboxIds(100).map(b => b[0])
    assert.equal(due[0], 23, 'the earliest next attempt first')
    assert.deepEqual(due.slice(1).sort((a, b) => a - b), [20, 22, 25], 'not the entries not due, nor delivered ones')
  })

  it('mailbox: idempotent insert, paged oldest-first fetch, ack only own, TTL expiry', () => {
    for (let i = 1; i <= 5; i++) {
      clock = NOW_MS + i
      assert.equal(store.mailboxPut({ recipient: bob.address, envelopeId: id(i), envelope: new Uint8Array(10).fill(i), senderHint: alice.address }).stored, true)
    }
    assert.equal(store.mailboxPut({ recipient: bob.address, envelopeId: id(1), envelope: new Uint8Array(10), senderHint: alice.address }).stored, false)
    assert.deepEqual(store.mailboxUsage({ recipient: bob.address }), { count: 5, bytes: 50 })
    const p1 = store.mailboxFetch(bob.address, { limit: 2 })
    assert.deepEqual(p1.items.map(e => e.envelopeId[0]), [1, 2])
    const p2 = store.mailboxFetch(bob.address, { limit: 2, after: p1.next })
    assert.deepEqual(p2.items.map(e => e.envelopeId[0]), [3, 4])
    const p3 = store.mailboxFetch(bob.address, { limit: 2, after: p2.next })
    assert.deepEqual(p3.items.map(e => e.envelopeId[0]), [5]); assert.equal(p3.next, undefined)
    assert.equal(store.mailboxAck(alice.address, [id(1)]), 0) // not Alice's mailbox
    assert.equal(store.mailboxAck(bob.address, [id(1), id(2), id(42)]), 2)
    assert.equal(store.mailboxFetch(bob.address).items.length, 3)
    clock = NOW_MS + 7 * 86400_000 + 3 // entries 1..3 expired (stored at +1..+3)
    assert.equal(store.mailboxFetch(bob.address).items.length, 2)
    assert.equal(store.mailboxExpire(), 1)
    assert.deepEqual(store.mailboxFetch(bob.address).items.map(e => e.envelopeId[0]), [4, 5])
  })

  it('mailbox: per-recipient and per-sender quotas (count and bytes) with QuotaExceededError', () => {
    store.close()
    store = open({ maxPerRecipient: 3, maxBytesPerRecipient: 100, maxPerSender: 4, maxBytesPerSender: 1000 })
    const put = (n: number, recipient: string, sender: string, size = 10): unknown =>
      store.mailboxPut({ recipient, envelopeId: id(n), envelope: new Uint8Array(size), senderHint: sender })
    put(1, 'r1', 's1'); put(2, 'r1', 's1'); put(3, 'r1', 's1')
    assert.throws(() => put(4, 'r1', 's2'), (err: any) => err.code === 'ERR_QUOTA_EXCEEDED' && err.scope === 'recipient')
    put(5, 'r2', 's1')
    assert.throws(() => put(6, 'r3', 's1'), (err: any) => err.code === 'ERR_QUOTA_EXCEEDED' && err.scope === 'sender')
    assert.throws(() => put(7, 'r4', 's3', 101), (err: any) => err.code === 'ERR_QUOTA_EXCEEDED' && err.scope === 'recipient')
    put(8, 'r4', 's3', 90)
    assert.throws(() => put(9, 'r4', 's4', 11), (err: any) => err.code === 'ERR_QUOTA_EXCEEDED' && err.scope === 'recipient')
    // A duplicate of a stored envelope is not a quota violation.
    assert.equal((put(1, 'r1', 's1') as { stored: boolean }).stored, false)
    // Acks free quota.
    store.mailboxAck('r1', [id(1)])
    put(10, 'r1', 's2')
  })

  it('mailbox: a global byte cap refuses with ERR_MAILBOX_FULL and evicts nothing; expiry frees room', () => {
    store.close()
    store = open({ maxBytesTotal: 100 })
    store.mailboxPut({ recipient: 'r1', envelopeId: id(1), envelope: new Uint8Array(60), senderHint: 's1' })
    assert.throws(() => store.mailboxPut({ recipient: 'r2', envelopeId: id(2), envelope: new Uint8Array(41), senderHint: 's2' }), (err: any) => err.code === 'ERR_MAILBOX_FULL')
    assert.equal(store.mailboxTotalBytes(), 60, 'nothing evicted')
    store.mailboxPut({ recipient: 'r2', envelopeId: id(3), envelope: new Uint8Array(40), senderHint: 's2' })
    clock += 8 * 86_400_000
    assert.equal(store.mailboxExpire(), 2)
    store.mailboxPut({ recipient: 'r2', envelopeId: id(2), envelope: new Uint8Array(41), senderHint: 's2' })
  })

  it('mailbox: each device fetches what it has not acked; a parcel goes once every device acked it', () => {
    for (let n = 1; n <= 5; n++) store.mailboxPut({ recipient: 'r', envelopeId: id(n), envelope: new Uint8Array(10), senderHint: 's' })
    const phone = utf8('phone')
    const laptop = utf8('laptop')
    const page = store.mailboxFetchUnacked('r', phone, { limit: 3, maxBytes: 1000 })
    assert.deepEqual(page.items.map(i => i.envelopeId[0]), [1, 2, 3])
    assert.equal(page.more, true)
    assert.equal(store.mailboxFetchUnacked('r', phone, { limit: 10, maxBytes: 25 }).items.length, 2, 'byte limit')
    assert.deepEqual(store.mailboxAckDevice('r', [id(1), id(2)], phone, 2), [], 'one of two devices')
    assert.deepEqual(store.mailboxFetchUnacked('r', phone, { limit: 10, maxBytes: 1000 }).items.map(i => i.envelopeId[0]), [3, 4, 5])
    assert.equal(store.mailboxFetchUnacked('r', laptop, { limit: 10, maxBytes: 1000 }).items.length, 5)
    assert.deepEqual(store.mailboxAckDevice('r', [id(1)], laptop, 2).map(x => x[0]), [1], 'both devices: deleted')
    assert.equal(store.mailboxUsage({ recipient: 'r' }).count, 4)
    assert.deepEqual(store.mailboxAckDevice('other', [id(2)], laptop, 1), [], 'another recipient cannot ack')
    assert.equal(store.mailboxUsage({ recipient: 'r' }).count, 4)
  })

  it('outbox: unsealed entries keep the message sealed at rest until markSealed; due, probes and next due time', () => {
    const message = utf8('UNSEALED-MARKER message body')
    assert.equal(store.enqueueUnsealed({ envelopeId: id(1), recipient: bob.address, message, kind: 'message' }), true)
    const entry = store.getOutbox(id(1))
    assert.ok(entry != null)
    assert.equal(entry.sealed, false)
    assert.equal(entry.kind, 'message')
    assert.equal(indexOf(entry.envelope, message), -1, 'sealed at rest')
    assert.deepEqual(store.unsealedMessage(entry), message)
    assert.equal(store.markSealed(id(1), utf8('parcel')), true)
    assert.equal(store.markSealed(id(1), utf8('again')), false, 'only once')
    assert.deepEqual(store.getOutbox(id(1))?.envelope, utf8('parcel'))
    assert.equal(store.nextDueAt(), NOW_MS)
    store.setOutboxState(id(1), 'stored', { nextAttemptAtMs: NOW_MS + 1000 })
    assert.equal(store.dueOutbox().length, 0)
    assert.equal(store.nextDueAt(), NOW_MS + 1000)
    clock += 1000
    assert.deepEqual(store.dueOutbox().map(e => e.state), ['stored'], 'stored entries are re-probed when due')
  })

  it('inbox + receipt in one transaction: a duplicate queues the receipt again only when none is queued', () => {
    const entry = { envelopeId: id(9), from: alice.address, to: bob.address, kind: 'message' as const, contentType: TEXT_PLAIN, body: utf8('hi'), sentAtMs: 1, receivedAtMs: 2 }
    const receipt = (n: number): { envelopeId: Uint8Array, recipient: string, message: Uint8Array, receiptFor: Uint8Array } =>
      ({ envelopeId: id(n), recipient: alice.address, message: utf8(`receipt ${n}`), receiptFor: id(9) })
    assert.deepEqual(store.insertInboxWithReceipt(entry, receipt(1)), { isNew: true, receiptQueued: true })
    assert.deepEqual(store.insertInboxWithReceipt(entry, receipt(2)), { isNew: false, receiptQueued: false }, 'one still queued')
    store.setOutboxState(id(1), 'sent')
    assert.deepEqual(store.insertInboxWithReceipt(entry, receipt(3)), { isNew: false, receiptQueued: true }, 're-triggered')
    assert.equal(store.getOutbox(id(3))?.receiptFor?.[0], 9)
    assert.equal(store.getOutbox(id(3))?.kind, 'control')
    // a failure of the receipt insert rolls the inbox row back too
    const other = { ...entry, envelopeId: id(10) }
    assert.throws(() => store.insertInboxWithReceipt(other, { ...receipt(4), envelopeId: new Uint8Array(3) }))
    assert.equal(store.getInbox(id(10)), undefined, 'no inbox row without its receipt')
  })

  it('quarantine: bounded, oldest dropped, retrievable by group, expires', () => {
    const g = id(7)
    const caps = { perSender: 3, perGroup: 3, total: 3 }
    for (let n = 1; n <= 4; n++) {
      clock += 1
      assert.equal(store.quarantinePut({ parcelId: id(n), groupId: g, sender: 'alice', trust: 2, parcel: utf8(`p${n}`), reason: 'no sender key', ttlMs: 1000, caps }), true)
    }
    assert.equal(store.quarantinePut({ parcelId: id(4), groupId: g, sender: 'alice', trust: 2, parcel: utf8('p4'), reason: 'again', ttlMs: 1000, caps }), false)
    assert.deepEqual(store.quarantined(g).map(q => q.parcelId[0]), [2, 3, 4], 'the oldest went')
    assert.deepEqual(store.quarantined(g).map(q => [q.sender, q.trust]), [['alice', 2], ['alice', 2], ['alice', 2]])
    store.quarantineDelete(id(3))
    assert.equal(store.quarantineCount(), 2)
    clock += 1000
    store.mailboxExpire()
    assert.equal(store.quarantineCount(), 0)
  })

  it('quarantine shares: a flood of strangers\' parcels never pushes out a member\'s; per sender, per group, least trusted first', () => {
    const caps = { perSender: 2, perGroup: 4, total: 8 }
    const ours = id(50)
    let n = 0
    const put = (groupId: Uint8Array, sender: string, trust: 0 | 1 | 2): boolean => {
      clock += 1
      n++
      return store.quarantinePut({ parcelId: id(n), groupId, sender, trust, parcel: utf8(`p${n}`), reason: 'not yet', ttlMs: 60_000, caps })
    }
    const senders = (): string[] => store.quarantined(ours).map(q => q.sender ?? '')
    // two members of a group we are in, one parcel each, waiting for their sender keys
    assert.equal(put(ours, 'alice', 2), true)
    const alicesFirst = n
    assert.equal(put(ours, 'bob', 2), true)
    // strangers naming 20 groups we do not know: the total stays 8, the members' parcels stay
    for (let g = 0; g < 20; g++) put(id(100 + g), `sybil${g}`, 0)
    assert.equal(store.quarantineCount(), 8)
    assert.deepEqual(senders(), ['alice', 'bob'])
    // per (group, sender): alice's third parcel pushes out her oldest, nobody else's
    assert.equal(put(ours, 'alice', 2), true)
    assert.equal(put(ours, 'alice', 2), true)
    assert.deepEqual(senders(), ['bob', 'alice', 'alice'])
    assert.ok(!store.quarantined(ours).some(q => q.parcelId[0] === alicesFirst), 'alice\'s oldest went')
    assert.equal(store.quarantineCount(), 8, 'a stranger\'s parcel made room')
    // per group: parcels naming non-members of our group (trust 1) go before the members' ones
    for (let k = 0; k < 5; k++) put(ours, `forged${k}`, 1)
    assert.deepEqual(senders(), ['bob', 'alice', 'alice', 'forged4'])
    // members of other groups we are in push out the last strangers' parcels
    for (let k = 0; k < 4; k++) assert.equal(put(id(60 + k), 'carol', 2), true)
    assert.equal(store.quarantineCount(), 8)
    // now that it is full of parcels trusted more, a stranger's is not kept at all
    assert.equal(put(id(120), 'sybil-late', 0), false)
    assert.equal(store.quarantineCount(), 8)
    assert.deepEqual(senders(), ['bob', 'alice', 'alice', 'forged4'])
  })

  it('a relay\'s database files never contain the plaintext of envelopes it holds', async () => {
    const prekey = generatePrekey(1, NOW + 86400, seedBytes('bob prekey 1'))
    const marker = utf8('PLAINTEXT-MARKER-7f3a9c never on a relay disk')
    const env = sealEnvelope({ sender: alice, recipientAddress: bob.address, recipientPrekey: prekey, message: { contentType: TEXT_PLAIN, body: marker } })
    const h = readEnvelopeHeader(env)
    // The sender hint is the session peer that stored it (here a forwarding node, not Alice).
    store.mailboxPut({ recipient: bob.address, envelopeId: h.envelopeId, envelope: env, senderHint: identity('forwarder').address })
    store.enqueueOutbox({ envelopeId: h.envelopeId, recipient: bob.address, envelope: env })
    const files = [join(dir, 'messaging.db'), join(dir, 'messaging.db-wal')]
    let sawEnvelope = false
    for (const f of files) {
      const bytes = await readFile(f).catch(() => Buffer.alloc(0))
      assert.equal(indexOf(bytes, marker), -1, f)
      assert.equal(indexOf(bytes, utf8(alice.address)), -1, `${f} leaks the end-to-end sender address`)
      if (indexOf(bytes, env.subarray(env.byteLength - 40)) >= 0) sawEnvelope = true
    }
    assert.ok(sawEnvelope, 'the sealed envelope itself is on disk')
    assert.ok((await stat(files[1])).size > 0)
    // And Bob can still open what the relay returns.
    const got = store.mailboxFetch(bob.address).items[0]
    assert.deepEqual(openEnvelope({ recipient: { address: bob.address, prekey: () => prekey.privateKey }, envelope: got.envelope, now: NOW }).message.body, marker)
  })

  it('prekeys are sealed at rest and survive reopen; a wrong store key is detected', async () => {
    const p = generatePrekey(7, NOW + 86400, seedBytes('prekey 7'))
    store.putPrekey({ ...p, createdAt: NOW })
    assert.deepEqual(store.getPrekey(7)?.privateKey, p.privateKey)
    assert.deepEqual(store.prekeyLookup()(7), p.privateKey)
    assert.equal(store.prekeyLookup()(8), undefined)
    assert.deepEqual(store.listPrekeys().map(k => k.id), [7])
    store.checkpoint()
    const disk = Buffer.concat([await readFile(join(dir, 'messaging.db')), await readFile(join(dir, 'messaging.db-wal')).catch(() => Buffer.alloc(0))])
    assert.equal(indexOf(disk, p.privateKey), -1)
    store.close()
    store = new MessagingStore(join(dir, 'messaging.db'), { encryptionKey: seedBytes('wrong'), now: () => clock })
    assert.throws(() => store.getPrekey(7), (err: any) => err.code === 'ERR_STORE_CORRUPT')
    store.close(); store = open()
    assert.deepEqual(store.getPrekey(7)?.privateKey, p.privateKey)
    assert.equal(store.deletePrekeysExpiredBefore(NOW + 86401), 1)
    assert.equal(store.getPrekey(7), undefined)
  })

  it('groups and sender keys round-trip encrypted; deleting a group cascades', () => {
    const ben = identity('ben')
    const g = createGroup(alice, { name: 'g', members: [bob.address, ben.address], groupId: id(7) })
    store.putGroupState(g)
    const own = createSenderKey(alice, g.groupId, g.epoch)
    const sender = new GroupMessageSender(alice, own)
    const c1 = sender.encrypt({ body: utf8('one') })
    store.putOwnSenderKey(sender.senderKey)
    const benKey = createSenderKey(ben, g.groupId, g.epoch)
    const rx = new GroupMessageReceiver(benKey)
    const benSender = new GroupMessageSender(ben, benKey)
    const b0 = benSender.encrypt({ body: utf8('b0') }); const b1 = benSender.encrypt({ body: utf8('b1') })
    rx.decrypt(b1)
    store.putReceiver(rx)
    store.close(); store = open()
    assert.equal(store.getGroupState(id(7))?.name, 'g')
    assert.equal(store.getOwnSenderKey(id(7), 0n, alice.address)?.iteration, 1)
    const rx2 = store.getReceiver(id(7), 0n, ben.address, ben.nodeKey.publicKey.raw)!
    assert.deepEqual(rx2.decrypt(b0).message.body, utf8('b0'))
    void c1
    assert.equal(store.listGroupIds().length, 1)
    assert.equal(store.deleteGroup(id(7)), true)
    assert.equal(store.getOwnSenderKey(id(7), 0n, alice.address), undefined)
    assert.equal(store.getReceiver(id(7), 0n, ben.address, ben.nodeKey.publicKey.raw), undefined)
    // Foreign key: a sender key needs its group.
    assert.throws(() => store.putOwnSenderKey(own))
  })
})
