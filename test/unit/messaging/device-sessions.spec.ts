import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { attAddress } from '../../../src/keys/index.js'
import {
  DeviceSessions, MessagingCounters, MessagingStore, SIGNED_PREKEY_GRACE_SECONDS, SIGNED_PREKEY_ROTATE_SECONDS, createDirectoryRecord,
  decodeMessage, encodeMessage, utf8
} from '../../../src/messaging/index.js'
import type { DirectoryRecord } from '../../../src/messaging/index.js'
import type { Identity } from '../../../src/keys/index.js'
import { NOW_MS, identity } from './fixtures.js'

const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as any

interface Dev { id: Identity, store: MessagingStore, sessions: DeviceSessions, clock: { ms: number } }

function device (name: string, stateKey: Uint8Array = randomBytes(32), path = ':memory:'): Dev {
  const id = identity(name)
  const clock = { ms: NOW_MS }
  const store = new MessagingStore(path, { encryptionKey: randomBytes(32), stateKey, now: () => clock.ms })
  return { id, store, clock, sessions: new DeviceSessions({ store, identity: id, self: attAddress(id.nodeKey.publicKey), counters: new MessagingCounters(), log, now: () => clock.ms }) }
}

function recordOf (d: Dev): DirectoryRecord {
  const bundle = d.sessions.publicBundle()
  return createDirectoryRecord(d.id, { seq: 1, expiresAt: Math.floor(d.clock.ms / 1000) + 86400, devices: [{ chain: d.id.chain, nodeId: attAddress(d.id.nodeKey.publicKey), ...bundle }] })
}

function seal (from: Dev, to: DirectoryRecord, text: string): Uint8Array {
  const envelopeId = randomBytes(16)
  const m = encodeMessage({ id: envelopeId, kind: 'message', sentAt: from.clock.ms, contentType: 'text/plain', body: utf8(text) })
  return from.store.transaction(() => from.sessions.seal(to, m, envelopeId)) as Uint8Array
}

const text = (o: { message: { body: Uint8Array } }): string => new TextDecoder().decode(o.message.body)
function codeOf (fn: () => unknown): string {
  try { fn() } catch (err: any) { return err.code ?? String(err) } return 'OK'
}

describe('messaging device sessions (state at rest, one transaction per message)', () => {
  let devs: Dev[] = []
  afterEach(() => { for (const d of devs) d.store.close(); devs = [] })
  const make = (name: string, key?: Uint8Array): Dev => { const d = device(name, key); devs.push(d); return d }

  it('a crash before the commit leaves the message key (it opens again, once); after the commit it is a duplicate and the key is gone', () => {
    const a = make('alice'); const b = make('bob')
    const bundle = seal(a, recordOf(b), 'hello')
    const first = b.sessions.open(bundle)
    assert.equal(text(first), 'hello')
    // no commit (the node crashed before its transaction): the redelivery opens with the same key
    const again = b.sessions.open(bundle)
    assert.equal(text(again), 'hello')
    // a transaction that fails after the commit step rolls the session back too
    assert.throws(() => b.store.transaction(() => { again.commit(); throw new RangeError('disk full') }), RangeError)
    const third = b.sessions.open(bundle)
    b.store.transaction(() => { third.commit() })
    assert.equal(codeOf(() => b.sessions.open(bundle)), 'ERR_DUPLICATE_ENVELOPE')
    // without the seen-id table the consumed key is simply gone
    b.store.expireSeenEnvelopes(-1e15)
    assert.equal(codeOf(() => b.sessions.open(bundle)), 'ERR_SESSION_STATE_LOST')
  })

  it('ratchet state and prekeys are sealed at rest under the state key: another key cannot read them, and the file never holds them in the clear', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attn-ds-'))
    try {
      const key = randomBytes(32)
      const b = device('bob', key, join(dir, 'b.db'))
      const a = make('alice')
      const o = b.sessions.open(seal(a, recordOf(b), 'x'))
      b.store.transaction(() => { o.commit() })
      const [session] = b.store.listSessions()
      const ik = b.store.getDeviceKey('identity', 0)
      b.store.checkpoint()
      b.store.close()
      const file = readFileSync(join(dir, 'b.db'))
      assert.equal(file.includes(Buffer.from(session.state.subarray(1 + 16 + 32, 1 + 16 + 32 + 32))), false, 'the root key is not in the file')
      assert.equal(file.includes(Buffer.from(ik?.privateKey as Uint8Array)), false, 'the identity private key is not in the file')
      const other = new MessagingStore(join(dir, 'b.db'), { encryptionKey: randomBytes(32), stateKey: randomBytes(32) })
      try {
        assert.equal(codeOf(() => other.listSessions()), 'ERR_STORE_CORRUPT')
        assert.equal(codeOf(() => other.getDeviceKey('identity', 0)), 'ERR_STORE_CORRUPT')
      } finally { other.close() }
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })

  it('the signed prekey rotates weekly; the old one opens mail during its grace, then its key is deleted', () => {
    const a = make('alice'); const b = make('bob')
    const oldRecord = recordOf(b)
    const oldId = oldRecord.devices[0].signedPrekey?.id
    b.clock.ms += SIGNED_PREKEY_ROTATE_SECONDS * 1000
    const rotated = b.sessions.publicBundle().signedPrekey
    assert.notEqual(rotated.id, oldId)
    // mail sealed to the old prekey while it is still in its grace period opens
    a.clock.ms = b.clock.ms
    const late = seal(a, oldRecord, 'sealed to the old prekey')
    assert.equal(text(b.sessions.open(late)), 'sealed to the old prekey')
    // past expiry + grace, the old private key is gone
    b.clock.ms += (SIGNED_PREKEY_GRACE_SECONDS + 14 * 86400 + 1) * 1000
    b.sessions.publicBundle()
    assert.equal(b.store.getDeviceKey('signed', oldId as number), undefined)
    assert.equal(codeOf(() => b.sessions.open(late)), 'ERR_UNKNOWN_PREKEY')
  })

  it('sessions follow the peer: an answer goes on the session it came in on; a bundle for another device is not for us', () => {
    const a = make('alice'); const b = make('bob'); const c = make('carol')
    const bRecord = recordOf(b)
    const aRecord = recordOf(a)
    const o1 = b.sessions.open(seal(a, bRecord, 'one'))
    b.store.transaction(() => { o1.commit() })
    const reply = seal(b, aRecord, 'two')
    // b answered on a's session: no new session start in b's header
    const o2 = a.sessions.open(reply)
    assert.equal(o2.peerReset, false)
    a.store.transaction(() => { o2.commit() })
    assert.equal(o2.message.kind, 'message')
    assert.equal(a.store.listSessions().length, 1)
    assert.equal(b.store.listSessions().length, 1)
    assert.equal(codeOf(() => c.sessions.open(seal(a, bRecord, 'for b'))), 'ERR_WRONG_RECIPIENT')
  })
})
