/**
 * The libp2p parts of reach (issue 14), assembled from the config for createAttnNode: the relay
 * transport, the relay gate, AutoNAT v2, DCUtR, our NAT service, the relay server and UPnP when
 * configured, and with `public` the Amino DHT, its keeper and the rendezvous.
 */
import { autoNATv2 } from '@libp2p/autonat-v2'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { aminoDht, aminoKeeper } from './amino.js'
import { RelayGate, natService, relayServerIncluded, relayServerInit } from './nat.js'
import { rendezvous } from './rendezvous.js'
import type { AttnConfig } from './config.js'
import type { AttnNode } from './create-node.js'
import type { ConnectionGater } from '@libp2p/interface'

export interface ReachServicesOptions {
  /** A warning for the operator (Amino DHT unreachable). */
  onWarning?: (message: string) => void
  /** Warn about an unreachable Amino DHT after this many ms. */
  aminoWarnAfter?: number
}

export interface ReachParts {
  transports: Array<ReturnType<typeof circuitRelayTransport>>
  connectionGater: Partial<ConnectionGater>
  services: Record<string, (components: any) => unknown>
}

/** `node()` returns the node once created (the NAT service republishes through its messaging). */
export async function reachServices (config: AttnConfig, options: ReachServicesOptions, node: () => AttnNode | undefined): Promise<ReachParts> {
  // UPnP's XML and SSDP stack costs start-up time: loaded only when configured
  const upnp = config.nat.upnp ? (await import('@libp2p/upnp-nat')).uPnPNAT() : undefined
  const relayIncluded = relayServerIncluded(config.nat.relay, config.mailbox.enabled, config.noListen)
  const gate = new RelayGate(config.nat.relay)
  return {
    transports: [circuitRelayTransport()],
    // relay limits libp2p's relay server lacks (per-peer caps, serve only while public)
    connectionGater: gate.gater(),
    services: {
      autoNAT: autoNATv2(),
      dcutr: dcutr(),
      nat: natService({
        nat: config.nat,
        noListen: config.noListen,
        gate,
        relayIncluded,
        relayServer: () => node()?.services.relay,
        // senders must learn our new /p2p-circuit addresses
        onRelayAddressesChanged: async () => await node()?.services.messaging.publish()
      }),
      ...(relayIncluded ? { relay: circuitRelayServer(relayServerInit(config.nat.relay)) } : {}),
      ...(upnp != null ? { upnp } : {}),
      ...(config.public
        ? {
            aminoDht: aminoDht(config.amino),
            amino: aminoKeeper({ config: config.amino, nat: config.nat, noListen: config.noListen, onWarning: options.onWarning, warnAfter: options.aminoWarnAfter }),
            rendezvous: rendezvous({ config: config.amino })
          }
        : {})
    }
  }
}
