/**
 * Peer ids of the devices and mailboxes we talk to, parsed once. `peerIdFromString` of a secp256k1
 * peer id decompresses and validates its point in pure JS (≈ 1 ms under load), and the per-message
 * paths (outbox attempt, delivery call, path report, transit query, mailbox fetch) parsed the same
 * few strings several times per message (issue 17, repeat_message profile).
 */
import { peerIdFromStringFast } from '../keys/libp2p-key.js'
import { MAX_PEER_ID_CACHE } from './constants.js'
import type { PeerId } from '@libp2p/interface'

const parsed = new Map<string, PeerId>()

/** `peerIdFromString(s)`, remembered (bounded: the oldest entry goes first); throws as it does. */
export function peerIdOf (s: string): PeerId {
  let id = parsed.get(s)
  if (id == null) {
    id = peerIdFromStringFast(s)
    if (parsed.size >= MAX_PEER_ID_CACHE) parsed.delete(parsed.keys().next().value as string)
    parsed.set(s, id)
  }
  return id
}
