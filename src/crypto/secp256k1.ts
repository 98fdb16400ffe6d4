/**
 * secp256k1 ECDSA and key parsing, in one place. Backed by the native libsecp256k1 addon of the
 * `secp256k1` package (prebuilt N-API, loaded lazily and guarded) when it loads, else by the
 * previous code: @noble/curves for signing and point arithmetic, node:crypto (OpenSSL) for
 * verification. Both backends give the same bytes (RFC 6979 deterministic nonce, low-S compact
 * signatures) and the same accept/reject answers (attnproto.md §"Signatures"): the range and low-S
 * checks run here, before either backend sees the signature.
 * Measured (idle core): native sign ≈ 80 µs vs noble ≈ 800 µs; native verify ≈ 90 µs vs OpenSSL
 * ≈ 350 µs; native point decompression ≈ 10 µs vs noble ≈ 300 µs.
 */
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto'
import { createRequire } from 'node:module'
import { secp256k1 as noble } from '@noble/curves/secp256k1.js'
import { logger } from '@libp2p/logger'
import {
  SECP256K1_KEY_CACHE_SIZE, SECP256K1_PRIVATE_KEY_LENGTH,
  SECP256K1_PUBLIC_KEY_LENGTH, SECP256K1_SIGNATURE_LENGTH, SECP256K1_UNCOMPRESSED_LENGTH
} from './constants.js'
import { InvalidKeyLengthError, Secp256k1InvalidKeyError } from './errors.js'
import type { KeyObject } from 'node:crypto'

const log = logger('attn:crypto:secp256k1')

/** Which implementation runs: the libsecp256k1 addon, or @noble/curves + OpenSSL. */
export type Secp256k1Backend = 'native' | 'js'

/** The subset of the `secp256k1` package API used here (its lib wrapper throws on bad input). */
interface NativeSecp256k1 {
  ecdsaSign: (msg32: Uint8Array, seckey: Uint8Array) => { signature: Uint8Array, recid: number }
  ecdsaVerify: (sig: Uint8Array, msg32: Uint8Array, pubkey: Uint8Array) => boolean
  publicKeyCreate: (seckey: Uint8Array, compressed?: boolean) => Uint8Array
  publicKeyConvert: (pubkey: Uint8Array, compressed?: boolean) => Uint8Array
  publicKeyVerify: (pubkey: Uint8Array) => boolean
  ecdsaRecover: (sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean) => Uint8Array
  signatureImport: (der: Uint8Array) => Uint8Array
  signatureExport: (compact: Uint8Array) => Uint8Array
}

let addon: NativeSecp256k1 | null | undefined
let forced: Secp256k1Backend | undefined

function loadAddon (): NativeSecp256k1 | null {
  if (addon !== undefined) return addon
  if (process.env.ATTN_SECP256K1 === 'js') {
    addon = null
    log('ATTN_SECP256K1=js: using @noble/curves + node:crypto for secp256k1')
    return addon
  }
  try {
    // bindings.js, not the package's index.js: that one silently falls back to pure-JS elliptic
    const loaded = createRequire(import.meta.url)('secp256k1/bindings.js') as NativeSecp256k1
    // one self-check: a signature of the addon must verify (catches a broken prebuild)
    const sk = new Uint8Array(32).fill(1)
    const digest = new Uint8Array(32).fill(2)
    if (!loaded.ecdsaVerify(loaded.ecdsaSign(digest, sk).signature, digest, loaded.publicKeyCreate(sk, true))) {
      throw new Error('self-check failed')
    }
    addon = loaded
    log('using the native libsecp256k1 addon')
  } catch (err) {
    addon = null
    log.error('native secp256k1 addon unavailable, using @noble/curves + node:crypto: %s', (err as Error).message)
  }
  return addon
}

function native (): NativeSecp256k1 | null {
  if (forced === 'js') return null
  return loadAddon()
}

/** The backend in use: 'native' when the libsecp256k1 addon loaded (and is not overridden). */
export function secp256k1Backend (): Secp256k1Backend {
  return native() != null ? 'native' : 'js'
}

/**
 * Selects the backend for tests and benchmarks: 'js' forces the fallback, 'native' or undefined
 * go back to the default (native when the addon loads). Returns the backend now in use.
 */
