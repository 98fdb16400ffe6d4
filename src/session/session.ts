import { randomBytes } from '../crypto/index.js'
import {
  HARD_LIMIT_FRAMES, HARD_LIMIT_MS, MAX_MSG_AGE_MS, MAX_MSG_FUTURE_MS, MAX_RECORD_DATA, REKEY_AFTER_FRAMES, REKEY_AFTER_MS,
  REPLAY_WINDOW_SIZE, SALT_GRACE_MS, SALT_LENGTH, SALT_ROTATE_MS, SESSION_ID_LENGTH
} from './constants.js'
import {
  InvalidRecordFieldError, MsgTooNewError, MsgTooOldError, RecordTooLargeError, SaltMismatchError, SessionExpiredError,
  SessionStateError
} from './errors.js'
import { MsgIdGenerator, msgIdTimeMs } from './msg-id.js'
import { openRecord, rawRecordKeys, recordKeys, sealRecord, RECORD_KEYS_BYTES, type RecordKeys } from './record.js'
import { ReplayWindow } from './replay-window.js'

export type SessionRole = 'initiator' | 'responder'

/** Who is at the other end. Made by the handshake; only these three fields are persisted by `toState`. */
export interface SessionPeer {
  /** The remote identity's ATT address (identity key); sessions are capped per address. */
  address: string
  rootPublicKey: Uint8Array
  nodePublicKey: Uint8Array
}

/** Direction-separated 32-byte keys from the handshake's key schedule. */
export interface SessionKeys {
  kMacI2R: Uint8Array
  kEncI2R: Uint8Array
  kMacR2I: Uint8Array
  kEncR2I: Uint8Array
}

export interface SessionInit<P extends SessionPeer = SessionPeer> {
  /** 8-byte session id. */
  id: Uint8Array
  role: SessionRole
  remote: P
  keys: SessionKeys
  /** The initial salt, chosen by the responder and carried in the handshake. */
  salt: Uint8Array
  /** Creation time (ms); default Date.now(). */
  now?: number
  /** How long a replaced salt is still accepted; default SALT_GRACE_MS. */
  saltGraceMs?: number
}

export interface SealedFrame { frame: Uint8Array; msgId: bigint; seqNo: number }
export interface OpenedFrame { msgId: bigint; seqNo: number; data: Uint8Array }

const STATE_MAGIC = 0x41545353 // "ATSS"
const STATE_VERSION = 1
const KEY_LENGTH = 32
const REPLAY_BITMAP_BYTES = REPLAY_WINDOW_SIZE >>> 3

function copy (b: Uint8Array): Uint8Array { return Uint8Array.from(b) }
function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
function checkLen (what: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array) || b.length !== n) throw new InvalidRecordFieldError(`${what} must be ${n} bytes`)
}

/**
 * One established ATTNProto session (protocols/attnproto.md Part 4): direction keys, salts, msg_id
 * generator, send counter and the receive replay window. Construct from handshake output.
 */
export class Session<P extends SessionPeer = SessionPeer> {
  readonly id: Uint8Array
  readonly idHex: string
  readonly role: SessionRole
  readonly remote: P
  readonly createdAt: number
  lastActivity: number
  framesSent = 0
  framesReceived = 0
  readonly saltGraceMs: number

  private readonly send: RecordKeys
  private readonly recv: RecordKeys
  private salt: Uint8Array
  private saltSetAt: number
  private prevSalt: Uint8Array | null = null
  private prevSaltUntil = 0
  private msgIds: MsgIdGenerator
  /** Highest msg_id put in a sealed record (explicit msg_ids must exceed it). */
  private lastSealedMsgId = -1n
  private nextSeq = 0
  private replay: ReplayWindow

