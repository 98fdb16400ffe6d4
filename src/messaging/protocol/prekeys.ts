import { hkdfSha256 } from '../../crypto/index.js'
import { PREKEY_ACCEPT_FUTURE, PREKEY_ACCEPT_PAST, PREKEY_INFO, PREKEY_PERIOD_SECONDS } from '../constants.js'
import { generatePrekey } from './envelope.js'
import type { PrivateKey } from '@libp2p/interface'

/**
 * Prekeys are derived from the root key (messaging.md §9):
 * `priv(id) = HKDF-SHA256(ikm = root private key, salt = "", info = "attn/1 prekey" | u32be(id), 32)`.
 * Every device of an identity that holds the root key derives the same prekey for any id,
 * so one envelope reaches all devices and each can fetch it from a mailbox on its own.
 * Prekey `id` expires at `(id + 2) · PREKEY_PERIOD_SECONDS`.
 */
export function derivePrekey (rootKey: PrivateKey, id: number): ReturnType<typeof generatePrekey> {
  const label = new TextEncoder().encode(PREKEY_INFO)
  const info = new Uint8Array(label.byteLength + 4)
  info.set(label)
  new DataView(info.buffer).setUint32(label.byteLength, id)
  const priv = hkdfSha256(rootKey.raw, new Uint8Array(0), info, 32)
  return generatePrekey(id, (id + 2) * PREKEY_PERIOD_SECONDS, priv)
}

/** The prekey id of a moment: its period number. */
export function prekeyIdAt (nowSeconds: number): number {
  return Math.floor(nowSeconds / PREKEY_PERIOD_SECONDS)
}

/** True when a receiver accepts envelopes sealed to prekey `id` at `nowSeconds` (current − 3 … current + 2). */
export function isAcceptedPrekeyId (id: number, nowSeconds: number): boolean {
  const current = prekeyIdAt(nowSeconds)
  return id >= current - PREKEY_ACCEPT_PAST && id <= current + PREKEY_ACCEPT_FUTURE
}

/** The `prekey` lookup of an envelope recipient: the derived private key of an accepted id, else undefined. */
export function prekeyResolver (rootKey: PrivateKey, nowSeconds: number): (id: number) => Uint8Array | undefined {
  return id => isAcceptedPrekeyId(id, nowSeconds) ? derivePrekey(rootKey, id).privateKey : undefined
}
