import { AttnError } from '../errors.js'

// ---- record layer (openRecord), in receiver check order ----

/** Frame shorter than MIN_FRAME. */
export class FrameTooShortError extends AttnError {
  constructor (length: number, min: number) { super(`frame of ${length} bytes is shorter than the minimum ${min}`, 'ERR_FRAME_TOO_SHORT') }
}
/** Frame longer than MAX_FRAME. */
export class FrameTooLargeError extends AttnError {
  constructor (length: number, max: number) { super(`frame of ${length} bytes exceeds the maximum ${max}`, 'ERR_FRAME_TOO_LARGE') }
}
/** Ciphertext length is not a multiple of 16. */
export class FrameMisalignedError extends AttnError {
  constructor (length: number) { super(`frame ciphertext of ${length} bytes is not a multiple of 16`, 'ERR_FRAME_MISALIGNED') }
}
/** The frame's session id is not this session's. */
export class SessionIdMismatchError extends AttnError {
  constructor () { super('frame session id does not match the session', 'ERR_SESSION_ID_MISMATCH') }
}
/** Recomputed msg_key differs: frame forged, corrupted, or sealed with other keys. */
export class BadMsgKeyError extends AttnError {
  constructor () { super('msg_key mismatch: frame not authentic under this session and direction', 'ERR_BAD_MSG_KEY') }
}
/** Authentic plaintext whose data_len exceeds the plaintext. */
export class BadDataLengthError extends AttnError {
  constructor (dataLen: number, room: number) { super(`data_len ${dataLen} exceeds the ${room} bytes available`, 'ERR_BAD_DATA_LEN') }
}
/** Authentic plaintext whose padding is outside 12..1024. */
export class BadPaddingError extends AttnError {
  constructor (padding: number) { super(`padding of ${padding} bytes is outside 12..1024`, 'ERR_BAD_PADDING') }
}

// ---- sender side ----

/** `data` larger than MAX_RECORD_DATA. */
export class RecordTooLargeError extends AttnError {
  constructor (length: number, max: number) { super(`record data of ${length} bytes exceeds ${max}`, 'ERR_RECORD_TOO_LARGE') }
}
/** A field given to sealRecord / Session is out of range (salt length, msg_id, seq_no, padding, key length). */
export class InvalidRecordFieldError extends AttnError {
  constructor (message: string) { super(message, 'ERR_INVALID_RECORD_FIELD') }
}

// ---- session checks (Session.open), after openRecord ----

/** Salt is neither the current one nor the previous one within its grace period. */
export class SaltMismatchError extends AttnError {
  /** The salt the peer must use from now on (send it in a NewSalt notice). */
  readonly currentSalt: Uint8Array
  /** msg_id of the rejected frame (for the notice's reference). */
  readonly msgId: bigint
  constructor (currentSalt: Uint8Array, msgId: bigint) {
    super('frame carries an unknown or expired salt', 'ERR_BAD_SALT')
    this.currentSalt = currentSalt
    this.msgId = msgId
  }
}
/** msg_id time older than now − MAX_MSG_AGE_MS. */
export class MsgTooOldError extends AttnError {
  constructor (msgId: bigint) { super(`msg_id ${msgId} is too old`, 'ERR_MSG_TOO_OLD') }
}
/** msg_id time newer than now + MAX_MSG_FUTURE_MS. */
export class MsgTooNewError extends AttnError {
  constructor (msgId: bigint) { super(`msg_id ${msgId} is too far in the future`, 'ERR_MSG_TOO_NEW') }
}
/** seq_no already received. */
export class ReplayError extends AttnError {
  constructor (seqNo: number) { super(`seq_no ${seqNo} was already received`, 'ERR_REPLAY') }
}
/** seq_no below the replay window: cannot tell whether it was seen, so it is refused. */
export class ReplayWindowError extends AttnError {
  constructor (seqNo: number) { super(`seq_no ${seqNo} is below the replay window`, 'ERR_REPLAY_TOO_OLD') }
}
/** msg_id repeats or is out of order relative to seq_no (sender rule: both strictly increase together). */
export class MsgIdOrderError extends AttnError {
  constructor (msgId: bigint) { super(`msg_id ${msgId} repeats or is out of order with seq_no`, 'ERR_MSG_ID_ORDER') }
}
/** Session past its hard frame-count or age limit: a new handshake is required. */
export class SessionExpiredError extends AttnError {
  constructor (why: string) { super(`session expired: ${why}`, 'ERR_SESSION_EXPIRED') }
}
/** Serialized session state is malformed, truncated or of an unknown version. */
export class SessionStateError extends AttnError {
  constructor (message: string) { super(`bad session state: ${message}`, 'ERR_BAD_SESSION_STATE') }
}
/** SessionTable is full and cannot evict. */
export class SessionTableFullError extends AttnError {
  constructor (max: number) { super(`session table is full (${max})`, 'ERR_SESSION_TABLE_FULL') }
}

/** A frame named a session this node does not have (expired, restarted, never existed). */
export class UnknownSessionError extends AttnError {
  constructor (readonly sessionIdHex: string) { super(`no session ${sessionIdHex}`, 'ERR_UNKNOWN_SESSION') }
}

/** Sending on a session that was closed, evicted or lost by the peer. */
export class SessionClosedError extends AttnError {
  constructor (detail: string) { super(`session closed: ${detail}`, 'ERR_SESSION_CLOSED') }
}