  constructor (init: SessionInit<P>) {
    checkLen('session id', init.id, SESSION_ID_LENGTH)
    checkLen('salt', init.salt, SALT_LENGTH)
    for (const k of ['kMacI2R', 'kEncI2R', 'kMacR2I', 'kEncR2I'] as const) checkLen(k, init.keys[k], KEY_LENGTH)
    if (init.role !== 'initiator' && init.role !== 'responder') throw new InvalidRecordFieldError('role must be initiator or responder')
    const now = init.now ?? Date.now()
    // id | salt | replay bitmap | HMAC pads of both directions in one allocation: idle sessions
    // are many, and every separate small buffer costs ~100 bytes of heap
    const buf = new ArrayBuffer(SESSION_ID_LENGTH + SALT_LENGTH + REPLAY_BITMAP_BYTES + 2 * RECORD_KEYS_BYTES)
    this.id = new Uint8Array(buf, 0, SESSION_ID_LENGTH)
    this.id.set(init.id)
    // a flat hex string (sessionKey builds a rope, which costs heap on every idle session)
    this.idHex = Buffer.from(this.id.buffer, this.id.byteOffset, this.id.length).toString('hex')
    this.role = init.role
    this.remote = init.remote
    this.createdAt = now
    this.lastActivity = now
    this.saltGraceMs = init.saltGraceMs ?? SALT_GRACE_MS
    if (!Number.isInteger(this.saltGraceMs) || this.saltGraceMs < 0 || this.saltGraceMs > 0xffffffff) {
      throw new InvalidRecordFieldError('saltGraceMs must be an integer in 0..2^32-1')
    }
    if (!Number.isSafeInteger(now) || now < 0) throw new InvalidRecordFieldError('now must be a non-negative integer ms')
    // both directions' HMAC pads in one allocation (idle sessions are many: memory matters)
    const pads = new Uint8Array(buf, SESSION_ID_LENGTH + SALT_LENGTH + REPLAY_BITMAP_BYTES, 2 * RECORD_KEYS_BYTES)
    const i2r: RecordKeys = recordKeys(this.id, init.keys.kMacI2R, init.keys.kEncI2R, pads, 0)
    const r2i: RecordKeys = recordKeys(this.id, init.keys.kMacR2I, init.keys.kEncR2I, pads, RECORD_KEYS_BYTES)
    this.send = init.role === 'initiator' ? i2r : r2i
    this.recv = init.role === 'initiator' ? r2i : i2r
    this.salt = new Uint8Array(buf, SESSION_ID_LENGTH, SALT_LENGTH)
    this.salt.set(init.salt)
    this.saltSetAt = now
    this.msgIds = new MsgIdGenerator()
    this.replay = new ReplayWindow(new Uint32Array(buf, SESSION_ID_LENGTH + SALT_LENGTH, REPLAY_BITMAP_BYTES / 4))
  }

  /** The salt this side puts in outgoing frames (and, for the responder, expects). */
  get currentSalt (): Uint8Array { return copy(this.salt) }
  /** The replaced salt while its grace period lasts, else null. */
  previousSalt (now: number = Date.now()): Uint8Array | null {
    return this.prevSalt !== null && now < this.prevSaltUntil ? copy(this.prevSalt) : null
  }

  /**
   * Allocates the next msg_id of this sender without sealing a record (the RPC layer
   * uses these for messages inside containers). Shares the generator with `seal`.
   */
  nextMsgId (now: number = Date.now()): bigint {
    return this.msgIds.next(now)
  }

  /**
   * Seals `data` into a frame with the next seq_no and the next msg_id — or with `msgId`,
   * which must come from `nextMsgId()` and be greater than every msg_id sealed before
   * (the receiver requires msg_id and seq_no to increase together).
   */
  seal (data: Uint8Array, now: number = Date.now(), msgId?: bigint): SealedFrame {
    if (this.framesSent >= HARD_LIMIT_FRAMES) throw new SessionExpiredError(`${this.framesSent} frames sent`)
    if (now - this.createdAt >= HARD_LIMIT_MS) throw new SessionExpiredError('session too old')
    if (data.length > MAX_RECORD_DATA) throw new RecordTooLargeError(data.length, MAX_RECORD_DATA)
    if (msgId != null && msgId <= this.lastSealedMsgId) {
      throw new InvalidRecordFieldError(`msg_id ${msgId} is not above the last sealed msg_id ${this.lastSealedMsgId}`)
    }
    // An explicit msg_id must have been issued by nextMsgId(): one above the generator would let a
    // later generated msg_id fall below it, which the receiver refuses (ERR_MSG_ID_ORDER).
    if (msgId != null && !(msgId <= (this.msgIds.last ?? -1n))) {
      throw new InvalidRecordFieldError(`msg_id ${msgId} was not issued by nextMsgId()`)
    }
    msgId ??= this.msgIds.next(now)
    this.lastSealedMsgId = msgId
    const seqNo = this.nextSeq++
    const frame = sealRecord(this.send, { salt: this.salt, msgId, seqNo, data })
    this.framesSent++
    this.lastActivity = now
    return { frame, msgId, seqNo }
  }

  /**
   * Opens a frame from the peer: openRecord (authenticity first), then salt (responder only),
   * msg_id time window, replay window; state changes only if every check passes.
   */
  open (frame: Uint8Array, now: number = Date.now()): OpenedFrame {
    const r = openRecord(this.recv, frame)
    const msgId = r.msgId
    // The responder owns the salt; the initiator follows it via NewSalt notices (protocols/attnproto.md Part 4 §6).
    if (this.role === 'responder' && !sameBytes(r.salt, this.salt) &&
        !(this.prevSalt !== null && now < this.prevSaltUntil && sameBytes(r.salt, this.prevSalt))) {
      throw new SaltMismatchError(copy(this.salt), msgId)
    }
    const t = msgIdTimeMs(msgId)
    if (t < now - MAX_MSG_AGE_MS) throw new MsgTooOldError(msgId)
    if (t > now + MAX_MSG_FUTURE_MS) throw new MsgTooNewError(msgId)
    this.replay.check(r.seqNo, msgId)
    this.replay.accept(r.seqNo, msgId)
    this.framesReceived++
    if (now > this.lastActivity) this.lastActivity = now
    return { msgId, seqNo: r.seqNo, data: r.data }
  }

