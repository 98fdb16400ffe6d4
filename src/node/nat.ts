/**
 * NAT traversal (attnproto.md §Behind NAT, §Relay limits): our reachability, the circuit relay v2
 * server settings and the gate that applies the per-peer caps libp2p's relay lacks, automatic
 * relay reservations for unreachable nodes, and a directory-record republish when our relayed
 * addresses change (so senders learn the new /p2p-circuit addresses).
 */
import { isLoopback, isPrivate } from '@libp2p/utils'
import { Circuit } from '@multiformats/multiaddr-matcher'
import { multiaddr } from '@multiformats/multiaddr'
import { ADDRESS_REPUBLISH_DEBOUNCE_MS, MAX_RELAY_TRACKED_PEERS } from './constants.js'
import type { NatConfig, Reachability, RelayServerConfig } from './reach-config.js'
import type { CircuitRelayServerInit, CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { ComponentLogger, ConnectionGater, Libp2pEvents, Logger, PeerId, Startable, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, TransportManager } from '@libp2p/interface-internal'

/**
 * public: AutoNAT (or the operator) confirmed an address that is not private and not relayed;
 * private: --no-listen, the operator says so, or we have no public IP address at all;
 * unknown: we have public IP addresses AutoNAT has not confirmed (yet).
 */
export function reachabilityOf (addressManager: AddressManager, nat: NatConfig, noListen: boolean): Reachability {
  if (noListen) return 'private'
  if (nat.reachability !== 'auto') return nat.reachability
  const addrs = addressManager.getAddressesWithMetadata().filter(a => !Circuit.exactMatch(a.multiaddr))
  const open = addrs.filter(a => isPrivate(a.multiaddr) !== true)
  if (open.some(a => a.verified)) return 'public'
  return open.length === 0 ? 'private' : 'unknown'
}

/** Whether this node includes the relay server at all (it still serves only while public, unless forced on). */
export function relayServerIncluded (relay: RelayServerConfig, mailboxEnabled: boolean, noListen: boolean): boolean {
  if (noListen || relay.enabled === false) return false
  return relay.enabled === true || mailboxEnabled
}

/** circuitRelayServer options from our limits. */
export function relayServerInit (relay: RelayServerConfig): CircuitRelayServerInit {
  return {
    reservations: {
      maxReservations: relay.maxReservations,
      reservationTtl: relay.reservationTtl,
      applyDefaultLimit: true,
      defaultDataLimit: BigInt(relay.circuitDataLimit),
      defaultDurationLimit: relay.circuitDurationLimit
    },
    maxOutboundStopStreams: relay.maxCircuits
  }
}

/** Sliding-window counts per peer, bounded in peers (the oldest entry is forgotten first). */
class PeerWindow {
  private readonly hits = new Map<string, number[]>()
  constructor (private readonly limit: number, private readonly windowMs: number) {}

  /** Records a hit; false when the peer is over its limit in the window (the hit is not counted). */
  take (peer: string, now = Date.now()): boolean {
    const times = (this.hits.get(peer) ?? []).filter(t => now - t < this.windowMs)
    if (times.length >= this.limit) {
      this.hits.set(peer, times)
      return false
    }
    times.push(now)
    this.hits.delete(peer)
    this.hits.set(peer, times)
    if (this.hits.size > MAX_RELAY_TRACKED_PEERS) this.hits.delete(this.hits.keys().next().value as string)
    return true
  }
}

export interface RelayGateStats {
  reservationsDenied: number
  circuitsDenied: number
}

/**
 * The connection-gater hooks libp2p's relay server asks before each reservation and each relayed
 * connection: refuse while we are not publicly reachable (relay `auto`), and cap each peer's
 * reservation requests per hour and relayed connections per minute.
 */
export class RelayGate {
  readonly stats: RelayGateStats = { reservationsDenied: 0, circuitsDenied: 0 }
  private readonly reservations: PeerWindow
  private readonly circuits: PeerWindow
  /** Set by NatService at start; until then (and for 'auto' while not public) nothing is relayed. */
  reachability: () => Reachability = () => 'unknown'

  constructor (private readonly relay: RelayServerConfig) {
    this.reservations = new PeerWindow(relay.reservationsPerPeerPerHour, 3_600_000)
    this.circuits = new PeerWindow(relay.circuitsPerPeerPerMinute, 60_000)
  }

  /** Whether we serve as a relay now. */
  serving (): boolean {
    return this.relay.enabled === true || (this.relay.enabled === 'auto' && this.reachability() === 'public')
  }

  gater (): Partial<ConnectionGater> {
    return {
      denyInboundRelayReservation: (source: PeerId) => {
        const deny = !this.serving() || !this.reservations.take(source.toString())
        if (deny) this.stats.reservationsDenied++
        return deny
      },
      denyOutboundRelayedConnection: (source: PeerId) => {
        const deny = !this.serving() || !this.circuits.take(source.toString())
        if (deny) this.stats.circuitsDenied++
        return deny
      }
    }
  }
}

export interface NatState {
  reachability: Reachability
  /** Our /p2p-circuit addresses (one per relay holding a reservation for us). */
  relayAddresses: string[]
  /** Peer ids of the relays holding a reservation for us. */
  reservations: string[]
  relayServer: { included: boolean, serving: boolean, reservationsHeld: number } & RelayGateStats
  upnp: boolean
}

export interface NatServiceComponents {
  addressManager: AddressManager
  transportManager: TransportManager
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export interface NatServiceInit {
  nat: NatConfig
  noListen: boolean
  gate: RelayGate
  relayIncluded: boolean
  /** Our relayed addresses changed: republish the directory record. */
  onRelayAddressesChanged?: () => Promise<unknown>
  /** The relay server service, when included (its reservation count for status). */
  relayServer?: () => CircuitRelayService | undefined
}

/**
 * Tracks reachability, reserves relay slots while we are unreachable (`nat.reserve`), and asks
 * for a record republish when our /p2p-circuit addresses change.
 */
export class NatService implements Startable {
  private readonly log: Logger
  private listeningOnRelays = false
  private lastRelayAddrs = ''
  private debounce?: ReturnType<typeof setTimeout>
  private readonly onSelfUpdate = (): void => { this.update() }

  constructor (private readonly components: NatServiceComponents, private readonly init: NatServiceInit) {
    this.log = components.logger.forComponent('attn:nat')
  }

  readonly [Symbol.toStringTag] = '@attn/nat'

  start (): void {
    this.init.gate.reachability = () => this.reachability()
    this.components.events.addEventListener('self:peer:update', this.onSelfUpdate)
  }

  afterStart (): void {
    this.update()
  }

  stop (): void {
    this.components.events.removeEventListener('self:peer:update', this.onSelfUpdate)
    clearTimeout(this.debounce)
  }

  reachability (): Reachability {
    return reachabilityOf(this.components.addressManager, this.init.nat, this.init.noListen)
  }

  relayAddresses (): string[] {
    return this.components.addressManager.getAddresses().filter(ma => Circuit.exactMatch(ma)).map(ma => ma.toString())
  }

  state (): NatState {
    const relayAddresses = this.relayAddresses()
    const reservations = [...new Set(relayAddresses.map(a => a.split('/p2p-circuit')[0].split('/p2p/').pop() ?? ''))]
    return {
      reachability: this.reachability(),
      relayAddresses,
      reservations,
      relayServer: {
        included: this.init.relayIncluded,
        serving: this.init.relayIncluded && this.init.gate.serving(),
        reservationsHeld: this.init.relayServer?.()?.reservations.size ?? 0,
        ...this.init.gate.stats
      },
      upnp: this.init.nat.upnp
    }
  }

  /** Whether we should hold relay reservations now. */
  private wantsRelays (): boolean {
    const { nat, noListen } = this.init
    if (noListen || nat.reserve === true) return true
    if (nat.reserve === false || this.reachability() !== 'private') return false
    // a node on loopback only is a development or test setup: no relay hunting unless asked
    return this.components.addressManager.getAddresses().some(ma => !Circuit.exactMatch(ma) && isLoopback(ma) !== true)
  }

  private update (): void {
    if (!this.listeningOnRelays && this.wantsRelays()) {
      this.listeningOnRelays = true
      // listening on /p2p-circuit makes the relay transport reserve a slot on a discovered relay
      this.components.transportManager.listen([multiaddr('/p2p-circuit')]).then(() => { this.log('looking for relays to reserve a slot on') }, (err: Error) => {
        this.listeningOnRelays = false
        this.log.error('cannot listen on relays: %s', err.message)
      })
    }
    const relayAddrs = this.relayAddresses().sort().join(' ')
    if (relayAddrs !== this.lastRelayAddrs) {
      this.lastRelayAddrs = relayAddrs
      clearTimeout(this.debounce)
      this.debounce = setTimeout(() => {
        this.log('relayed addresses changed: republishing the directory record')
        this.init.onRelayAddressesChanged?.().catch((err: Error) => { this.log('republish after an address change failed: %s', err.message) })
      }, ADDRESS_REPUBLISH_DEBOUNCE_MS)
      this.debounce.unref?.()
    }
  }
}

export function natService (init: NatServiceInit): (components: NatServiceComponents) => NatService {
  return (components) => new NatService(components, init)
}
