import {
  aes256GcmOpen, aes256GcmSeal, constantTimeEqual, hkdfSha256, hmacSha256, randomBytes, secretKey, sha256,
  x25519GenerateKeyPair, x25519PublicKey, x25519SharedSecret, X25519_KEY_LENGTH
} from '../crypto/index.js'
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, sign, verify, verifyChain } from '../keys/index.js'
import { SALT_LENGTH, SESSION_ID_LENGTH } from './constants.js'
import {
  HandshakeChainError, HandshakeConfirmError, HandshakeDecryptError, HandshakeFinishedError,
  HandshakeMalformedError, HandshakeSignatureError, HandshakeUnexpectedMessageError, HandshakeUnexpectedPeerError,
  HandshakeVersionError, HandshakeZeroSessionIdError
} from './handshake-errors.js'
import { Session } from './session.js'
import type { SessionKeys, SessionPeer } from './session.js'
import type { PrivateKey } from '@libp2p/interface'

/*
 * ATTNProto handshake (protocols/attnproto.md §Handshake): SIGMA-I shaped, like TLS 1.3.
 *   HELLO    I→R  version, eph_i, nonce_i
 *   RESPONSE R→I  eph_r, nonce_r, salt, AEAD_hs_r2i(R chain, R node key, sig_R, finished_R)
 *   FINISH   I→R  AEAD_hs_i2r(I chain, I node key, sig_I, finished_I)
 *   ACCEPT   R→I  session_id, confirm        (or REJECT with an error code)
 * Every handshake message is a frame whose first 8 bytes are zero: no session has that id.
 */

export const HANDSHAKE_VERSION = 1
export const HS_HEADER_LENGTH = 18
export const HS_ID_LENGTH = 8
export const EPH_LENGTH = X25519_KEY_LENGTH
export const NONCE_LENGTH = 32
export const NODE_KEY_LENGTH = PUBLIC_KEY_LENGTH
export const FINISHED_LENGTH = 32
export const CONFIRM_LENGTH = 32
/** Largest encoded key chain (chain_len) in an auth block, in bytes (one certificate is ~215 bytes). */
export const MAX_CHAIN_BYTES = 1024
export const MAX_REJECT_CODE_LENGTH = 64

export const enum HandshakeType {
  Hello = 0x01,
  Response = 0x02,
  Finish = 0x03,
  Accept = 0x04,
  /** Not a handshake step: "I have no session with this id" (hs_id field = the session id). */
  SessionUnknown = 0x7e,
  Reject = 0x7f
}

const HELLO_LENGTH = HS_HEADER_LENGTH + EPH_LENGTH + NONCE_LENGTH
const RESPONSE_PREFIX_LENGTH = HELLO_LENGTH + SALT_LENGTH
const ACCEPT_LENGTH = HS_HEADER_LENGTH + SESSION_ID_LENGTH + CONFIRM_LENGTH
const ZERO_IV = new Uint8Array(12)
const enc = new TextEncoder()
const LABEL_HS = enc.encode('attn/1 hs')
const LABEL_TH_R = enc.encode('attn/1 hs responder')
const LABEL_TH_I = enc.encode('attn/1 hs initiator')
const LABEL_TRANSCRIPT = enc.encode('attn/1 transcript')
const LABEL_ACCEPT = enc.encode('attn/1 accept')
export const INFO_HANDSHAKE = 'attn/1 handshake'
export const INFO_SESSION = 'attn/1 session'
export const SESSION_OKM_LENGTH = 136

/** What a node proves in a handshake: its node key and the chain from its root key. */
export interface HandshakeIdentity {
  address: string
  nodeKey: PrivateKey
  /** keys' encodeChain(): empty chain = the node runs on its root key. */
  chain: Uint8Array
}

/** True when a frame is a handshake message (first 8 bytes zero). */
export function isHandshakeFrame (frame: Uint8Array): boolean {
  if (frame.byteLength < SESSION_ID_LENGTH) return false
  for (let i = 0; i < SESSION_ID_LENGTH; i++) if (frame[i] !== 0) return false
  return true
}

