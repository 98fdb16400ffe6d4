import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { AttnError } from '../../../src/errors.js'
import { MAX_FRAME, MAX_PADDING, MAX_RECORD_DATA, MIN_FRAME, MIN_PADDING, PADDING_STEPS } from '../../../src/session/constants.js'
import * as errors from '../../../src/session/errors.js'
import {
  choosePaddingLength, rawRecordKeys, minPaddingLength, openRecord, recordKeys, recordPlaintext, sealPlaintext, sealRecord, type RecordKeys
} from '../../../src/session/record.js'

const u8 = (n: number): Uint8Array => new Uint8Array(randomBytes(n))
const RECORD_CODES = new Set(['ERR_FRAME_TOO_SHORT', 'ERR_FRAME_TOO_LARGE', 'ERR_FRAME_MISALIGNED', 'ERR_SESSION_ID_MISMATCH', 'ERR_BAD_MSG_KEY', 'ERR_BAD_DATA_LEN', 'ERR_BAD_PADDING'])

function code (fn: () => unknown): string {
  try { fn() } catch (e) {
    assert.ok(e instanceof AttnError, `expected AttnError, got ${String(e)}`)
    return e.code
  }
  assert.fail('expected an error')
}

describe('session/record', () => {
  const sid = u8(8)
  const keys = recordKeys(sid, u8(32), u8(32))
  const salt = u8(8)
  const fields = (data: Uint8Array, seqNo = 7, msgId = 123456789n << 16n): { salt: Uint8Array; msgId: bigint; seqNo: number; data: Uint8Array } => ({ salt, msgId, seqNo, data })

  it('round trips random sizes 0..70 KiB (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 70 * 1024 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat({ max: 0xffffffff }), (n, msgId, seqNo) => {
      const data = u8(n)
      const frame = sealRecord(keys, fields(data, seqNo, msgId))
      assert.equal((frame.length - 24) % 16, 0)
      const pad = frame.length - 24 - 24 - n
      assert.ok(pad >= MIN_PADDING && pad <= MAX_PADDING, `padding ${pad}`)
      assert.deepEqual(frame.subarray(0, 8), sid)
      const r = openRecord(keys, frame)
      assert.deepEqual(r.data, data)
      assert.deepEqual(r.salt, salt)
      assert.equal(r.msgId, msgId)
      assert.equal(r.seqNo, seqNo)
    }), { seed: 42, numRuns: 60 })
  })

  it('padding rule: every allowed length occurs, nothing else', () => {
    for (const n of [0, 1, 8, 12, 15, 16, 1000]) {
      const p0 = minPaddingLength(n)
      assert.ok(p0 >= 12 && p0 < 28 && (24 + n + p0) % 16 === 0)
      const seen = new Set<number>()
      for (let i = 0; i < 3000; i++) {
        const p = choosePaddingLength(n)
        assert.ok(p >= MIN_PADDING && p <= MAX_PADDING && (24 + n + p) % 16 === 0)
        seen.add(p)
      }
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: PADDING_STEPS }, (_, k) => p0 + 16 * k))
    }
  })

  it('explicit padding must be allowed', () => {
    assert.equal(code(() => sealRecord(keys, fields(new Uint8Array(0)), { padding: new Uint8Array(8) })), 'ERR_INVALID_RECORD_FIELD')
    assert.equal(code(() => sealRecord(keys, fields(new Uint8Array(0)), { padding: new Uint8Array(25) })), 'ERR_INVALID_RECORD_FIELD')
    assert.equal(code(() => sealRecord(keys, fields(new Uint8Array(8)), { padding: new Uint8Array(1040) })), 'ERR_INVALID_RECORD_FIELD')
    const f = sealRecord(keys, fields(new Uint8Array(8)), { padding: new Uint8Array(1024) })
    assert.equal(f.length, 24 + 24 + 8 + 1024)
    assert.equal(openRecord(keys, f).data.length, 8)
  })

  it('validates sender fields', () => {
    assert.equal(code(() => sealRecord(keys, { ...fields(u8(1)), salt: u8(7) })), 'ERR_INVALID_RECORD_FIELD')
    assert.equal(code(() => sealRecord(keys, fields(u8(1), -1))), 'ERR_INVALID_RECORD_FIELD')
    assert.equal(code(() => sealRecord(keys, fields(u8(1), 2 ** 32))), 'ERR_INVALID_RECORD_FIELD')
    assert.equal(code(() => sealRecord(keys, fields(u8(1), 0, 1n << 64n))), 'ERR_INVALID_RECORD_FIELD')
    assert.equal(code(() => sealRecord(keys, fields(new Uint8Array(MAX_RECORD_DATA + 1)))), 'ERR_RECORD_TOO_LARGE')
    const big = sealRecord(keys, fields(new Uint8Array(MAX_RECORD_DATA)))
    assert.ok(big.length <= MAX_FRAME)
    assert.equal(openRecord(keys, big).data.length, MAX_RECORD_DATA)
  })

  it('rejects any single-bit flip anywhere in a frame (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 3000 }), fc.nat(), (n, pos) => {
      const frame = sealRecord(keys, fields(u8(n)))
      const bit = pos % (frame.length * 8)
      const t = Uint8Array.from(frame)
      t[bit >> 3] ^= 1 << (bit & 7)
      const c = code(() => openRecord(keys, t))
      assert.equal(c, bit < 64 ? 'ERR_SESSION_ID_MISMATCH' : 'ERR_BAD_MSG_KEY')
    }), { seed: 7, numRuns: 400 })
  })

  it('every bit of a small frame is covered', () => {
    const frame = sealRecord(keys, fields(u8(5)))
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const t = Uint8Array.from(frame)
      t[bit >> 3] ^= 1 << (bit & 7)
      assert.throws(() => openRecord(keys, t), AttnError)
    }
  })

  it('rejects truncation and extension', () => {
    const frame = sealRecord(keys, fields(u8(100)))
    for (let cut = 1; cut <= frame.length; cut++) {
      const c = code(() => openRecord(keys, frame.subarray(0, frame.length - cut)))
      const len = frame.length - cut
      const expect = len < MIN_FRAME ? 'ERR_FRAME_TOO_SHORT' : (len - 24) % 16 !== 0 ? 'ERR_FRAME_MISALIGNED' : 'ERR_BAD_MSG_KEY'
      assert.equal(c, expect, `cut ${cut}`)
    }
    for (const extra of [1, 15, 16, 32, 1024]) {
      const t = new Uint8Array(frame.length + extra)
      t.set(frame)
      assert.equal(code(() => openRecord(keys, t)), extra % 16 === 0 ? 'ERR_BAD_MSG_KEY' : 'ERR_FRAME_MISALIGNED')
    }
    assert.equal(code(() => openRecord(keys, new Uint8Array(MAX_FRAME + 16))), 'ERR_FRAME_TOO_LARGE')
  })

  it('rejects a wrong session id and wrong-direction keys', () => {
    const other = recordKeys(u8(8), u8(32), u8(32))
    const frame = sealRecord(keys, fields(u8(10)))
    assert.equal(code(() => openRecord(other, frame)), 'ERR_SESSION_ID_MISMATCH')
    // same session id, the other direction's keys
    const reverse: RecordKeys = recordKeys(sid, u8(32), u8(32))
    assert.equal(code(() => openRecord(reverse, frame)), 'ERR_BAD_MSG_KEY')
    const raw = rawRecordKeys(keys)
    const swapped: RecordKeys = recordKeys(sid, raw.kEnc, raw.kMac)
    assert.equal(code(() => openRecord(swapped, frame)), 'ERR_BAD_MSG_KEY')
  })

  it('checks data_len and padding only after authentication', () => {
    const mk = (dataLen: number, total: number): Uint8Array => {
      const pt = new Uint8Array(total)
      pt.set(salt, 0)
      new DataView(pt.buffer).setUint32(20, dataLen)
      return sealPlaintext(keys, pt)
    }
    assert.equal(code(() => openRecord(keys, mk(0xffffffff, 64))), 'ERR_BAD_DATA_LEN')
    assert.equal(code(() => openRecord(keys, mk(41, 64))), 'ERR_BAD_DATA_LEN')
    assert.equal(code(() => openRecord(keys, mk(40, 64))), 'ERR_BAD_PADDING') // padding 0
    assert.equal(code(() => openRecord(keys, mk(29, 64))), 'ERR_BAD_PADDING') // padding 11
    assert.equal(openRecord(keys, mk(28, 64)).data.length, 28) // padding 12
    assert.equal(code(() => openRecord(keys, mk(0, 1072))), 'ERR_BAD_PADDING') // padding 1048
    assert.equal(code(() => openRecord(keys, mk(16, 1072))), 'ERR_BAD_PADDING') // padding 1032
    assert.equal(openRecord(keys, mk(8, 1056)).data.length, 8) // padding 1024
    // a forged frame with the same bad fields fails on the MAC first
    const forged = mk(0xffffffff, 64)
    forged[30] ^= 1
    assert.equal(code(() => openRecord(keys, forged)), 'ERR_BAD_MSG_KEY')
    // recordPlaintext lays out the same bytes sealRecord does
    const pad = new Uint8Array(24)
    const pt = recordPlaintext(fields(new Uint8Array(0)), pad)
    assert.deepEqual(sealPlaintext(keys, pt), sealRecord(keys, fields(new Uint8Array(0)), { padding: pad }))
  })

  it('fuzz: openRecord throws only typed record errors on random and mutated input', () => {
    const valid = sealRecord(keys, fields(u8(50)))
    fc.assert(fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        fc.uint8Array({ minLength: 72, maxLength: 400 }).map(b => { const t = Uint8Array.from(b); t.set(sid); return t }),
        fc.tuple(fc.nat(), fc.nat(255), fc.integer({ min: -40, max: 40 })).map(([p, v, d]) => {
          const t = new Uint8Array(Math.max(0, valid.length + d))
          t.set(valid.subarray(0, Math.min(valid.length, t.length)))
          if (t.length > 0) t[p % t.length] = v
          return t
        })
      ),
      (input) => {
        try {
          openRecord(keys, input)
        } catch (e) {
          assert.ok(e instanceof AttnError && RECORD_CODES.has(e.code), String(e))
        }
      }), { seed: 99, numRuns: 2000 })
  })

  it('error classes carry stable codes', () => {
    assert.equal(new errors.FrameTooShortError(1, 2).code, 'ERR_FRAME_TOO_SHORT')
    assert.equal(new errors.BadMsgKeyError().name, 'BadMsgKeyError')
  })
})
