/**
 * A device's prekeys (protocols/messaging.md §10.1): an X25519 identity key, a signed prekey
 * (rotated weekly) published in the directory record, and one-time prekeys. Each prekey is vouched
 * for by the device's node key (itself certified by the root key), never by the root key:
 * `statement = u8 1 | u8 type | identity_key(32) | u32 id | public_key(32) | u64 expires_at`,
 * `signature = sign(node key, "prekey", statement)`; type 1 = signed prekey, 2 = one-time prekey.
 */
import { DOMAIN_PREKEY, PREKEY_STATEMENT_VERSION, X25519_KEY_LENGTH } from '../constants.js'
import { sign, verify } from '../../keys/index.js'
import { Writer } from './codec.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

export const PREKEY_TYPE_SIGNED = 1
export const PREKEY_TYPE_ONE_TIME = 2

export interface SignedPrekeyPublic {
  id: number
  publicKey: Uint8Array
  /** Unix seconds. */
  expiresAt: number
  signature: Uint8Array
}

export function prekeyStatement (type: number, identityKey: Uint8Array, p: { id: number, publicKey: Uint8Array, expiresAt: number }): Uint8Array {
  if (identityKey.byteLength !== X25519_KEY_LENGTH || p.publicKey.byteLength !== X25519_KEY_LENGTH) throw new RangeError('prekeys are 32-byte X25519 keys')
  return new Writer().u8(PREKEY_STATEMENT_VERSION).u8(type).bytes(identityKey).u32(p.id).bytes(p.publicKey).u64(p.expiresAt).finish()
}

export function signPrekey (nodeKey: PrivateKey, type: number, identityKey: Uint8Array, p: { id: number, publicKey: Uint8Array, expiresAt: number }): Uint8Array {
  return sign(nodeKey, DOMAIN_PREKEY, prekeyStatement(type, identityKey, p))
}

/** True when `p.signature` is the device node key's signature over the statement. Never throws. */
export function verifyPrekey (nodeKey: PublicKey | Uint8Array, type: number, identityKey: Uint8Array, p: SignedPrekeyPublic): boolean {
  try {
    return verify(nodeKey, DOMAIN_PREKEY, prekeyStatement(type, identityKey, p), p.signature)
  } catch {
    return false
  }
}
