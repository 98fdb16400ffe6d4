/**
 * kad-dht adds a connected peer to its routing table once: when identify first reports the DHT
 * protocol, it pings the peer (PING, an adaptive timeout of at least 5 s; the whole add within 10 s)
 * and drops it if the ping fails or is late. On a
 * loaded machine that first ping can miss, and nothing asks again while the connection lasts: a node
 * whose only DHT peers are already connected (its bootstrap peer, a rendezvous peer) keeps an empty
 * routing table, so it can neither publish nor look anyone up (CI saw a rendezvous node that never
 * joined). DhtRefill looks again: while a routing table is below one bucket, every connected peer
 * that speaks the DHT's protocol and is missing from the table is handed back to kad-dht's own
 * "peer connected" path (same address filter, same ping). At most one ping per such peer per
 * interval; nothing a remote peer sends triggers it.
 */
import type { KadDHT } from '@libp2p/kad-dht'
import type { ComponentLogger, Logger, PeerId, PeerInfo, PeerStore, Startable } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

/** How often a small routing table is checked against the connections, ms. */
export const DEFAULT_DHT_REFILL_MS = 5_000
/** Refill only below this many routing-table peers (kad-dht's bucket size). */
export const DHT_REFILL_BELOW = 20
/** Peers handed back per DHT per check (bounds the pings one check sends). */
export const MAX_DHT_REFILL_PER_CHECK = 20

export interface DhtRefillTarget {
  /** The service name the DHT has on the node (`dht`, `aminoDht`). */
  service: string
  /** The DHT's protocol, as identify lists it. */
  protocol: string
}

export interface DhtRefillInit {
  dhts: DhtRefillTarget[]
  /** Check interval, ms (default DEFAULT_DHT_REFILL_MS; 0 turns the service off). */
  interval?: number
}

export interface DhtRefillComponents {
  connectionManager: ConnectionManager
  peerStore: PeerStore
  logger: ComponentLogger
}

/** kad-dht's KadDHT class and its RoutingTable have these; the exported interfaces list only `size`. */
interface PeerConnectHook {
  routingTable?: { size: number, find?: (peer: PeerId, options?: { signal?: AbortSignal }) => Promise<PeerId | undefined> }
  onPeerConnect?: (peer: PeerInfo & { protocols?: string[] }) => Promise<void>
}

export class DhtRefill implements Startable {
  private readonly log: Logger
  private readonly interval: number
  private timer?: ReturnType<typeof setInterval>
  private checking = false
  /** Peers handed back, per DHT, since start (status and tests). */
  readonly refilled = new Map<string, number>()

  constructor (private readonly components: DhtRefillComponents & Record<string, unknown>, private readonly init: DhtRefillInit) {
    this.log = components.logger.forComponent('attn:dht-refill')
    this.interval = init.interval ?? DEFAULT_DHT_REFILL_MS
  }

  readonly [Symbol.toStringTag] = '@attn/dht-refill'

  start (): void {
    if (this.interval <= 0) return
    this.timer = setInterval(() => { void this.check() }, this.interval)
    this.timer.unref?.()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** One pass over every configured DHT; returns how many peers were handed back. */
  async check (signal?: AbortSignal): Promise<number> {
    if (this.checking) return 0
    this.checking = true
    let total = 0
    try {
      for (const target of this.init.dhts) {
        if (signal?.aborted === true) break
        total += await this.refill(target, signal)
      }
    } catch (err: any) {
      this.log('refill check ended early: %s', err.message)
    } finally {
      this.checking = false
    }
    return total
  }

  private async refill ({ service, protocol }: DhtRefillTarget, signal?: AbortSignal): Promise<number> {
    const dht = this.components[service] as (KadDHT & PeerConnectHook) | undefined
    const table = dht?.routingTable
    if (dht?.onPeerConnect == null || table?.find == null || table.size >= DHT_REFILL_BELOW) return 0
    const seen = new Set<string>()
    let handed = 0
    for (const conn of this.components.connectionManager.getConnections()) {
      // kad-dht's topology ignores limited (relayed) connections: so do we
      if (conn.limits != null || conn.status !== 'open') continue
      const peer: PeerId = conn.remotePeer
      const key = peer.toString()
      if (seen.has(key)) continue
      seen.add(key)
      if (handed >= MAX_DHT_REFILL_PER_CHECK || signal?.aborted === true) break
      if (await table.find(peer, { signal }) != null) continue
      const known = await this.components.peerStore.get(peer, { signal }).catch(() => undefined)
      if (known == null || !known.protocols.includes(protocol)) continue
      this.log('%s: connected peer %p speaks %s but is not in the routing table: asking kad-dht again', service, peer, protocol)
      await dht.onPeerConnect({ id: peer, multiaddrs: known.addresses.map(a => a.multiaddr), protocols: known.protocols })
      handed++
    }
    if (handed > 0) this.refilled.set(service, (this.refilled.get(service) ?? 0) + handed)
    return handed
  }
}

/** libp2p service factory. */
export function dhtRefill (init: DhtRefillInit): (components: DhtRefillComponents) => DhtRefill {
  return (components) => new DhtRefill(components as DhtRefillComponents & Record<string, unknown>, init)
}
