import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { X25519_KEY_LENGTH, X25519_PUBLIC_KEY_CACHE_SIZE } from './constants.js'
import { InvalidKeyLengthError, X25519LowOrderError } from './errors.js'

// DER prefixes of PKCS#8 / SPKI for X25519 (OID 1.3.101.110), followed by the 32 raw bytes.
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20])
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00])

function der (prefix: Uint8Array, raw: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(prefix.length + raw.length)
  b.set(prefix, 0)
  b.set(raw, prefix.length)
  return b
}

/**
 * Imported private keys, by the very array that holds the raw key: a key generated here and used
 * at once (a ratchet step: generate, then DH) is not imported again, and an entry lives exactly
 * as long as its array (no global copy of secret keys). Importing costs ≈ 120 µs (OpenSSL derives
 * the public key), the DH itself ≈ 70 µs.
 */
const privateObjects = new WeakMap<Uint8Array, KeyObject>()
/** Imported public keys by hex (not secret; bounded, the oldest goes first): peers' keys recur. */
const publicObjects = new Map<string, KeyObject>()

function privateKeyObject (privateKey: Uint8Array): KeyObject {
  if (privateKey.length !== X25519_KEY_LENGTH) throw new InvalidKeyLengthError('X25519 private key', X25519_KEY_LENGTH, privateKey.length)
  let key = privateObjects.get(privateKey)
  if (key == null) {
    key = createPrivateKey({ key: der(PKCS8_PREFIX, privateKey), format: 'der', type: 'pkcs8' })
    privateObjects.set(privateKey, key)
  }
  return key
}

function publicKeyObject (publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== X25519_KEY_LENGTH) throw new InvalidKeyLengthError('X25519 public key', X25519_KEY_LENGTH, publicKey.length)
  const hex = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('hex')
  let key = publicObjects.get(hex)
  if (key == null) {
    key = createPublicKey({ key: der(SPKI_PREFIX, publicKey), format: 'der', type: 'spki' })
    if (publicObjects.size >= X25519_PUBLIC_KEY_CACHE_SIZE) publicObjects.delete(publicObjects.keys().next().value as string)
    publicObjects.set(hex, key)
  }
  return key
}

/** Both raw keys of a private KeyObject: its JWK export (≈ 5 µs, against ≈ 85 µs for PKCS#8 + SPKI DER). */
function rawPair (privateKey: KeyObject): { privateKey: Uint8Array, publicKey: Uint8Array } {
  const jwk = privateKey.export({ format: 'jwk' })
  return { privateKey: new Uint8Array(Buffer.from(jwk.d as string, 'base64url')), publicKey: new Uint8Array(Buffer.from(jwk.x as string, 'base64url')) }
}

/** A fresh X25519 key pair as 32-byte raw strings (RFC 7748). */
export function x25519GenerateKeyPair (): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const { privateKey } = generateKeyPairSync('x25519')
  const pair = rawPair(privateKey)
  privateObjects.set(pair.privateKey, privateKey)
  return pair
}

/** The X25519 public key of a 32-byte raw private key. */
export function x25519PublicKey (privateKey: Uint8Array): Uint8Array {
  return rawPair(privateKeyObject(privateKey)).publicKey
}

/**
 * X25519(privateKey, publicKey). Throws `X25519LowOrderError` (`ERR_X25519_LOW_ORDER`) when the
 * result is all zero (RFC 7748 §6.1: a low-order peer key would otherwise fix the secret).
 */
export function x25519SharedSecret (privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const priv = privateKeyObject(privateKey)
  const pub = publicKeyObject(publicKey)
  let secret: Buffer
  try {
    secret = diffieHellman({ privateKey: priv, publicKey: pub })
  } catch {
    // OpenSSL itself refuses some low-order inputs ("failed to derive shared secret").
    throw new X25519LowOrderError()
  }
  let acc = 0
  for (let i = 0; i < secret.length; i++) acc |= secret[i]
  if (acc === 0) throw new X25519LowOrderError()
  return new Uint8Array(secret.buffer, secret.byteOffset, secret.length)
}
