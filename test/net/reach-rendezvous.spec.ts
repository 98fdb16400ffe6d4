import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeSet, waitFor } from '../helpers/nodes.js'
import { rootIdentity } from '../helpers/identities.js'
import { aminoBootstrap, startAminoNet } from '../helpers/amino-net.js'
import type { PlainAminoNode } from '../helpers/amino-net.js'
import type { AttnNode, CreateAttnNodeOptions } from '../../src/node/create-node.js'
import type { PeerId } from '@libp2p/interface'

/** Peers in the ATT DHT routing table of `n`. */
function attTable (n: AttnNode): { size: number, find: (p: PeerId) => Promise<PeerId | undefined> } {
  return (n.services.dht as any).routingTable
}

describe('reach: rendezvous on a local Amino DHT', function () {
  this.timeout(180_000)
  const nodes = new NodeSet()
  let amino: PlainAminoNode[] = []
  const dirs: string[] = []

  afterEach(async () => {
    await nodes.stopAll()
    await Promise.all(amino.splice(0).map(async n => { await n.stop() }))
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  async function attNode (extra: CreateAttnNodeOptions): Promise<AttnNode> {
    const dir = await mkdtemp(join(tmpdir(), 'attn-reach-'))
    dirs.push(dir)
    return await nodes.create({
      bootstrap: [],
      attn: { identity: await rootIdentity(), rpc: { callTimeout: 5_000 } },
      messaging: { dbPath: join(dir, 'messages.db'), publishOnStart: false, fetchInterval: 500, retryInitial: 200, retryMax: 1_000, callTimeout: 3_000 },
      ...extra
    })
  }

  it('two --public ATT nodes with no ATT bootstrap find each other through the rendezvous, form the ATT DHT and exchange a message', async () => {
    amino = await startAminoNet(5)
    const publicOpts: CreateAttnNodeOptions = {
      public: true,
      // loopback: the test network keeps private addresses; lookups every second (production: 5 min)
      amino: { bootstrap: aminoBootstrap(amino), allowPrivateAddresses: true, lookupInterval: 1_000, minLookupGap: 500 }
    }
    const a = await attNode(publicOpts)
    await waitFor(() => (a.services.rendezvous?.state().announcedAt ?? 0) > 0, { what: 'a announced on the Amino DHT', timeout: 60_000 })
    const startedB = performance.now()
    const b = await attNode(publicOpts)
    await waitFor(() => attTable(b).size > 0 && attTable(a).size > 0, { what: 'a and b in each other\'s ATT DHT', timeout: 60_000 })
    const discoveryMs = Math.round(performance.now() - startedB)
    assert.equal((await attTable(b).find(a.peerId))?.toString(), a.peerId.toString())
    assert.equal((await attTable(a).find(b.peerId))?.toString(), b.peerId.toString())
    // the Amino nodes are not ATT nodes: they never enter the ATT DHT
    for (const p of amino) assert.equal(await attTable(b).find(p.peerId), undefined)
    assert.equal(a.services.aminoDht?.getMode(), 'client', 'loopback is not publicly reachable: Amino client mode')
    console.log(`      rendezvous: b started → a and b in each other's ATT DHT in ${discoveryMs} ms`)

    // directory records go to the ATT DHT they just formed; a message crosses
    await waitFor(async () => (await a.services.messaging.publish()).accepted >= 1, { what: 'a record accepted', timeout: 30_000 })
    await waitFor(async () => (await b.services.messaging.publish()).accepted >= 1, { what: 'b record accepted', timeout: 30_000 })
    const { id } = await a.services.messaging.send(b.services.messaging.address, 'found you through the rendezvous')
    await waitFor(() => b.services.messaging.inbox().some(m => m.body === 'found you through the rendezvous'), { what: 'b receives' })
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: 'delivered' })
    const st = b.services.rendezvous?.state()
    assert.ok(st != null && st.lookups >= 1 && st.found >= 1, JSON.stringify(st))
  })

  it('the Amino DHT is a server only while we are publicly reachable', async () => {
    amino = await startAminoNet(2)
    const opts = { public: true, amino: { bootstrap: aminoBootstrap(amino), allowPrivateAddresses: true } }
    const open = await attNode({ ...opts, nat: { reachability: 'public' } })
    const closed = await attNode(opts)
    await waitFor(() => open.services.aminoDht?.getMode() === 'server', { what: 'server mode when public' })
    assert.equal(open.services.nat.state().reachability, 'public')
    assert.equal(closed.services.nat.state().reachability, 'private', 'loopback only: no public address')
    assert.equal(closed.services.aminoDht?.getMode(), 'client')
    // the ATT DHT is unaffected: a server on both
    assert.equal(open.services.dht.getMode(), 'server')
    assert.equal(closed.services.dht.getMode(), 'server')
  })

  it('a dead Amino bootstrap list: a clear warning, and the ATT network still works', async () => {
    const warnings: string[] = []
    const dead = ['/ip4/127.0.0.1/tcp/1/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf']
    const m = await attNode({})
    const via = [m.getMultiaddrs()[0].toString()]
    const a = await attNode({ public: true, amino: { bootstrap: dead }, bootstrap: via, onWarning: (w) => warnings.push(w), aminoWarnAfter: 500 })
    const b = await attNode({ public: true, amino: { bootstrap: dead }, bootstrap: via, aminoWarnAfter: 500 })
    await waitFor(() => warnings.length > 0, { what: 'the Amino warning' })
    assert.match(warnings[0], /Amino DHT unreachable/)
    assert.equal(warnings.length, 1, 'warned once')
    assert.equal(a.services.amino?.state().status, 'unreachable')
    await waitFor(() => a.getConnections(m.peerId).length > 0 && b.getConnections(m.peerId).length > 0, { what: 'ATT bootstrap connections' })
    await waitFor(async () => (await a.services.messaging.publish()).accepted >= 1, { what: 'a record accepted', timeout: 30_000 })
    await waitFor(async () => (await b.services.messaging.publish()).accepted >= 1, { what: 'b record accepted', timeout: 30_000 })
    const { id } = await a.services.messaging.send(b.services.messaging.address, 'amino is down, att is not')
    await waitFor(() => b.services.messaging.inbox().some(x => x.body === 'amino is down, att is not'), { what: 'b receives' })
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: 'delivered' })
  })
})
