import { createHash } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { toSecp256k1PublicKey } from './address.js'
import { MAX_DOMAIN_LENGTH, SIGNATURE_LENGTH, SIGNATURE_PREFIX } from './constants.js'
import { InvalidKeyError, InvalidSignatureDomainError } from './errors.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

const PREFIX = new TextEncoder().encode(SIGNATURE_PREFIX)

function isValidDomain (domain: unknown): domain is string {
  if (typeof domain !== 'string' || domain.length === 0 || domain.length > MAX_DOMAIN_LENGTH) return false
  for (let i = 0; i < domain.length; i++) {
    const c = domain.charCodeAt(i)
    if (c < 0x21 || c > 0x7e) return false
  }
  return true
}

/**
 * The 32-byte digest that is signed: `sha256("attn/1 " || domain || 0x00 || message)`. The domain
 * separates uses of the one identity key, so a signature made for a handshake can never be
 * replayed as a certificate or a receipt.
 */
export function signatureDigest (domain: string, message: Uint8Array): Uint8Array {
  if (!isValidDomain(domain)) {
    throw new InvalidSignatureDomainError(`a signature domain is 1..${MAX_DOMAIN_LENGTH} printable ASCII characters without spaces`)
  }
  const h = createHash('sha256')
  h.update(PREFIX)
  h.update(Buffer.from(domain, 'ascii'))
  h.update(new Uint8Array([0]))
  h.update(message)
  return new Uint8Array(h.digest())
}

/**
 * Signs `message` under `domain` with a secp256k1 key: ECDSA over signatureDigest, RFC 6979
 * deterministic nonce, low-S, 64-byte compact r||s.
 */
export function sign (privateKey: PrivateKey, domain: string, message: Uint8Array): Uint8Array {
  if (privateKey == null || privateKey.type !== 'secp256k1') {
    throw new InvalidKeyError('signing needs a secp256k1 private key')
  }
  const digest = signatureDigest(domain, message)
  return secp256k1.sign(digest, privateKey.raw, { prehash: false, lowS: true, format: 'compact', extraEntropy: false })
}

/**
 * Checks a signature made by sign. Returns false, never throws, for a malformed signature, key or
 * domain. High-S signatures are rejected (no malleability).
 */
export function verify (publicKey: PublicKey | Uint8Array, domain: string, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!(signature instanceof Uint8Array) || signature.byteLength !== SIGNATURE_LENGTH) return false
    if (!(message instanceof Uint8Array) || !isValidDomain(domain)) return false
    const key = toSecp256k1PublicKey(publicKey)
    const digest = signatureDigest(domain, message)
    return secp256k1.verify(signature, digest, key.raw, { prehash: false, lowS: true, format: 'compact' })
  } catch {
    return false
  }
}