export interface HandshakeHeader { type: number, version: number, hsId: Uint8Array }

/** Decodes the common header; throws ERR_HS_MALFORMED / ERR_HS_UNSUPPORTED_VERSION. */
export function decodeHandshakeHeader (frame: Uint8Array): HandshakeHeader {
  if (frame.byteLength < HS_HEADER_LENGTH) throw new HandshakeMalformedError(`${frame.byteLength} bytes is shorter than the header`)
  if (!isHandshakeFrame(frame)) throw new HandshakeMalformedError('not a handshake frame')
  const type = frame[8]
  const version = frame[9]
  if (version !== HANDSHAKE_VERSION) throw new HandshakeVersionError(version)
  if (![HandshakeType.Hello, HandshakeType.Response, HandshakeType.Finish, HandshakeType.Accept, HandshakeType.SessionUnknown, HandshakeType.Reject].includes(type)) {
    throw new HandshakeMalformedError(`unknown message type 0x${type.toString(16)}`)
  }
  return { type, version, hsId: frame.slice(10, 18) }
}

function header (type: HandshakeType, hsId: Uint8Array): Uint8Array {
  const h = new Uint8Array(HS_HEADER_LENGTH)
  h[8] = type
  h[9] = HANDSHAKE_VERSION
  h.set(hsId, 10)
  return h
}

function concat (...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.byteLength
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}

function u16 (n: number): Uint8Array {
  return new Uint8Array([n >>> 8, n & 0xff])
}

/** The handshake keys: AEAD keys per direction and finished-MAC keys, from ee and the first two messages. */
export function deriveHandshakeKeys (sharedSecret: Uint8Array, hello: Uint8Array, responsePrefix: Uint8Array): { r2i: Uint8Array, i2r: Uint8Array, finR: Uint8Array, finI: Uint8Array } {
  const okm = hkdfSha256(sharedSecret, sha256(LABEL_HS, hello, responsePrefix), INFO_HANDSHAKE, 128)
  return { r2i: okm.slice(0, 32), i2r: okm.slice(32, 64), finR: okm.slice(64, 96), finI: okm.slice(96, 128) }
}

/**
 * The session key schedule, exactly as the spec fixes it:
 * okm = HKDF-SHA256(ikm = X25519 shared secret, salt = transcript_hash, info = "attn/1 session", L = 136).
 */
export function deriveSessionKeys (sharedSecret: Uint8Array, transcriptHash: Uint8Array): { sessionId: Uint8Array, keys: SessionKeys } {
  const okm = hkdfSha256(sharedSecret, transcriptHash, INFO_SESSION, SESSION_OKM_LENGTH)
  return {
    sessionId: okm.slice(0, 8),
    keys: { kMacI2R: okm.slice(8, 40), kEncI2R: okm.slice(40, 72), kMacR2I: okm.slice(72, 104), kEncR2I: okm.slice(104, 136) }
  }
}

/** The auth block a side sends encrypted: chain_len(2) | chain | node_pub(33) | sig(64) | finished(32). */
interface AuthBlock { chain: Uint8Array, nodePublicKey: Uint8Array, signature: Uint8Array, finished: Uint8Array }

function identityPart (identity: HandshakeIdentity): Uint8Array {
  if (identity.chain.byteLength > MAX_CHAIN_BYTES) throw new HandshakeMalformedError('own chain too long')
  const pub = identity.nodeKey.publicKey.raw
  if (pub.byteLength !== NODE_KEY_LENGTH) throw new HandshakeMalformedError('node key must be a compressed secp256k1 key')
  return concat(u16(identity.chain.byteLength), identity.chain, pub)
}

