import { createCipheriv, createDecipheriv, createHash, createSecretKey, hash, timingSafeEqual } from 'node:crypto'
import { pooledRandomInt, pooledRandomInto } from '../crypto/index.js'
import {
  FRAME_HEADER_LENGTH, MAX_FRAME, MAX_PADDING, MAX_RECORD_DATA, MIN_FRAME, MIN_PADDING, MSG_KEY_LENGTH,
  PADDING_STEPS, PLAINTEXT_HEADER_LENGTH, RECORD_ALIGN, SALT_LENGTH, SESSION_ID_LENGTH
} from './constants.js'
import {
  BadDataLengthError, BadMsgKeyError, BadPaddingError, FrameMisalignedError, FrameTooLargeError, FrameTooShortError,
  InvalidRecordFieldError, RecordTooLargeError, SessionIdMismatchError
} from './errors.js'

/**
 * Keys of one direction of one session, kept as HMAC pads in `pads` at offset `off`:
 * (k_mac ⊕ ipad64) | (k_mac ⊕ opad64) (128 bytes), then the same for k_enc with SHA-512's
 * 128-byte block (256 bytes). HMAC is computed from the pads with one-shot hashes (see below), so
 * no KeyObject or per-key cache is kept, and both directions of a session can share one buffer:
 * an idle session costs these bytes and little else. Build with `recordKeys()`.
 */
export interface RecordKeys {
  sessionId: Uint8Array
  pads: Uint8Array
  off: number
}

/** The authenticated fields of a record. */
export interface RecordFields {
  salt: Uint8Array
  msgId: bigint
  seqNo: number
  data: Uint8Array
}

export interface SealOptions {
  /** Exact padding bytes (test vectors only): 12..1024 bytes making the plaintext a multiple of 16. */
  padding?: Uint8Array
}

const U64_MAX = (1n << 64n) - 1n

/** Smallest allowed padding length for `dataLen` bytes of data: ≥ 12 and total ≡ 0 (mod 16). */
export function minPaddingLength (dataLen: number): number {
  const r = (PLAINTEXT_HEADER_LENGTH + dataLen + MIN_PADDING) % RECORD_ALIGN
  return MIN_PADDING + (r === 0 ? 0 : RECORD_ALIGN - r)
}

/**
 * The sender's padding length rule (protocols/attnproto.md Part 4 §2): p0 = minPaddingLength(dataLen), then
 * p0 + 16k with k uniform in 0..PADDING_STEPS-1 (12..75 bytes). Receivers accept anything in
 * 12..1024; the sender keeps it small because padding is hashed and encrypted like data
 * (uniform over the whole range would add ~500 bytes, +50 % crypto work, to a 1 KiB record).
 */
export function choosePaddingLength (dataLen: number): number {
  const p0 = minPaddingLength(dataLen)
  return p0 + RECORD_ALIGN * pooledRandomInt(PADDING_STEPS)
}

function checkFields (keys: RecordKeys, f: RecordFields): void {
  if (keys.sessionId.length !== SESSION_ID_LENGTH) throw new InvalidRecordFieldError(`session id must be ${SESSION_ID_LENGTH} bytes`)
  if (f.salt.length !== SALT_LENGTH) throw new InvalidRecordFieldError(`salt must be ${SALT_LENGTH} bytes`)
  if (typeof f.msgId !== 'bigint' || f.msgId < 0n || f.msgId > U64_MAX) throw new InvalidRecordFieldError('msg_id must be a uint64 bigint')
  if (!Number.isInteger(f.seqNo) || f.seqNo < 0 || f.seqNo > 0xffffffff) throw new InvalidRecordFieldError('seq_no must be a uint32')
  if (f.data.length > MAX_RECORD_DATA) throw new RecordTooLargeError(f.data.length, MAX_RECORD_DATA)
}

function paddingLength (dataLen: number, padding: Uint8Array | undefined): number {
  if (padding == null) return choosePaddingLength(dataLen)
  const padLen = padding.length
  if (padLen < MIN_PADDING || padLen > MAX_PADDING || (PLAINTEXT_HEADER_LENGTH + dataLen + padLen) % RECORD_ALIGN !== 0) {
    throw new InvalidRecordFieldError(`padding of ${padLen} bytes not allowed for ${dataLen} bytes of data`)
  }
  return padLen
}

