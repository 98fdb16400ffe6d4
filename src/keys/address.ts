import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { publicKeyConvert } from '../crypto/secp256k1.js'
import { peerIdFromStringFast, secp256k1PublicKeyFromRaw } from './libp2p-key.js'
import { MAX_PARSED_ADDRESS_CACHE, PUBLIC_KEY_LENGTH } from './constants.js'
import { InvalidAddressError, InvalidKeyError } from './errors.js'
import type { PublicKey } from '@libp2p/interface'

const PARSED_KEY_CACHE_SIZE = 1024
const parsedKeys = new Map<string, PublicKey>()

/**
 * Returns `key` as a secp256k1 PublicKey; accepts a PublicKey or its 33-byte compressed encoding.
 * Throws InvalidKeyError for any other key type or an invalid point.
 */
export function toSecp256k1PublicKey (key: PublicKey | Uint8Array): PublicKey {
  if (key instanceof Uint8Array) {
    if (key.byteLength !== PUBLIC_KEY_LENGTH) {
      throw new InvalidKeyError(`expected a ${PUBLIC_KEY_LENGTH}-byte compressed secp256k1 public key, got ${key.byteLength} bytes`)
    }
    // parsing checks the point (native ≈ 10 µs, pure JS ≈ 0.5 ms): handshakes see the same keys often
    const hex = Buffer.from(key).toString('hex')
    const cached = parsedKeys.get(hex)
    if (cached != null) return cached
    const parsed = secp256k1PublicKeyFromRaw(key)
    if (parsedKeys.size >= PARSED_KEY_CACHE_SIZE) parsedKeys.delete(parsedKeys.keys().next().value as string)
    parsedKeys.set(hex, parsed)
    return parsed
  }
  if (key == null || key.type !== 'secp256k1') {
    throw new InvalidKeyError(`expected a secp256k1 public key, got ${String((key as { type?: unknown } | null)?.type)}`)
  }
  return key
}

/**
 * The ATT address of an identity: the libp2p PeerId string of its root public key
 * ("16Uiu2HAm…", base58btc of the identity multihash of the protobuf-encoded key). It embeds the
 * full key, so a signature by the identity can be checked without any lookup.
 */
export function attAddress (rootPublicKey: PublicKey): string {
  return peerIdFromPublicKey(toSecp256k1PublicKey(rootPublicKey)).toString()
}

/**
 * Parses an ATT address back into the root public key. Only the canonical form produced by
 * attAddress is accepted (no CID or multibase-prefixed variants), so an identity has exactly one
 * address string and one DHT key `/attn/id/<address>`.
 */
export function parseAttAddress (address: string): PublicKey {
  if (typeof address !== 'string' || address.length === 0 || address.length > 128) {
    throw new InvalidAddressError('an ATT address is a non-empty string')
  }
  // a pure function of the string: valid ones are remembered (bounded; only failures are re-parsed)
  const known = parsedAddresses.get(address)
  if (known != null) return known
  const publicKey = parseUncached(address)
  if (parsedAddresses.size >= MAX_PARSED_ADDRESS_CACHE) parsedAddresses.delete(parsedAddresses.keys().next().value as string)
  parsedAddresses.set(address, publicKey)
  return publicKey
}

const parsedAddresses = new Map<string, PublicKey>()

function parseUncached (address: string): PublicKey {
  let publicKey: PublicKey | undefined
  try {
    const peerId = peerIdFromStringFast(address)
    if (peerId.type !== 'secp256k1') {
      throw new InvalidAddressError(`an ATT address is a secp256k1 peer id, got a ${peerId.type} peer id`)
    }
    publicKey = peerId.publicKey
  } catch (err) {
    if (err instanceof InvalidAddressError) throw err
    throw new InvalidAddressError(`not a peer id: ${address}`, { cause: err })
  }
  if (publicKey == null || attAddress(publicKey) !== address) {
    throw new InvalidAddressError(`not a canonical secp256k1 identity peer id: ${address}`)
  }
  return publicKey
}

/**
 * The EVM (Ethereum) address of a secp256k1 key, with EIP-55 mixed-case checksum: 0x + the last 20
 * bytes of keccak256 of the uncompressed point without its 0x04 prefix. Used for rewards.
 */
export function evmAddress (publicKey: PublicKey | Uint8Array): string {
  const key = toSecp256k1PublicKey(publicKey)
  const uncompressed = publicKeyConvert(key.raw, false)
  const hex = Buffer.from(keccak_256(uncompressed.subarray(1)).subarray(12)).toString('hex')
  const checksum = Buffer.from(keccak_256(new TextEncoder().encode(hex))).toString('hex')
  let out = '0x'
  for (let i = 0; i < hex.length; i++) {
    out += parseInt(checksum[i], 16) >= 8 ? hex[i].toUpperCase() : hex[i]
  }
  return out
}
