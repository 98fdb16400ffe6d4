import { attAddress, toSecp256k1PublicKey } from './address.js'
import { decodeCertificate, encodeCertificate, verifyCertificate } from './certificate.js'
import { MAX_CERT_LENGTH, MAX_CHAIN_CERTIFICATES } from './constants.js'
import { ChainKeyMismatchError, ChainTooLongError, InvalidKeyError, MalformedCertificateError } from './errors.js'
import type { Certificate, VerifyCertificateOptions } from './certificate.js'
import type { PublicKey } from '@libp2p/interface'

/**
 * Encodes a key chain as sent in a handshake: `count(1) | (cert_len(2, BE) | cert)*`.
 * An empty list (count 0) means the node runs on the root key itself.
 */
export function encodeChain (certificates: Array<Certificate | Uint8Array> = []): Uint8Array {
  if (certificates.length > MAX_CHAIN_CERTIFICATES) {
    throw new ChainTooLongError(`a chain holds at most ${MAX_CHAIN_CERTIFICATES} certificate(s) in this version, got ${certificates.length}`)
  }
  const encoded = certificates.map(c => c instanceof Uint8Array ? c : encodeCertificate(c))
  const out = new Uint8Array(1 + encoded.reduce((n, c) => n + 2 + c.byteLength, 0))
  const view = new DataView(out.buffer)
  out[0] = encoded.length
  let o = 1
  for (const c of encoded) {
    if (c.byteLength > 0xffff) throw new RangeError('certificate too long for a chain')
    view.setUint16(o, c.byteLength); o += 2
    out.set(c, o); o += c.byteLength
  }
  return out
}

/**
 * Parses a chain. Total: throws only ChainTooLongError (count above MAX_CHAIN_CERTIFICATES, checked
 * before anything else is parsed), MalformedCertificateError (framing: truncated, trailing bytes,
 * bad length, or a malformed certificate) or UnsupportedCertificateVersionError.
 */
export function decodeChain (bytes: Uint8Array): Certificate[] {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < 1) throw new MalformedCertificateError('empty key chain')
  const count = bytes[0]
  if (count > MAX_CHAIN_CERTIFICATES) {
    throw new ChainTooLongError(`a chain holds at most ${MAX_CHAIN_CERTIFICATES} certificate(s) in this version, got ${count}`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const certificates: Certificate[] = []
  let o = 1
  for (let i = 0; i < count; i++) {
    if (o + 2 > bytes.byteLength) throw new MalformedCertificateError('key chain truncated in a certificate length')
    const length = view.getUint16(o); o += 2
    if (length > MAX_CERT_LENGTH) throw new MalformedCertificateError(`certificate length ${length} exceeds ${MAX_CERT_LENGTH}`)
    if (o + length > bytes.byteLength) throw new MalformedCertificateError('key chain truncated in a certificate')
    certificates.push(decodeCertificate(bytes.subarray(o, o + length)))
    o += length
  }
  if (o !== bytes.byteLength) throw new MalformedCertificateError(`key chain has ${bytes.byteLength - o} trailing bytes`)
  return certificates
}

/** What a verified chain proves: `nodePublicKey` speaks for the identity `address` (root key). */
export interface VerifiedChain {
  rootPublicKey: PublicKey
  nodePublicKey: PublicKey
  /** ATT address of the root key. */
  address: string
  /** End of the certificate's validity (unix seconds); absent when the node runs on the root key. */
  notAfter?: number
  /** Device label from the certificate, if any. */
  label?: string
}

/**
 * Verifies a chain received in a handshake, where `nodePublicKey` is the key that signed the
 * handshake. Steps (first failure wins): decodeChain (ERR_CHAIN_TOO_LONG, ERR_CERT_UNSUPPORTED_VERSION,
 * ERR_CERT_MALFORMED); count 0 → the root key is nodePublicKey itself; count 1 → verifyCertificate
 * (ERR_CERT_BAD_SIGNATURE, ERR_CERT_VALIDITY_TOO_LONG, ERR_CERT_NOT_YET_VALID, ERR_CERT_EXPIRED),
 * then the certificate's node key must equal nodePublicKey (ERR_CHAIN_KEY_MISMATCH).
 */
export function verifyChain (chainBytes: Uint8Array, nodePublicKey: PublicKey | Uint8Array, nowSeconds: number, options: VerifyCertificateOptions = {}): VerifiedChain {
  let signer: PublicKey
  try {
    signer = toSecp256k1PublicKey(nodePublicKey)
  } catch (err) {
    if (err instanceof InvalidKeyError) throw new ChainKeyMismatchError(`the handshake key is not a secp256k1 key: ${err.message}`)
    throw err
  }
  const certificates = decodeChain(chainBytes)
  if (certificates.length === 0) {
    return { rootPublicKey: signer, nodePublicKey: signer, address: attAddress(signer) }
  }
  // MAX_CHAIN_CERTIFICATES = 1. A longer chain would verify each certificate and require
  // certificates[i].rootPublicKey to equal certificates[i - 1].nodePublicKey.
  const cert = verifyCertificate(certificates[0], nowSeconds, options)
  if (!cert.nodePublicKey.equals(signer)) {
    throw new ChainKeyMismatchError('the certificate certifies a different node key than the one that signed')
  }
  return {
    rootPublicKey: cert.rootPublicKey,
    nodePublicKey: cert.nodePublicKey,
    address: attAddress(cert.rootPublicKey),
    notAfter: cert.notAfter,
    label: cert.label
  }
}
