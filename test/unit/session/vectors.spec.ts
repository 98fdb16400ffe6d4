/**
 * Record-layer test vectors (protocols/vectors/record.json, record-invalid.json, session-checks.json).
 * Generated deterministically from fixed labels; this test regenerates them and compares byte
 * for byte with the committed files and recomputes every vector with the production code.
 * Regenerate after an intentional change:
 * `ATTN_WRITE_VECTORS=1 npx mocha --no-config dist/test/unit/session/vectors.spec.js`.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { AttnError } from '../../../src/errors.js'
import { openRecord, recordDerivation, recordKeys, recordPlaintext, sealPlaintext, sealRecord } from '../../../src/session/record.js'
import { Session } from '../../../src/session/session.js'
import type { SessionRole } from '../../../src/session/session.js'

const VALID_URL = new URL('../../../../protocols/vectors/record.json', import.meta.url)
const INVALID_URL = new URL('../../../../protocols/vectors/record-invalid.json', import.meta.url)
const CHECKS_URL = new URL('../../../../protocols/vectors/session-checks.json', import.meta.url)

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

const VALID_DESCRIPTION = 'ATTNProto sealed records (protocols/attnproto.md Part 4 §2–§3), one direction of one session: ' +
  'plaintext = salt | msg_id | seq_no | data_len | data | padding; msg_key = HMAC-SHA256(k_mac, session_id | plaintext)[0..16]; ' +
  'aes_key | iv = HMAC-SHA512(k_enc, msg_key)[0..48]; frame = session_id | msg_key | AES-256-CTR(aes_key, iv, plaintext). ' +
  'msg_id (u64) is a decimal string.'
const INVALID_DESCRIPTION = 'ATTNProto frames that openRecord refuses (protocols/attnproto.md Part 4 §5 checks 1–7), with the code of the first failing check. ' +
  'Checks 8–11 need session state: session-checks.json.'

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

// ---- session-checks.json: receiver checks 8–11 (salt, msg_id time window, replay window) ----

type CheckStep =
  | { description: string, op: 'open', now_ms: number, salt: string, msg_id: string, seq_no: number, frame: string, error: string }
  | { description: string, op: 'rotate_salt', now_ms: number, salt: string }
interface CheckSequence {
  description: string
  role: SessionRole
  session_id: string
  k_mac_i2r: string; k_enc_i2r: string; k_mac_r2i: string; k_enc_r2i: string
  salt: string
  created_at_ms: number
  steps: CheckStep[]
}

/** 2026-01-01T00:00:00Z in ms: the receiver's clock in the check sequences. */
const T = 1_767_225_600_000
const mid = (timeMs: number, counter = 0): bigint => (BigInt(timeMs) << 16n) | BigInt(counter)

/**
 * Runs a sequence on a production Session and returns each step's outcome ("OK" or the code), so the
 * generator records what the code does and the check below compares it with the committed file.
 */
function runSequence (seq: Omit<CheckSequence, 'steps'>, steps: Array<CheckStep | Omit<Extract<CheckStep, { op: 'open' }>, 'error' | 'frame'>>): CheckStep[] {
  const keys = { kMacI2R: unhex(seq.k_mac_i2r), kEncI2R: unhex(seq.k_enc_i2r), kMacR2I: unhex(seq.k_mac_r2i), kEncR2I: unhex(seq.k_enc_r2i) }
  const remote = { address: 'peer', rootPublicKey: new Uint8Array(33), nodePublicKey: new Uint8Array(33) }
  const session = new Session({ id: unhex(seq.session_id), role: seq.role, remote, keys, salt: unhex(seq.salt), now: seq.created_at_ms })
  // frames come from the other side: the initiator's sending keys when this side is the responder
  const senderKeys = seq.role === 'responder'
    ? recordKeys(unhex(seq.session_id), keys.kMacI2R, keys.kEncI2R)
    : recordKeys(unhex(seq.session_id), keys.kMacR2I, keys.kEncR2I)
  return steps.map(step => {
    if (step.op === 'rotate_salt') {
      session.rotateSalt(unhex(step.salt), step.now_ms)
      return step
    }
    const frame = 'frame' in step
      ? unhex(step.frame)
      : sealRecord(senderKeys, { salt: unhex(step.salt), msgId: BigInt(step.msg_id), seqNo: step.seq_no, data: det(`check/${step.seq_no}/${step.msg_id}`, 16) }, { padding: det(`check/pad/${step.seq_no}`, 24) })
    return { ...step, frame: hex(frame), error: errorCode(() => session.open(frame, step.now_ms)) }
  })
}

