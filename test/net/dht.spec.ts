import assert from 'node:assert/strict'
import { NodeSet, waitFor } from '../helpers/nodes.js'
import { ATTN_DHT_PROTOCOL } from '../../src/node/create-node.js'
import type { AttnNode } from '../../src/node/create-node.js'
import type { PeerId, PeerInfo } from '@libp2p/interface'

/** A network FIND_NODE walk for `id`; asked again while routing tables are still filling (a slow machine). */
async function findPeerOverNetwork (node: AttnNode, id: PeerId): Promise<PeerInfo> {
  return await waitFor(async () => {
    for await (const event of node.services.dht.findPeer(id, { useCache: false, signal: AbortSignal.timeout(30_000) })) {
      if (event.name === 'FINAL_PEER' && event.peer.multiaddrs.length > 0) return event.peer
    }
    throw new Error(`${node.peerId} did not find ${id} with addresses`)
  }, { timeout: 60_000, interval: 250, what: `${node.peerId} finds ${id}` })
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

    // every ordered pair; a node's lookups run side by side (each is its own network walk)
    for (const node of all) {
      await Promise.all(all.filter(other => other !== node).map(async other => {
        // useCache: false forces a network FIND_NODE query instead of a peer-store hit
        const info = await findPeerOverNetwork(node, other.peerId)
        assert.equal(info.id.toString(), other.peerId.toString())
        assert.ok(info.multiaddrs.some(ma => ma.toString().startsWith('/ip4/127.0.0.1/tcp/')), `found a dialable address for ${other.peerId}: ${info.multiaddrs.map(String).join(" ")}`)
      }))
    }
  })

  it('a node dialling a peer by id alone before it knows an address does not stall its later dials of that peer (empty routing table)', async function () {
    this.timeout(60_000)
    const a = await nodes.create()
    const b = await nodes.create()
    // b knows no address of a and has no DHT peer: libp2p looks a up in the DHT; before,
    // that query waited for a routing-table peer forever and every later dial of a joined it
    const byId = b.dial(a.peerId, { signal: AbortSignal.timeout(45_000) }).then(() => 'connected', (err: Error) => err.name)
    // what the bootstrap redial does: dial the address, again if that dial joined the one by id
    // and failed with it; each try has 5 s, while the dial by id is allowed 45 s
    const conn = await waitFor(async () => await b.dial(a.getMultiaddrs()[0], { signal: AbortSignal.timeout(5_000) }), { timeout: 20_000, interval: 200, what: 'a connection by address' })
    assert.equal(conn.remotePeer.toString(), a.peerId.toString())
    // the dial by id ended quickly: no address, nobody to ask
    assert.ok(['connected', 'NotFoundError', 'NoValidAddressesError'].includes(await byId), `the dial by id ended: ${await byId}`)
  })
})

describe('DHT refill: a connected DHT peer missing from the routing table is handed back to kad-dht', function () {
  this.timeout(60_000)
  const nodes = new NodeSet()
  afterEach(async () => { await nodes.stopAll() })

  type Table = { size: number, find: (p: PeerId) => Promise<PeerId | undefined>, remove: (p: PeerId) => Promise<void> }
  const table = (n: AttnNode): Table => (n.services.dht as any).routingTable

  async function connectedPair (interval: number): Promise<[AttnNode, AttnNode]> {
    const a = await nodes.create({ dhtRefillInterval: interval })
    const b = await nodes.create({ dhtRefillInterval: interval })
    await b.dial(a.getMultiaddrs()[0])
    await waitFor(async () => await table(b).find(a.peerId), { what: 'a in b\'s routing table' })
    // what a late first PING leaves behind: connected, speaking the DHT protocol, not in the table
    await table(b).remove(a.peerId)
    assert.equal(await table(b).find(a.peerId), undefined)
    assert.equal(b.getConnections(a.peerId).length, 1)
    return [a, b]
  }

  it('check() finds the missing peer, kad-dht pings it and puts it back; a second check finds nothing to do', async () => {
    const [a, b] = await connectedPair(0)
    assert.equal(await b.services.dhtRefill.check(), 1)
    await waitFor(async () => await table(b).find(a.peerId), { what: 'a back in b\'s routing table' })
    assert.equal(b.services.dhtRefill.refilled.get('dht'), 1)
    assert.equal(await b.services.dhtRefill.check(), 0)
  })

  it('the timer does it on its own (interval 200 ms)', async () => {
    const [a, b] = await connectedPair(200)
    await waitFor(async () => await table(b).find(a.peerId), { what: 'a back in b\'s routing table' })
    assert.ok((b.services.dhtRefill.refilled.get('dht') ?? 0) >= 1)
  })

  it('a connected peer that does not speak the DHT protocol is left alone', async () => {
    const a = await nodes.create({ dhtRefillInterval: 0 })
    const b = await nodes.create({ dhtRefillInterval: 0 })
    // a stops answering the ATT DHT: identify tells b it no longer speaks it
    await a.unhandle(ATTN_DHT_PROTOCOL)
    await b.dial(a.getMultiaddrs()[0])
    await waitFor(async () => (await b.peerStore.get(a.peerId)).protocols.includes('/ipfs/id/1.0.0'), { what: 'b identified a' })
    assert.ok(!(await b.peerStore.get(a.peerId)).protocols.includes(ATTN_DHT_PROTOCOL))
    assert.equal(await b.services.dhtRefill.check(), 0)
    assert.equal(table(b).size, 0)
  })
})
