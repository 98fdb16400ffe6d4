/**
 * Session start (X3DH-style) and the Double Ratchet between two devices (protocols/messaging.md
 * §10). Pure functions over a plain state object: the caller persists the state returned by a
 * successful encrypt/decrypt (in the same transaction as whatever the message causes), and a failed
 * decrypt leaves the given state untouched, so a duplicate or a forgery never breaks the chain.
 */
import { sha256 } from '../../crypto/index.js'
import {
  AES_KEY_LENGTH, BUNDLE_VERSION, GCM_IV_LENGTH, GCM_TAG_LENGTH, NO_ONE_TIME_PREKEY, RATCHET_MAX_SKIP, RATCHET_MAX_SKIPPED_KEYS,
  RATCHET_MESSAGE_INFO, RATCHET_ROOT_INFO, RATCHET_SKIPPED_KEY_MAX_AGE_MS, SESSION_ID_LABEL, START_IDENTITY_INFO, X25519_KEY_LENGTH, X3DH_INFO
} from '../constants.js'
import { DecryptFailedError, MalformedMessageError, MessageKeyUnavailableError, UnsupportedVersionError } from '../errors.js'
import { aesGcmOpen, aesGcmSeal, hkdf, hmacSha256, x25519KeyPair, x25519Shared } from '../primitives.js'
import { Reader, Writer, concat, equalBytes, toHex, utf8 } from './codec.js'

export interface KeyPair { privateKey: Uint8Array, publicKey: Uint8Array }

/** Length of a session id. */
export const SESSION_ID_LENGTH = 16
const FLAG_START = 0x01
const ZERO_SALT = new Uint8Array(32)
const START_IDENTITY_SEALED = X25519_KEY_LENGTH + GCM_TAG_LENGTH

/** What a sender learned about a recipient device from its directory record (signatures already checked). */
export interface RemoteBundle {
  identityKey: Uint8Array
  signedPrekeyId: number
  signedPrekey: Uint8Array
  /** A one-time prekey taken from a mailbox, if any. */
  oneTimePrekey?: { id: number, publicKey: Uint8Array }
}

/** The session-start part of a header: sent with every message until the peer answers. */
export interface SessionStart {
  ephemeralKey: Uint8Array
  signedPrekeyId: number
  /** NO_ONE_TIME_PREKEY when none was used. */
  oneTimePrekeyId: number
  /** The initiator's device identity key, AES-GCM sealed (48 bytes). */
  sealedIdentity: Uint8Array
}

export interface RatchetHeader {
  version: number
  sessionId: Uint8Array
  start?: SessionStart
  ratchetKey: Uint8Array
  /** Length of the sender's previous sending chain. */
  pn: number
  /** Message number in the current sending chain. */
  n: number
  /** The exact header bytes (part of the AEAD associated data). */
  bytes: Uint8Array
}

export interface SkippedKey { ratchetKey: Uint8Array, n: number, messageKey: Uint8Array, atMs: number }

export interface RatchetState {
  sessionId: Uint8Array
  /** The peer device's identity key (X25519). */
  peerIdentityKey: Uint8Array
  rootKey: Uint8Array
  sending: KeyPair
  receivingKey?: Uint8Array
  sendChain?: Uint8Array
  recvChain?: Uint8Array
  ns: number
  nr: number
  pn: number
  /** Initiator only: the start header, repeated until the first message from the peer arrives. */
  start?: SessionStart
  skipped: SkippedKey[]
  /** The peer's earlier ratchet keys (at most 8): a late message on one of them is never a new DH step. */
  previousReceivingKeys?: Uint8Array[]
}

// ---- KDF chains -----------------------------------------------------------------------------

/** KDF_RK: (root key, DH output) → (root key, chain key). */
export function kdfRoot (rootKey: Uint8Array, dh: Uint8Array): { rootKey: Uint8Array, chainKey: Uint8Array } {
  const okm = hkdf(dh, rootKey, utf8(RATCHET_ROOT_INFO), 64)
  return { rootKey: okm.slice(0, 32), chainKey: okm.slice(32) }
}

/** KDF_CK: chain key → (next chain key, message key). */
export function kdfChain (chainKey: Uint8Array): { chainKey: Uint8Array, messageKey: Uint8Array } {
  return { messageKey: hmacSha256(chainKey, Uint8Array.of(1)), chainKey: hmacSha256(chainKey, Uint8Array.of(2)) }
}

