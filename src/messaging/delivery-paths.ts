import { peerIdOf } from './peer-ids.js'
import { MAX_DELIVERY_PATHS } from './constants.js'
import type { CarrierKind } from '../carriers/channel.js'
import type { Attn } from '../service/index.js'

/**
 * How the first successful hand-off of a sent message travelled (message-status `path`):
 * `direct` or `relayed` (a libp2p circuit relay) to a recipient device, or `mailbox`.
 */
export type DeliveryPath = 'direct' | 'relayed' | 'mailbox'

/** The first hand-off of a message: its path and, when known, the carrier of the call (message-status `carrier`). */
export interface DeliveryHop {
  path: DeliveryPath
  carrier?: CarrierKind
}

/**
 * The delivery path of recent outgoing messages, by envelope id hex: set once, at the first
 * hand-off; kept in memory only (bounded; lost at restart, where the status then has no path).
 */
export class DeliveryPaths {
  private readonly paths = new Map<string, DeliveryHop>()

  constructor (private readonly max = MAX_DELIVERY_PATHS) {}

  /** Records the path (and carrier) unless one is known already; true when it was recorded. */
  record (idHex: string, path: DeliveryPath, carrier?: CarrierKind): boolean {
    if (this.paths.has(idHex)) return false
    this.paths.set(idHex, carrier == null ? { path } : { path, carrier })
    if (this.paths.size > this.max) this.paths.delete(this.paths.keys().next().value as string)
    return true
  }

  get (idHex: string): DeliveryHop | undefined {
    return this.paths.get(idHex)
  }
}

/**
 * The carrier of the session's current channel with a peer (read when a call goes out, so it
 * names the carrier that call was sent over); undefined without a session.
 */
export function carrierOf (attn: Pick<Attn, 'sessions'>, nodeId: string): CarrierKind | undefined {
  const sessions = attn.sessions
  if (sessions == null) return undefined
  // nodeId already named the peer of a call that went out: it parses
  const session = sessions.sessionWithPeer(peerIdOf(nodeId))
  return session == null ? undefined : sessions.channelOf(session)?.kind
}