/** Writes salt | msg_id | seq_no | data_len | data | padding into `out` at `off`. */
function writePlaintext (out: Buffer, off: number, f: RecordFields, padLen: number, padding: Uint8Array | undefined): void {
  const dataLen = f.data.length
  out.set(f.salt, off)
  new DataView(out.buffer, out.byteOffset + off + 8, 8).setBigUint64(0, f.msgId)
  out.writeUInt32BE(f.seqNo, off + 16)
  out.writeUInt32BE(dataLen, off + 20)
  out.set(f.data, off + PLAINTEXT_HEADER_LENGTH)
  const padOff = off + PLAINTEXT_HEADER_LENGTH + dataLen
  if (padding != null) out.set(padding, padOff)
  else pooledRandomInto(out, padOff, padLen)
}

// ---- fast HMAC (hot path) ----
// createHmac() costs ~3 µs of fixed overhead per call on Node 24 (~10 µs more with a Buffer key);
// HMAC computed as two one-shot crypto.hash() calls over precomputed (key ⊕ ipad) / (key ⊕ opad)
// blocks costs ~2.3 µs. The pads are derived once per session direction (recordKeys), and the
// inputs are assembled in module-level scratch buffers (JS is single-threaded: no reentrancy).

/** Writes (key ⊕ 0x36…) | (key ⊕ 0x5c…) for a block of `block` bytes into `out`. Keys are 32 bytes (< block). */
function writePads (key: Uint8Array, block: number, out: Uint8Array): void {
  for (let i = 0; i < block; i++) {
    const k = i < key.length ? key[i] : 0
    out[i] = k ^ 0x36
    out[block + i] = k ^ 0x5c
  }
}

/** The 32-byte key a pad block was made from (for persistence and tests). */
export function keyFromPads (pads: Uint8Array): Uint8Array {
  const key = new Uint8Array(32)
  for (let i = 0; i < 32; i++) key[i] = pads[i] ^ 0x36
  return key
}

/** [ipad(64) | session_id(8) | plaintext …]: the HMAC-SHA256 inner input; plaintext lives at SCRATCH_PT. */
const SCRATCH_PT = 64 + SESSION_ID_LENGTH
let scratch = Buffer.allocUnsafe(SCRATCH_PT + 4096)
const outer256 = Buffer.allocUnsafe(64 + 32)
const inner512 = Buffer.allocUnsafe(128 + MSG_KEY_LENGTH)
const outer512 = Buffer.allocUnsafe(128 + 64)

function scratchFor (ptLen: number): Buffer {
  if (scratch.length < SCRATCH_PT + ptLen) scratch = Buffer.allocUnsafe(SCRATCH_PT + Math.max(ptLen, scratch.length * 2))
  return scratch
}

/** HMAC-SHA256(k_mac, session_id | plaintext) where the plaintext is already at scratch[SCRATCH_PT…]. Full 32 bytes. */
function macScratch (keys: RecordKeys, s: Buffer, ptLen: number): Buffer {
  const p = keys.pads
  const o = keys.off
  s.set(p.subarray(o, o + 64), 0)
  s.set(keys.sessionId, 64)
  outer256.set(p.subarray(o + 64, o + 128), 0)
  outer256.set(hash('sha256', s.subarray(0, SCRATCH_PT + ptLen), 'buffer'), 64)
  return hash('sha256', outer256, 'buffer')
}

/** Above this, opening hashes the plaintext where it is rather than copying it behind the pad (a copy costs more than a Hash object). */
const STREAM_MAC_ABOVE = 16 * 1024

/** msg_key = HMAC-SHA256(k_mac, session_id | plaintext)[0..16] (full 32-byte digest returned; use the first 16). */
function macDigest (keys: RecordKeys, plaintext: Uint8Array): Buffer {
  if (plaintext.length > STREAM_MAC_ABOVE) {
    const p = keys.pads
    const o = keys.off
    outer256.set(p.subarray(o + 64, o + 128), 0)
    outer256.set(createHash('sha256').update(p.subarray(o, o + 64)).update(keys.sessionId).update(plaintext).digest(), 64)
    return hash('sha256', outer256, 'buffer')
  }
  const s = scratchFor(plaintext.length)
  s.set(plaintext, SCRATCH_PT)
  return macScratch(keys, s, plaintext.length)
}

/** kdf = HMAC-SHA512(k_enc, msg_key); aes_key = kdf[0..32], iv = kdf[32..48]. */
function kdf (keys: RecordKeys, msgKey: Uint8Array): Buffer {
  const p = keys.pads
  const o = keys.off + 128
  inner512.set(p.subarray(o, o + 128), 0)
  inner512.set(msgKey, 128)
  outer512.set(p.subarray(o + 128, o + 256), 0)
  outer512.set(hash('sha512', inner512, 'buffer'), 128)
  return hash('sha512', outer512, 'buffer')
}