export function setSecp256k1Backend (backend: Secp256k1Backend | undefined): Secp256k1Backend {
  forced = backend === 'js' ? 'js' : undefined
  return secp256k1Backend()
}

/** Group order n and n/2, big-endian: a valid (low-S) signature has 1 ≤ r < n and 1 ≤ s ≤ n/2. */
const N = Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex')
const HALF_N = Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex')

/** Compares the 32 bytes of `a` at `offset` with `b` as big-endian numbers: <0, 0, >0. */
function compare32 (a: Uint8Array, offset: number, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = a[offset + i] - b[i]
    if (d !== 0) return d
  }
  return 0
}

function isZero32 (a: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 32; i++) if (a[offset + i] !== 0) return false
  return true
}

/** 1 ≤ r < n and 1 ≤ s ≤ n/2 (compact r ‖ s). */
export function isLowSCompactSignature (signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.byteLength !== SECP256K1_SIGNATURE_LENGTH) return false
  if (isZero32(signature, 0) || compare32(signature, 0, N) >= 0) return false
  if (isZero32(signature, 32) || compare32(signature, 32, HALF_N) > 0) return false
  return true
}

function isCompressedEncoding (key: Uint8Array): boolean {
  return key instanceof Uint8Array && key.byteLength === SECP256K1_PUBLIC_KEY_LENGTH && (key[0] === 2 || key[0] === 3)
}

function checkPrivateKeyLength (privateKey: Uint8Array): void {
  if (privateKey.byteLength !== SECP256K1_PRIVATE_KEY_LENGTH) {
    throw new InvalidKeyLengthError('secp256k1 private key', SECP256K1_PRIVATE_KEY_LENGTH, privateKey.byteLength)
  }
}

/**
 * ECDSA signature of sha256(data): RFC 6979 deterministic nonce, low-S, 64-byte compact r ‖ s.
 * Both backends produce the same bytes.
 */
export function ecdsaSignSha256 (privateKey: Uint8Array, data: Uint8Array): Uint8Array {
  checkPrivateKeyLength(privateKey)
  const digest = createHash('sha256').update(data).digest()
  const n = native()
  if (n != null) {
    try {
      return n.ecdsaSign(digest, privateKey).signature
    } catch (err) {
      throw new Secp256k1InvalidKeyError('invalid secp256k1 private key', { cause: err })
    }
  }
  try {
    return noble.sign(digest, privateKey, { prehash: false, lowS: true, format: 'compact', extraEntropy: false })
  } catch (err) {
    throw new Secp256k1InvalidKeyError('invalid secp256k1 private key', { cause: err })
  }
}

/** DER SubjectPublicKeyInfo prefix of a compressed secp256k1 point (id-ecPublicKey, secp256k1). */
const SPKI_PREFIX = Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex')
/** OpenSSL key objects of the fallback, by hex: handshakes verify the same peers' keys again and again. */
const keyObjects = new Map<string, KeyObject>()

function keyObject (compressed: Uint8Array): KeyObject {
  const hex = Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength).toString('hex')
  let key = keyObjects.get(hex)
  if (key == null) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, compressed]), format: 'der', type: 'spki' })
    if (keyObjects.size >= SECP256K1_KEY_CACHE_SIZE) keyObjects.delete(keyObjects.keys().next().value as string)
    keyObjects.set(hex, key)
  }
  return key
}

/**
 * Checks a compact signature of sha256(data) by a 33-byte compressed key. Returns false, never
 * throws, for a malformed signature or key; high-S, r or s of 0, and r or s ≥ n are rejected.
 */
export function ecdsaVerifySha256 (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!isLowSCompactSignature(signature) || !isCompressedEncoding(publicKey) || !(data instanceof Uint8Array)) return false
    const n = native()
    if (n != null) {
      // libsecp256k1 also requires a normalized (low) s and parses the key (invalid point → throws)
      return n.ecdsaVerify(signature, createHash('sha256').update(data).digest(), publicKey)
    }
    // node hashes the data itself; an invalid point throws when parsed (→ false)
    return nodeVerify('sha256', data, { key: keyObject(publicKey), dsaEncoding: 'ieee-p1363' }, signature)
  } catch (err) {
    log.trace('secp256k1 verification failed: %s', (err as Error).message)
    return false
  }
}