/** AES-256-GCM key and nonce of a message key. */
export function messageCipherKey (messageKey: Uint8Array): { key: Uint8Array, nonce: Uint8Array } {
  const okm = hkdf(messageKey, ZERO_SALT, utf8(RATCHET_MESSAGE_INFO), AES_KEY_LENGTH + GCM_IV_LENGTH)
  return { key: okm.subarray(0, AES_KEY_LENGTH), nonce: okm.subarray(AES_KEY_LENGTH) }
}

/** session_id = SHA-256("attn/2 session id" | EK_A)[0..16]. */
export function sessionIdOf (ephemeralKey: Uint8Array): Uint8Array {
  return sha256(utf8(SESSION_ID_LABEL), ephemeralKey).slice(0, SESSION_ID_LENGTH)
}

function x3dhSecret (dhs: Uint8Array[], initiatorIdentity: Uint8Array, responderIdentity: Uint8Array): Uint8Array {
  return hkdf(concat(new Uint8Array(32).fill(0xff), ...dhs), ZERO_SALT, concat(utf8(X3DH_INFO), initiatorIdentity, responderIdentity), 32)
}

function startIdentityKey (dh3: Uint8Array, ephemeralKey: Uint8Array): { key: Uint8Array, nonce: Uint8Array } {
  const okm = hkdf(dh3, ephemeralKey, utf8(START_IDENTITY_INFO), AES_KEY_LENGTH + GCM_IV_LENGTH)
  return { key: okm.subarray(0, AES_KEY_LENGTH), nonce: okm.subarray(AES_KEY_LENGTH) }
}

/** The bytes the sealed identity key is bound to: the start fields before it. */
function startAad (ephemeralKey: Uint8Array, spkId: number, opkId: number): Uint8Array {
  return new Writer().bytes(ephemeralKey).u32(spkId).u32(opkId).finish()
}

// ---- session start --------------------------------------------------------------------------

export interface InitiateOptions {
  /** This device's identity key pair. */
  identity: KeyPair
  remote: RemoteBundle
  /** FOR TEST VECTORS ONLY: fixed ephemeral and first ratchet key pairs. */
  ephemeral?: KeyPair
  ratchetKey?: KeyPair
}

/**
 * The initiator's side: DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B),
 * DH4 = DH(EK_A, OPK_B) (when a one-time prekey was taken); SK = HKDF(0xff×32 | DH1..DH4).
 */
export function initiateSession (o: InitiateOptions): RatchetState {
  const { identity, remote } = o
  const ek = o.ephemeral ?? x25519KeyPair()
  const dh1 = x25519Shared(identity.privateKey, remote.signedPrekey)
  const dh2 = x25519Shared(ek.privateKey, remote.identityKey)
  const dh3 = x25519Shared(ek.privateKey, remote.signedPrekey)
  const dhs = [dh1, dh2, dh3]
  if (remote.oneTimePrekey != null) dhs.push(x25519Shared(ek.privateKey, remote.oneTimePrekey.publicKey))
  const sk = x3dhSecret(dhs, identity.publicKey, remote.identityKey)
  const opkId = remote.oneTimePrekey?.id ?? NO_ONE_TIME_PREKEY
  const { key, nonce } = startIdentityKey(dh3, ek.publicKey)
  const sealedIdentity = aesGcmSeal(key, nonce, identity.publicKey, startAad(ek.publicKey, remote.signedPrekeyId, opkId))
  const sending = o.ratchetKey ?? x25519KeyPair()
  const { rootKey, chainKey } = kdfRoot(sk, x25519Shared(sending.privateKey, remote.signedPrekey))
  return {
    sessionId: sessionIdOf(ek.publicKey),
    peerIdentityKey: remote.identityKey.slice(),
    rootKey,
    sending,
    receivingKey: remote.signedPrekey.slice(),
    sendChain: chainKey,
    ns: 0,
    nr: 0,
    pn: 0,
    start: { ephemeralKey: ek.publicKey, signedPrekeyId: remote.signedPrekeyId, oneTimePrekeyId: opkId, sealedIdentity },
    skipped: []
  }
}

export interface RespondOptions {
  identity: KeyPair
  /** Private keys of this device's prekeys, by id. */
  signedPrekey: (id: number) => KeyPair | undefined
  oneTimePrekey: (id: number) => KeyPair | undefined
  start: SessionStart
}