/** AES-256-CTR decipher under aes_key = kdf[0..32], iv = kdf[32..48] (sealing runs its own, see sealScratch). */
function ctrDecipher (kdfOut: Buffer): ReturnType<typeof createDecipheriv> {
  return createDecipheriv('aes-256-ctr', createSecretKey(kdfOut.subarray(0, 32)), kdfOut.subarray(32, 48))
}

function view (b: Buffer, off = 0, len = b.length - off): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + off, len)
}

/** Encrypts a complete plaintext (already laid out) into a frame. Used by vector tooling. */
export function sealPlaintext (keys: RecordKeys, plaintext: Uint8Array): Uint8Array {
  const s = scratchFor(plaintext.length)
  s.set(plaintext, SCRATCH_PT)
  return sealScratch(keys, s, plaintext.length)
}

/** Bytes encrypted ahead of the plaintext in sealScratch: whole AES blocks covering the 24-byte frame header. */
const CTR_LEAD_BLOCKS = 2
const CTR_LEAD = CTR_LEAD_BLOCKS * 16
const ivScratch = Buffer.allocUnsafe(16)

/**
 * Seals the plaintext at scratch[SCRATCH_PT…] into a new frame, with one allocation: the cipher's
 * own output. AES-CTR is a stream cipher, so encrypting the 32 scratch bytes before the plaintext
 * too, under iv − 2 (the counter runs over them first), gives output[32…] = the ciphertext the spec
 * defines (counter iv on the first plaintext block); the 24 header bytes are then written over
 * output[8..32] and output[0..8] zeroed, and the frame is the view output[8…]. No byte on the wire
 * changes; what it saves is a frame buffer and a copy of the ciphertext per record.
 */
function sealScratch (keys: RecordKeys, s: Buffer, ptLen: number): Uint8Array {
  const mac = macScratch(keys, s, ptLen)
  const msgKey = mac.subarray(0, MSG_KEY_LENGTH)
  const k = kdf(keys, msgKey)
  ivMinus(k, 32, CTR_LEAD_BLOCKS, ivScratch)
  const out: Buffer = createCipheriv('aes-256-ctr', createSecretKey(k.subarray(0, 32)), ivScratch)
    .update(s.subarray(SCRATCH_PT - CTR_LEAD, SCRATCH_PT + ptLen))
  const lead = CTR_LEAD - FRAME_HEADER_LENGTH
  out.fill(0, 0, lead)
  out.set(keys.sessionId, lead)
  out.set(msgKey, lead + SESSION_ID_LENGTH)
  return view(out, lead)
}

/**
 * out = (the 128-bit big-endian counter at src[off..off+16]) − n, mod 2^128: the counter block
 * n blocks before it (OpenSSL's CTR mode increments all 128 bits, as attnproto.md Part 4 specifies).
 */
export function ivMinus (src: Uint8Array, off: number, n: number, out: Uint8Array): void {
  let borrow = n
  for (let i = 15; i >= 0; i--) {
    const v = src[off + i] - borrow
    out[i] = v & 0xff
    borrow = v < 0 ? 1 : 0
  }
}

/**
 * Seals one record: frame = session_id | msg_key | AES-256-CTR(aes_key, iv, plaintext)
 * (protocols/attnproto.md Part 4). Padding is random (p0 + 16k, k uniform in 0..PADDING_STEPS-1; bytes from the pool).
 */
export function sealRecord (keys: RecordKeys, fields: RecordFields, opts?: SealOptions): Uint8Array {
  checkFields(keys, fields)
  const padding = opts?.padding
  const padLen = paddingLength(fields.data.length, padding)
  const ptLen = PLAINTEXT_HEADER_LENGTH + fields.data.length + padLen
  // The plaintext is laid out once, right behind the HMAC inner pad in the scratch buffer.
  const s = scratchFor(ptLen)
  writePlaintext(s, SCRATCH_PT, fields, padLen, padding)
  return sealScratch(keys, s, ptLen)
}

/** Builds the plaintext bytes of a record (for vectors / tooling). */
export function recordPlaintext (fields: RecordFields, padding: Uint8Array): Uint8Array {
  if (fields.salt.length !== SALT_LENGTH) throw new InvalidRecordFieldError(`salt must be ${SALT_LENGTH} bytes`)
  const padLen = paddingLength(fields.data.length, padding)
  const buf = Buffer.allocUnsafe(PLAINTEXT_HEADER_LENGTH + fields.data.length + padLen)
  writePlaintext(buf, 0, fields, padLen, padding)
  return view(buf)
}

