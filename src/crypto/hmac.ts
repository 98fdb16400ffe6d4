import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import { InvalidKeyLengthError } from './errors.js'

/**
 * Wraps raw key bytes in a KeyObject. On Node 24, HMAC/cipher calls given a KeyObject are
 * several µs faster than with a raw Buffer key, so long-lived keys are wrapped once.
 */
export function secretKey (bytes: Uint8Array): KeyObject {
  if (bytes.length === 0) throw new InvalidKeyLengthError('secret key', 'at least 1', 0)
  return createSecretKey(bytes)
}

function toU8 (b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}

/** HMAC-SHA256(key, parts[0] | parts[1] | …): one `update` per part, no concatenation. */
export function hmacSha256 (key: KeyObject, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key)
  for (const p of parts) h.update(p)
  return toU8(h.digest())
}

/** HMAC-SHA512(key, parts[0] | parts[1] | …). */
export function hmacSha512 (key: KeyObject, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha512', key)
  for (const p of parts) h.update(p)
  return toU8(h.digest())
}

/** SHA-256(parts[0] | parts[1] | …). */
export function sha256 (...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return toU8(h.digest())
}
