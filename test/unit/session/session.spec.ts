import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { AttnError } from '../../../src/errors.js'
import {
  HARD_LIMIT_MS, MAX_MSG_AGE_MS, MAX_MSG_FUTURE_MS, REKEY_AFTER_MS, SALT_GRACE_MS, SALT_ROTATE_MS
} from '../../../src/session/constants.js'
import { SaltMismatchError } from '../../../src/session/errors.js'
import { MsgIdGenerator, makeMsgId, msgIdCounter, msgIdTimeMs } from '../../../src/session/msg-id.js'
import { sealRecord } from '../../../src/session/record.js'
import { Session, type SessionKeys } from '../../../src/session/session.js'

const u8 = (n: number): Uint8Array => new Uint8Array(randomBytes(n))
const T0 = 1_750_000_000_000

function code (fn: () => unknown): string {
  try { fn() } catch (e) {
    assert.ok(e instanceof AttnError, `expected AttnError, got ${String(e)}`)
    return e.code
  }
  assert.fail('expected an error')
}

export function pair (now = T0): { i: Session; r: Session; keys: SessionKeys; id: Uint8Array; salt: Uint8Array } {
  const keys: SessionKeys = { kMacI2R: u8(32), kEncI2R: u8(32), kMacR2I: u8(32), kEncR2I: u8(32) }
  const id = u8(8)
  const salt = u8(8)
  const i = new Session({ id, role: 'initiator', remote: { address: 'resp', rootPublicKey: u8(33), nodePublicKey: u8(33) }, keys, salt, now })
  const r = new Session({ id, role: 'responder', remote: { address: 'init', rootPublicKey: u8(33), nodePublicKey: u8(33) }, keys, salt, now })
  return { i, r, keys, id, salt }
}

describe('session/msg-id', () => {
  it('packs unix ms and a 16-bit counter', () => {
    const m = makeMsgId(T0, 5)
    assert.equal(m, (BigInt(T0) << 16n) | 5n)
    assert.equal(msgIdTimeMs(m), T0)
    assert.equal(msgIdCounter(m), 5)
  })

  it('is strictly increasing: same ms, counter overflow, clock going back (property)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 300 }), (steps) => {
      const g = new MsgIdGenerator()
      let now = T0
      let last = -1n
      for (const d of steps) {
        now += d
        const m = g.next(now)
        assert.ok(m > last)
        assert.ok(msgIdTimeMs(m) >= now || last >= makeMsgId(now, 0))
        last = m
      }
    }), { seed: 5 })
  })

  it('borrows the next millisecond after 65536 ids in one ms, resets the counter on a new ms', () => {
    const g = new MsgIdGenerator()
    let m = 0n
    for (let k = 0; k < 65536; k++) m = g.next(T0)
    assert.equal(m, makeMsgId(T0, 65535))
    assert.equal(g.next(T0), makeMsgId(T0 + 1, 0))
    assert.equal(g.next(T0 + 1), makeMsgId(T0 + 1, 1))
    assert.equal(g.next(T0 + 5), makeMsgId(T0 + 5, 0))
    assert.equal(g.next(T0 - 1000), makeMsgId(T0 + 5, 1))
    assert.equal(new MsgIdGenerator(makeMsgId(T0 + 9, 3)).next(T0), makeMsgId(T0 + 9, 4))
    assert.equal(code(() => g.next(-1)), 'ERR_INVALID_RECORD_FIELD')
  })
})

