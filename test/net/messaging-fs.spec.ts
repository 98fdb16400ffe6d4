/**
 * Forward secrecy through real nodes (issue 18, protocols/messaging.md §10): every parcel a mailbox
 * stores or a sender sends is recorded; the recipient's root key and device state are then leaked
 * and used, as an attacker would, to open what was recorded.
 */
import assert from 'node:assert/strict'
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { waitFor } from '../helpers/nodes.js'
import { MessagingTestNet } from '../helpers/messaging.js'
import { deviceIdentity } from '../helpers/identities.js'
import { hkdfSha256 } from '../../src/crypto/index.js'
import { attAddress } from '../../src/keys/index.js'
import {
  DeviceSessions, DirectoryClient, METHOD_DELIVER, MessagingCounters, MessagingStore, NO_ONE_TIME_PREKEY, PARCEL_BUNDLE, decodeBundle, decodeParcel, parcelId,
  splitDeviceEnvelope
} from '../../src/messaging/index.js'
import { METHOD_PREKEY_TAKE, encodePrekeyTake } from '../../src/messaging/protocol/prekey-rpc.js'
import type { RootIdentity } from '../../src/keys/index.js'
import type { AttnNode } from '../../src/node/create-node.js'

const noopLog = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as any

/** Parcels in a node's database: what its mailbox holds, and what it sealed (its outbox). */
function recordedParcels (dbPath: string, recipient: string): Uint8Array[] {
  const db = new DatabaseSync(dbPath, { readOnly: true })
  try {
    const mailbox = db.prepare('SELECT envelope FROM mailbox WHERE recipient = ? ORDER BY seq').all(recipient).map(r => new Uint8Array(r.envelope as Uint8Array))
    const outbox = db.prepare('SELECT envelope FROM outbox WHERE recipient = ? AND sealed = 1 ORDER BY rowid').all(recipient).map(r => new Uint8Array(r.envelope as Uint8Array))
    return [...mailbox, ...outbox]
  } finally {
    db.close()
  }
}

/** Envelope ids (hex) a device has opened, from its envelopes_seen table. */
function seenEnvelopeIds (dbPath: string): Set<string> {
  const db = new DatabaseSync(dbPath, { readOnly: true })
  try {
    return new Set(db.prepare('SELECT envelope_id FROM envelopes_seen').all().map(r => Buffer.from(r.envelope_id as Uint8Array).toString('hex')))
  } finally {
    db.close()
  }
}

/** Copies a stopped node's database files (the leak, or a backup). */
async function copyDb (fromDir: string, toDir: string): Promise<void> {
  for (const f of await readdir(fromDir)) if (f.startsWith('messages.db')) await copyFile(join(fromDir, f), join(toDir, f))
}

/**
 * The attacker: the victim's root key and node key (so its store keys) and a copy of its device
 * state. It ignores the seen-envelope table and follows along, committing whatever it can open.
 */
class Attacker {
  private readonly store: MessagingStore
  private readonly sessions: DeviceSessions
  constructor (identity: RootIdentity, dbPath: string) {
    this.store = new MessagingStore(dbPath, {
      encryptionKey: hkdfSha256(identity.rootKey.raw, new Uint8Array(0), 'attn/1 messaging-store', 32),
      stateKey: hkdfSha256(identity.nodeKey.raw, new Uint8Array(0), 'attn/2 device-state', 32)
    })
    this.store.expireSeenEnvelopes(-1e15)
    this.sessions = new DeviceSessions({ store: this.store, identity, self: attAddress(identity.nodeKey.publicKey), counters: new MessagingCounters(), log: noopLog })
  }

  /** The message body if the parcel opens with what leaked, else the error code. */
  open (bytes: Uint8Array): { body?: string, code?: string } {
    const p = decodeParcel(bytes)
    if (p.kind !== PARCEL_BUNDLE) return { code: 'not a bundle' }
    try {
      const o = this.sessions.open(p.payload)
      this.store.transaction(() => { o.commit() })
      return { body: new TextDecoder().decode(o.message.body) }
    } catch (err: any) {
      return { code: err.code }
    }
  }

  close (): void { this.store.close() }
}