/**
 * The responder's side of a session start. Returns the new state (its ratchet key is the signed
 * prekey) and the initiator's identity key. Throws UnknownPrekeyError-like errors via `missing`.
 */
export function respondSession (o: RespondOptions, missing: (what: string) => Error): { state: RatchetState, peerIdentityKey: Uint8Array } {
  const { start } = o
  const spk = o.signedPrekey(start.signedPrekeyId)
  if (spk == null) throw missing(`no signed prekey ${start.signedPrekeyId}`)
  let opk: KeyPair | undefined
  if (start.oneTimePrekeyId !== NO_ONE_TIME_PREKEY) {
    opk = o.oneTimePrekey(start.oneTimePrekeyId)
    if (opk == null) throw missing(`no one-time prekey ${start.oneTimePrekeyId} (already used?)`)
  }
  let dh3: Uint8Array
  try {
    dh3 = x25519Shared(spk.privateKey, start.ephemeralKey)
  } catch (err) {
    throw new DecryptFailedError('session start: low-order ephemeral key', { cause: err })
  }
  const { key, nonce } = startIdentityKey(dh3, start.ephemeralKey)
  const peerIdentityKey = aesGcmOpen(key, nonce, start.sealedIdentity, startAad(start.ephemeralKey, start.signedPrekeyId, start.oneTimePrekeyId))
  let dhs: Uint8Array[]
  try {
    dhs = [x25519Shared(spk.privateKey, peerIdentityKey), x25519Shared(o.identity.privateKey, start.ephemeralKey), dh3]
    if (opk != null) dhs.push(x25519Shared(opk.privateKey, start.ephemeralKey))
  } catch (err) {
    throw new DecryptFailedError('session start: low-order identity key', { cause: err })
  }
  const sk = x3dhSecret(dhs, peerIdentityKey, o.identity.publicKey)
  return {
    peerIdentityKey,
    state: { sessionId: sessionIdOf(start.ephemeralKey), peerIdentityKey, rootKey: sk, sending: { ...spk }, ns: 0, nr: 0, pn: 0, skipped: [] }
  }
}

// ---- header ---------------------------------------------------------------------------------

/** `u8 version=2 | u8 flags | session_id(16) | [start] | ratchet_key(32) | u32 pn | u32 n`. */
export function encodeRatchetHeader (h: Omit<RatchetHeader, 'bytes' | 'version'>): Uint8Array {
  const w = new Writer().u8(BUNDLE_VERSION).u8(h.start != null ? FLAG_START : 0).bytes(h.sessionId)
  if (h.start != null) w.bytes(h.start.ephemeralKey).u32(h.start.signedPrekeyId).u32(h.start.oneTimePrekeyId).bytes(h.start.sealedIdentity)
  return w.bytes(h.ratchetKey).u32(h.pn).u32(h.n).finish()
}

/** Reads a device header from `r` (total: MalformedMessageError / UnsupportedVersionError). */
export function readRatchetHeader (r: Reader): RatchetHeader {
  const from = r.offset
  const version = r.u8()
  if (version !== BUNDLE_VERSION) throw new UnsupportedVersionError(`unsupported device header version ${version}`)
  const flags = r.u8()
  if ((flags & ~FLAG_START) !== 0) throw new MalformedMessageError(`unknown header flags ${flags}`)
  const sessionId = r.bytes(SESSION_ID_LENGTH)
  let start: SessionStart | undefined
  if ((flags & FLAG_START) !== 0) {
    start = { ephemeralKey: r.bytes(X25519_KEY_LENGTH), signedPrekeyId: r.u32(), oneTimePrekeyId: r.u32(), sealedIdentity: r.bytes(START_IDENTITY_SEALED) }
  }
  const ratchetKey = r.bytes(X25519_KEY_LENGTH)
  const pn = r.u32()
  const n = r.u32()
  return { version, sessionId, start, ratchetKey, pn, n, bytes: r.slice(from, r.offset) }
}

// ---- the ratchet ----------------------------------------------------------------------------

/** A deep copy: encrypt/decrypt work on a copy, so a failure leaves the caller's state as it was. */
export function cloneState (s: RatchetState): RatchetState {
  return { ...s, sending: { ...s.sending }, start: s.start == null ? undefined : { ...s.start }, skipped: s.skipped.map(k => ({ ...k })), previousReceivingKeys: [...(s.previousReceivingKeys ?? [])] }
}

/**
 * Encrypts `plaintext` for the peer: returns the header bytes and the ciphertext (AAD = header |
 * `aad`), and the next state. The start header rides along until the peer has answered.
 */