function decodeAuth (plain: Uint8Array): AuthBlock & { identityPart: Uint8Array } {
  if (plain.byteLength < 2) throw new HandshakeMalformedError('auth block too short')
  const chainLength = (plain[0] << 8) | plain[1]
  if (chainLength > MAX_CHAIN_BYTES) throw new HandshakeMalformedError('chain too long')
  const expected = 2 + chainLength + NODE_KEY_LENGTH + SIGNATURE_LENGTH + FINISHED_LENGTH
  if (plain.byteLength !== expected) throw new HandshakeMalformedError(`auth block is ${plain.byteLength} bytes, expected ${expected}`)
  let o = 2
  const chain = plain.subarray(o, o += chainLength)
  const nodePublicKey = plain.subarray(o, o += NODE_KEY_LENGTH)
  const idEnd = o
  const signature = plain.subarray(o, o += SIGNATURE_LENGTH)
  const finished = plain.subarray(o, o += FINISHED_LENGTH)
  return { chain, nodePublicKey, signature, finished, identityPart: plain.subarray(0, idEnd) }
}

function openSealed (frame: Uint8Array, offset: number, key: Uint8Array, aad: Uint8Array): Uint8Array {
  if (frame.byteLength < offset + 2) throw new HandshakeMalformedError('missing sealed length')
  const length = (frame[offset] << 8) | frame[offset + 1]
  if (frame.byteLength !== offset + 2 + length) throw new HandshakeMalformedError('sealed length does not match the frame')
  try {
    return aes256GcmOpen(secretKey(key), ZERO_IV, frame.subarray(offset + 2), aad)
  } catch {
    throw new HandshakeDecryptError()
  }
}

function sharedSecret (privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519SharedSecret(privateKey, publicKey)
  } catch (err: any) {
    throw new HandshakeMalformedError(`bad ephemeral key: ${err.message}`)
  }
}

/** Verifies the peer's auth block: chain → root identity, signature over its transcript hash, finished MAC. */
function verifyAuth (auth: AuthBlock, transcriptHash: Uint8Array, finKey: Uint8Array, nowSeconds: number): SessionPeer {
  let verified
  try {
    verified = verifyChain(auth.chain, auth.nodePublicKey, nowSeconds)
  } catch (err: any) {
    throw new HandshakeChainError(err)
  }
  if (!verify(auth.nodePublicKey, 'handshake', transcriptHash, auth.signature)) throw new HandshakeSignatureError()
  const mac = hmacSha256(secretKey(finKey), transcriptHash, auth.signature)
  if (!constantTimeEqual(mac, auth.finished)) throw new HandshakeFinishedError()
  return {
    address: verified.address,
    rootPublicKey: Uint8Array.from(verified.rootPublicKey.raw),
    nodePublicKey: Uint8Array.from(auth.nodePublicKey)
  }
}

/** A fresh ephemeral key pair, or the one of a fixed private key (test vectors only). */
function ephemeralKeyPair (fixed?: Uint8Array): { privateKey: Uint8Array, publicKey: Uint8Array } {
  return fixed == null ? x25519GenerateKeyPair() : { privateKey: fixed, publicKey: x25519PublicKey(fixed) }
}

function zeroSessionId (id: Uint8Array): boolean {
  return id.every(b => b === 0)
}

export interface InitiatorOptions {
  identity: HandshakeIdentity
  /** Refuse the handshake unless the responder proves this ATT address. */
  expectedAddress?: string
  /** For test vectors only: fixed ephemeral private key, nonce and handshake id. */
  ephemeralPrivateKey?: Uint8Array
  nonce?: Uint8Array
  hsId?: Uint8Array
}

/** Initiator side: hello() → onResponse() → onAccept(). One instance per attempt. */
export class InitiatorHandshake {
  readonly hsId: Uint8Array
  private readonly identity: HandshakeIdentity
  private readonly expectedAddress?: string
  private readonly ephPrivate: Uint8Array
  private readonly helloBytes: Uint8Array
  private state: 'hello' | 'finish' | 'done' | 'failed' = 'hello'
  private pending?: { session: Session, transcriptHash: Uint8Array, finR: Uint8Array }

