import { noise } from '@chainsafe/libp2p-noise'
import { quic } from '@chainsafe/libp2p-quic'
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Registry } from 'prom-client'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { ConnectionMonitorInit } from 'libp2p'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { messaging, selectDirectoryRecord, validateDirectoryRecord, DIRECTORY_NAMESPACE } from '../messaging/index.js'
import type { MessagingService, MessagingServiceInit } from '../messaging/index.js'
import { DEFAULT_CONFIG, parseHostPort, validateConfig } from './config.js'
import { DhtRecordGuard } from './dht-record-guard.js'
import { dhtRefill } from './dht-refill.js'
import type { DhtRefill } from './dht-refill.js'
import { AMINO_DHT_PROTOCOL } from './constants.js'
import { withNonWaitingPeerRouting } from './peer-routing-guard.js'
import { SqliteDatastore } from './sqlite-datastore.js'
import { bootstrapRedial } from './bootstrap-redial.js'
import type { BootstrapRedial } from './bootstrap-redial.js'
import type { AminoKeeper } from './amino.js'
import type { NatService } from './nat.js'
import { mergeReach } from './reach-config.js'
import type { AminoConfig, NatConfig, RelayServerConfig } from './reach-config.js'
import { reachServices } from './reach-services.js'
import type { Rendezvous } from './rendezvous.js'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { AttnConfig } from './config.js'
import { AttnService } from '../service/index.js'
import type { AttnServiceComponents, AttnServiceInit } from '../service/index.js'
import { installLibp2pSecp256k1 } from '../keys/libp2p-key.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

/** libp2p's own metrics of each node, in a registry of its own (two nodes in one process never mix). */
const libp2pRegistries = new WeakMap<AttnNode, Registry>()

/** The Prometheus registry holding libp2p's own metrics (`libp2p_*`) of a node made by createAttnNode. */
export function libp2pMetricsRegistry (node: AttnNode): Registry | undefined {
  return libp2pRegistries.get(node)
}

/** The DHT protocol of the ATT network, separate from the public IPFS DHT. */
export const ATTN_DHT_PROTOCOL = '/attn/kad/1.0.0'

export type AttnServices = {
  attn: AttnService
  dht: KadDHT
  /** The datastore kad-dht stores records in: rollback check, caps, counters (dht-record-guard.ts). */
  dhtStore: DhtRecordGuard
  identify: Identify
  ping: Ping
  messaging: MessagingService
  bootstrapRedial: BootstrapRedial
  /** Hands connected DHT peers missing from a small routing table back to kad-dht (dht-refill.ts). */
  dhtRefill: DhtRefill
  /** Reachability, relay reservations and relay limits (nat.ts). */
  nat: NatService
  autoNAT: unknown
  dcutr: unknown
  /** Circuit relay v2 server: only when relayServerIncluded() (mailbox nodes by default). */
  relay?: CircuitRelayService
  upnp?: unknown
  /** With `public`: the Amino DHT, the keeper of its connectivity, and the ATT rendezvous on it. */
  aminoDht?: KadDHT
  amino?: AminoKeeper
  rendezvous?: Rendezvous
}

export type AttnNode = Libp2p<AttnServices>

export interface CreateAttnNodeOptions extends Omit<Partial<AttnConfig>, 'dht' | 'amino' | 'nat'> {
  /** DHT options; unset fields take the defaults. */
  dht?: Partial<AttnConfig['dht']>
  /** Amino DHT and rendezvous options (with `public`); unset fields take the defaults. */
  amino?: Partial<AminoConfig>
  /** NAT traversal options; unset fields take the defaults. */
  nat?: Partial<Omit<NatConfig, 'relay'>> & { relay?: Partial<RelayServerConfig> }
  /** A warning for the operator (Amino DHT unreachable); default: logged only. */
  onWarning?: (message: string) => void
  /** Tests: warn about an unreachable Amino DHT after this many ms (default 30 s). */
  aminoWarnAfter?: number
  /**
   * SQLite file holding the records this node keeps for the DHT (they survive restarts); default:
   * in memory. The CLI uses `$ATTN_HOME/dht.db`.
   */
  dhtStorePath?: string
  /** The libp2p key (node key). Default: `attn.identity.nodeKey`, else a fresh secp256k1 key. */
  privateKey?: PrivateKey
  /** Options for the attn service (identity, limits, frame handler). */
  attn?: AttnServiceInit
  /** Options for the messaging service (store path, mailbox, publishing). */
  messaging?: MessagingServiceInit
  /** While the node has no connection, re-dial the bootstrap peers this often, ms (default 5 s). */
  bootstrapRedialInterval?: number
  /** While a DHT routing table is small, look for connected DHT peers missing from it this often, ms (default 5 s; 0: never). */
  dhtRefillInterval?: number
  /** Start the node before returning (default true). */
  start?: boolean
  /**
   * libp2p's connection monitor (pings every connection, aborts one whose ping times out); default
   * on. Benches that run a hundred nodes on one event loop turn it off: a busy loop fails the pings
   * of idle, healthy connections.
   */
  connectionMonitor?: ConnectionMonitorInit
}

