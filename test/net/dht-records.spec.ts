import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { NodeSet, waitFor } from '../helpers/nodes.js'
import { rawGet, rawPut } from '../helpers/dht-wire.js'
import { rootIdentity } from '../helpers/identities.js'
import { createDirectoryRecord, directoryKey, encodeDirectoryRecord } from '../../src/messaging/protocol/directory-record.js'
import { MessageType } from '@libp2p/kad-dht'
import type { AttnNode } from '../../src/node/create-node.js'
import type { Identity } from '../../src/keys/index.js'

const HOUR = 3600

function recordBytes (identity: Identity, seq: number, prekeys = 0): Uint8Array {
  return encodeDirectoryRecord(createDirectoryRecord(identity, {
    seq,
    expiresAt: Math.floor(Date.now() / 1000) + HOUR,
    prekeys: Array.from({ length: prekeys }, (_, i) => ({ publicKey: new Uint8Array(32).fill(i + 1), id: i + 1, expiresAt: Math.floor(Date.now() / 1000) + HOUR }))
  }))
}

/** Peers that answered PUT_VALUE with the record, for a put through kad-dht itself. */
async function dhtPut (node: AttnNode, key: Uint8Array, value: Uint8Array): Promise<number> {
  let accepted = 0
  for await (const event of node.services.dht.put(key, value, { signal: AbortSignal.timeout(30_000) })) {
    if (event.name === 'PEER_RESPONSE' && event.messageType === MessageType.PUT_VALUE) accepted++
  }
  return accepted
}

function same (a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a != null && Buffer.from(a).equals(Buffer.from(b))
}

