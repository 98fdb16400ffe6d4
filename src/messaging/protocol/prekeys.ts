import { hkdfSha256 } from '../../crypto/index.js'
import { generatePrekey } from './envelope.js'
import type { PrivateKey } from '@libp2p/interface'

/** A prekey is valid for one period; the directory lists the current and the next one. */
export const PREKEY_PERIOD_SECONDS = 7 * 86400

/**
 * Prekeys are derived from the root key (messaging.md §Prekeys):
 * `priv(id) = HKDF-SHA256(ikm = root private key, salt = "", info = "attn/1 prekey" | u32be(id), 32)`.
 * Every device of an identity that holds the root key derives the same prekey for any id,
 * so one envelope reaches all devices and each can fetch it from a mailbox on its own.
 */
export function derivePrekey (rootKey: PrivateKey, id: number): ReturnType<typeof generatePrekey> {
  const info = new Uint8Array(17)
  info.set(new TextEncoder().encode('attn/1 prekey'))
  new DataView(info.buffer).setUint32(13, id)
  const priv = hkdfSha256(rootKey.raw, new Uint8Array(0), info, 32)
  return generatePrekey(id, (id + 2) * PREKEY_PERIOD_SECONDS, priv)
}

/** The prekey id of a moment: its period number. */
export function prekeyIdAt (nowSeconds: number): number {
  return Math.floor(nowSeconds / PREKEY_PERIOD_SECONDS)
}
