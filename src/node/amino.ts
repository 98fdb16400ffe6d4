/**
 * The public Amino DHT (`/ipfs/kad/1.0.0`) as a second kad-dht instance beside the ATT DHT, and
 * the service that keeps this node connected to it (attnproto.md §Public network). Used for peer
 * routing by PeerId and for the rendezvous (rendezvous.ts); directory records stay on the ATT DHT.
 */
import { withNonWaitingPeerRouting } from './peer-routing-guard.js'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { multiaddr } from '@multiformats/multiaddr'
import {
  AMINO_DHT_PROTOCOL, AMINO_DIAL_TIMEOUT_MS, DEFAULT_AMINO_BOOTSTRAP, DEFAULT_AMINO_REDIAL_MS,
  DEFAULT_AMINO_WARN_AFTER_MS, MAX_AMINO_REDIAL_MS
} from './constants.js'
import { reachabilityOf } from './nat.js'
import type { AminoConfig, NatConfig } from './reach-config.js'
import type { KadDHT, SingleKadDHT } from '@libp2p/kad-dht'
import type { ComponentLogger, Libp2pEvents, Logger, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager } from '@libp2p/interface-internal'

/** The Amino kad-dht factory: client mode until AminoKeeper sees we are publicly reachable. */
export function aminoDht (config: AminoConfig): ReturnType<typeof kadDHT> {
  const create = kadDHT({
    protocol: AMINO_DHT_PROTOCOL,
    // explicit, switched by AminoKeeper from our reachability (not kad-dht's "any public address" guess)
    clientMode: true,
    peerInfoMapper: config.allowPrivateAddresses ? passthroughMapper : removePrivateAddressesMapper,
    // its own datastore keys, logs and metrics: the ATT DHT's guard would refuse provider records
    datastorePrefix: '/amino',
    logPrefix: 'attn:amino-dht',
    metricsPrefix: 'attn_amino_dht'
  })
  // an empty Amino routing table must not stall dials either (peer-routing-guard.ts)
  return (components) => withNonWaitingPeerRouting(create(components))
}

export type AminoStatus = 'connecting' | 'ready' | 'unreachable'

export interface AminoState {
  status: AminoStatus
  mode: 'client' | 'server'
  /** Peers in the Amino routing table. */
  routingTablePeers: number
  bootstrapPeers: number
}

export interface AminoKeeperComponents {
  connectionManager: ConnectionManager
  addressManager: AddressManager
  peerStore: PeerStore
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  /** The `aminoDht` service (libp2p puts every service on the components by name). */
  aminoDht: KadDHT
}

export interface AminoKeeperInit {
  config: AminoConfig
  nat: NatConfig
  noListen: boolean
  /** Called once when no Amino peer answered within warnAfter (the CLI prints it). */
  onWarning?: (message: string) => void
  warnAfter?: number
  redialInterval?: number
}

/**
 * Dials the Amino bootstrap peers at start and again (backing off) while the Amino routing table
 * is empty; warns once when none answered within `warnAfter`; puts the Amino DHT in server mode
 * only while we are publicly reachable.
 */
export class AminoKeeper implements Startable {
  private readonly log: Logger
  private readonly list: string[]
  private timer?: ReturnType<typeof setTimeout>
  private warnTimer?: ReturnType<typeof setTimeout>
  private redialMs: number
  private abort?: AbortController
  private warned = false
  private readonly onSelfUpdate = (): void => { this.updateMode() }

  constructor (private readonly components: AminoKeeperComponents, private readonly init: AminoKeeperInit) {
    this.log = components.logger.forComponent('attn:amino')
    this.list = init.config.bootstrap.length > 0 ? init.config.bootstrap : DEFAULT_AMINO_BOOTSTRAP
    this.redialMs = init.redialInterval ?? DEFAULT_AMINO_REDIAL_MS
  }

  readonly [Symbol.toStringTag] = '@attn/amino-keeper'

  start (): void {
    this.abort = new AbortController()
    this.components.events.addEventListener('self:peer:update', this.onSelfUpdate)
    this.warnTimer = setTimeout(() => { this.checkWarn() }, this.init.warnAfter ?? DEFAULT_AMINO_WARN_AFTER_MS)
    this.warnTimer.unref?.()
  }

  afterStart (): void {
    void this.dialAll()
    this.updateMode()
  }

  stop (): void {
    this.abort?.abort()
    this.components.events.removeEventListener('self:peer:update', this.onSelfUpdate)
    clearTimeout(this.timer)
    clearTimeout(this.warnTimer)
  }

  /** Peers in the Amino routing table. */
  peers (): number {
    return (this.components.aminoDht as SingleKadDHT).routingTable?.size ?? 0
  }

  state (): AminoState {
    const n = this.peers()
    return {
      status: n > 0 ? 'ready' : this.warned ? 'unreachable' : 'connecting',
      mode: this.components.aminoDht.getMode(),
      routingTablePeers: n,
      bootstrapPeers: this.list.length
    }
  }

  private checkWarn (): void {
    if (this.peers() > 0 || this.warned) return
    this.warned = true
    const message = `Amino DHT unreachable: none of the ${this.list.length} Amino bootstrap peer(s) answered; ` +
      'rendezvous and public peer routing are off until one does (retrying); the ATT network works as before'
    this.log.error(message)
    this.init.onWarning?.(message)
  }

  private async dialAll (): Promise<void> {
    const signal = this.abort?.signal
    if (signal == null || signal.aborted) return
    await Promise.all(this.list.map(async (ma) => {
      try {
        await this.components.connectionManager.openConnection(multiaddr(ma), { signal: AbortSignal.any([signal, AbortSignal.timeout(AMINO_DIAL_TIMEOUT_MS)]) })
        this.log('connected to Amino bootstrap peer %s', ma)
      } catch (err: any) {
        this.log('Amino bootstrap peer %s unreachable: %s', ma, err.message)
      }
    }))
    this.schedule()
  }

  /** Re-dials (backing off to MAX_AMINO_REDIAL_MS) while the Amino routing table stays empty. */
  private schedule (): void {
    if (this.abort == null || this.abort.signal.aborted) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      if (this.peers() > 0) {
        this.redialMs = this.init.redialInterval ?? DEFAULT_AMINO_REDIAL_MS
        this.schedule()
      } else {
        this.redialMs = Math.min(this.redialMs * 2, MAX_AMINO_REDIAL_MS)
        void this.dialAll()
      }
    }, this.redialMs)
    this.timer.unref?.()
  }

  private updateMode (): void {
    const { aminoDht, addressManager } = this.components
    const reach = reachabilityOf(addressManager, this.init.nat, this.init.noListen)
    const want = reach === 'public' ? 'server' : 'client'
    if (aminoDht.getMode() === want) return
    aminoDht.setMode(want).then(() => { this.log('Amino DHT now in %s mode (reachability %s)', want, reach) }, (err: Error) => {
      this.log.error('cannot switch the Amino DHT to %s mode: %s', want, err.message)
    })
  }
}

export function aminoKeeper (init: AminoKeeperInit): (components: AminoKeeperComponents) => AminoKeeper {
  return (components) => new AminoKeeper(components, init)
}
