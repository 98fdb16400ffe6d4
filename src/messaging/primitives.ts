/**
 * The few primitives this layer needs, straight from node:crypto and @noble/curves (kept local so
 * the messaging layer does not depend on src/crypto while it is being written).
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes } from 'node:crypto'
import { x25519 } from '@noble/curves/ed25519.js'
import { AES_KEY_LENGTH, GCM_NONCE_LENGTH, GCM_TAG_LENGTH, X25519_KEY_LENGTH } from './constants.js'
import { DecryptionFailedError } from './errors.js'

export function randomId (n = 16): Uint8Array {
  return new Uint8Array(randomBytes(n))
}

/** A fresh X25519 key pair (RFC 7748), 32-byte raw keys. */
export function x25519KeyPair (privateKey?: Uint8Array): { privateKey: Uint8Array, publicKey: Uint8Array } {
  const sk = privateKey ?? x25519.utils.randomSecretKey()
  if (sk.byteLength !== X25519_KEY_LENGTH) throw new RangeError('an X25519 private key is 32 bytes')
  return { privateKey: sk, publicKey: x25519.getPublicKey(sk) }
}

/** X25519(sk, pk). Throws (noble) for a low-order public key, whose shared secret would be all zero. */
export function x25519Shared (privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return x25519.getSharedSecret(privateKey, publicKey)
}

export function hkdf (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))
}

export function hmacSha256 (key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', createSecretKey(key)).update(data).digest())
}

/** AES-256-GCM: returns ciphertext | tag(16). */
export function aesGcmSeal (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  if (key.byteLength !== AES_KEY_LENGTH || nonce.byteLength !== GCM_NONCE_LENGTH) throw new RangeError('bad AES-GCM key or nonce length')
  const c = createCipheriv('aes-256-gcm', createSecretKey(key), nonce, { authTagLength: GCM_TAG_LENGTH })
  c.setAAD(aad)
  const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** Opens ciphertext | tag(16); throws DecryptionFailedError when authentication fails. */
export function aesGcmOpen (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.byteLength < GCM_TAG_LENGTH) throw new DecryptionFailedError('ciphertext shorter than the GCM tag')
  try {
    const d = createDecipheriv('aes-256-gcm', createSecretKey(key), nonce, { authTagLength: GCM_TAG_LENGTH })
    d.setAAD(aad)
    d.setAuthTag(sealed.subarray(sealed.byteLength - GCM_TAG_LENGTH))
    const out = Buffer.concat([d.update(sealed.subarray(0, sealed.byteLength - GCM_TAG_LENGTH)), d.final()])
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  } catch (err) {
    throw new DecryptionFailedError('AES-GCM authentication failed', { cause: err })
  }
}