  /** Responder: replace the salt (random if omitted); the old one stays valid for the grace period. */
  rotateSalt (newSalt: Uint8Array = randomBytes(SALT_LENGTH), now: number = Date.now()): Uint8Array {
    checkLen('salt', newSalt, SALT_LENGTH)
    if (!sameBytes(newSalt, this.salt)) {
      this.prevSalt = this.salt
      this.prevSaltUntil = now + this.saltGraceMs
      this.salt = copy(newSalt)
    }
    this.saltSetAt = now
    return copy(this.salt)
  }

  /** Initiator: adopt the salt from a NewSalt notice. */
  acceptNewSalt (salt: Uint8Array, now: number = Date.now()): void {
    this.rotateSalt(salt, now)
  }

  /** Responder: true once the salt is SALT_ROTATE_MS old. */
  needsSaltRotation (now: number = Date.now()): boolean {
    return this.role === 'responder' && now - this.saltSetAt >= SALT_ROTATE_MS
  }

  /** True after REKEY_AFTER_FRAMES frames sent or REKEY_AFTER_MS of age: start a new handshake. */
  needsRekey (now: number = Date.now()): boolean {
    return this.framesSent >= REKEY_AFTER_FRAMES || now - this.createdAt >= REKEY_AFTER_MS
  }

  /** True if nothing was sent or received for `idleMs`. */
  /** True once `seal` refuses: 2^26 frames sent or 48 h old. */
  isPastHardLimit (now: number = Date.now()): boolean {
    return this.framesSent >= HARD_LIMIT_FRAMES || now - this.createdAt >= HARD_LIMIT_MS
  }

    isIdle (now: number, idleMs: number): boolean {
    return now - this.lastActivity >= idleMs
  }

  /** Local, versioned serialisation of the whole session (keys included: store it encrypted). */
  toState (): Uint8Array {
    const w = new StateWriter()
    w.u32(STATE_MAGIC); w.u8(STATE_VERSION); w.u8(this.role === 'initiator' ? 0 : 1)
    w.bytes(this.id)
    const i2r = this.role === 'initiator' ? this.send : this.recv
    const r2i = this.role === 'initiator' ? this.recv : this.send
    const ki = rawRecordKeys(i2r)
    const kr = rawRecordKeys(r2i)
    w.bytes(ki.kMac); w.bytes(ki.kEnc); w.bytes(kr.kMac); w.bytes(kr.kEnc)
    w.u64(this.createdAt); w.u64(this.lastActivity); w.u64(this.framesSent); w.u64(this.framesReceived)
    w.u32(this.saltGraceMs)
    w.bytes(this.salt); w.u64(this.saltSetAt)
    w.u8(this.prevSalt === null ? 0 : 1); w.bytes(this.prevSalt ?? new Uint8Array(SALT_LENGTH)); w.u64(this.prevSaltUntil)
    const last = this.msgIds.last
    w.u8(last === undefined ? 0 : 1); w.big(last ?? 0n)
    w.u64(this.nextSeq)
    w.u8(this.replay.top < 0 ? 0 : 1); w.u32(Math.max(this.replay.top, 0)); w.big(this.replay.topMsgId); w.bytes(this.replay.bitmapBytes())
    w.str(this.remote.address); w.vbytes(this.remote.rootPublicKey); w.vbytes(this.remote.nodePublicKey)
    return w.finish()
  }

