import { toSecp256k1PublicKey } from './address.js'
import { sign, verify } from './signature.js'
import {
  CERT_FIXED_HEADER_LENGTH, CERT_FLAGS, CERT_VERSION, CLOCK_SKEW_SECONDS, DEFAULT_CERT_BACKDATE_SECONDS,
  DEFAULT_CERT_VALIDITY_SECONDS, DOMAIN_CERT, MAX_CERT_LENGTH, MAX_CERT_VALIDITY_SECONDS, MAX_LABEL_BYTES,
  MIN_CERT_LENGTH, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH
} from './constants.js'
import {
  CertificateBadSignatureError, CertificateExpiredError, CertificateNotYetValidError,
  CertificateValidityTooLongError, InvalidKeyError, MalformedCertificateError, UnsupportedCertificateVersionError
} from './errors.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

/**
 * A node (device) certificate: the root key vouches that `nodePublicKey` speaks for the identity
 * between `notBefore` and `notAfter` (unix seconds). Layout in protocols/attnproto.md Part 1.
 */
export interface Certificate {
  version: number
  flags: number
  rootPublicKey: PublicKey
  nodePublicKey: PublicKey
  notBefore: number
  notAfter: number
  label: string
  /** 64-byte compact signature by the root key, domain "cert", over every preceding byte. */
  signature: Uint8Array
}

export interface IssueCertificateOptions {
  /** Start of validity, unix seconds. Default: now - 60 s. */
  notBefore?: number
  /** End of validity, unix seconds. Default: notBefore + 30 days (i.e. now + 30 days - 60 s). */
  notAfter?: number
  /** Device name, at most 64 UTF-8 bytes. Default: empty. */
  label?: string
  /** Largest window accepted by this call, seconds. Default (and the verifier's limit): 30 days. */
  maxValidity?: number
  /** "now" in unix seconds, for reproducible output. Default: the system clock. */
  now?: number
}

const textEncoder = new TextEncoder()
// fatal: invalid UTF-8 is an error; ignoreBOM: keep a leading BOM so decode/encode round-trips.
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function nowSeconds (): number {
  return Math.floor(Date.now() / 1000)
}