describe('messaging forward secrecy (issue 18) through real nodes', function () {
  this.timeout(240_000)
  const net = new MessagingTestNet()
  const scratch: string[] = []
  afterEach(async () => {
    await net.cleanup()
    await Promise.all(scratch.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })
  const leakDir = async (): Promise<string> => { const d = await mkdtemp(join(tmpdir(), 'attn-leak-')); scratch.push(d); return d }
  const bodies = (n: AttnNode): string[] => net.inboxBodies(n)

  it('forward secrecy: recorded mailbox and sent parcels do not open with the leaked root key and device state; post-compromise: later messages do not either', async () => {
    const m1Dir = await net.tempDir()
    const relay = await net.node({ dir: m1Dir })
    const m2Dir = await net.tempDir()
    const m2 = await net.node({ via: relay, dir: m2Dir })
    const mailboxes = [relay.peerId.toString(), m2.peerId.toString()]
    const aDir = await net.tempDir()
    const aIdentity = await deviceIdentity(await generateKeyPair('secp256k1'), { label: 'alice' })
    const a = await net.node({ via: relay, dir: aDir, identity: aIdentity })
    const bIdentity = await deviceIdentity(await generateKeyPair('secp256k1'), { label: 'bob phone' })
    const bDir = await net.tempDir()
    let b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes })
    await net.publish(a)
    await net.publish(b)

    // online first, both ways, then offline through both mailboxes
    await a.services.messaging.send(bIdentity.address, 'online 1')
    await waitFor(() => bodies(b).includes('online 1'), { what: 'b receives online 1' })
    await b.services.messaging.send(a.services.messaging.address, 'reply 1')
    await waitFor(() => bodies(a).includes('reply 1'), { what: 'a receives reply 1' })
    await b.stop()
    const offline = ['offline 1', 'offline 2', 'offline 3']
    const ids: string[] = []
    for (const t of offline) ids.push((await a.services.messaging.send(bIdentity.address, t)).id)
    await waitFor(async () => (await Promise.all(ids.map(async id => (await a.services.messaging.status(id)).state))).every(s => s === 'stored'), { what: 'stored at the mailboxes' })
    // what the mailboxes keep (a hostile mailbox keeps it forever)
    const recorded = [...recordedParcels(join(m1Dir, 'messages.db'), bIdentity.address), ...recordedParcels(join(m2Dir, 'messages.db'), bIdentity.address)]
    assert.ok(recorded.length >= 6, `both mailboxes hold the 3 parcels (got ${recorded.length})`)

    b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes })
    await waitFor(() => offline.every(t => bodies(b).includes(t)), { what: 'b fetches the offline messages' })
    await waitFor(async () => (await Promise.all(ids.map(async id => (await a.services.messaging.status(id)).state))).every(s => s === 'delivered'), { what: 'delivered' })
    await b.stop()
    await a.stop()
    recorded.push(...recordedParcels(join(aDir, 'messages.db'), bIdentity.address))

    // the leak: b's root key, node key and its whole device state, after it read everything
    const leak = await leakDir()
    await copyDb(bDir, leak)
    // forward secrecy covers what b had opened before the leak; a parcel still on its way (e.g. a's
    // receipt for b's reply, sent after b's last fetch) is legitimately readable with b's state
    const seen = seenEnvelopeIds(join(leak, 'messages.db'))
    const openedByB = recorded.filter(p => seen.has(Buffer.from(parcelId(decodeParcel(p))).toString('hex')))
    assert.ok(openedByB.length >= 6, `the offline messages at both mailboxes were opened by b (got ${openedByB.length})`)
    const attacker = new Attacker(bIdentity, join(leak, 'messages.db'))
    const opened = openedByB.map(p => attacker.open(p)).filter(r => r.body != null)
    attacker.close()
    assert.deepEqual(opened, [], 'no recorded parcel opens with the leaked state')

    // post-compromise: the attacker keeps the leaked state and follows every later parcel to b
    const a2 = await net.node({ via: relay, dir: aDir, identity: aIdentity })
    b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes })
    const before = new Set(recordedParcels(join(aDir, 'messages.db'), bIdentity.address).map(p => Buffer.from(p).toString('hex')))
    // one round trip each way (receipts travel too), then the messages that must be safe
    const rounds = ['after 1', 'after 2', 'after 3']
    for (const t of rounds) {
      const { id } = await a2.services.messaging.send(bIdentity.address, `${t} from a`)
      await waitFor(async () => (await a2.services.messaging.status(id)).state === 'delivered', { what: `${t} from a delivered` })
      const back = await b.services.messaging.send(a2.services.messaging.address, `${t} from b`)
      await waitFor(async () => (await b.services.messaging.status(back.id)).state === 'delivered', { what: `${t} from b delivered` })
    }
    const final = await a2.services.messaging.send(bIdentity.address, 'healed')
    await waitFor(async () => (await a2.services.messaging.status(final.id)).state === 'delivered', { what: 'healed delivered' })
    await a2.stop()
    await b.stop()
    const later = recordedParcels(join(aDir, 'messages.db'), bIdentity.address).filter(p => !before.has(Buffer.from(p).toString('hex')))
    const follower = new Attacker(bIdentity, join(leak, 'messages.db'))
    const results = later.map(p => follower.open(p))
    follower.close()
    const readable = results.filter(r => r.body != null).map(r => r.body)
    // healing needs b to receive a new ratchet key of a's and a to receive b's fresh answer (≤ 2 round trips)
    assert.ok(!readable.includes('after 3 from a') && !readable.includes('healed'), `after the exchange nothing opens with the leaked state (opened: ${JSON.stringify(readable)})`)
  })

  it('two devices on each side: every device gets every message, sent copies reach the sender\'s other devices', async () => {
    const relay = await net.node()
    const aRoot = await generateKeyPair('secp256k1')
    const bRoot = await generateKeyPair('secp256k1')
    const aPhone = await net.node({ via: relay, identity: await deviceIdentity(aRoot, { label: 'a phone' }) })
    const aLaptop = await net.node({ via: relay, identity: await deviceIdentity(aRoot, { label: 'a laptop' }) })
    const bPhone = await net.node({ via: relay, identity: await deviceIdentity(bRoot, { label: 'b phone' }) })
    const bLaptop = await net.node({ via: relay, identity: await deviceIdentity(bRoot, { label: 'b laptop' }) })
    const all = [aPhone, aLaptop, bPhone, bLaptop]
    for (const n of all) await net.publish(n)
    // again, so each device's cached own record lists both devices
    for (const n of all) await net.publish(n)
    const aAddress = aPhone.services.messaging.address
    const bAddress = bPhone.services.messaging.address
    const directory = new DirectoryClient(relay.services.dht, noopLog)
    await waitFor(async () => {
      const [ra, rb] = await Promise.all([directory.lookup(aAddress, { fresh: true }), directory.lookup(bAddress, { fresh: true })])
      return [ra, rb].every(r => r.devices.length === 2 && r.devices.every(d => d.signedPrekey != null))
    }, { what: 'both records list two devices with prekeys' })

    const x = await aPhone.services.messaging.send(bAddress, 'a phone to b')
    await waitFor(() => bodies(bPhone).includes('a phone to b') && bodies(bLaptop).includes('a phone to b'), { what: 'both b devices receive' })
    await waitFor(() => bodies(aLaptop).includes('a phone to b'), { what: 'a laptop gets the sent copy' })
    await waitFor(async () => (await aPhone.services.messaging.status(x.id)).state === 'delivered', { what: 'delivered' })
    await bLaptop.services.messaging.send(aAddress, 'b laptop to a')
    await waitFor(() => bodies(aPhone).includes('b laptop to a') && bodies(aLaptop).includes('b laptop to a'), { what: 'both a devices receive' })
    await waitFor(() => bodies(bPhone).includes('b laptop to a'), { what: 'b phone gets the sent copy' })
    await aLaptop.services.messaging.send(bAddress, 'a laptop to b')
    await waitFor(() => bodies(bPhone).includes('a laptop to b') && bodies(bLaptop).includes('a laptop to b') && bodies(aPhone).includes('a laptop to b'), { what: 'all devices see the laptop message' })
    // each of a's devices holds one session per b device and per own other device
    for (const n of all) assert.ok(n.services.messaging.stats().sessionsStarted >= 2)
  })

  it('reordering, duplicates and the same parcel from two mailboxes: each message stored exactly once', async () => {
    const m1Dir = await net.tempDir()
    const relay = await net.node({ dir: m1Dir })
    const m2 = await net.node({ via: relay })
    const mailboxes = [relay.peerId.toString(), m2.peerId.toString()]
    const a = await net.node({ via: relay })
    const bIdentity = await deviceIdentity(await generateKeyPair('secp256k1'), { label: 'bob' })
    const bDir = await net.tempDir()
    let b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes })
    await net.publish(a)
    await net.publish(b)
    await b.stop()
    const texts = ['r1', 'r2', 'r3', 'r4', 'r5']
    const ids: string[] = []
    for (const t of texts) ids.push((await a.services.messaging.send(bIdentity.address, t)).id)
    await waitFor(async () => (await Promise.all(ids.map(async id => (await a.services.messaging.status(id)).state))).every(s => s === 'stored'), { what: 'stored' })
    const parcels = recordedParcels(join(m1Dir, 'messages.db'), bIdentity.address)
    assert.equal(parcels.length, 5)
    b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes, messaging: { fetchInterval: 3_600_000 } })
    await a.dial(b.getMultiaddrs()[0])
    // delivered directly in reverse order, each twice, before the mailbox fetch brings two more copies
    for (const p of [...parcels].reverse()) {
      for (let i = 0; i < 2; i++) {
        // a session to the restarted b may be renegotiated under the first call: retry until one call lands
        await waitFor(async () => await a.services.attn.call(b.peerId, METHOD_DELIVER, p).then(() => true, () => false), { what: 'direct delivery', timeout: 60_000 })
      }
    }
    await b.services.messaging.fetchMailboxes()
    await waitFor(() => texts.every(t => bodies(b).includes(t)), { what: 'all five received' })
    assert.deepEqual(bodies(b).filter(t => texts.includes(t)).sort(), texts)
    assert.ok(b.services.messaging.stats().duplicates >= 5, `duplicates counted (${b.services.messaging.stats().duplicates})`)
    await waitFor(async () => (await Promise.all(ids.map(async id => (await a.services.messaging.status(id)).state))).every(s => s === 'delivered'), { what: 'delivered' })
  })

  it('a device restored from a backup (old ratchet state) reports the lost session, starts a new one, and gets the message resealed', async () => {
    const relay = await net.node()
    const a = await net.node({ via: relay })
    const bIdentity = await deviceIdentity(await generateKeyPair('secp256k1'), { label: 'bob' })
    const bDir = await net.tempDir()
    let b = await net.node({ via: relay, identity: bIdentity, dir: bDir })
    await net.publish(a)
    await net.publish(b)
    const aAddress = a.services.messaging.address
    await a.services.messaging.send(bIdentity.address, 'before backup')
    await waitFor(() => bodies(b).includes('before backup'), { what: 'b receives' })
    const r = await b.services.messaging.send(aAddress, 'ack before backup')
    await waitFor(async () => (await b.services.messaging.status(r.id)).state === 'delivered', { what: 'b reply delivered' })
    await b.stop()
    const backup = await leakDir()
    await copyDb(bDir, backup)
    b = await net.node({ via: relay, identity: bIdentity, dir: bDir })
    // the conversation moves on: both sides ratchet past the backup
    for (const t of ['x1', 'x2']) {
      const m = await a.services.messaging.send(bIdentity.address, t)
      await waitFor(async () => (await a.services.messaging.status(m.id)).state === 'delivered', { what: `${t} delivered` })
      const back = await b.services.messaging.send(aAddress, `${t} back`)
      await waitFor(async () => (await b.services.messaging.status(back.id)).state === 'delivered', { what: `${t} back delivered` })
    }
    // restore the old state
    await b.stop()
    for (const f of await readdir(bDir)) if (f.startsWith('messages.db')) await rm(join(bDir, f))
    await copyDb(backup, bDir)
    b = await net.node({ via: relay, identity: bIdentity, dir: bDir })
    const lost = await a.services.messaging.send(bIdentity.address, 'after restore')
    await waitFor(() => bodies(b).includes('after restore'), { what: 'the restored device gets the message (resealed on a new session)', timeout: 90_000 })
    await waitFor(async () => (await a.services.messaging.status(lost.id)).state === 'delivered', { what: 'delivered after the reset' })
    const stats = b.services.messaging.stats()
    assert.ok((stats.rejected.ERR_SESSION_STATE_LOST ?? 0) >= 1, 'the lost session is reported')
    assert.ok(stats.sessionsReset >= 1)
    // and the conversation goes on both ways
    await b.services.messaging.send(aAddress, 'restored and talking')
    await waitFor(() => bodies(a).includes('restored and talking'), { what: 'a receives from the restored device' })
  })

  it('offline first contact through a mailbox with a one-time prekey taken from it, and without any left (signed prekey alone); prekey.take is rate-limited', async () => {
    const mDir = await net.tempDir()
    const relay = await net.node({ dir: mDir })
    const mailboxes = [relay.peerId.toString()]
    const a = await net.node({ via: relay })
    const bIdentity = await deviceIdentity(await generateKeyPair('secp256k1'), { label: 'bob' })
    const bDir = await net.tempDir()
    let b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes })
    const c = await net.node({ via: relay, mailboxes, messaging: { oneTimePrekeyBatch: 0 } })
    await net.publish(a)
    await net.publish(b)
    await net.publish(c)
    const bDevice = b.peerId.toString()
    const count = (path: string, sql: string, ...args: string[]): number => {
      const db = new DatabaseSync(path, { readOnly: true })
      try { return Number(db.prepare(sql).get(...args)?.n) } finally { db.close() }
    }
    await waitFor(() => count(join(mDir, 'messages.db'), 'SELECT count(*) AS n FROM otpk_pool WHERE owner = ?', bIdentity.address) >= 50, { what: 'b uploaded its one-time prekeys to its mailbox', timeout: 60_000 })
    assert.equal(count(join(mDir, 'messages.db'), 'SELECT count(*) AS n FROM otpk_pool WHERE owner = ?', c.services.messaging.address), 0)
    await b.stop()
    assert.equal(count(join(bDir, 'messages.db'), "SELECT count(*) AS n FROM device_keys WHERE kind = 'one-time'"), 50)

    const { id } = await a.services.messaging.send(bIdentity.address, 'first contact, one-time prekey')
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'stored', { what: 'stored' })
    const stored = recordedParcels(join(mDir, 'messages.db'), bIdentity.address)
    const header = splitDeviceEnvelope(decodeBundle(decodeParcel(stored[0]).payload).devices[0].envelope).header
    assert.ok(header.start != null && header.start.oneTimePrekeyId !== NO_ONE_TIME_PREKEY, 'the session start used a one-time prekey')
    assert.equal(count(join(mDir, 'messages.db'), 'SELECT count(*) AS n FROM otpk_pool WHERE owner = ?', bIdentity.address), 49, 'handed out once, then gone')

    b = await net.node({ via: relay, identity: bIdentity, dir: bDir, mailboxes })
    await waitFor(() => bodies(b).includes('first contact, one-time prekey'), { what: 'b opens it' })
    await b.stop()
    // the private key of the used one-time prekey is deleted with the commit of the message
    const db = new DatabaseSync(join(bDir, 'messages.db'), { readOnly: true })
    const ids = db.prepare("SELECT id FROM device_keys WHERE kind = 'one-time'").all().map(r => Number(r.id))
    db.close()
    assert.equal(ids.includes(header.start.oneTimePrekeyId), false)

    // c uploads none: the first contact falls back to the signed prekey alone
    await c.stop()
    const toC = await a.services.messaging.send(c.services.messaging.address, 'first contact, signed prekey only')
    await waitFor(async () => (await a.services.messaging.status(toC.id)).state === 'stored', { what: 'stored for c' })
    const cParcel = recordedParcels(join(mDir, 'messages.db'), c.services.messaging.address)[0]
    assert.equal(splitDeviceEnvelope(decodeBundle(decodeParcel(cParcel).payload).devices[0].envelope).header.start?.oneTimePrekeyId, NO_ONE_TIME_PREKEY)

    // a stranger drains at most 16 of one owner's keys an hour
    const mallory = await net.node({ via: relay })
    let refused: string | undefined
    for (let i = 0; i < 20 && refused == null; i++) {
      try {
        await mallory.services.attn.call(relay.peerId, METHOD_PREKEY_TAKE, encodePrekeyTake(bIdentity.address, bDevice))
      } catch (err: any) {
        refused = err.code
      }
    }
    assert.equal(refused, 'ERR_RATE_LIMITED')
    assert.ok(count(join(mDir, 'messages.db'), 'SELECT count(*) AS n FROM otpk_pool WHERE owner = ?', bIdentity.address) >= 49 - 16)
  })
})
