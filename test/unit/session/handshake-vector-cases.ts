/**
 * The handshake vector cases and their reference computation (shared by handshake-vectors.spec and
 * handshake.spec; a spec file imported by another would run its tests twice under mocha --parallel).
 */
import assert from 'node:assert/strict'
import { createCipheriv, createHash, createHmac, hkdfSync } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { x25519PublicKey, x25519SharedSecret } from '../../../src/crypto/index.js'
import { AttnError } from '../../../src/errors.js'
import { attAddress, encodeChain, issueCertificate, MAX_CERT_VALIDITY_SECONDS, sign } from '../../../src/keys/index.js'
import {
  decodeHandshakeHeader, decodeReject, deriveHandshakeKeys, deriveSessionKeys, encodeReject, encodeSessionUnknown,
  InitiatorHandshake, rejectForBadHeader, ResponderHandshake
} from '../../../src/session/handshake.js'
import type { HandshakeIdentity } from '../../../src/session/handshake.js'
import type { PrivateKey } from '@libp2p/interface'

export const SESSION_KEYS_FILE = fileURLToPath(new URL('../../../../protocols/vectors/session-keys.json', import.meta.url))
export const HANDSHAKE_FILE = fileURLToPath(new URL('../../../../protocols/vectors/handshake.json', import.meta.url))
export const WRITE = process.env.ATTN_WRITE_VECTORS === '1'

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

/** n deterministic bytes: SHA-256("attn-handshake-vector/" | label | "/" | counter) blocks. */
export function det (label: string, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0, c = 0; i < n; c++, i += 32) {
    const block = createHash('sha256').update(`attn-handshake-vector/${label}/${c}`).digest()
    out.set(block.subarray(0, Math.min(32, n - i)), i)
  }
  return out
}

export const keyFrom = (label: string): PrivateKey => privateKeyFromRaw(det(`secp256k1/${label}`, 32))

/** 2026-01-01T00:00:00Z. */
export const NOW_S = 1_767_225_600
export const NOW_MS = NOW_S * 1000

// ---------------------------------------------------------------------------------------------
// Independent reference of the handshake (protocols/attnproto.md Part 3), node:crypto only.
// ---------------------------------------------------------------------------------------------
const ascii = (s: string): Buffer => Buffer.from(s, 'ascii')
const cat = (...p: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(p))
const h256 = (...p: Uint8Array[]): Uint8Array => { const h = createHash('sha256'); for (const x of p) h.update(x); return new Uint8Array(h.digest()) }
const mac = (k: Uint8Array, ...p: Uint8Array[]): Uint8Array => { const h = createHmac('sha256', k); for (const x of p) h.update(x); return new Uint8Array(h.digest()) }
export const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string, n: number): Uint8Array => new Uint8Array(hkdfSync('sha256', ikm, salt, ascii(info), n))
function gcm (key: Uint8Array, plain: Uint8Array, aad: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-gcm', key, Buffer.alloc(12))
  c.setAAD(aad)
  return cat(c.update(plain), c.final(), c.getAuthTag())
}
const hdr = (type: number, hsId: Uint8Array): Uint8Array => cat(new Uint8Array(8), new Uint8Array([type, 1]), hsId)
const be16 = (n: number): Uint8Array => new Uint8Array([n >> 8, n & 0xff])

export interface SideInputs {
  root: PrivateKey
  node: PrivateKey
  chain: Uint8Array
  ephemeral: Uint8Array
  nonce: Uint8Array
}

export interface CaseInputs {
  description: string
  now: number
  initiator: SideInputs & { hsId: Uint8Array, expectedAddress?: string }
  responder: SideInputs & { salt: Uint8Array }
}

