/**
 * Record-layer test vectors (protocols/vectors/record.json, record-invalid.json).
 * Generated deterministically from fixed labels; this test regenerates them and compares byte
 * for byte with the committed files and recomputes every vector with the production code.
 * Regenerate after an intentional change: `ATTN_REGEN_VECTORS=1 npx mocha dist/test/unit/session/vectors.spec.js`.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { AttnError } from '../../../src/errors.js'
import { openRecord, recordDerivation, recordKeys, recordPlaintext, sealPlaintext, sealRecord } from '../../../src/session/record.js'

const VALID_URL = new URL('../../../../protocols/vectors/record.json', import.meta.url)
const INVALID_URL = new URL('../../../../protocols/vectors/record-invalid.json', import.meta.url)

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

/** n deterministic bytes: SHA-256(label | counter) blocks. */
function det (label: string, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0, c = 0; i < n; c++) {
    const block = createHash('sha256').update(`attn-record-vector/${label}/${c}`).digest()
    out.set(block.subarray(0, Math.min(32, n - i)), i)
    i += 32
  }
  return out
}

interface ValidVector {
  description: string
  session_id: string; k_mac: string; k_enc: string
  salt: string; msg_id: string; seq_no: number; data: string; padding: string
  plaintext: string; msg_key: string; aes_key: string; iv: string; frame: string
}
interface InvalidVector { description: string; session_id: string; k_mac: string; k_enc: string; frame: string; error: string }

const SID = det('session-id', 8)
const K_MAC = det('k_mac_i2r', 32)
const K_ENC = det('k_enc_i2r', 32)

function valid (description: string, dataLen: number, padLen: number, msgId: bigint, seqNo: number, label: string, sid = SID, kMac = K_MAC, kEnc = K_ENC): ValidVector {
  const keys = recordKeys(sid, kMac, kEnc)
  const salt = det(`${label}/salt`, 8)
  const data = det(`${label}/data`, dataLen)
  const padding = det(`${label}/padding`, padLen)
  const fields = { salt, msgId, seqNo, data }
  const plaintext = recordPlaintext(fields, padding)
  const d = recordDerivation(keys, plaintext)
  const frame = sealRecord(keys, fields, { padding })
  return {
    description, session_id: hex(sid), k_mac: hex(kMac), k_enc: hex(kEnc),
    salt: hex(salt), msg_id: msgId.toString(), seq_no: seqNo, data: hex(data), padding: hex(padding),
    plaintext: hex(plaintext), msg_key: hex(d.msgKey), aes_key: hex(d.aesKey), iv: hex(d.iv), frame: hex(frame)
  }
}

const MS = 1_750_000_000_000n << 16n

export function generateValid (): ValidVector[] {
  return [
    valid('empty data, smallest padding (24): smallest frame (72 bytes)', 0, 24, MS, 0, 'empty'),
    valid('empty data, largest padding for it (1016)', 0, 1016, MS + 1n, 1, 'empty-maxpad'),
    valid('8 bytes data, maximum padding 1024', 8, 1024, MS + 2n, 2, 'maxpad'),
    valid('12 bytes data, minimum padding 12', 12, 12, MS + 3n, 3, 'minpad'),
    valid('1 byte data', 1, 23, MS + (5n << 16n), 4, 'one'),
    valid('1 KiB data', 1024, 24, MS + (9n << 16n), 5, '1k'),
    valid('5000 bytes data (multi-KiB)', 5000, 352, MS + (77n << 16n), 6, '5000'),
    valid('msg_id and seq_no at their maxima', 16, 24, (1n << 64n) - 1n, 0xffffffff, 'max-fields'),
    valid('responder-to-initiator direction keys', 100, 100, MS + (1n << 20n), 0, 'r2i', SID, det('k_mac_r2i', 32), det('k_enc_r2i', 32)),
    valid('64 KiB data', 65536, 488, MS + (3n << 30n), 7, '64k')
  ]
}

function invalidEntry (description: string, frame: Uint8Array, error: string, sid = SID): InvalidVector {
  return { description, session_id: hex(sid), k_mac: hex(K_MAC), k_enc: hex(K_ENC), frame: hex(frame), error }
}