export function generateChecks (): unknown {
  const base = {
    session_id: hex(SID),
    k_mac_i2r: hex(K_MAC), k_enc_i2r: hex(K_ENC), k_mac_r2i: hex(det('k_mac_r2i', 32)), k_enc_r2i: hex(det('k_enc_r2i', 32)),
    created_at_ms: T
  }
  const S0 = hex(det('check/salt0', 8))
  const S1 = hex(det('check/salt1', 8))
  const BAD = hex(det('check/unknown-salt', 8))
  const open = (description: string, nowMs: number, salt: string, msgId: bigint, seqNo: number): Omit<Extract<CheckStep, { op: 'open' }>, 'error' | 'frame'> =>
    ({ description, op: 'open', now_ms: nowMs, salt, msg_id: msgId.toString(), seq_no: seqNo })
  const responder = { ...base, description: 'responder: checks 8 (salt, with grace), 9–10 (msg_id time window) and 11 (replay window), in order', role: 'responder' as const, salt: S0 }
  const initiator = { ...base, description: 'initiator: does not check the salt of responder frames', role: 'initiator' as const, salt: S0 }
  return {
    description: 'ATTNProto receiver checks after authentication (protocols/attnproto.md Part 4 §5 checks 8–11, §6 salt, §7 replay window). ' +
      'For each sequence create a session with the listed role, keys, salt and creation time; then apply the steps in order on that one session: ' +
      '`open`: the peer\'s `frame` (sealed with the peer\'s sending keys from `salt`, `msg_id`, `seq_no`) is opened at the receiver clock `now_ms` ' +
      'and must give `error` ("OK" or the error code; a refused frame changes no state); `rotate_salt`: the responder replaces its salt at `now_ms` ' +
      '(the replaced salt stays acceptable while now_ms < rotation + SALT_GRACE_MS = 300000).',
    salt_grace_ms: 300_000,
    max_msg_age_ms: 300_000,
    max_msg_future_ms: 30_000,
    replay_window: 1024,
    sequences: [
      {
        ...responder,
        steps: runSequence(responder, [
          open('msg_id time exactly now − 300000 ms: accepted (check 9 boundary)', T, S0, mid(T - 300_000), 0),
          open('msg_id time now − 300001 ms → ERR_MSG_TOO_OLD', T, S0, mid(T - 300_001), 1),
          open('msg_id time exactly now + 30000 ms: accepted (check 10 boundary)', T, S0, mid(T + 30_000), 1),
          open('msg_id time now + 30001 ms → ERR_MSG_TOO_NEW', T, S0, mid(T + 30_001), 2),
          open('the same frame again (seq_no 1) → ERR_REPLAY', T, S0, mid(T + 30_000), 1),
          open('seq_no 5 after 1 (a gap): accepted', T, S0, mid(T + 30_000, 5), 5),
          open('seq_no 3 (out of order, inside the window, lower msg_id): accepted', T, S0, mid(T + 30_000, 3), 3),
          open('seq_no 4 with a msg_id above the newest frame\'s → ERR_MSG_ID_ORDER', T, S0, mid(T + 30_000, 9), 4),
          open('seq_no 1030: accepted, the window now covers seq_nos 7..1030', T, S0, mid(T + 30_000, 1030), 1030),
          open('seq_no 4 (≤ 1030 − 1024) → ERR_REPLAY_TOO_OLD', T, S0, mid(T + 30_000, 4), 4),
          open('seq_no 7 (the lowest seq_no in the window, unseen): accepted', T, S0, mid(T + 30_000, 7), 7),
          open('an unknown salt → ERR_BAD_SALT (check 8)', T, BAD, mid(T + 30_000, 1031), 1031),
          open('an unknown salt and a too old msg_id → ERR_BAD_SALT (check 8 comes before check 9)', T, BAD, mid(T - 400_000), 1031),
          { description: 'the responder rotates its salt to salt1 at T', op: 'rotate_salt', now_ms: T, salt: S1 },
          open('the replaced salt at T + 299999 ms (inside the grace period): accepted', T + 299_999, S0, mid(T + 30_000, 1031), 1031),
          open('the replaced salt at T + 300000 ms (grace over) → ERR_BAD_SALT', T + 300_000, S0, mid(T + 30_000, 1032), 1032),
          open('the new salt at T + 300000 ms: accepted', T + 300_000, S1, mid(T + 30_000, 1032), 1032)
        ])
      },
      {
        ...initiator,
        steps: runSequence(initiator, [
          open('a responder frame with a salt the initiator never saw: accepted (the initiator learns salts only from NewSalt)', T, BAD, mid(T), 0)
        ])
      }
    ]
  }
}