  /** Restores `toState()` output; any malformed input throws SessionStateError (ERR_BAD_SESSION_STATE). */
  static fromState (state: Uint8Array): Session<SessionPeer> {
    if (!(state instanceof Uint8Array)) throw new SessionStateError('not a byte array')
    const r = new StateReader(state)
    if (r.u32() !== STATE_MAGIC) throw new SessionStateError('bad magic')
    const version = r.u8()
    if (version !== STATE_VERSION) throw new SessionStateError(`unsupported version ${version}`)
    const roleByte = r.u8()
    if (roleByte > 1) throw new SessionStateError('bad role')
    const id = r.bytes(SESSION_ID_LENGTH)
    const keys: SessionKeys = { kMacI2R: r.bytes(32), kEncI2R: r.bytes(32), kMacR2I: r.bytes(32), kEncR2I: r.bytes(32) }
    const createdAt = r.u64(); const lastActivity = r.u64(); const framesSent = r.u64(); const framesReceived = r.u64()
    const saltGraceMs = r.u32()
    const salt = r.bytes(SALT_LENGTH); const saltSetAt = r.u64()
    const hasPrev = r.flag(); const prevSalt = r.bytes(SALT_LENGTH); const prevSaltUntil = r.u64()
    const hasLast = r.flag(); const last = r.big()
    const nextSeq = r.u64()
    const hasTop = r.flag(); const top = r.u32(); const topMsgId = r.big(); const bitmap = r.bytes(REPLAY_WINDOW_SIZE >>> 3)
    const address = r.str(); const rootPublicKey = r.vbytes(); const nodePublicKey = r.vbytes()
    r.end()
    if (nextSeq > 0x100000000) throw new SessionStateError('seq_no counter out of range')
    if (!hasTop && (top !== 0 || topMsgId !== 0n)) throw new SessionStateError('replay window fields set without a top')
    if (!hasLast && last !== 0n) throw new SessionStateError('msg_id set without flag')
    let s: Session<SessionPeer>
    try {
      s = new Session<SessionPeer>({
        id, role: roleByte === 0 ? 'initiator' : 'responder', remote: { address, rootPublicKey, nodePublicKey }, keys, salt, now: createdAt, saltGraceMs
      })
    } catch (e) {
      throw new SessionStateError(e instanceof Error ? e.message : 'invalid fields')
    }
    s.lastActivity = lastActivity
    s.framesSent = framesSent
    s.framesReceived = framesReceived
    s.saltSetAt = saltSetAt
    s.prevSalt = hasPrev ? prevSalt : null
    s.prevSaltUntil = prevSaltUntil
    s.msgIds = new MsgIdGenerator(hasLast ? last : undefined)
    s.lastSealedMsgId = hasLast ? last : -1n
    s.nextSeq = nextSeq
    s.replay = ReplayWindow.restore(hasTop ? top : -1, topMsgId, bitmap)
    return s
  }
}

class StateWriter {
  private buf = Buffer.alloc(512)
  private n = 0
  private room (k: number): void {
    if (this.n + k > this.buf.length) {
      const b = Buffer.alloc(Math.max(this.buf.length * 2, this.n + k))
      this.buf.copy(b, 0, 0, this.n)
      this.buf = b
    }
  }

  u8 (v: number): void { this.room(1); this.buf.writeUInt8(v, this.n); this.n += 1 }
  u16 (v: number): void { this.room(2); this.buf.writeUInt16BE(v, this.n); this.n += 2 }
  u32 (v: number): void { this.room(4); this.buf.writeUInt32BE(v, this.n); this.n += 4 }
  u64 (v: number): void { this.big(BigInt(v)) }
  big (v: bigint): void { this.room(8); this.buf.writeBigUInt64BE(v, this.n); this.n += 8 }
  bytes (b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.n); this.n += b.length }
  vbytes (b: Uint8Array): void {
    if (b.length > 0xffff) throw new SessionStateError('field too long')
    this.u16(b.length); this.bytes(b)
  }

  str (s: string): void { this.vbytes(new TextEncoder().encode(s)) }
  finish (): Uint8Array { return Uint8Array.from(this.buf.subarray(0, this.n)) }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

class StateReader {
  private pos = 0
  private readonly dv: DataView
  constructor (private readonly b: Uint8Array) { this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength) }
  private need (k: number): number {
    if (this.pos + k > this.b.length) throw new SessionStateError('truncated')
    const p = this.pos
    this.pos += k
    return p
  }

  u8 (): number { return this.dv.getUint8(this.need(1)) }
  flag (): boolean {
    const v = this.u8()
    if (v > 1) throw new SessionStateError('bad flag byte')
    return v === 1
  }

  u16 (): number { return this.dv.getUint16(this.need(2)) }
  u32 (): number { return this.dv.getUint32(this.need(4)) }
  big (): bigint { return this.dv.getBigUint64(this.need(8)) }
  u64 (): number {
    const v = this.big()
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new SessionStateError('integer out of range')
    return Number(v)
  }

  bytes (k: number): Uint8Array { const p = this.need(k); return this.b.slice(p, p + k) }
  vbytes (): Uint8Array { return this.bytes(this.u16()) }
  str (): string {
    try { return utf8.decode(this.vbytes()) } catch (e) {
      if (e instanceof SessionStateError) throw e
      throw new SessionStateError('invalid utf-8')
    }
  }

  end (): void { if (this.pos !== this.b.length) throw new SessionStateError('trailing bytes') }
}