  constructor (options: InitiatorOptions) {
    this.identity = options.identity
    this.expectedAddress = options.expectedAddress
    this.hsId = options.hsId ?? randomBytes(HS_ID_LENGTH)
    const eph = ephemeralKeyPair(options.ephemeralPrivateKey)
    this.ephPrivate = eph.privateKey
    this.helloBytes = concat(header(HandshakeType.Hello, this.hsId), eph.publicKey, options.nonce ?? randomBytes(NONCE_LENGTH))
  }

  /** HELLO, to send first. */
  hello (): Uint8Array {
    return this.helloBytes
  }

  /** Processes RESPONSE; returns FINISH to send and the session (usable once ACCEPT arrives). */
  onResponse (frame: Uint8Array, now = Date.now()): { finish: Uint8Array, session: Session } {
    if (this.state !== 'hello') throw new HandshakeUnexpectedMessageError('RESPONSE after RESPONSE')
    try {
      const h = decodeHandshakeHeader(frame)
      if (h.type !== HandshakeType.Response) throw new HandshakeUnexpectedMessageError(`type 0x${h.type.toString(16)} instead of RESPONSE`)
      if (!constantTimeEqual(h.hsId, this.hsId)) throw new HandshakeUnexpectedMessageError('handshake id mismatch')
      if (frame.byteLength < RESPONSE_PREFIX_LENGTH + 2) throw new HandshakeMalformedError('RESPONSE too short')
      const prefix = frame.subarray(0, RESPONSE_PREFIX_LENGTH)
      const ephR = frame.subarray(HS_HEADER_LENGTH, HS_HEADER_LENGTH + EPH_LENGTH)
      const salt = frame.slice(HELLO_LENGTH, RESPONSE_PREFIX_LENGTH)
      const ee = sharedSecret(this.ephPrivate, ephR)
      const hk = deriveHandshakeKeys(ee, this.helloBytes, prefix)
      const rPlain = openSealed(frame, RESPONSE_PREFIX_LENGTH, hk.r2i, prefix)
      const rAuth = decodeAuth(rPlain)
      const thR = sha256(LABEL_TH_R, this.helloBytes, prefix, rAuth.identityPart)
      const remote = verifyAuth(rAuth, thR, hk.finR, Math.floor(now / 1000))
      if (this.expectedAddress != null && remote.address !== this.expectedAddress) {
        throw new HandshakeUnexpectedPeerError(this.expectedAddress, remote.address)
      }

      const finishHeader = header(HandshakeType.Finish, this.hsId)
      const idPart = identityPart(this.identity)
      const thI = sha256(LABEL_TH_I, this.helloBytes, prefix, rPlain, finishHeader, idPart)
      const sig = sign(this.identity.nodeKey, 'handshake', thI)
      const iPlain = concat(idPart, sig, hmacSha256(secretKey(hk.finI), thI, sig))
      const sealed = aes256GcmSeal(secretKey(hk.i2r), ZERO_IV, iPlain, finishHeader)
      const finish = concat(finishHeader, u16(sealed.byteLength), sealed)

      const transcriptHash = sha256(LABEL_TRANSCRIPT, this.helloBytes, prefix, rPlain, finishHeader, iPlain)
      const { sessionId, keys } = deriveSessionKeys(ee, transcriptHash)
      if (zeroSessionId(sessionId)) throw new HandshakeZeroSessionIdError()
      const session = new Session({ id: sessionId, role: 'initiator', remote, keys, salt, now })
      this.pending = { session, transcriptHash, finR: hk.finR }
      this.state = 'finish'
      return { finish, session }
    } catch (err) {
      this.state = 'failed'
      throw err
    }
  }