function errorCode (fn: () => unknown): string {
  try { fn() } catch (e) {
    assert.ok(e instanceof AttnError, String(e))
    return e.code
  }
  return 'OK'
}

describe('session/vectors (protocols/vectors/record*.json)', () => {
  const validJson = JSON.stringify({ description: VALID_DESCRIPTION, vectors: generateValid() }, null, 2) + '\n'
  const invalidJson = JSON.stringify({ description: INVALID_DESCRIPTION, vectors: generateInvalid() }, null, 2) + '\n'
  const checksJson = JSON.stringify(generateChecks(), null, 2) + '\n'
  if (process.env.ATTN_WRITE_VECTORS === '1') {
    writeFileSync(VALID_URL, validJson)
    writeFileSync(INVALID_URL, invalidJson)
    writeFileSync(CHECKS_URL, checksJson)
  }

  it('committed files equal the deterministic generator output', () => {
    assert.equal(readFileSync(VALID_URL, 'utf8'), validJson)
    assert.equal(readFileSync(INVALID_URL, 'utf8'), invalidJson)
    assert.equal(readFileSync(CHECKS_URL, 'utf8'), checksJson)
  })

  it('session-checks.json: every step of every sequence gives its stated result on a production Session', () => {
    const v = JSON.parse(readFileSync(CHECKS_URL, 'utf8')) as { sequences: CheckSequence[] }
    const results = v.sequences.map(seq => runSequence(seq, seq.steps).map(s => 'error' in s ? s.error : s.op))
    assert.deepEqual(results, v.sequences.map(seq => seq.steps.map(s => 'error' in s ? s.error : s.op)))
    // the outcomes the spec states (not only "what the code does")
    assert.deepEqual(results[0], [
      'OK', 'ERR_MSG_TOO_OLD', 'OK', 'ERR_MSG_TOO_NEW', 'ERR_REPLAY', 'OK', 'OK', 'ERR_MSG_ID_ORDER', 'OK', 'ERR_REPLAY_TOO_OLD', 'OK',
      'ERR_BAD_SALT', 'ERR_BAD_SALT', 'rotate_salt', 'OK', 'ERR_BAD_SALT', 'OK'
    ])
    assert.deepEqual(results[1], ['OK'])
  })

  it('every valid vector is reproduced and opened by the production code', () => {
    const vs = (JSON.parse(readFileSync(VALID_URL, 'utf8')) as { vectors: ValidVector[] }).vectors
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
    const vs = (JSON.parse(readFileSync(INVALID_URL, 'utf8')) as { vectors: InvalidVector[] }).vectors
    for (const v of vs) {
      const keys = recordKeys(unhex(v.session_id), unhex(v.k_mac), unhex(v.k_enc))
      assert.equal(errorCode(() => openRecord(keys, unhex(v.frame))), v.error, v.description)
    }
  })
})