function checkTime (value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer number of unix seconds`)
  }
}

function encodeLabel (label: string): Uint8Array {
  const bytes = textEncoder.encode(label)
  if (bytes.byteLength > MAX_LABEL_BYTES) {
    throw new RangeError(`a certificate label is at most ${MAX_LABEL_BYTES} UTF-8 bytes, got ${bytes.byteLength}`)
  }
  return bytes
}

/** The signed part of a certificate: version | flags | root | node | not_before | not_after | label_len | label. */
export function certificateSignedBytes (cert: Omit<Certificate, 'signature'>): Uint8Array {
  const label = encodeLabel(cert.label)
  checkTime(cert.notBefore, 'notBefore')
  checkTime(cert.notAfter, 'notAfter')
  const root = toSecp256k1PublicKey(cert.rootPublicKey).raw
  const node = toSecp256k1PublicKey(cert.nodePublicKey).raw
  const out = new Uint8Array(CERT_FIXED_HEADER_LENGTH + label.byteLength)
  const view = new DataView(out.buffer)
  let o = 0
  out[o++] = cert.version
  out[o++] = cert.flags
  out.set(root, o); o += PUBLIC_KEY_LENGTH
  out.set(node, o); o += PUBLIC_KEY_LENGTH
  view.setBigUint64(o, BigInt(cert.notBefore)); o += 8
  view.setBigUint64(o, BigInt(cert.notAfter)); o += 8
  out[o++] = label.byteLength
  out.set(label, o)
  return out
}

/** Canonical encoding: the signed bytes followed by the 64-byte signature. */
export function encodeCertificate (cert: Certificate): Uint8Array {
  if (!(cert.signature instanceof Uint8Array) || cert.signature.byteLength !== SIGNATURE_LENGTH) {
    throw new RangeError(`a certificate signature is ${SIGNATURE_LENGTH} bytes`)
  }
  const tbs = certificateSignedBytes(cert)
  const out = new Uint8Array(tbs.byteLength + SIGNATURE_LENGTH)
  out.set(tbs)
  out.set(cert.signature, tbs.byteLength)
  return out
}

/**
 * Issues a certificate for `nodePublicKey`, signed by `root`. Refuses (CertificateValidityTooLongError)
 * a window longer than `maxValidity` (30 days by default; verifiers enforce 30 days regardless).
 */
export function issueCertificate (root: PrivateKey, nodePublicKey: PublicKey, options: IssueCertificateOptions = {}): Certificate {
  if (root == null || root.type !== 'secp256k1') throw new InvalidKeyError('the root key must be a secp256k1 private key')
  const now = options.now ?? nowSeconds()
  const notBefore = options.notBefore ?? Math.max(0, now - DEFAULT_CERT_BACKDATE_SECONDS)
  // The default window is exactly 30 days starting 60 s in the past, so it stays within the maximum.
  const notAfter = options.notAfter ?? notBefore + DEFAULT_CERT_VALIDITY_SECONDS
  checkTime(notBefore, 'notBefore')
  checkTime(notAfter, 'notAfter')
  if (notAfter < notBefore) throw new RangeError('notAfter is before notBefore')
  const maxValidity = options.maxValidity ?? MAX_CERT_VALIDITY_SECONDS
  if (notAfter - notBefore > maxValidity) {
    throw new CertificateValidityTooLongError(`certificate validity ${notAfter - notBefore} s exceeds the maximum of ${maxValidity} s`)
  }
  const unsigned = {
    version: CERT_VERSION,
    flags: CERT_FLAGS,
    rootPublicKey: root.publicKey,
    nodePublicKey: toSecp256k1PublicKey(nodePublicKey),
    notBefore,
    notAfter,
    label: options.label ?? ''
  }
  const signature = sign(root, DOMAIN_CERT, certificateSignedBytes(unsigned))
  return { ...unsigned, signature }
}

/**
 * Parses a certificate. Total: any input that is not exactly one well-formed certificate throws
 * MalformedCertificateError (or UnsupportedCertificateVersionError for a version byte other than 1);
 * nothing else is thrown. Does not check the signature or the validity window: see verifyCertificate.
 */
export function decodeCertificate (bytes: Uint8Array): Certificate {
  if (!(bytes instanceof Uint8Array)) throw new MalformedCertificateError('a certificate is a byte array')
  if (bytes.byteLength < 1) throw new MalformedCertificateError('empty certificate')
  if (bytes[0] !== CERT_VERSION) throw new UnsupportedCertificateVersionError(`unsupported certificate version ${bytes[0]}, expected ${CERT_VERSION}`)
  if (bytes.byteLength < MIN_CERT_LENGTH) throw new MalformedCertificateError(`certificate truncated: ${bytes.byteLength} bytes, at least ${MIN_CERT_LENGTH} expected`)
  if (bytes.byteLength > MAX_CERT_LENGTH) throw new MalformedCertificateError(`certificate too long: ${bytes.byteLength} bytes, at most ${MAX_CERT_LENGTH}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let o = 1
  const flags = bytes[o++]
  if (flags !== CERT_FLAGS) throw new MalformedCertificateError(`certificate flags must be 0, got ${flags}`)
  const rootPublicKey = parseKey(bytes.subarray(o, o + PUBLIC_KEY_LENGTH), 'root'); o += PUBLIC_KEY_LENGTH
  const nodePublicKey = parseKey(bytes.subarray(o, o + PUBLIC_KEY_LENGTH), 'node'); o += PUBLIC_KEY_LENGTH
  const notBefore = view.getBigUint64(o); o += 8
  const notAfter = view.getBigUint64(o); o += 8
  if (notBefore > BigInt(Number.MAX_SAFE_INTEGER) || notAfter > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MalformedCertificateError('certificate time out of range')
  }
  if (notAfter < notBefore) throw new MalformedCertificateError('certificate not_after is before not_before')
  const labelLength = bytes[o++]
  if (labelLength > MAX_LABEL_BYTES) throw new MalformedCertificateError(`certificate label too long: ${labelLength} bytes, at most ${MAX_LABEL_BYTES}`)
  const expected = CERT_FIXED_HEADER_LENGTH + labelLength + SIGNATURE_LENGTH
  if (bytes.byteLength < expected) throw new MalformedCertificateError(`certificate truncated: ${bytes.byteLength} bytes, ${expected} expected`)
  if (bytes.byteLength > expected) throw new MalformedCertificateError(`certificate has ${bytes.byteLength - expected} trailing bytes`)
  let label: string
  try {
    label = textDecoder.decode(bytes.subarray(o, o + labelLength))
  } catch (err) {
    throw new MalformedCertificateError('certificate label is not valid UTF-8', { cause: err })
  }
  o += labelLength
  const signature = bytes.slice(o, o + SIGNATURE_LENGTH)
  return {
    version: CERT_VERSION,
    flags,
    rootPublicKey,
    nodePublicKey,
    notBefore: Number(notBefore),
    notAfter: Number(notAfter),
    label,
    signature
  }
}