describe('session/session', () => {
  it('seals and opens both ways with direction keys', () => {
    const { i, r } = pair()
    for (let k = 0; k < 50; k++) {
      const a = i.seal(u8(k * 7), T0 + k)
      assert.equal(a.seqNo, k)
      const got = r.open(a.frame, T0 + k)
      assert.equal(got.msgId, a.msgId)
      assert.equal(got.seqNo, k)
      const b = r.seal(got.data, T0 + k)
      assert.deepEqual(i.open(b.frame, T0 + k).data, got.data)
    }
    assert.equal(i.framesSent, 50)
    assert.equal(r.framesReceived, 50)
    assert.equal(i.idHex, Buffer.from(i.id).toString('hex'))
  })

  it('rejects its own frames (wrong direction) and frames of another session', () => {
    const { i, r } = pair()
    const f = i.seal(u8(3), T0).frame
    assert.equal(code(() => i.open(f, T0)), 'ERR_BAD_MSG_KEY')
    const other = pair()
    assert.equal(code(() => other.r.open(f, T0)), 'ERR_SESSION_ID_MISMATCH')
    assert.equal(r.framesReceived, 0)
  })

  it('rejects replays; out-of-order frames within the window are accepted once', () => {
    const { i, r } = pair()
    const frames = Array.from({ length: 20 }, (_, k) => i.seal(u8(4), T0 + k).frame)
    r.open(frames[0], T0 + 30)
    assert.equal(code(() => r.open(frames[0], T0 + 30)), 'ERR_REPLAY')
    r.open(frames[10], T0 + 30)
    for (const k of [5, 2, 9, 1]) r.open(frames[k], T0 + 30)
    for (const k of [5, 2, 9, 1, 10]) assert.equal(code(() => r.open(frames[k], T0 + 30)), 'ERR_REPLAY')
    r.open(frames[19], T0 + 30)
    r.open(frames[11], T0 + 30)
    assert.equal(r.framesReceived, 8)
  })

  it('time window edges: −300 s / +30 s from the msg_id time', () => {
    const { i, r } = pair()
    const f = i.seal(u8(1), T0)
    assert.equal(code(() => r.open(f.frame, T0 + MAX_MSG_AGE_MS + 1)), 'ERR_MSG_TOO_OLD')
    assert.equal(code(() => r.open(f.frame, T0 - MAX_MSG_FUTURE_MS - 1)), 'ERR_MSG_TOO_NEW')
    assert.equal(r.open(f.frame, T0 + MAX_MSG_AGE_MS).seqNo, 0)
    const g = i.seal(u8(1), T0 + 1)
    assert.equal(r.open(g.frame, T0 + 1 - MAX_MSG_FUTURE_MS).seqNo, 1)
  })

  it('a rejected frame leaves the replay state untouched', () => {
    const { i, r } = pair()
    const f = i.seal(u8(1), T0)
    assert.equal(code(() => r.open(f.frame, T0 + MAX_MSG_AGE_MS + 1)), 'ERR_MSG_TOO_OLD')
    assert.equal(r.open(f.frame, T0).seqNo, 0)
  })

  it('salt: responder rotates, the previous salt is accepted during the grace period only', () => {
    const { i, r, salt } = pair()
    const newSalt = r.rotateSalt(u8(8), T0 + 1000)
    assert.deepEqual(r.previousSalt(T0 + 1000), salt)
    const f1 = i.seal(u8(1), T0 + 2000)
    assert.equal(r.open(f1.frame, T0 + 2000).seqNo, 0)
    const late = T0 + 1000 + SALT_GRACE_MS
    const f2 = i.seal(u8(1), late)
    let err: unknown
    try { r.open(f2.frame, late) } catch (e) { err = e }
    assert.ok(err instanceof SaltMismatchError)
    assert.equal(err.code, 'ERR_BAD_SALT')
    assert.deepEqual(err.currentSalt, newSalt)
    assert.equal(err.msgId, f2.msgId)
    // the initiator takes the notice; its frames pass again
    i.acceptNewSalt(err.currentSalt, late)
    assert.equal(r.open(i.seal(u8(1), late + 1).frame, late + 1).seqNo, 2)
    // f2 was refused before the replay window: it is still not accepted as stale salt
    assert.equal(code(() => r.open(f2.frame, late + 2)), 'ERR_BAD_SALT')
    // the initiator does not police the responder's salt (protocols/attnproto.md Part 4 §6)
    assert.equal(i.open(r.seal(u8(1), late).frame, late).seqNo, 0)
    assert.equal(r.needsSaltRotation(T0 + 1000 + SALT_ROTATE_MS - 1), false)
    assert.equal(r.needsSaltRotation(T0 + 1000 + SALT_ROTATE_MS), true)
    assert.equal(i.needsSaltRotation(T0 + 10 * SALT_ROTATE_MS), false)
  })

  it('rekey and hard limits; idleness', () => {
    const { i } = pair()
    assert.equal(i.needsRekey(T0), false)
    assert.equal(i.needsRekey(T0 + REKEY_AFTER_MS), true)
    i.framesSent = 2 ** 24
    assert.equal(i.needsRekey(T0), true)
    i.framesSent = 2 ** 26
    assert.equal(code(() => i.seal(u8(1), T0)), 'ERR_SESSION_EXPIRED')
    i.framesSent = 0
    assert.equal(code(() => i.seal(u8(1), T0 + HARD_LIMIT_MS)), 'ERR_SESSION_EXPIRED')
    i.seal(u8(1), T0 + 100)
    assert.equal(i.isIdle(T0 + 1099, 1000), false)
    assert.equal(i.isIdle(T0 + 1100, 1000), true)
  })

  it('explicit msg_ids from nextMsgId() are sealed in increasing order only', () => {
    const { i, r } = pair()
    const a = i.nextMsgId(T0)
    const b = i.nextMsgId(T0)
    assert.equal(i.seal(u8(1), T0, a).msgId, a)
    assert.equal(code(() => i.seal(u8(1), T0, a)), 'ERR_INVALID_RECORD_FIELD')
    assert.equal(code(() => i.seal(u8(1), T0, b + 1n)), 'ERR_INVALID_RECORD_FIELD')
    const fb = i.seal(u8(1), T0, b)
    const fc2 = i.seal(u8(1), T0)
    assert.ok(fc2.msgId > b)
    for (const f of [fb, fc2]) r.open(f.frame, T0)
  })

  it('validates constructor input', () => {
    const { keys } = pair()
    const remote = { address: 'a', rootPublicKey: u8(33), nodePublicKey: u8(33) }
    assert.equal(code(() => new Session({ id: u8(7), role: 'initiator', remote, keys, salt: u8(8) })), 'ERR_INVALID_RECORD_FIELD')
    assert.equal(code(() => new Session({ id: u8(8), role: 'initiator', remote, keys, salt: u8(9) })), 'ERR_INVALID_RECORD_FIELD')
    assert.equal(code(() => new Session({ id: u8(8), role: 'initiator', remote, keys: { ...keys, kEncR2I: u8(16) }, salt: u8(8) })), 'ERR_INVALID_RECORD_FIELD')
  })

  it('toState/fromState resumes: no replay acceptance, no msg_id or seq_no reuse', () => {
    const { i, r } = pair()
    const frames = Array.from({ length: 6 }, (_, k) => i.seal(u8(10), T0 + k))
    for (const k of [0, 1, 3, 5]) r.open(frames[k].frame, T0 + 10)
    r.rotateSalt(u8(8), T0 + 20)
    const i2 = Session.fromState(i.toState())
    const r2 = Session.fromState(r.toState())
    assert.deepEqual(Session.fromState(r2.toState()).toState(), r.toState())
    assert.equal(r2.idHex, r.idHex)
    assert.equal(r2.role, 'responder')
    assert.deepEqual(r2.remote.rootPublicKey, r.remote.rootPublicKey)
    for (const k of [0, 1, 3, 5]) assert.equal(code(() => r2.open(frames[k].frame, T0 + 30)), 'ERR_REPLAY')
    assert.equal(r2.open(frames[4].frame, T0 + 30).seqNo, 4)
    const next = i2.seal(u8(1), T0) // clock behind the last msg_id
    assert.ok(next.msgId > frames[5].msgId)
    assert.equal(next.seqNo, 6)
    assert.equal(r2.open(next.frame, T0 + 30).seqNo, 6)
    assert.deepEqual(r2.previousSalt(T0 + 30), r.previousSalt(T0 + 30))
    assert.equal(r2.framesReceived, r.framesReceived + 2)
  })

  it('fuzz: open throws only typed errors', () => {
    const { i, r } = pair()
    const valid = i.seal(u8(40), T0).frame
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.nat(), fc.nat(255)).map(([p, v]) => { const t = Uint8Array.from(valid); t[p % t.length] = v; return t })
    ), (input) => {
      try { r.open(input, T0) } catch (e) { assert.ok(e instanceof AttnError, String(e)) }
    }), { seed: 11, numRuns: 1000 })
    // a frame from the right keys but with far-out fields
    const odd = sealRecord((i as any).send, { salt: i.currentSalt, msgId: (1n << 64n) - 1n, seqNo: 0xffffffff, data: u8(1) })
    assert.equal(code(() => r.open(odd, T0)), 'ERR_MSG_TOO_NEW')
  })

  it('fuzz: fromState throws only ERR_BAD_SESSION_STATE on random and mutated state', () => {
    const { i } = pair()
    i.seal(u8(1), T0)
    const state = i.toState()
    const check = (b: Uint8Array): void => {
      try { Session.fromState(b) } catch (e) {
        assert.ok(e instanceof AttnError, String(e))
        assert.equal(e.code, 'ERR_BAD_SESSION_STATE')
      }
    }
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.tuple(fc.nat(), fc.nat(255)).map(([p, v]) => { const t = Uint8Array.from(state); t[p % t.length] = v; return t }),
      fc.nat().map(n => state.subarray(0, n % state.length)),
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map(x => { const t = new Uint8Array(state.length + x.length); t.set(state); t.set(x, state.length); return t })
    ), (b) => { check(b) }), { seed: 13, numRuns: 3000 })
    for (let p = 0; p < state.length; p++) {
      for (const v of [0, 1, 2, 0x7f, 0xff]) {
        const t = Uint8Array.from(state)
        t[p] = v
        check(t)
      }
    }
    assert.equal(code(() => Session.fromState(state.subarray(0, 10))), 'ERR_BAD_SESSION_STATE')
  })
})
