/**
 * The primitives of the messaging layer: thin adapters over src/crypto (node:crypto) that take
 * raw keys and report failures with this layer's error types.
 */
import {
  aes256GcmOpen, aes256GcmSeal, hkdfSha256, hmacSha256 as hmac, randomBytes, secretKey,
  x25519GenerateKeyPair, x25519PublicKey, x25519SharedSecret
} from '../crypto/index.js'
import { AES_KEY_LENGTH, GCM_IV_LENGTH, GCM_TAG_LENGTH, X25519_KEY_LENGTH } from './constants.js'
import { DecryptFailedError } from './errors.js'

export function randomId (n = 16): Uint8Array {
  return randomBytes(n)
}

/** An X25519 key pair (RFC 7748), 32-byte raw keys: fresh, or the public half of `privateKey`. */
export function x25519KeyPair (privateKey?: Uint8Array): { privateKey: Uint8Array, publicKey: Uint8Array } {
  if (privateKey == null) return x25519GenerateKeyPair()
  if (privateKey.byteLength !== X25519_KEY_LENGTH) throw new RangeError('an X25519 private key is 32 bytes')
  return { privateKey, publicKey: x25519PublicKey(privateKey) }
}

/** X25519(sk, pk). Throws for a low-order public key, whose shared secret would be all zero. */
export function x25519Shared (privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return x25519SharedSecret(privateKey, publicKey)
}

export function hkdf (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdfSha256(ikm, salt, info, length)
}

export function hmacSha256 (key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(secretKey(key), data)
}

/** AES-256-GCM: returns ciphertext | tag(16). */
export function aesGcmSeal (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  if (key.byteLength !== AES_KEY_LENGTH || nonce.byteLength !== GCM_IV_LENGTH) throw new RangeError('bad AES-GCM key or nonce length')
  return aes256GcmSeal(secretKey(key), nonce, plaintext, aad)
}

/** Opens ciphertext | tag(16); throws DecryptFailedError when authentication fails. */
export function aesGcmOpen (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.byteLength < GCM_TAG_LENGTH) throw new DecryptFailedError('ciphertext shorter than the GCM tag')
  try {
    return aes256GcmOpen(secretKey(key), nonce, sealed, aad)
  } catch (err) {
    throw new DecryptFailedError('AES-GCM authentication failed', { cause: err })
  }
}