describe('ATT DHT record storage: rollback, caps, persistence', function () {
  this.timeout(120_000)
  // no automatic publications: every record in these stores is one the test put
  const nodes = new NodeSet({ messaging: { publishOnStart: false } })
  const dirs: string[] = []
  afterEach(async () => {
    await nodes.stopAll()
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  async function network (n: number, first: Parameters<NodeSet['create']>[0] = {}): Promise<AttnNode[]> {
    const a = await nodes.create(first)
    const bootstrap = [a.getMultiaddrs()[0].toString()]
    const rest = await Promise.all(Array.from({ length: n - 1 }, async () => await nodes.create({ bootstrap })))
    const all = [a, ...rest]
    await waitFor(() => all.every(x => x.getPeers().length >= 1), { what: 'bootstrap connections', timeout: 60_000 })
    return all
  }

  it('a replayed older directory record (seq N after N+1) is refused and the node keeps serving N+1', async () => {
    const [victim, publisher, other, attacker] = await network(4)
    const identity = await rootIdentity()
    const key = directoryKey(identity.address)
    const older = recordBytes(identity, 100)
    const newer = recordBytes(identity, 101)

    // the owner publishes seq N, then N+1, through the real DHT; the attacker captured N
    assert.ok(await dhtPut(publisher, key, older) >= 1)
    assert.ok(await dhtPut(publisher, key, newer) >= 1)
    // every node holds N+1 (the owner publishes again while a routing table was still filling)
    await waitFor(async () => {
      for (const node of [victim, publisher, other]) {
        if (!same(await rawGet(attacker, node.peerId, key), newer)) {
          await dhtPut(publisher, key, newer)
          return false
        }
      }
      return true
    }, { what: 'every node to hold seq N+1' })

    // replay of the captured PUT_VALUE straight to the node: refused (stream aborted, no echo)
    assert.equal(await rawPut(attacker, victim.peerId, key, older), false)
    assert.ok(same(await rawGet(attacker, victim.peerId, key), newer), 'still serves N+1')
    assert.equal(victim.services.dhtStore.stats().rejected.ERR_DHT_RECORD_ROLLBACK, 1)

    // the same through the attacker's kad-dht: no peer that holds N+1 accepts N
    assert.equal(await dhtPut(attacker, key, older), 0, 'no peer accepted the older record')
    for (const node of [victim, publisher, other]) {
      const got = await rawGet(attacker, node.peerId, key)
      assert.ok(same(got, newer), `${[victim, publisher, other].indexOf(node)} still serves N+1: ${got == null ? 'nothing' : Buffer.from(got).equals(Buffer.from(older)) ? 'older' : 'other'} ${JSON.stringify(node.services.dhtStore.stats())}`)
    }
    // the same record again, and a newer one, are accepted
    assert.equal(await rawPut(attacker, victim.peerId, key, newer), true)
    const newest = recordBytes(identity, 102)
    assert.equal(await rawPut(attacker, victim.peerId, key, newest), true)
    assert.ok(same(await rawGet(attacker, victim.peerId, key), newest))
  })

  it('caps records per source peer and per node (count), counted by code', async () => {
    const victim = await nodes.create({ dht: { maxRecords: 30, maxRecordsPerPeer: 10 } })
    const attackers = await Promise.all(Array.from({ length: 4 }, async () => await nodes.create()))
    const results: boolean[][] = []
    for (const attacker of attackers) {
      await attacker.dial(victim.getMultiaddrs()[0])
      const row: boolean[] = []
      for (let i = 0; i < 12; i++) {
        const identity = await rootIdentity()
        row.push(await rawPut(attacker, victim.peerId, directoryKey(identity.address), recordBytes(identity, 1)))
      }
      results.push(row)
    }
    const accepted = results.map(r => r.filter(Boolean).length)
    // 10 per peer for the first three (30 = the node cap), then nothing
    assert.deepEqual(accepted, [10, 10, 10, 0])
    const stats = victim.services.dhtStore.stats()
    assert.equal(stats.records, 30)
    assert.equal(stats.rejected.ERR_DHT_PEER_QUOTA, 6)
    assert.equal(stats.rejected.ERR_DHT_STORE_FULL, 12)
  })

  it('many records: 300 puts from 3 peers never take the store past its byte cap', async () => {
    const maxBytes = 100 * 1024
    const victim = await nodes.create({ dht: { maxBytes, maxRecordsPerPeer: 1000 } })
    const attackers = await Promise.all(Array.from({ length: 3 }, async () => await nodes.create()))
    let accepted = 0
    await Promise.all(attackers.map(async attacker => {
      await attacker.dial(victim.getMultiaddrs()[0])
      for (let i = 0; i < 100; i++) {
        const identity = await rootIdentity()
        if (await rawPut(attacker, victim.peerId, directoryKey(identity.address), recordBytes(identity, 1, 32))) accepted++
      }
    }))
    const stats = victim.services.dhtStore.stats()
    assert.ok(stats.bytes <= maxBytes, `${stats.bytes} ≤ ${maxBytes}`)
    assert.equal(stats.records, accepted)
    assert.ok(accepted > 30 && accepted < 300, `accepted ${accepted}`)
    assert.equal(stats.rejected.ERR_DHT_STORE_FULL, 300 - accepted)
  })

  it('refuses records over the size limit and outside /attn/', async () => {
    const victim = await nodes.create({ dht: { maxRecordBytes: 600 } })
    const attacker = await nodes.create()
    await attacker.dial(victim.getMultiaddrs()[0])
    const identity = await rootIdentity()
    const big = recordBytes(identity, 1, 16)
    assert.ok(big.byteLength > 600)
    assert.equal(await rawPut(attacker, victim.peerId, directoryKey(identity.address), big), false)
    assert.equal(await rawPut(attacker, victim.peerId, directoryKey(identity.address), recordBytes(identity, 1)), true)
    const pk = await generateKeyPair('Ed25519')
    const pkKey = Uint8Array.from([...new TextEncoder().encode('/pk/'), ...pk.publicKey.toMultihash().bytes])
    const { publicKeyToProtobuf } = await import('@libp2p/crypto/keys')
    assert.equal(await rawPut(attacker, victim.peerId, pkKey, publicKeyToProtobuf(pk.publicKey)), false)
    const stats = victim.services.dhtStore.stats()
    assert.equal(stats.rejected.ERR_DHT_RECORD_TOO_LARGE, 1)
    assert.equal(stats.rejected.ERR_DHT_NAMESPACE_REFUSED, 1)
    assert.equal(stats.records, 1)
  })

  it('records held by a node survive its restart (SQLite datastore), and so does the rollback check', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attn-dht-'))
    dirs.push(dir)
    const privateKey = await generateKeyPair('secp256k1')
    const dhtStorePath = join(dir, 'dht.db')
    let holder = await nodes.create({ privateKey, dhtStorePath })
    const client = await nodes.create()
    await client.dial(holder.getMultiaddrs()[0])
    const identity = await rootIdentity()
    const key = directoryKey(identity.address)
    const older = recordBytes(identity, 7)
    const newer = recordBytes(identity, 8)
    assert.equal(await rawPut(client, holder.peerId, key, newer), true)

    await holder.stop()
    nodes.nodes.splice(nodes.nodes.indexOf(holder), 1)
    // the client must have seen the old connection go: the new holder has the same peer id
    await waitFor(() => client.getConnections(holder.peerId).length === 0, { what: 'old connection closed at the client' })
    holder = await nodes.create({ privateKey, dhtStorePath })
    assert.equal(holder.services.dhtStore.stats().records, 1)
    await client.dial(holder.getMultiaddrs()[0])
    assert.ok(same(await rawGet(client, holder.peerId, key), newer), 'served after the restart')
    assert.equal(await rawPut(client, holder.peerId, key, older), false)
    assert.ok(same(await rawGet(client, holder.peerId, key), newer))

    // and through kad-dht: a node that knows only the restarted holder finds the record
    const found = []
    for await (const event of client.services.dht.get(key, { signal: AbortSignal.timeout(20_000) })) {
      if (event.name === 'VALUE') found.push(event.value)
    }
    assert.ok(found.some(v => same(v, newer)))
  })
})
