import { AttnError } from '../errors.js'

/** Base of every handshake failure (protocols/attnproto.md §Handshake, error codes). */
export class HandshakeError extends AttnError {}

export class HandshakeMalformedError extends HandshakeError {
  constructor (reason: string) { super(`malformed handshake message: ${reason}`, 'ERR_HS_MALFORMED') }
}

export class HandshakeVersionError extends HandshakeError {
  constructor (readonly version: number) { super(`unsupported handshake version ${version}`, 'ERR_HS_UNSUPPORTED_VERSION') }
}

export class HandshakeUnexpectedMessageError extends HandshakeError {
  constructor (reason: string) { super(`unexpected handshake message: ${reason}`, 'ERR_HS_UNEXPECTED') }
}

/** The encrypted identity block did not authenticate under the handshake key. */
export class HandshakeDecryptError extends HandshakeError {
  constructor () { super('handshake payload failed authentication', 'ERR_HS_DECRYPT') }
}

export class HandshakeSignatureError extends HandshakeError {
  constructor () { super('handshake transcript signature does not verify', 'ERR_HS_BAD_SIGNATURE') }
}

export class HandshakeFinishedError extends HandshakeError {
  constructor () { super('handshake finished MAC does not verify', 'ERR_HS_BAD_FINISHED') }
}

/** The peer's certificate chain failed; `cause` carries the key-chain error (ERR_CERT_EXPIRED …). */
export class HandshakeChainError extends HandshakeError {
  readonly chainCode: string
  constructor (cause: Error & { code?: string }) {
    super(`peer certificate chain rejected: ${cause.message}`, cause.code ?? 'ERR_HS_CHAIN', { cause })
    this.chainCode = cause.code ?? 'ERR_HS_CHAIN'
  }
}

export class HandshakeUnexpectedPeerError extends HandshakeError {
  constructor (expected: string, got: string) { super(`expected peer ${expected}, handshake proved ${got}`, 'ERR_HS_UNEXPECTED_PEER') }
}

export class HandshakeTimeoutError extends HandshakeError {
  constructor (ms: number) { super(`handshake did not complete within ${ms} ms`, 'ERR_HS_TIMEOUT') }
}

export class HandshakeAbortedError extends HandshakeError {
  constructor () { super('handshake aborted', 'ERR_HS_ABORTED') }
}

export class HandshakeTooManyPendingError extends HandshakeError {
  constructor () { super('too many pending handshakes', 'ERR_HS_TOO_MANY_PENDING') }
}

/** The responder refused our FINISH; `remoteCode` is its reason (e.g. ERR_CERT_EXPIRED). */
export class HandshakeRejectedError extends HandshakeError {
  constructor (readonly remoteCode: string) { super(`peer rejected the handshake: ${remoteCode}`, 'ERR_HS_REJECTED') }
}

export class HandshakeConfirmError extends HandshakeError {
  constructor () { super('handshake confirmation does not verify', 'ERR_HS_BAD_CONFIRM') }
}

/** The derived session id is all zero (probability 2^-64): both sides fail, the initiator retries. */
export class HandshakeZeroSessionIdError extends HandshakeError {
  constructor () { super('derived an all-zero session id; retry', 'ERR_HS_ZERO_SESSION_ID') }
}

/** A handshake message for an hs_id (or a notice for a session) with no pending state: dropped and counted. */
export class HandshakeUnknownError extends HandshakeError {
  constructor (reason: string) { super(reason, 'ERR_HS_UNKNOWN') }
}

/** The responder refused a HELLO because its RESPONSE budget (per peer, per IP or node-wide) is spent. */
export class HandshakeRateLimitedError extends HandshakeError {
  constructor (readonly scope: 'peer' | 'ip' | 'node') { super(`handshake rate limit reached (${scope})`, 'ERR_HS_RATE_LIMITED') }
}
