import assert from 'node:assert/strict'
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import { ivMinus, openRecord, recordKeys, recordPlaintext, sealRecord } from '../../../src/session/record.js'

/** The construction of attnproto.md Part 4 written out plainly (createHmac, one cipher over the plaintext). */
function referenceSeal (sid: Uint8Array, kMac: Uint8Array, kEnc: Uint8Array, pt: Uint8Array): Buffer {
  const msgKey = createHmac('sha256', kMac).update(sid).update(pt).digest().subarray(0, 16)
  const k = createHmac('sha512', kEnc).update(msgKey).digest()
  const ct = createCipheriv('aes-256-ctr', k.subarray(0, 32), k.subarray(32, 48)).update(pt)
  return Buffer.concat([sid, msgKey, ct])
}

describe('session/record fast path (seal into the cipher output, streamed MAC on large opens)', () => {
  it('ivMinus: 128-bit big-endian counter minus n, with borrows across every byte and wrap-around', () => {
    const cases: Array<[string, number, string]> = [
      ['000102030405060708090a0b0c0d0e0f', 2, '000102030405060708090a0b0c0d0e0d'],
      ['00000000000000000000000100000001', 2, '000000000000000000000000ffffffff'],
      ['00000000000000010000000000000000', 2, '0000000000000000fffffffffffffffe'],
      ['00000000000000000000000000000000', 2, 'fffffffffffffffffffffffffffffffe'],
      ['00000000000000000000000000000001', 1, '00000000000000000000000000000000']
    ]
    for (const [iv, n, want] of cases) {
      const out = new Uint8Array(16)
      ivMinus(Buffer.from(iv, 'hex'), 0, n, out)
      assert.equal(Buffer.from(out).toString('hex'), want, `${iv} - ${n}`)
    }
  })

  it('AES-CTR over [32 lead bytes | plaintext] under iv − 2 gives the plaintext\'s ciphertext under iv, at every counter carry', () => {
    const key = randomBytes(32)
    const pt = randomBytes(1000)
    for (const ivHex of ['00000000000000000000000000000000', '00000000000000000000000000000001', '000000000000000000000000ffffffff',
      '0000000000000000ffffffffffffffff', 'fffffffffffffffffffffffffffffffe', randomBytes(16).toString('hex')]) {
      const iv = Buffer.from(ivHex, 'hex')
      const want = createCipheriv('aes-256-ctr', key, iv).update(pt)
      const lead = new Uint8Array(16)
      ivMinus(iv, 0, 2, lead)
      const got = createCipheriv('aes-256-ctr', key, lead).update(Buffer.concat([randomBytes(32), pt])).subarray(32)
      assert.deepEqual(got, want, ivHex)
    }
  })

  it('sealRecord gives the reference construction\'s bytes, and the frame view does not expose the lead bytes; large frames open', () => {
    const sid = randomBytes(8)
    const kMac = randomBytes(32)
    const kEnc = randomBytes(32)
    const keys = recordKeys(sid, kMac, kEnc)
    for (const size of [0, 1, 100, 1024, 5000, 16 * 1024, 16 * 1024 + 1, 70_000]) {
      for (let i = 0; i < 20; i++) {
        const fields = { salt: randomBytes(8), msgId: (BigInt(Date.now()) << 16n) + BigInt(i), seqNo: i, data: randomBytes(size) }
        const padding = randomBytes(12 + ((16 - ((24 + size + 12) % 16)) % 16))
        const frame = sealRecord(keys, fields, { padding })
        assert.deepEqual(Buffer.from(frame), referenceSeal(sid, kMac, kEnc, recordPlaintext(fields, padding)))
        const opened = openRecord(keys, frame)
        assert.deepEqual(Buffer.from(opened.data), Buffer.from(fields.data))
        assert.equal(opened.msgId, fields.msgId)
        // whatever precedes the view in its buffer is zero (no keystream or pad bytes leak through frame.buffer)
        assert.ok(frame.byteOffset >= 8)
        assert.deepEqual(new Uint8Array(frame.buffer, frame.byteOffset - 8, 8), new Uint8Array(8))
      }
    }
    // the plaintext side also decrypts the plain way
    const f = { salt: randomBytes(8), msgId: 5n << 16n, seqNo: 1, data: randomBytes(40_000) }
    const frame = Buffer.from(sealRecord(keys, f))
    const k = createHmac('sha512', kEnc).update(frame.subarray(8, 24)).digest()
    const pt = createDecipheriv('aes-256-ctr', k.subarray(0, 32), k.subarray(32, 48)).update(frame.subarray(24))
    assert.deepEqual(pt.subarray(24, 24 + 40_000), f.data)
  })
})