  /** Processes ACCEPT: checks the responder derived the same session. */
  onAccept (frame: Uint8Array): Session {
    if (this.state !== 'finish' || this.pending == null) throw new HandshakeUnexpectedMessageError('ACCEPT before RESPONSE')
    const h = decodeHandshakeHeader(frame)
    if (h.type !== HandshakeType.Accept) throw new HandshakeUnexpectedMessageError(`type 0x${h.type.toString(16)} instead of ACCEPT`)
    if (!constantTimeEqual(h.hsId, this.hsId)) throw new HandshakeUnexpectedMessageError('handshake id mismatch')
    if (frame.byteLength !== ACCEPT_LENGTH) throw new HandshakeMalformedError('ACCEPT has the wrong length')
    const { session, transcriptHash, finR } = this.pending
    const confirm = hmacSha256(secretKey(finR), LABEL_ACCEPT, transcriptHash)
    const sidOk = constantTimeEqual(frame.subarray(HS_HEADER_LENGTH, HS_HEADER_LENGTH + SESSION_ID_LENGTH), session.id)
    const macOk = constantTimeEqual(frame.subarray(HS_HEADER_LENGTH + SESSION_ID_LENGTH), confirm)
    if (!sidOk || !macOk) throw new HandshakeConfirmError()
    this.state = 'done'
    return session
  }
}

export interface ResponderOptions {
  identity: HandshakeIdentity
  /** The session salt to start with (random by default). */
  salt?: Uint8Array
  /** For test vectors only. */
  ephemeralPrivateKey?: Uint8Array
  nonce?: Uint8Array
}

/** Responder side: created from a HELLO, answers RESPONSE, then onFinish() → session + ACCEPT. */
export class ResponderHandshake {
  readonly hsId: Uint8Array
  readonly response: Uint8Array
  private readonly hello: Uint8Array
  private readonly prefix: Uint8Array
  private readonly rPlain: Uint8Array
  private readonly ee: Uint8Array
  private readonly keys: ReturnType<typeof deriveHandshakeKeys>
  private readonly salt: Uint8Array
  private done = false

  constructor (hello: Uint8Array, options: ResponderOptions) {
    const h = decodeHandshakeHeader(hello)
    if (h.type !== HandshakeType.Hello) throw new HandshakeUnexpectedMessageError(`type 0x${h.type.toString(16)} instead of HELLO`)
    if (hello.byteLength !== HELLO_LENGTH) throw new HandshakeMalformedError(`HELLO is ${hello.byteLength} bytes, expected ${HELLO_LENGTH}`)
    this.hsId = h.hsId
    this.hello = Uint8Array.from(hello)
    const eph = ephemeralKeyPair(options.ephemeralPrivateKey)
    this.salt = options.salt ?? randomBytes(SALT_LENGTH)
    this.prefix = concat(header(HandshakeType.Response, this.hsId), eph.publicKey, options.nonce ?? randomBytes(NONCE_LENGTH), this.salt)
    this.ee = sharedSecret(eph.privateKey, this.hello.subarray(HS_HEADER_LENGTH, HS_HEADER_LENGTH + EPH_LENGTH))
    this.keys = deriveHandshakeKeys(this.ee, this.hello, this.prefix)

    const idPart = identityPart(options.identity)
    const thR = sha256(LABEL_TH_R, this.hello, this.prefix, idPart)
    const sig = sign(options.identity.nodeKey, 'handshake', thR)
    this.rPlain = concat(idPart, sig, hmacSha256(secretKey(this.keys.finR), thR, sig))
    const sealed = aes256GcmSeal(secretKey(this.keys.r2i), ZERO_IV, this.rPlain, this.prefix)
    this.response = concat(this.prefix, u16(sealed.byteLength), sealed)
  }