export function ratchetEncrypt (state: RatchetState, plaintext: Uint8Array, aad: Uint8Array): { state: RatchetState, header: Uint8Array, ciphertext: Uint8Array } {
  const s = cloneState(state)
  if (s.sendChain == null) throw new RangeError('the session has no sending chain yet (a responder sends after its first receive)')
  const { chainKey, messageKey } = kdfChain(s.sendChain)
  const header = encodeRatchetHeader({ sessionId: s.sessionId, start: s.start, ratchetKey: s.sending.publicKey, pn: s.pn, n: s.ns })
  s.sendChain = chainKey
  s.ns++
  const { key, nonce } = messageCipherKey(messageKey)
  return { state: s, header, ciphertext: aesGcmSeal(key, nonce, plaintext, concat(header, aad)) }
}

export interface DecryptOptions {
  /** Unix ms: skipped keys older than RATCHET_SKIPPED_KEY_MAX_AGE_MS are dropped first. */
  nowMs: number
  /** FOR TEST VECTORS ONLY: the next sending ratchet key pair. */
  nextRatchetKey?: () => KeyPair
}

/**
 * Decrypts a message. Order: a stored skipped key (used once, then deleted); else, for a new
 * ratchet key, skip the rest of the current receiving chain (≤ RATCHET_MAX_SKIP) and step the DH
 * ratchet; skip ahead in the chain (≤ RATCHET_MAX_SKIP); decrypt. A message whose key was already
 * used (a duplicate), evicted or expired → ERR_MESSAGE_KEY_UNAVAILABLE; a GCM failure →
 * ERR_DECRYPT_FAILED. On any failure the given state is unchanged.
 */
export function ratchetDecrypt (state: RatchetState, header: RatchetHeader, ciphertext: Uint8Array, aad: Uint8Array, o: DecryptOptions): { state: RatchetState, plaintext: Uint8Array } {
  const s = cloneState(state)
  s.skipped = s.skipped.filter(k => o.nowMs - k.atMs <= RATCHET_SKIPPED_KEY_MAX_AGE_MS)
  const fullAad = concat(header.bytes, aad)
  const i = s.skipped.findIndex(k => k.n === header.n && equalBytes(k.ratchetKey, header.ratchetKey))
  if (i >= 0) {
    const [k] = s.skipped.splice(i, 1)
    const { key, nonce } = messageCipherKey(k.messageKey)
    return { state: s, plaintext: aesGcmOpen(key, nonce, ciphertext, fullAad) }
  }
  if (s.receivingKey == null || !equalBytes(header.ratchetKey, s.receivingKey)) {
    if (isPastKey(state, header.ratchetKey)) {
      throw new MessageKeyUnavailableError('a message of an earlier ratchet step whose key is used or gone')
    }
    skipKeys(s, header.pn, o.nowMs)
    dhStep(s, header.ratchetKey, o.nextRatchetKey)
  }
  if (header.n < s.nr) throw new MessageKeyUnavailableError(`message ${header.n} of this chain was already opened (or its key expired)`)
  skipKeys(s, header.n, o.nowMs)
  const { chainKey, messageKey } = kdfChain(s.recvChain as Uint8Array)
  s.recvChain = chainKey
  s.nr++
  const { key, nonce } = messageCipherKey(messageKey)
  const plaintext = aesGcmOpen(key, nonce, ciphertext, fullAad)
  // the peer answered: our start header has done its job
  s.start = undefined
  return { state: s, plaintext }
}

/** A ratchet key we have already stepped past (kept in the skipped list's keys): never step back to it. */
function isPastKey (s: RatchetState, ratchetKey: Uint8Array): boolean {
  return s.skipped.some(k => equalBytes(k.ratchetKey, ratchetKey)) || (s.previousReceivingKeys ?? []).some(k => equalBytes(k, ratchetKey))
}

function skipKeys (s: RatchetState, until: number, nowMs: number): void {
  if (s.recvChain == null) return
  if (until - s.nr > RATCHET_MAX_SKIP) throw new MessageKeyUnavailableError(`message ${until} is more than ${RATCHET_MAX_SKIP} ahead of ${s.nr}`)
  let ck = s.recvChain
  for (; s.nr < until; s.nr++) {
    const { chainKey, messageKey } = kdfChain(ck)
    s.skipped.push({ ratchetKey: s.receivingKey as Uint8Array, n: s.nr, messageKey, atMs: nowMs })
    ck = chainKey
  }
  s.recvChain = ck
  if (s.skipped.length > RATCHET_MAX_SKIPPED_KEYS) s.skipped.splice(0, s.skipped.length - RATCHET_MAX_SKIPPED_KEYS)
}