/** The intermediate values of the construction for a plaintext (for vectors / tooling). */
export function recordDerivation (keys: RecordKeys, plaintext: Uint8Array): { msgKey: Uint8Array; aesKey: Uint8Array; iv: Uint8Array } {
  const msgKey = new Uint8Array(macDigest(keys, plaintext).subarray(0, MSG_KEY_LENGTH))
  const k = kdf(keys, msgKey)
  return { msgKey, aesKey: new Uint8Array(k.subarray(0, 32)), iv: new Uint8Array(k.subarray(32, 48)) }
}

/**
 * Opens a frame. Checks, in order (each its own error): length bounds and alignment → session id →
 * decrypt → msg_key recomputed and compared in constant time → data_len → padding bounds.
 * Nothing inside the plaintext is interpreted before the msg_key check.
 * Returned `salt` and `data` are views into one freshly decrypted buffer.
 */
export function openRecord (keys: RecordKeys, frame: Uint8Array): RecordFields {
  const n = frame.length
  if (n < MIN_FRAME) throw new FrameTooShortError(n, MIN_FRAME)
  if (n > MAX_FRAME) throw new FrameTooLargeError(n, MAX_FRAME)
  if ((n - FRAME_HEADER_LENGTH) % RECORD_ALIGN !== 0) throw new FrameMisalignedError(n - FRAME_HEADER_LENGTH)
  const sid = keys.sessionId
  // Session ids are public routing labels: an ordinary comparison is fine.
  for (let i = 0; i < SESSION_ID_LENGTH; i++) {
    if (frame[i] !== sid[i]) throw new SessionIdMismatchError()
  }
  const msgKey = frame.subarray(SESSION_ID_LENGTH, FRAME_HEADER_LENGTH)
  const pt = ctrDecipher(kdf(keys, msgKey)).update(frame.subarray(FRAME_HEADER_LENGTH))
  const mac = macDigest(keys, pt)
  if (!timingSafeEqual(mac.subarray(0, MSG_KEY_LENGTH), msgKey)) throw new BadMsgKeyError()
  const ptLen = pt.length
  const dataLen = pt.readUInt32BE(20)
  const room = ptLen - PLAINTEXT_HEADER_LENGTH
  if (dataLen > room || dataLen > MAX_RECORD_DATA) throw new BadDataLengthError(dataLen, Math.min(room, MAX_RECORD_DATA))
  const padLen = room - dataLen
  if (padLen < MIN_PADDING || padLen > MAX_PADDING) throw new BadPaddingError(padLen)
  return {
    salt: view(pt, 0, SALT_LENGTH),
    msgId: pt.readBigUInt64BE(8),
    seqNo: pt.readUInt32BE(16),
    data: view(pt, PLAINTEXT_HEADER_LENGTH, dataLen)
  }
}

/**
 * Builds the RecordKeys of one direction from its 32-byte keys, writing the pads into `pads` at
 * `off` (a fresh 384-byte buffer by default; a session passes one buffer for both directions).
 */
export function recordKeys (sessionId: Uint8Array, kMac: Uint8Array, kEnc: Uint8Array, pads: Uint8Array = new Uint8Array(RECORD_KEYS_BYTES), off = 0): RecordKeys {
  if (sessionId.length !== SESSION_ID_LENGTH) throw new InvalidRecordFieldError(`session id must be ${SESSION_ID_LENGTH} bytes`)
  if (kMac.length !== 32 || kEnc.length !== 32) throw new InvalidRecordFieldError('record keys must be 32 bytes')
  if (off < 0 || pads.length < off + RECORD_KEYS_BYTES) throw new InvalidRecordFieldError(`record key buffer needs ${RECORD_KEYS_BYTES} bytes at offset ${off}`)
  writePads(kMac, 64, pads.subarray(off, off + 128))
  writePads(kEnc, 128, pads.subarray(off + 128, off + RECORD_KEYS_BYTES))
  return { sessionId, pads, off }
}

/** The two 32-byte keys of a direction (for persistence and tests). */
export function rawRecordKeys (keys: RecordKeys): { kMac: Uint8Array, kEnc: Uint8Array } {
  return { kMac: keyFromPads(keys.pads.subarray(keys.off)), kEnc: keyFromPads(keys.pads.subarray(keys.off + 128)) }
}

/** Bytes of pads per direction: 128 (HMAC-SHA256) + 256 (HMAC-SHA512). */
export const RECORD_KEYS_BYTES = 384