export function reference (c: CaseInputs): Record<string, Uint8Array> {
  const I = c.initiator
  const R = c.responder
  const ephI = x25519PublicKey(I.ephemeral)
  const ephR = x25519PublicKey(R.ephemeral)
  const hello = cat(hdr(0x01, I.hsId), ephI, I.nonce)
  const prefix = cat(hdr(0x02, I.hsId), ephR, R.nonce, R.salt)
  const ee = x25519SharedSecret(I.ephemeral, ephR)
  const hk = hkdf(ee, h256(ascii('attn/1 hs'), hello, prefix), 'attn/1 handshake', 128)
  const [kR2I, kI2R, finR, finI] = [hk.slice(0, 32), hk.slice(32, 64), hk.slice(64, 96), hk.slice(96, 128)]
  const idR = cat(be16(R.chain.byteLength), R.chain, R.node.publicKey.raw)
  const thR = h256(ascii('attn/1 hs responder'), hello, prefix, idR)
  const sigR = sign(R.node, 'handshake', thR)
  const rPlain = cat(idR, sigR, mac(finR, thR, sigR))
  const response = sealAuthBlock(prefix, kR2I, rPlain)
  const fHdr = hdr(0x03, I.hsId)
  const idI = cat(be16(I.chain.byteLength), I.chain, I.node.publicKey.raw)
  const thI = h256(ascii('attn/1 hs initiator'), hello, prefix, rPlain, fHdr, idI)
  const sigI = sign(I.node, 'handshake', thI)
  const iPlain = cat(idI, sigI, mac(finI, thI, sigI))
  const finish = sealAuthBlock(fHdr, kI2R, iPlain)
  const th = h256(ascii('attn/1 transcript'), hello, prefix, rPlain, fHdr, iPlain)
  const okm = hkdf(ee, th, 'attn/1 session', 136)
  const sid = okm.slice(0, 8)
  const accept = cat(hdr(0x04, I.hsId), sid, mac(finR, ascii('attn/1 accept'), th))
  return {
    ephemeral_i: ephI, ephemeral_r: ephR, hello, response, finish, accept, shared_secret: ee,
    hs_r2i: kR2I, hs_i2r: kI2R, hs_fin_r: finR, hs_fin_i: finI, th_r: thR, th_i: thI,
    responder_auth_plaintext: rPlain, initiator_auth_plaintext: iPlain, transcript_hash: th,
    session_id: sid, k_mac_i2r: okm.slice(8, 40), k_enc_i2r: okm.slice(40, 72), k_mac_r2i: okm.slice(72, 104), k_enc_r2i: okm.slice(104, 136)
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------
export const ROOT_I = keyFrom('initiator root')
export const NODE_I = keyFrom('initiator node')
export const ROOT_R = keyFrom('responder root')
export const NODE_R = keyFrom('responder node')
export const OTHER = keyFrom('other key')
const NB = NOW_S - 60
const NA = NB + MAX_CERT_VALIDITY_SECONDS

export const chainFor = (root: PrivateKey, node: PrivateKey, notBefore = NB, notAfter = NA, label = 'laptop'): Uint8Array =>
  encodeChain([issueCertificate(root, node.publicKey, { notBefore, notAfter, label })])

export function baseCase (description: string, tag: string, over: { i?: Partial<CaseInputs['initiator']>, r?: Partial<CaseInputs['responder']>, now?: number } = {}): CaseInputs {
  return {
    description,
    now: over.now ?? NOW_MS,
    initiator: { root: ROOT_I, node: ROOT_I, chain: encodeChain([]), ephemeral: det(`${tag}/eph_i`, 32), nonce: det(`${tag}/nonce_i`, 32), hsId: det(`${tag}/hs_id`, 8), ...over.i },
    responder: { root: ROOT_R, node: ROOT_R, chain: encodeChain([]), ephemeral: det(`${tag}/eph_r`, 32), nonce: det(`${tag}/nonce_r`, 32), salt: det(`${tag}/salt`, 8), ...over.r }
  }
}

export const identityOf = (s: SideInputs): HandshakeIdentity => ({ address: attAddress(s.root.publicKey), nodeKey: s.node, chain: s.chain })

export function initiatorOf (c: CaseInputs): InitiatorHandshake {
  return new InitiatorHandshake({ identity: identityOf(c.initiator), expectedAddress: c.initiator.expectedAddress, ephemeralPrivateKey: c.initiator.ephemeral, nonce: c.initiator.nonce, hsId: c.initiator.hsId })
}

export function responderOf (c: CaseInputs, hello: Uint8Array): ResponderHandshake {
  return new ResponderHandshake(hello, { identity: identityOf(c.responder), ephemeralPrivateKey: c.responder.ephemeral, nonce: c.responder.nonce, salt: c.responder.salt })
}

/** Runs the production handshake; returns every message and the sessions. */
export function runProduction (c: CaseInputs): { hello: Uint8Array, response: Uint8Array, finish: Uint8Array, accept: Uint8Array, transcriptHash: Uint8Array, i: ReturnType<InitiatorHandshake['onAccept']>, r: ReturnType<ResponderHandshake['onFinish']>['session'] } {
  const ini = initiatorOf(c)
  const hello = ini.hello()
  const resp = responderOf(c, hello)
  const { finish } = ini.onResponse(resp.response, c.now)
  const { session: r, accept, transcriptHash } = resp.onFinish(finish, c.now)
  const i = ini.onAccept(accept)
  return { hello, response: resp.response, finish, accept, transcriptHash, i, r }
}

function sideJson (s: SideInputs): Record<string, string> {
  return {
    root_private: hex(s.root.raw),
    node_private: hex(s.node.raw),
    address: attAddress(s.root.publicKey),
    node_public: hex(s.node.publicKey.raw),
    chain: hex(s.chain),
    ephemeral_private: hex(s.ephemeral),
    nonce: hex(s.nonce)
  }
}

function caseJson (c: CaseInputs): Record<string, unknown> {
  return {
    description: c.description,
    now_ms: c.now,
    initiator: { ...sideJson(c.initiator), hs_id: hex(c.initiator.hsId), ...(c.initiator.expectedAddress != null ? { expected_address: c.initiator.expectedAddress } : {}) },
    responder: { ...sideJson(c.responder), salt: hex(c.responder.salt) }
  }
}

function sideFromJson (j: any): SideInputs {
  return { root: privateKeyFromRaw(unhex(j.root_private)), node: privateKeyFromRaw(unhex(j.node_private)), chain: unhex(j.chain), ephemeral: unhex(j.ephemeral_private), nonce: unhex(j.nonce) }
}

export function caseFromJson (j: any): CaseInputs {
  return {
    description: j.description,
    now: j.now_ms,
    initiator: { ...sideFromJson(j.initiator), hsId: unhex(j.initiator.hs_id), expectedAddress: j.initiator.expected_address },
    responder: { ...sideFromJson(j.responder), salt: unhex(j.responder.salt) }
  }
}

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------
export function generateSessionKeys (): any[] {
  const cases: Array<[string, string, Uint8Array?]> = [
    ['fixed labels, case 1', 'sk1'],
    ['fixed labels, case 2', 'sk2'],
    ['fixed labels, case 3', 'sk3'],
    ['all-zero transcript hash', 'sk4', new Uint8Array(32)],
    ['all-0xff transcript hash', 'sk5', new Uint8Array(32).fill(0xff)]
  ]
  return cases.map(([description, tag, th]) => {
    const iPriv = det(`${tag}/eph_i`, 32)
    const rPriv = det(`${tag}/eph_r`, 32)
    const transcriptHash = th ?? det(`${tag}/transcript`, 32)
    const ee = x25519SharedSecret(iPriv, x25519PublicKey(rPriv))
    const { sessionId, keys } = deriveSessionKeys(ee, transcriptHash)
    return {
      description,
      initiator_ephemeral_private: hex(iPriv),
      responder_ephemeral_private: hex(rPriv),
      initiator_ephemeral_public: hex(x25519PublicKey(iPriv)),
      responder_ephemeral_public: hex(x25519PublicKey(rPriv)),
      transcript_hash: hex(transcriptHash),
      shared_secret: hex(ee),
      session_id: hex(sessionId),
      k_mac_i2r: hex(keys.kMacI2R),
      k_enc_i2r: hex(keys.kEncI2R),
      k_mac_r2i: hex(keys.kMacR2I),
      k_enc_r2i: hex(keys.kEncR2I)
    }
  })
}

export function validCases (): CaseInputs[] {
  return [
    baseCase('both sides on their root keys (empty chains)', 'root-root'),
    baseCase('initiator on a device key with a certificate, responder on its root key', 'dev-root', { i: { node: NODE_I, chain: chainFor(ROOT_I, NODE_I) } }),
    baseCase('both sides on device keys with certificates', 'dev-dev', { i: { node: NODE_I, chain: chainFor(ROOT_I, NODE_I) }, r: { node: NODE_R, chain: chainFor(ROOT_R, NODE_R, NB, NA, 'server') } }),
    baseCase('initiator expects the responder address it gets', 'expected', { i: { expectedAddress: attAddress(ROOT_R.publicKey) } }),
    baseCase('certificate at the edge of its window (now = not_after + 60 s clock skew)', 'edge', { i: { node: NODE_I, chain: chainFor(ROOT_I, NODE_I, NOW_S - 1000, NOW_S - 60) } }),
    baseCase('now_ms is rounded down to seconds for certificate checks: now_ms = (not_after + 60) s + 999 ms is still valid', 'edge-ms', { i: { node: NODE_I, chain: chainFor(ROOT_I, NODE_I, NOW_S - 1000, NOW_S - 60) }, now: NOW_MS + 999 })
  ]
}

function flip (b: Uint8Array, i: number, bit = 0): Uint8Array {
  const out = Uint8Array.from(b)
  out[i] ^= 1 << bit
  return out
}

/** `prefix | sealed length | auth block sealed under key` with the prefix as associated data. */
function sealAuthBlock (prefix: Uint8Array, key: Uint8Array, plain: Uint8Array): Uint8Array {
  const sealed = gcm(key, plain, prefix)
  return cat(prefix, be16(sealed.byteLength), sealed)
}
/** Reseals an auth block under the handshake key (for bad-signature / bad-finished cases). */
function resealFinish (c: CaseInputs, mutate: (plain: Uint8Array) => Uint8Array): Uint8Array {
  const ref = reference(c)
  return sealAuthBlock(ref.finish.subarray(0, 18), ref.hs_i2r, mutate(Uint8Array.from(ref.initiator_auth_plaintext)))
}
function resealResponse (c: CaseInputs, mutate: (plain: Uint8Array) => Uint8Array): Uint8Array {
  const ref = reference(c)
  return sealAuthBlock(ref.response.subarray(0, 90), ref.hs_r2i, mutate(Uint8Array.from(ref.responder_auth_plaintext)))
}

export type Step = 'hello' | 'response' | 'finish' | 'accept'
export interface InvalidCase { c: CaseInputs, step: Step, message: Uint8Array, error: string }

export function invalidCases (): InvalidCase[] {
  const base = baseCase('', 'invalid')
  const ref = reference(base)
  const out: InvalidCase[] = []
  const add = (description: string, c: CaseInputs, step: Step, message: Uint8Array, error: string): void => {
    out.push({ c: { ...c, description }, step, message, error })
  }
  const sealedStart = 90 + 2
  add('RESPONSE: one bit of the sealed auth block flipped', base, 'response', flip(ref.response, sealedStart + 5), 'ERR_HS_DECRYPT')
  add('RESPONSE: one bit of the GCM tag flipped', base, 'response', flip(ref.response, ref.response.byteLength - 1, 7), 'ERR_HS_DECRYPT')
  add('RESPONSE: salt changed (it is AEAD associated data)', base, 'response', flip(ref.response, 82), 'ERR_HS_DECRYPT')
  add('RESPONSE: responder nonce changed', base, 'response', flip(ref.response, 50), 'ERR_HS_DECRYPT')
  add('FINISH: one bit of the sealed auth block flipped', base, 'finish', flip(ref.finish, 20 + 3), 'ERR_HS_DECRYPT')
  add('HELLO: version 2', base, 'hello', (() => { const h = Uint8Array.from(ref.hello); h[9] = 2; return h })(), 'ERR_HS_UNSUPPORTED_VERSION')
  add('RESPONSE: version 0', base, 'response', (() => { const h = Uint8Array.from(ref.response); h[9] = 0; return h })(), 'ERR_HS_UNSUPPORTED_VERSION')
  add('HELLO: truncated (81 bytes)', base, 'hello', ref.hello.slice(0, 81), 'ERR_HS_MALFORMED')
  add('HELLO: one extra byte (83 bytes)', base, 'hello', cat(ref.hello, new Uint8Array([0])), 'ERR_HS_MALFORMED')
  add('HELLO: shorter than the 18-byte header', base, 'hello', ref.hello.slice(0, 17), 'ERR_HS_MALFORMED')
  add('HELLO: low-order ephemeral (all zero)', base, 'hello', cat(ref.hello.subarray(0, 18), new Uint8Array(32), ref.hello.subarray(50)), 'ERR_HS_MALFORMED')
  add('HELLO: a first byte is not zero (not a handshake frame)', base, 'hello', flip(ref.hello, 0), 'ERR_HS_MALFORMED')
  add('HELLO: unknown message type 0x05', base, 'hello', (() => { const h = Uint8Array.from(ref.hello); h[8] = 5; return h })(), 'ERR_HS_MALFORMED')
  add('RESPONSE: truncated by one byte (sealed length mismatch)', base, 'response', ref.response.slice(0, -1), 'ERR_HS_MALFORMED')
  add('RESPONSE: truncated to its 90-byte prefix', base, 'response', ref.response.slice(0, 90), 'ERR_HS_MALFORMED')
  add('FINISH: truncated by one byte', base, 'finish', ref.finish.slice(0, -1), 'ERR_HS_MALFORMED')
  add('ACCEPT: truncated by one byte', base, 'accept', ref.accept.slice(0, -1), 'ERR_HS_MALFORMED')
  add('ACCEPT: confirm MAC flipped', base, 'accept', flip(ref.accept, 40), 'ERR_HS_BAD_CONFIRM')
  add('ACCEPT: session id flipped', base, 'accept', flip(ref.accept, 18), 'ERR_HS_BAD_CONFIRM')
  add('RESPONSE: hs_id does not match the HELLO', base, 'response', flip(ref.response, 12), 'ERR_HS_UNEXPECTED')
  add('RESPONSE step receives the HELLO (wrong type)', base, 'response', ref.hello, 'ERR_HS_UNEXPECTED')
  add('FINISH step receives a RESPONSE (wrong type)', base, 'finish', ref.response, 'ERR_HS_UNEXPECTED')
  add('FINISH: valid AEAD, initiator signature altered', base, 'finish', resealFinish(base, p => flip(p, p.byteLength - 32 - 64 + 10)), 'ERR_HS_BAD_SIGNATURE')
  add('FINISH: valid AEAD and signature, finished MAC altered', base, 'finish', resealFinish(base, p => flip(p, p.byteLength - 1)), 'ERR_HS_BAD_FINISHED')
  add('FINISH: valid AEAD, auth block chain_len too large', base, 'finish', resealFinish(base, p => { p[0] = 0x04; p[1] = 0x01; return p }), 'ERR_HS_MALFORMED')
  add('RESPONSE: valid AEAD, responder signature altered', base, 'response', resealResponse(base, p => flip(p, p.byteLength - 32 - 64 + 3)), 'ERR_HS_BAD_SIGNATURE')
  add('RESPONSE: valid AEAD and signature, finished MAC altered', base, 'response', resealResponse(base, p => flip(p, p.byteLength - 1)), 'ERR_HS_BAD_FINISHED')

  const edgeMs = baseCase('', 'edge-ms', { i: { node: NODE_I, chain: chainFor(ROOT_I, NODE_I, NOW_S - 1000, NOW_S - 61) }, now: NOW_MS + 999 })
  add('FINISH: now_ms rounding: not_after = now - 61 s, now_ms = now + 999 ms (floor(now_ms / 1000) = now) is expired', edgeMs, 'finish', reference(edgeMs).finish, 'ERR_CERT_EXPIRED')
  const expired = baseCase('', 'expired', { i: { node: NODE_I, chain: chainFor(ROOT_I, NODE_I, NOW_S - 10_000, NOW_S - 61) } })
  add('FINISH: initiator device certificate expired (not_after = now - 61 s, beyond the 60 s skew)', expired, 'finish', reference(expired).finish, 'ERR_CERT_EXPIRED')
  const future = baseCase('', 'future', { i: { node: NODE_I, chain: chainFor(ROOT_I, NODE_I, NOW_S + 61, NOW_S + 10_000) } })
  add('FINISH: initiator device certificate not yet valid (not_before = now + 61 s)', future, 'finish', reference(future).finish, 'ERR_CERT_NOT_YET_VALID')
  const mismatch = baseCase('', 'mismatch', { i: { node: NODE_I, chain: chainFor(ROOT_I, OTHER) } })
  add('FINISH: certificate certifies another node key than the one that signed', mismatch, 'finish', reference(mismatch).finish, 'ERR_CHAIN_KEY_MISMATCH')
  const forged = baseCase('', 'forged', { i: { node: NODE_I, chain: chainFor(OTHER, NODE_I) } })
  const forgedCert = Uint8Array.from(forged.initiator.chain)
  forgedCert.set(ROOT_I.publicKey.raw, 3 + 2) // claims ROOT_I as its root, signed by OTHER
  const forgedCase = { ...forged, initiator: { ...forged.initiator, chain: forgedCert } }
  add('FINISH: certificate names a root that did not sign it', forgedCase, 'finish', reference(forgedCase).finish, 'ERR_CERT_BAD_SIGNATURE')
  const rExpired = baseCase('', 'r-expired', { r: { node: NODE_R, chain: chainFor(ROOT_R, NODE_R, NOW_S - 10_000, NOW_S - 61) } })
  add('RESPONSE: responder device certificate expired', rExpired, 'response', reference(rExpired).response, 'ERR_CERT_EXPIRED')
  const unexpected = baseCase('', 'unexpected', { i: { expectedAddress: attAddress(OTHER.publicKey) } })
  add('RESPONSE: responder proves an address other than the expected one', unexpected, 'response', reference(unexpected).response, 'ERR_HS_UNEXPECTED_PEER')
  return out
}

export function generateHandshake (): any {
  const valid = validCases().map(c => {
    const ref = reference(c)
    return { ...caseJson(c), ...Object.fromEntries(Object.entries(ref).map(([k, v]) => [k, hex(v)])) }
  })
  const invalid = invalidCases().map(v => ({ ...caseJson(v.c), step: v.step, message: hex(v.message), error: v.error }))
  const hsId = det('notice/hs_id', 8)
  const sid = det('notice/session_id', 8)
  const notices = [
    { description: 'REJECT with ERR_CERT_EXPIRED', type: 'reject', hs_id: hex(hsId), code: 'ERR_CERT_EXPIRED', message: hex(encodeReject(hsId, 'ERR_CERT_EXPIRED')) },
    { description: 'REJECT with ERR_HS_TOO_MANY_PENDING', type: 'reject', hs_id: hex(hsId), code: 'ERR_HS_TOO_MANY_PENDING', message: hex(encodeReject(hsId, 'ERR_HS_TOO_MANY_PENDING')) },
    { description: 'SESSION_UNKNOWN', type: 'session_unknown', session_id: hex(sid), message: hex(encodeSessionUnknown(sid)) }
  ]
  return { description: HANDSHAKE_DESCRIPTION, valid, invalid, notices, answers: answerVectors() }
}

const HANDSHAKE_DESCRIPTION = 'ATTNProto handshakes (protocols/attnproto.md Part 3). Field names are the spec\'s names in lower snake_case; ' +
  'byte strings are lowercase hex; now_ms is the verifier\'s clock in unix milliseconds (certificate checks use floor(now_ms / 1000)). ' +
  '`valid`: run both sides with the listed private keys, ephemerals, nonces, hs_id and salt; every message and intermediate value must match. ' +
  '`invalid`: the listed parameters define a complete handshake exactly as in `valid`; regenerate every message before `step` from them ' +
  '(step hello: the responder receives `message` instead of the HELLO; step response: the initiator, after sending its HELLO, receives `message` ' +
  'instead of the RESPONSE; step finish: the responder, after the honest HELLO and RESPONSE, receives `message` instead of the FINISH; ' +
  'step accept: the initiator, after the honest HELLO, RESPONSE and FINISH, receives `message` instead of the ACCEPT) and expect `error` ' +
  'from that receiver. `notices`: REJECT and SESSION_UNKNOWN encodings. `answers`: what a responder sends back for a frame whose header does ' +
  'not decode (Part 3 §7): `answer` is the REJECT, or "" when nothing is sent.'

/** Part 3 §7: a frame whose header does not decode is answered with REJECT and its code, unless it has no hs_id or is itself a notice. */
function answerVectors (): unknown[] {
  const ref = reference(baseCase('', 'answers'))
  const mutate = (b: Uint8Array, i: number, v: number): Uint8Array => { const t = Uint8Array.from(b); t[i] = v; return t }
  const v2Reject = mutate(encodeReject(det('answers/hs_id', 8), 'ERR_HS_UNSUPPORTED_VERSION'), 9, 2)
  const cases: Array<[string, Uint8Array]> = [
    ['HELLO of version 2 → REJECT ERR_HS_UNSUPPORTED_VERSION (a version-1 REJECT, same hs_id)', mutate(ref.hello, 9, 2)],
    ['version 0xff, type RESPONSE → REJECT ERR_HS_UNSUPPORTED_VERSION (the version is checked before the type)', mutate(ref.response, 9, 0xff)],
    ['version 1, unknown type 0x05 → REJECT ERR_HS_MALFORMED', mutate(ref.hello, 8, 5)],
    ['REJECT of version 2 → nothing (notices are never answered)', v2Reject],
    ['SESSION_UNKNOWN of version 2 → nothing', mutate(mutate(ref.hello.slice(0, 18), 8, 0x7e), 9, 2)],
    ['17 bytes (shorter than the header: no hs_id) → nothing', ref.hello.slice(0, 17)]
  ]
  return cases.map(([description, received]) => ({ description, received: hex(received), answer: hex(answerTo(received) ?? new Uint8Array(0)) }))
}

/** What the responder sends back for a frame whose header does not decode (production code). */
export function answerTo (frame: Uint8Array): Uint8Array | undefined {
  try {
    decodeHandshakeHeader(frame)
  } catch (err) {
    return rejectForBadHeader(frame, err)
  }
  assert.fail('the header decodes')
}

export function sessionKeysFile (): unknown {
  return {
    description: 'ATTNProto session key schedule alone (protocols/attnproto.md Part 3 §5): ee = X25519(own ephemeral, peer ephemeral); ' +
      'okm = HKDF-SHA256(ikm = ee, salt = transcript_hash, info = "attn/1 session", L = 136) = session_id(8) | k_mac_i2r | k_enc_i2r | k_mac_r2i | k_enc_r2i (32 each).',
    vectors: generateSessionKeys()
  }
}

/** Runs one invalid vector with production code; returns the error code thrown. */
export function runInvalid (c: CaseInputs, step: Step, message: Uint8Array): string {
  const ini = initiatorOf(c)
  const hello = ini.hello()
  const attempt = (fn: () => unknown): string => {
    try { fn() } catch (err) {
      assert.ok(err instanceof AttnError, `expected an AttnError, got ${String(err)}`)
      return err.code
    }
    assert.fail(`${c.description}: no error`)
  }
  if (step === 'hello') return attempt(() => responderOf(c, message))
  const resp = responderOf(c, hello)
  if (step === 'response') return attempt(() => ini.onResponse(message, c.now))
  const { finish } = ini.onResponse(resp.response, c.now)
  if (step === 'finish') return attempt(() => resp.onFinish(message, c.now))
  resp.onFinish(finish, c.now)
  return attempt(() => ini.onAccept(message))
}

