import {
  DEFAULT_MAX_PENDING_HANDSHAKES, DEFAULT_MAX_PENDING_HANDSHAKES_PER_CHANNEL, DEFAULT_MAX_PENDING_HANDSHAKES_PER_IP,
  DEFAULT_MAX_PENDING_HANDSHAKES_PER_PEER, DEFAULT_RESPONSE_RATE, DEFAULT_RESPONSE_RATE_PER_IP, DEFAULT_RESPONSE_RATE_PER_PEER,
  DEFAULT_REFUSAL_REJECT_RATE_PER_PEER, MAX_RATE_LIMIT_KEYS
} from './constants.js'
import { HandshakeRateLimitedError, HandshakeTooManyPendingError } from './handshake-errors.js'
import { ipKey, KeyedBuckets } from './rate-limit.js'
import type { HandshakeError } from './handshake-errors.js'
import type { Rate } from './rate-limit.js'
import type { FrameChannel } from '../carriers/index.js'

/** Limits on responder handshakes (attnproto.md Part 3 §7); every field has a default in constants.ts. */
export interface HandshakeLimitsInit {
  /** Pending responder states node-wide (256), per channel (8), per libp2p peer (8), per IP or IPv6 /64 (32). */
  maxPending?: number
  maxPendingPerChannel?: number
  maxPendingPerPeer?: number
  maxPendingPerIp?: number
  /** RESPONSE (signature) budgets as token buckets: per peer {8, 4/s}, per IP {64, 32/s}, node-wide {256, 128/s}. */
  responseRatePerPeer?: Rate
  responseRatePerIp?: Rate
  responseRate?: Rate
  /** REJECTs sent for refused HELLOs per peer {4, 1/s}; beyond it refusals are silent. */
  refusalRejectRatePerPeer?: Rate
  /** Clock of the buckets (ms); tests only. */
  now?: () => number
}

/** What admission needs to know of a pending responder state. */
export interface PendingSlot {
  channel: FrameChannel
  peer: string
  ip?: string
  /** The peer already has an established session with us (rekey, second device): never displaced. */
  preferred: boolean
  since: number
}

export type AdmitResult =
  | { admitted: true, slot: PendingSlot, evict?: string }
  | { admitted: false, error: HandshakeError }

/**
 * Decides whether a HELLO gets a RESPONSE (one X25519, one HKDF, one signature) and pending state:
 * pending states are capped per channel, peer and IP before the node-wide pool, so one source
 * cannot fill the pool; RESPONSEs are rate-limited per peer, per IP and node-wide, so a flood
 * buys a bounded number of signatures per second; when the pool is full a new HELLO displaces
 * the oldest pending state of a peer without a session (a pending state is cheap to lose: a live
 * initiator finishes within a round trip), and peers with sessions are never displaced.
 */
export class HandshakeAdmission {
  readonly maxPending: number
  readonly maxPendingPerChannel: number
  readonly maxPendingPerPeer: number
  readonly maxPendingPerIp: number
  private readonly perPeer: KeyedBuckets
  private readonly perIp: KeyedBuckets
  private readonly node: KeyedBuckets
  private readonly refusals: KeyedBuckets
  private readonly now: () => number
  readonly counters = { rateLimited: 0, tooManyPending: 0, displaced: 0 }

  constructor (init: HandshakeLimitsInit = {}) {
    this.now = init.now ?? Date.now
    this.maxPending = init.maxPending ?? DEFAULT_MAX_PENDING_HANDSHAKES
    this.maxPendingPerChannel = init.maxPendingPerChannel ?? DEFAULT_MAX_PENDING_HANDSHAKES_PER_CHANNEL
    this.maxPendingPerPeer = init.maxPendingPerPeer ?? DEFAULT_MAX_PENDING_HANDSHAKES_PER_PEER
    this.maxPendingPerIp = init.maxPendingPerIp ?? DEFAULT_MAX_PENDING_HANDSHAKES_PER_IP
    this.perPeer = new KeyedBuckets(init.responseRatePerPeer ?? DEFAULT_RESPONSE_RATE_PER_PEER, MAX_RATE_LIMIT_KEYS, this.now)
    this.perIp = new KeyedBuckets(init.responseRatePerIp ?? DEFAULT_RESPONSE_RATE_PER_IP, MAX_RATE_LIMIT_KEYS, this.now)
    this.node = new KeyedBuckets(init.responseRate ?? DEFAULT_RESPONSE_RATE, 1, this.now)
    this.refusals = new KeyedBuckets(init.refusalRejectRatePerPeer ?? DEFAULT_REFUSAL_REJECT_RATE_PER_PEER, MAX_RATE_LIMIT_KEYS, this.now)
  }

  /**
   * Checks a HELLO from `channel` against the pending states and the budgets. On admission the
   * tokens are taken and `evict` names a pending state (hs_id hex) to drop first, if any.
   */
  admit (pending: ReadonlyMap<string, PendingSlot>, hsId: string, channel: FrameChannel, preferred: boolean): AdmitResult {
    const peer = channel.remotePeer?.toString() ?? `channel:${channel.id}`
    const ip = ipKey(channel.remoteAddr?.getComponents())
    if (pending.has(hsId)) return this.refuse(new HandshakeTooManyPendingError())
    let onChannel = 0
    let ofPeer = 0
    let ofIp = 0
    let oldest: [string, PendingSlot] | undefined
    for (const entry of pending) {
      const p = entry[1]
      if (p.channel === channel) onChannel++
      if (p.peer === peer) ofPeer++
      if (ip != null && p.ip === ip) ofIp++
      if (!p.preferred && (oldest == null || p.since < oldest[1].since)) oldest = entry
    }
    if (onChannel >= this.maxPendingPerChannel || ofPeer >= this.maxPendingPerPeer || (ip != null && ofIp >= this.maxPendingPerIp)) {
      return this.refuse(new HandshakeTooManyPendingError())
    }
    const evict = pending.size >= this.maxPending ? oldest?.[0] : undefined
    if (pending.size >= this.maxPending && evict == null) return this.refuse(new HandshakeTooManyPendingError())

    if (!this.perPeer.has(peer)) return this.refuse(new HandshakeRateLimitedError('peer'))
    if (ip != null && !this.perIp.has(ip)) return this.refuse(new HandshakeRateLimitedError('ip'))
    if (!preferred && !this.node.has('')) return this.refuse(new HandshakeRateLimitedError('node'))
    this.perPeer.take(peer)
    if (ip != null) this.perIp.take(ip)
    if (!preferred) this.node.take('')
    if (evict != null) this.counters.displaced++
    return { admitted: true, slot: { channel, peer, ip, preferred, since: this.now() }, evict }
  }

  /** Whether a refused HELLO from this channel's peer is still answered with a REJECT (takes a token). */
  answerRefusal (channel: FrameChannel): boolean {
    const peer = channel.remotePeer?.toString() ?? `channel:${channel.id}`
    if (!this.refusals.has(peer)) return false
    this.refusals.take(peer)
    return true
  }

  private refuse (error: HandshakeError): AdmitResult {
    if (error.code === 'ERR_HS_RATE_LIMITED') this.counters.rateLimited++
    else this.counters.tooManyPending++
    return { admitted: false, error }
  }
}
