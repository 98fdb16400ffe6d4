/**
 * libp2p `PublicKey` / `PeerId` objects for secp256k1 keys, without @libp2p/crypto's pure-JS point
 * checks. `publicKeyFromRaw` and `peerIdFromString` validate a compressed key with
 * @noble/curves twice (decompress to validate, decompress again to re-compress: ≈ 0.5 ms, ms under
 * load); here the point is checked once by src/crypto/secp256k1.ts (native: ≈ 10 µs) and the
 * object is the same class @libp2p/crypto builds (its prototype, so `verify`, `toCID`, `equals`
 * … behave the same). When the native backend is off, or the shortcut's self-check fails, the
 * library functions are used as they are.
 */
import { privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { base58btc } from 'multiformats/bases/base58'
import { compactToDer, derToCompact, ecdsaSignSha256, ecdsaVerifySha256, isValidCompressedPublicKey, secp256k1Backend } from '../crypto/secp256k1.js'
import { PUBLIC_KEY_LENGTH } from './constants.js'
import { InvalidKeyError } from './errors.js'
import type { AbortOptions, PeerId, PrivateKey, PublicKey } from '@libp2p/interface'

const log = logger('attn:keys:libp2p-key')

/** The generator point, compressed: the self-check key. */
const G = Buffer.from('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'hex')
/** The private key 1: the prototype probe for Secp256k1PrivateKey. */
const ONE = Buffer.from('0000000000000000000000000000000000000000000000000000000000000001', 'hex')
/** Identity multihash (0x00, 37 bytes) of the protobuf PublicKey { Type: secp256k1 (2), Data: 33 bytes }. */
const PEER_ID_PREFIX = Uint8Array.from([0x00, 0x25, 0x08, 0x02, 0x12, 0x21])

let prototype: object | null | undefined

function build (proto: object, raw: Uint8Array): PublicKey {
  const key = Object.create(proto) as Record<string, unknown>
  // the fields Secp256k1PublicKey's constructor sets (@libp2p/crypto 5.x): type, raw, _key
  key.type = 'secp256k1'
  key.raw = raw
  key._key = raw
  return key as unknown as PublicKey
}

/** The Secp256k1PublicKey prototype, once a key built on it behaves as the library's own. */
function keyPrototype (): object | null {
  if (prototype !== undefined) return prototype
  try {
    const reference = publicKeyFromRaw(G)
    const proto = Object.getPrototypeOf(reference) as object
    const built = build(proto, Uint8Array.from(G))
    const ok = reference.type === 'secp256k1' && built.equals(reference) && built.toString() === reference.toString() &&
      peerIdFromPublicKey(built).toString() === peerIdFromPublicKey(reference).toString()
    prototype = ok ? proto : null
    if (!ok) log.error('secp256k1 key shortcut self-check failed: using @libp2p/crypto as is')
  } catch (err) {
    prototype = null
    log.error('secp256k1 key shortcut unavailable: %s', (err as Error).message)
  }
  return prototype
}

/**
 * A libp2p secp256k1 PublicKey from its 33-byte compressed encoding; throws InvalidKeyError when it
 * is not a valid point. Same result as `publicKeyFromRaw`, one native point check instead of two
 * pure-JS decompressions.
 */
export function secp256k1PublicKeyFromRaw (raw: Uint8Array): PublicKey {
  if (!(raw instanceof Uint8Array) || raw.byteLength !== PUBLIC_KEY_LENGTH) {
    throw new InvalidKeyError(`expected a ${PUBLIC_KEY_LENGTH}-byte compressed secp256k1 public key`)
  }
  const proto = secp256k1Backend() === 'native' ? keyPrototype() : null
  if (proto == null) {
    try {
      const key = publicKeyFromRaw(raw)
      if (key.type !== 'secp256k1') throw new InvalidKeyError(`expected a secp256k1 public key, got ${key.type}`)
      return key
    } catch (err) {
      if (err instanceof InvalidKeyError) throw err
      throw new InvalidKeyError('not a valid compressed secp256k1 public key', { cause: err })
    }
  }
  if (!isValidCompressedPublicKey(raw)) throw new InvalidKeyError('not a valid compressed secp256k1 public key')
  return build(proto, Uint8Array.from(raw))
}

/**
 * `peerIdFromString(s)` with the secp256k1 identity form ("16Uiu2HAm…") parsed by
 * secp256k1PublicKeyFromRaw; every other form goes to the library. Throws as the library does
 * (an invalid key: InvalidKeyError).
 */
export function peerIdFromStringFast (s: string): PeerId {
  if (typeof s === 'string' && s.startsWith('16Uiu2') && secp256k1Backend() === 'native') {
    let bytes: Uint8Array | undefined
    try {
      bytes = base58btc.decode(`z${s}`)
    } catch (err) {
      log.trace('not base58btc: %s', (err as Error).message)
    }
    if (bytes?.byteLength === PEER_ID_PREFIX.byteLength + PUBLIC_KEY_LENGTH && PEER_ID_PREFIX.every((b, i) => bytes[i] === b)) {
      return peerIdFromPublicKey(secp256k1PublicKeyFromRaw(bytes.subarray(PEER_ID_PREFIX.byteLength)))
    }
  }
  return peerIdFromString(s)
}

type Bytes = Uint8Array | Iterable<Uint8Array>
let installed = false

function sha256Input (msg: Bytes): Uint8Array {
  if (msg instanceof Uint8Array) return msg
  const parts: Uint8Array[] = []
  for (const buf of msg) parts.push(buf)
  return Buffer.concat(parts)
}

/**
 * Routes libp2p's own secp256k1 key operations (the noise handshake's identity signature and its
 * check, signed peer records) through src/crypto/secp256k1.ts: `Secp256k1PrivateKey.sign` and
 * `Secp256k1PublicKey.verify` of @libp2p/crypto, whose pure-JS @noble versions cost ≈ 0.8 ms and
 * ≈ 2.6 ms per connection and side. Same bytes (RFC 6979, low-S, DER) and same answers (high-S and
 * malformed DER rejected); the library's methods stay in use when the native backend is off at
 * call time. Idempotent; returns whether the methods are routed.
 */
export function installLibp2pSecp256k1 (): boolean {
  if (installed) return true
  const publicProto = keyPrototype() as Record<string, unknown> | null
  if (publicProto == null) return false
  let privateProto: Record<string, unknown>
  try {
    privateProto = Object.getPrototypeOf(privateKeyFromRaw(Uint8Array.from(ONE))) as Record<string, unknown>
  } catch (err) {
    log.error('secp256k1 private key prototype unavailable: %s', (err as Error).message)
    return false
  }
  const libVerify = publicProto.verify as (this: PublicKey, data: Bytes, sig: Uint8Array, options?: AbortOptions) => boolean
  const libSign = privateProto.sign as (this: PrivateKey, data: Bytes, options?: AbortOptions) => Uint8Array
  if (typeof libVerify !== 'function' || typeof libSign !== 'function') return false
  publicProto.verify = function (this: PublicKey, data: Bytes, sig: Uint8Array, options?: AbortOptions): boolean {
    if (secp256k1Backend() !== 'native') return libVerify.call(this, data, sig, options)
    options?.signal?.throwIfAborted()
    const compact = sig instanceof Uint8Array ? derToCompact(sig) : null
    return compact != null && ecdsaVerifySha256(this.raw, sha256Input(data), compact)
  }
  privateProto.sign = function (this: PrivateKey, data: Bytes, options?: AbortOptions): Uint8Array {
    if (secp256k1Backend() !== 'native') return libSign.call(this, data, options)
    options?.signal?.throwIfAborted()
    return compactToDer(ecdsaSignSha256(this.raw, sha256Input(data)))
  }
  installed = true
  log('libp2p secp256k1 sign/verify routed to the native backend')
  return true
}