/** The 33-byte compressed public key of a 32-byte private key. */
export function publicKeyCreate (privateKey: Uint8Array): Uint8Array {
  checkPrivateKeyLength(privateKey)
  try {
    const n = native()
    return n != null ? n.publicKeyCreate(privateKey, true) : noble.getPublicKey(privateKey, true)
  } catch (err) {
    throw new Secp256k1InvalidKeyError('invalid secp256k1 private key', { cause: err })
  }
}

/**
 * Parses a 33-byte compressed or 65-byte uncompressed point (checking it is on the curve) and
 * returns it compressed (33 bytes) or uncompressed (65 bytes). Throws Secp256k1InvalidKeyError.
 */
export function publicKeyConvert (publicKey: Uint8Array, compressed: boolean): Uint8Array {
  const len = publicKey?.byteLength
  if (!(publicKey instanceof Uint8Array) || (len !== SECP256K1_PUBLIC_KEY_LENGTH && len !== SECP256K1_UNCOMPRESSED_LENGTH)) {
    throw new Secp256k1InvalidKeyError(`a secp256k1 public key is ${SECP256K1_PUBLIC_KEY_LENGTH} or ${SECP256K1_UNCOMPRESSED_LENGTH} bytes, got ${String(len)}`)
  }
  try {
    const n = native()
    return n != null ? n.publicKeyConvert(publicKey, compressed) : noble.Point.fromBytes(publicKey).toBytes(compressed)
  } catch (err) {
    throw new Secp256k1InvalidKeyError('not a valid secp256k1 point', { cause: err })
  }
}

/** True when `publicKey` is a valid compressed (33-byte) point on the curve. Never throws. */
export function isValidCompressedPublicKey (publicKey: Uint8Array): boolean {
  if (!isCompressedEncoding(publicKey)) return false
  try {
    const n = native()
    if (n != null) return n.publicKeyVerify(publicKey)
    noble.Point.fromBytes(publicKey)
    return true
  } catch (err) {
    log.trace('invalid secp256k1 point: %s', (err as Error).message)
    return false
  }
}

/** DER (as libp2p signs) → compact r ‖ s; null when it is not a DER signature the backend parses. */
export function derToCompact (der: Uint8Array): Uint8Array | null {
  const n = native()
  try {
    if (n != null) return n.signatureImport(der)
    return noble.Signature.fromBytes(der, 'der').toBytes('compact')
  } catch (err) {
    log.trace('not a DER signature: %s', (err as Error).message)
    return null
  }
}

/** Compact r ‖ s → DER (as libp2p signs). */
export function compactToDer (compact: Uint8Array): Uint8Array {
  const n = native()
  return n != null ? n.signatureExport(compact) : noble.Signature.fromBytes(compact, 'compact').toBytes('der')
}

/**
 * Recoverable ECDSA signature of a 32-byte digest (EVM style, rewards): RFC 6979, low-S; the
 * compact r ‖ s and the recovery id (0 or 1). Both backends give the same bytes.
 */
export function ecdsaSignRecoverable (privateKey: Uint8Array, digest: Uint8Array): { signature: Uint8Array, recovery: number } {
  checkPrivateKeyLength(privateKey)
  try {
    const n = native()
    if (n != null) {
      const { signature, recid } = n.ecdsaSign(digest, privateKey)
      return { signature, recovery: recid }
    }
    // noble's 'recovered' format is recovery ‖ r ‖ s
    const rec = noble.sign(digest, privateKey, { prehash: false, format: 'recovered', lowS: true, extraEntropy: false })
    return { signature: rec.subarray(1, 65), recovery: rec[0] }
  } catch (err) {
    throw new Secp256k1InvalidKeyError('invalid secp256k1 private key or digest', { cause: err })
  }
}

/**
 * The public key (65-byte uncompressed) that made compact `signature` with `recovery` over a
 * 32-byte digest. Throws Secp256k1InvalidKeyError when none recovers (r or s out of range, no point).
 */
export function ecdsaRecover (signature: Uint8Array, recovery: number, digest: Uint8Array): Uint8Array {
  try {
    const n = native()
    if (n != null) return n.ecdsaRecover(signature, recovery, digest, false)
    return noble.Signature.fromBytes(signature, 'compact').addRecoveryBit(recovery).recoverPublicKey(digest).toBytes(false)
  } catch (err) {
    throw new Secp256k1InvalidKeyError('no public key recovers from this signature', { cause: err })
  }
}