  /** Processes FINISH: authenticates the initiator's root identity; returns the session and ACCEPT. */
  onFinish (frame: Uint8Array, now = Date.now()): { session: Session, accept: Uint8Array, transcriptHash: Uint8Array } {
    if (this.done) throw new HandshakeUnexpectedMessageError('FINISH after FINISH')
    this.done = true
    const h = decodeHandshakeHeader(frame)
    if (h.type !== HandshakeType.Finish) throw new HandshakeUnexpectedMessageError(`type 0x${h.type.toString(16)} instead of FINISH`)
    if (!constantTimeEqual(h.hsId, this.hsId)) throw new HandshakeUnexpectedMessageError('handshake id mismatch')
    const finishHeader = frame.subarray(0, HS_HEADER_LENGTH)
    const iPlain = openSealed(frame, HS_HEADER_LENGTH, this.keys.i2r, finishHeader)
    const iAuth = decodeAuth(iPlain)
    const thI = sha256(LABEL_TH_I, this.hello, this.prefix, this.rPlain, finishHeader, iAuth.identityPart)
    const remote = verifyAuth(iAuth, thI, this.keys.finI, Math.floor(now / 1000))
    const transcriptHash = sha256(LABEL_TRANSCRIPT, this.hello, this.prefix, this.rPlain, finishHeader, iPlain)
    const { sessionId, keys } = deriveSessionKeys(this.ee, transcriptHash)
    if (zeroSessionId(sessionId)) throw new HandshakeZeroSessionIdError()
    const session = new Session({ id: sessionId, role: 'responder', remote, keys, salt: this.salt, now })
    const confirm = hmacSha256(secretKey(this.keys.finR), LABEL_ACCEPT, transcriptHash)
    const accept = concat(header(HandshakeType.Accept, this.hsId), sessionId, confirm)
    return { session, accept, transcriptHash }
  }
}

/**
 * The REJECT answering a handshake frame whose header does not decode (attnproto.md Part 3 §2, §7):
 * version ≠ 1 → `ERR_HS_UNSUPPORTED_VERSION`, unknown type → `ERR_HS_MALFORMED`, so a newer
 * initiator learns at once why, instead of timing out. The REJECT itself is a version-1 message.
 * Undefined when there is nothing to answer: a frame shorter than the header or without the zero
 * prefix (no hs_id), any other error, or a frame whose type byte is REJECT or SESSION_UNKNOWN
 * (notices are never answered, whatever their version, so two nodes cannot bounce notices).
 */
export function rejectForBadHeader (frame: Uint8Array, err: unknown): Uint8Array | undefined {
  if (frame.byteLength < HS_HEADER_LENGTH || !isHandshakeFrame(frame)) return undefined
  if (frame[8] === HandshakeType.Reject || frame[8] === HandshakeType.SessionUnknown) return undefined
  if (!(err instanceof HandshakeVersionError) && !(err instanceof HandshakeMalformedError)) return undefined
  return encodeReject(frame.subarray(10, HS_HEADER_LENGTH), err.code)
}

/** SESSION_UNKNOWN: the receiver has no session with this id (restarted, expired): handshake again. */
export function encodeSessionUnknown (sessionId: Uint8Array): Uint8Array {
  return header(HandshakeType.SessionUnknown, sessionId.subarray(0, SESSION_ID_LENGTH))
}

/** REJECT: tells the initiator why its handshake failed (unauthenticated; a hint, not proof). */
export function encodeReject (hsId: Uint8Array, code: string): Uint8Array {
  const bytes = enc.encode(code.slice(0, MAX_REJECT_CODE_LENGTH).replace(/[^\x20-\x7e]/g, '?'))
  return concat(header(HandshakeType.Reject, hsId), new Uint8Array([bytes.byteLength]), bytes)
}

export function decodeReject (frame: Uint8Array): string {
  const h = decodeHandshakeHeader(frame)
  if (h.type !== HandshakeType.Reject) throw new HandshakeUnexpectedMessageError('not a REJECT')
  const n = frame[HS_HEADER_LENGTH]
  if (n == null || frame.byteLength !== HS_HEADER_LENGTH + 1 + n || n > MAX_REJECT_CODE_LENGTH) throw new HandshakeMalformedError('REJECT length')
  const code = new TextDecoder().decode(frame.subarray(HS_HEADER_LENGTH + 1))
  if (!/^[\x20-\x7e]*$/.test(code)) throw new HandshakeMalformedError('REJECT code is not printable ASCII')
  return code
}