function parseKey (raw: Uint8Array, which: string): PublicKey {
  try {
    return toSecp256k1PublicKey(raw.slice())
  } catch (err) {
    throw new MalformedCertificateError(`certificate ${which} key is not a compressed secp256k1 point`, { cause: err })
  }
}

export interface VerifyCertificateOptions {
  /** Tolerated clock difference, seconds. Default CLOCK_SKEW_SECONDS (60). */
  clockSkew?: number
}

/**
 * Verifies a certificate at time `nowSeconds`, in this order (first failure wins):
 * decode (ERR_CERT_UNSUPPORTED_VERSION, ERR_CERT_MALFORMED) → root signature (ERR_CERT_BAD_SIGNATURE)
 * → window ≤ 30 days (ERR_CERT_VALIDITY_TOO_LONG) → not_before - skew ≤ now (ERR_CERT_NOT_YET_VALID)
 * → now ≤ not_after + skew (ERR_CERT_EXPIRED). Returns the decoded certificate.
 */
export function verifyCertificate (cert: Certificate | Uint8Array, nowSeconds: number, options: VerifyCertificateOptions = {}): Certificate {
  const decoded = cert instanceof Uint8Array ? decodeCertificate(cert) : cert
  if (decoded.version !== CERT_VERSION) throw new UnsupportedCertificateVersionError(`unsupported certificate version ${decoded.version}`)
  let tbs: Uint8Array
  try {
    tbs = certificateSignedBytes(decoded)
  } catch (err) {
    throw new MalformedCertificateError('certificate fields are out of range', { cause: err })
  }
  if (!verify(decoded.rootPublicKey, DOMAIN_CERT, tbs, decoded.signature)) {
    throw new CertificateBadSignatureError('certificate signature does not verify under its root key')
  }
  if (decoded.notAfter - decoded.notBefore > MAX_CERT_VALIDITY_SECONDS) {
    throw new CertificateValidityTooLongError(`certificate validity ${decoded.notAfter - decoded.notBefore} s exceeds the maximum of ${MAX_CERT_VALIDITY_SECONDS} s`)
  }
  const skew = options.clockSkew ?? CLOCK_SKEW_SECONDS
  if (nowSeconds + skew < decoded.notBefore) {
    throw new CertificateNotYetValidError(`certificate is valid from ${decoded.notBefore}, now is ${nowSeconds}`)
  }
  if (nowSeconds - skew > decoded.notAfter) {
    throw new CertificateExpiredError(`certificate expired at ${decoded.notAfter}, now is ${nowSeconds}`)
  }
  return decoded
}
