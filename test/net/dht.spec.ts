import assert from 'node:assert/strict'
import { NodeSet, waitFor } from '../helpers/nodes.js'
import { ATTN_DHT_PROTOCOL } from '../../src/node/create-node.js'
import type { AttnNode } from '../../src/node/create-node.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

async function findPeerOverNetwork (node: AttnNode, id: PeerId): Promise<PeerInfo> {
  for await (const event of node.services.dht.findPeer(id, { useCache: false, signal: AbortSignal.timeout(30_000) })) {
    if (event.name === 'FINAL_PEER' && event.peer.multiaddrs.length > 0) return event.peer
  }
  throw new Error(`${node.peerId} did not find ${id} with addresses`)
}

describe('ATT DHT on /attn/kad/1.0.0', function () {
  const nodes = new NodeSet()
  afterEach(async () => { await nodes.stopAll() })

  it('a 10-node loopback network: every node finds every other node\'s peer record', async function () {
    this.timeout(120_000)
    const first = await nodes.create()
    const bootstrap = [first.getMultiaddrs()[0].toString()]
    const rest = await Promise.all(Array.from({ length: 9 }, async () => await nodes.create({ bootstrap })))
    const all = [first, ...rest]
    assert.ok(first.getProtocols().includes(ATTN_DHT_PROTOCOL))

    // each node's routing table learns the network through the bootstrap node
    await waitFor(() => all.every(n => n.getPeers().length >= 1), { what: 'bootstrap connections', timeout: 60_000 })

    for (const node of all) {
      for (const other of all) {
        if (other === node) continue
        // useCache: false forces a network FIND_NODE query instead of a peer-store hit
        const info = await findPeerOverNetwork(node, other.peerId)
        assert.equal(info.id.toString(), other.peerId.toString())
        assert.ok(info.multiaddrs.some(ma => ma.toString().startsWith('/ip4/127.0.0.1/tcp/')), `found a dialable address for ${other.peerId}: ${info.multiaddrs.map(String).join(" ")}`)
      }
    }
  })
})
