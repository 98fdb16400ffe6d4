import { createHash } from 'node:crypto'
import { logger } from '@libp2p/logger'
import { ecdsaSignSha256, ecdsaVerifySha256 } from '../crypto/secp256k1.js'
import { toSecp256k1PublicKey } from './address.js'
import { MAX_DOMAIN_LENGTH, SIGNATURE_LENGTH, SIGNATURE_PREFIX } from './constants.js'
import { InvalidKeyError, InvalidSignatureDomainError } from './errors.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

const PREFIX = new TextEncoder().encode(SIGNATURE_PREFIX)
const log = logger('attn:keys:signature')

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
  return new Uint8Array(createHash('sha256').update(signedData(checkedDomain(domain), message)).digest())
}

/** `domain` if it is a valid signature domain, else InvalidSignatureDomainError. */
function checkedDomain (domain: string): string {
  if (!isValidDomain(domain)) {
    throw new InvalidSignatureDomainError(`a signature domain is 1..${MAX_DOMAIN_LENGTH} printable ASCII characters without spaces`)
  }
  return domain
}

/** `"attn/1 " || domain || 0x00 || message`: the bytes whose sha256 is signed. */
function signedData (domain: string, message: Uint8Array): Uint8Array {
  const d = Buffer.allocUnsafe(PREFIX.byteLength + domain.length + 1 + message.byteLength)
  d.set(PREFIX, 0)
  d.write(domain, PREFIX.byteLength, 'ascii')
  d[PREFIX.byteLength + domain.length] = 0
  d.set(message, PREFIX.byteLength + domain.length + 1)
  return d
}

/**
 * Signs `message` under `domain` with a secp256k1 key: ECDSA over signatureDigest, RFC 6979
 * deterministic nonce, low-S, 64-byte compact r||s. Native libsecp256k1 when it loads, else
 * @noble/curves (same bytes: src/crypto/secp256k1.ts).
 */
export function sign (privateKey: PrivateKey, domain: string, message: Uint8Array): Uint8Array {
  if (privateKey == null || privateKey.type !== 'secp256k1') {
    throw new InvalidKeyError('signing needs a secp256k1 private key')
  }
  return ecdsaSignSha256(privateKey.raw, signedData(checkedDomain(domain), message))
}

/**
 * Checks a signature made by sign. Returns false, never throws, for a malformed signature, key or
 * domain. High-S signatures, r or s of 0 and r or s ≥ n are rejected (no malleability), for both
 * backends (native libsecp256k1, else node:crypto).
 */
export function verify (publicKey: PublicKey | Uint8Array, domain: string, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!(signature instanceof Uint8Array) || signature.byteLength !== SIGNATURE_LENGTH) return false
    if (!(message instanceof Uint8Array) || !isValidDomain(domain)) return false
    // a raw key is validated by the backend when parsed (an invalid point → false)
    const raw = publicKey instanceof Uint8Array ? publicKey : toSecp256k1PublicKey(publicKey).raw
    return ecdsaVerifySha256(raw, signedData(domain, message), signature)
  } catch (err) {
    log.trace('signature check failed: %s', (err as Error).message)
    return false
  }
}
