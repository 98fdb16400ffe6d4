import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { waitFor } from './nodes.js'
import type { KadDHT, SingleKadDHT } from '@libp2p/kad-dht'
import type { Libp2p } from '@libp2p/interface'

export type PlainAminoNode = Libp2p<{ dht: KadDHT, identify: unknown, ping: unknown }>

/**
 * A local stand-in for the public Amino network: plain js-libp2p nodes (not ATT nodes) running
 * only kad-dht on /ipfs/kad/1.0.0 in server mode, keeping loopback addresses (passthroughMapper),
 * all connected to the first one so their routing tables fill.
 */
export async function startAminoNet (count: number): Promise<PlainAminoNode[]> {
  const nodes: PlainAminoNode[] = []
  for (let i = 0; i < count; i++) {
    nodes.push(await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { inboundConnectionThreshold: 1000 },
      services: {
        identify: identify(),
        ping: ping(),
        dht: kadDHT({ protocol: '/ipfs/kad/1.0.0', clientMode: false, peerInfoMapper: passthroughMapper })
      }
    }) as PlainAminoNode)
  }
  for (const n of nodes.slice(1)) await n.dial(nodes[0].getMultiaddrs()[0])
  for (const n of nodes) {
    await waitFor(() => ((n.services.dht as SingleKadDHT).routingTable?.size ?? 0) > 0, { what: 'amino routing table', timeout: 30_000 })
  }
  return nodes
}

/** Bootstrap multiaddrs (with /p2p) of the local Amino network. */
export function aminoBootstrap (nodes: PlainAminoNode[]): string[] {
  return nodes.map(n => n.getMultiaddrs()[0].toString())
}