export function generateInvalid (): InvalidVector[] {
  const keys = recordKeys(SID, K_MAC, K_ENC)
  const base = unhex(generateValid()[5].frame) // 1 KiB data
  const flip = (bit: number): Uint8Array => { const t = Uint8Array.from(base); t[bit >> 3] ^= 1 << (bit & 7); return t }
  /** A correctly MACed frame around a hand-made plaintext with bad inner fields. */
  const handMade = (dataLen: number, total: number, label: string): Uint8Array => {
    const pt = det(label, total)
    new DataView(pt.buffer).setUint32(20, dataLen)
    return sealPlaintext(keys, pt)
  }
  const ext = new Uint8Array(base.length + 16)
  ext.set(base)
  const other = recordKeys(det('other-session-id', 8), K_MAC, K_ENC)
  const otherFrame = sealRecord(other, { salt: det('o', 8), msgId: MS, seqNo: 0, data: det('o/data', 10) }, { padding: det('o/pad', 14) })
  return [
    invalidEntry('bit flipped in session_id', flip(3), 'ERR_SESSION_ID_MISMATCH'),
    invalidEntry('bit flipped in msg_key (first byte)', flip(64), 'ERR_BAD_MSG_KEY'),
    invalidEntry('bit flipped in msg_key (last byte)', flip(191), 'ERR_BAD_MSG_KEY'),
    invalidEntry('bit flipped at the start of the ciphertext', flip(192), 'ERR_BAD_MSG_KEY'),
    invalidEntry('bit flipped at the end of the ciphertext', flip(base.length * 8 - 1), 'ERR_BAD_MSG_KEY'),
    invalidEntry('truncated by 16 bytes (still aligned)', base.subarray(0, base.length - 16), 'ERR_BAD_MSG_KEY'),
    invalidEntry('extended by 16 zero bytes', ext, 'ERR_BAD_MSG_KEY'),
    invalidEntry('truncated by 1 byte: ciphertext not a multiple of 16', base.subarray(0, base.length - 1), 'ERR_FRAME_MISALIGNED'),
    invalidEntry('too short: 56 bytes (8 + 16 + 32)', base.subarray(0, 56), 'ERR_FRAME_TOO_SHORT'),
    invalidEntry('too short: 71 bytes', base.subarray(0, 71), 'ERR_FRAME_TOO_SHORT'),
    invalidEntry('empty frame', new Uint8Array(0), 'ERR_FRAME_TOO_SHORT'),
    invalidEntry('valid frame of another session', otherFrame, 'ERR_SESSION_ID_MISMATCH'),
    invalidEntry('authentic, padding 11 (data_len 29 in 64 bytes)', handMade(29, 64, 'pad11'), 'ERR_BAD_PADDING'),
    invalidEntry('authentic, padding 0 (data_len 40 in 64 bytes)', handMade(40, 64, 'pad0'), 'ERR_BAD_PADDING'),
    invalidEntry('authentic, padding 1032 (data_len 16 in 1072 bytes)', handMade(16, 1072, 'pad1032'), 'ERR_BAD_PADDING'),
    invalidEntry('authentic, data_len 0xffffffff', handMade(0xffffffff, 64, 'dl-max'), 'ERR_BAD_DATA_LEN'),
    invalidEntry('authentic, data_len one past the plaintext (41 in 64 bytes)', handMade(41, 64, 'dl-41'), 'ERR_BAD_DATA_LEN')
  ]
}

function errorCode (fn: () => unknown): string {
  try { fn() } catch (e) {
    assert.ok(e instanceof AttnError, String(e))
    return e.code
  }
  return 'OK'
}

describe('session/vectors (protocols/vectors/record*.json)', () => {
  const validJson = JSON.stringify(generateValid(), null, 2) + '\n'
  const invalidJson = JSON.stringify(generateInvalid(), null, 2) + '\n'
  if (process.env.ATTN_REGEN_VECTORS === '1') {
    writeFileSync(VALID_URL, validJson)
    writeFileSync(INVALID_URL, invalidJson)
  }

  it('committed files equal the deterministic generator output', () => {
    assert.equal(readFileSync(VALID_URL, 'utf8'), validJson)
    assert.equal(readFileSync(INVALID_URL, 'utf8'), invalidJson)
  })

  it('every valid vector is reproduced and opened by the production code', () => {
    const vs = JSON.parse(readFileSync(VALID_URL, 'utf8')) as ValidVector[]
    assert.ok(vs.length >= 8)
    for (const v of vs) {
      const keys = recordKeys(unhex(v.session_id), unhex(v.k_mac), unhex(v.k_enc))
      const fields = { salt: unhex(v.salt), msgId: BigInt(v.msg_id), seqNo: v.seq_no, data: unhex(v.data) }
      const pt = recordPlaintext(fields, unhex(v.padding))
      assert.equal(hex(pt), v.plaintext, v.description)
      const d = recordDerivation(keys, pt)
      assert.equal(hex(d.msgKey), v.msg_key)
      assert.equal(hex(d.aesKey), v.aes_key)
      assert.equal(hex(d.iv), v.iv)
      assert.equal(hex(sealRecord(keys, fields, { padding: unhex(v.padding) })), v.frame)
      assert.equal(hex(sealPlaintext(keys, pt)), v.frame)
      const r = openRecord(keys, unhex(v.frame))
      assert.equal(hex(r.data), v.data)
      assert.equal(r.msgId.toString(), v.msg_id)
      assert.equal(r.seqNo, v.seq_no)
      assert.equal(hex(r.salt), v.salt)
    }
  })

  it('every invalid vector fails with its stated code', () => {
    const vs = JSON.parse(readFileSync(INVALID_URL, 'utf8')) as InvalidVector[]
    for (const v of vs) {
      const keys = recordKeys(unhex(v.session_id), unhex(v.k_mac), unhex(v.k_enc))
      assert.equal(errorCode(() => openRecord(keys, unhex(v.frame))), v.error, v.description)
    }
  })
})