/**
 * Builds a libp2p node with everything ATT needs: TCP, WebSocket and QUIC
 * listeners, noise, yamux, identify, ping, the ATT DHT on `/attn/kad/1.0.0`
 * (server mode), bootstrap dialling, and the `attn` service.
 */
export async function createAttnNode (options: CreateAttnNodeOptions = {}): Promise<AttnNode> {
  const config: AttnConfig = {
    ...DEFAULT_CONFIG,
    ...Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k in DEFAULT_CONFIG)),
    dht: { ...DEFAULT_CONFIG.dht, ...options.dht },
    mailbox: { ...DEFAULT_CONFIG.mailbox, ...options.mailbox },
    ...mergeReach(DEFAULT_CONFIG, options as Partial<AttnConfig>)
  }
  validateConfig(config)
  // libp2p's secp256k1 sign/verify (noise identity) through the native addon when it loads
  installLibp2pSecp256k1()
  const peerDiscovery = config.bootstrap.length > 0
    ? [bootstrap({ list: config.bootstrap, timeout: 0 })]
    : []

  // opened here, before any port: a corrupt file fails createAttnNode with ERR_STORE_OPEN
  const dhtStore = new DhtRecordGuard(new SqliteDatastore(options.dhtStorePath ?? ':memory:'), config.dht)
  const dht = kadDHT({
    protocol: ATTN_DHT_PROTOCOL,
    // a node without listen addresses cannot answer DHT queries
    clientMode: config.noListen,
    peerInfoMapper: config.dht.allowPrivateAddresses ? passthroughMapper : removePrivateAddressesMapper,
    // identity records under /attn/id/<address>: forged, stale, expired, malformed ones are refused
    validators: { [DIRECTORY_NAMESPACE]: validateDirectoryRecord },
    selectors: { [DIRECTORY_NAMESPACE]: selectDirectoryRecord }
  })

  const metricsRegistry = new Registry()
  // NAT traversal and the public network (reach-services.ts)
  const reach = await reachServices(config, options, () => node)

  let node: AttnNode | undefined
  try {
    node = await createLibp2p<AttnServices>({
      // connection, stream, dial and per-protocol byte counts, exported with ours at GET /metrics
      // preserveExistingMetrics false: the package keeps metric objects in one map per process, and
      // reusing another node's objects would leave this node's registry empty (two nodes in one
      // process); clearing it also clears prom-client's global registry, which we do not use
      metrics: prometheusMetrics({ registry: metricsRegistry, collectDefaultMetrics: false, preserveExistingMetrics: false }),
      // secp256k1 so that, without a separate identity, the node key is a valid ATT root key
      privateKey: options.privateKey ?? options.attn?.identity?.nodeKey ?? await generateKeyPair('secp256k1'),
      start: false,
      addresses: {
        // --no-listen: no socket at all; reachable only through the relays it reserves a slot on
        listen: config.noListen ? ['/p2p-circuit'] : config.listen,
        announce: config.announce.length > 0 ? config.announce : undefined
      },
      transports: [tcp(), webSockets(), quic(), ...reach.transports],
      connectionGater: reach.connectionGater,
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery,
      connectionManager: {
        inboundConnectionThreshold: config.inboundConnectionThreshold,
        maxConnections: config.maxConnections
      },
      ...(options.connectionMonitor != null ? { connectionMonitor: options.connectionMonitor } : {}),
      services: {
        identify: identify(),
        ping: ping(),
        dhtStore: () => dhtStore,
        // kad-dht sees the guard as its datastore (libp2p's own datastore keeps the peer store)
        // a peer lookup with an empty routing table fails at once instead of stalling the dial (peer-routing-guard.ts)
        dht: (components: any) => withNonWaitingPeerRouting(dht(dhtStore.components(components, ATTN_DHT_PROTOCOL))),
        // the concrete service (not the `Attn` interface): tests reach its carrier-level hooks
        attn: (components: AttnServiceComponents) => new AttnService(components, {
          // the UDP and HTTP carriers from config (attn init, when given, wins)
          udp: config.udp !== '' ? parseHostPort(config.udp) : undefined,
          http: config.http !== '' ? parseHostPort(config.http) : undefined,
          ...options.attn
        }),
        messaging: messaging({
          mailbox: config.mailbox.enabled,
          mailboxes: config.mailbox.nodes.length > 0 ? config.mailbox.nodes : undefined,
          ...options.messaging
        }),
        // libp2p's bootstrap dials once: a node started while its bootstrap peers were down would stay alone
        bootstrapRedial: bootstrapRedial({ list: config.bootstrap, interval: options.bootstrapRedialInterval }),
        // kad-dht pings a new peer once: a late first ping would leave a connected peer out of the table for good
        dhtRefill: dhtRefill({
          dhts: [{ service: 'dht', protocol: ATTN_DHT_PROTOCOL }, ...(config.public ? [{ service: 'aminoDht', protocol: AMINO_DHT_PROTOCOL }] : [])],
          interval: options.dhtRefillInterval
        }),
        ...reach.services
      } as any
    })
  } catch (err) {
    await dhtStore.stop()
    throw err
  }
  libp2pRegistries.set(node, metricsRegistry)
  if (options.start !== false) await node.start()
  return node
}