function dhStep (s: RatchetState, ratchetKey: Uint8Array, next?: () => KeyPair): void {
  if (s.receivingKey != null) s.previousReceivingKeys = [...(s.previousReceivingKeys ?? []), s.receivingKey].slice(-MAX_PREVIOUS_KEYS)
  s.pn = s.ns
  s.ns = 0
  s.nr = 0
  s.receivingKey = ratchetKey.slice()
  let dh: Uint8Array
  try {
    dh = x25519Shared(s.sending.privateKey, ratchetKey)
  } catch (err) {
    throw new DecryptFailedError('low-order ratchet key', { cause: err })
  }
  const r = kdfRoot(s.rootKey, dh)
  s.recvChain = r.chainKey
  s.sending = next?.() ?? x25519KeyPair()
  const t = kdfRoot(r.rootKey, x25519Shared(s.sending.privateKey, ratchetKey))
  s.rootKey = t.rootKey
  s.sendChain = t.chainKey
}

/** Ratchet keys of the peer we stepped past, remembered so an old message never restarts a chain. */
const MAX_PREVIOUS_KEYS = 8

// ---- state at rest --------------------------------------------------------------------------

const STATE_VERSION = 1
const opt = (w: Writer, b?: Uint8Array): Writer => b == null ? w.u8(0) : w.u8(1).bytes(b)

/** Local encoding of a state (sealed at rest by the store; not a wire format). */
export function encodeRatchetState (s: RatchetState): Uint8Array {
  const w = new Writer().u8(STATE_VERSION).bytes(s.sessionId).bytes(s.peerIdentityKey).bytes(s.rootKey).bytes(s.sending.privateKey).bytes(s.sending.publicKey)
  opt(w, s.receivingKey); opt(w, s.sendChain); opt(w, s.recvChain)
  w.u32(s.ns).u32(s.nr).u32(s.pn)
  opt(w, s.start == null ? undefined : encodeRatchetHeader({ sessionId: s.sessionId, start: s.start, ratchetKey: new Uint8Array(32), pn: 0, n: 0 }))
  const prev = s.previousReceivingKeys ?? []
  w.u8(prev.length)
  for (const k of prev) w.bytes(k)
  w.u16(s.skipped.length)
  for (const k of s.skipped) w.bytes(k.ratchetKey).u32(k.n).bytes(k.messageKey).u64(k.atMs)
  return w.finish()
}

export function decodeRatchetState (bytes: Uint8Array): RatchetState {
  const r = new Reader(bytes, 'ratchet state')
  if (r.u8() !== STATE_VERSION) throw new UnsupportedVersionError('unsupported ratchet state version')
  const k = (): Uint8Array => r.bytes(32).slice()
  const o = (len: number): Uint8Array | undefined => r.u8() === 1 ? r.bytes(len).slice() : undefined
  const sessionId = r.bytes(SESSION_ID_LENGTH).slice()
  const peerIdentityKey = k(); const rootKey = k(); const privateKey = k(); const publicKey = k()
  const receivingKey = o(32); const sendChain = o(32); const recvChain = o(32)
  const ns = r.u32(); const nr = r.u32(); const pn = r.u32()
  let start: SessionStart | undefined
  if (r.u8() === 1) {
    const len = 2 + SESSION_ID_LENGTH + 32 + 8 + START_IDENTITY_SEALED + 32 + 8
    start = readRatchetHeader(new Reader(r.bytes(len), 'start header')).start
  }
  const previousReceivingKeys: Uint8Array[] = []
  for (let n = r.u8(); n > 0; n--) previousReceivingKeys.push(k())
  const skipped: SkippedKey[] = []
  for (let n = r.u16(); n > 0; n--) skipped.push({ ratchetKey: k(), n: r.u32(), messageKey: k(), atMs: r.u64n() })
  r.end()
  return { sessionId, peerIdentityKey, rootKey, sending: { privateKey, publicKey }, receivingKey, sendChain, recvChain, ns, nr, pn, start, skipped, previousReceivingKeys }
}

/** Hex of a session id (map keys, logs). */
export const sessionKey = (id: Uint8Array): string => toHex(id)
