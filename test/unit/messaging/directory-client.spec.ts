import assert from 'node:assert/strict'
import { DirectoryClient, createDirectoryRecord, encodeDirectoryRecord } from '../../../src/messaging/index.js'
import { identity } from './fixtures.js'
import { MessageType } from '@libp2p/kad-dht'
import type { KadDHT } from '@libp2p/kad-dht'

const bob = identity('bob', false) // root key: no certificate to expire against the real clock

/**
 * A stand-in for the DHT's `get` (the DHT itself is exercised on real nodes in test/net): it
 * counts queries and answers each with bob's record once `release()` is called.
 */
function countingDht (): { dht: KadDHT, queries: () => number, release: () => void } {
  let queries = 0
  let release!: () => void
  const gate = new Promise<void>(resolve => { release = resolve })
  const now = Math.floor(Date.now() / 1000)
  const value = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 1n, expiresAt: now + 3600 }))
  const dht = {
    async * get (_key: Uint8Array, options: { signal?: AbortSignal }) {
      queries++
      await gate
      options.signal?.throwIfAborted()
      yield { name: 'VALUE', value, from: 'peer' }
    }
  }
  return { dht: dht as unknown as KadDHT, queries: () => queries, release }
}

describe('messaging/directory-client', () => {
  it('concurrent lookups of one address share one DHT query; a caller that gives up does not end it for the others', async () => {
    const { dht, queries, release } = countingDht()
    const client = new DirectoryClient(dht, Object.assign(() => {}, { trace: () => {}, error: () => {} }) as any)
    const impatient = new AbortController()
    const waiting = Array.from({ length: 50 }, async () => await client.lookup(bob.address))
    const gaveUp = client.lookup(bob.address, { signal: impatient.signal })
    impatient.abort(new Error('gave up'))
    await assert.rejects(gaveUp, /gave up/)
    release()
    const records = await Promise.all(waiting)
    assert.equal(queries(), 1, 'one DHT query for 51 callers')
    assert.ok(records.every(r => r.address === bob.address && r.seq === 1n))
    // cached now: no new query
    await client.lookup(bob.address)
    assert.equal(queries(), 1)
    // a fresh lookup (publishing) always asks the DHT
    await client.lookup(bob.address, { fresh: true })
    assert.equal(queries(), 2)
  })

  it('a sender\'s lookup ends at the first peer answer carrying a valid record (kad-dht yields VALUE only after its whole query)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const value = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 7n, expiresAt: now + 3600 }))
    let rest!: () => void
    const queryEnd = new Promise<void>(resolve => { rest = resolve })
    let ended = false
    const dht = {
      async * get (_key: Uint8Array, options: { signal?: AbortSignal }) {
        yield { name: 'PEER_RESPONSE', messageType: MessageType.GET_VALUE, from: 'junk', record: { value: Uint8Array.of(1, 2, 3) } }
        yield { name: 'PEER_RESPONSE', messageType: MessageType.GET_VALUE, from: 'peer', record: { value } }
        // the rest of the query (and kad-dht's final VALUE) would come only after this
        await queryEnd
        options.signal?.throwIfAborted()
        ended = true
        yield { name: 'VALUE', value, from: 'peer' }
      }
    }
    const client = new DirectoryClient(dht as unknown as KadDHT, Object.assign(() => {}, { trace: () => {}, error: () => {} }) as any)
    const record = await client.lookup(bob.address)
    assert.equal(record.seq, 7n)
    assert.equal(ended, false, 'answered before the query ended')
    rest()
    // publishing (fresh) still walks the query to its end
    const fresh = client.lookup(bob.address, { fresh: true })
    assert.equal((await fresh).seq, 7n)
    assert.equal(ended, true)
  })

  it('after answering with the first valid record, the walk goes on and caches the best record it meets (a stale peer is outvoted)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const stale = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 1n, expiresAt: now + 3600 }))
    const newer = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 2n, expiresAt: now + 3600 }))
    let rest!: () => void
    const later = new Promise<void>(resolve => { rest = resolve })
    let walked = false
    const dht = {
      async * get (_key: Uint8Array, options: { signal?: AbortSignal }) {
        yield { name: 'PEER_RESPONSE', messageType: MessageType.GET_VALUE, from: 'stale-peer', record: { value: stale } }
        await later
        options.signal?.throwIfAborted()
        yield { name: 'PEER_RESPONSE', messageType: MessageType.GET_VALUE, from: 'peer', record: { value: newer } }
        yield { name: 'PEER_RESPONSE', messageType: MessageType.GET_VALUE, from: 'stale-again', record: { value: stale } }
        walked = true
      }
    }
    const client = new DirectoryClient(dht as unknown as KadDHT, Object.assign(() => {}, { trace: () => {}, error: () => {} }) as any)
    assert.equal((await client.lookup(bob.address)).seq, 1n, 'the first valid answer')
    rest()
    const deadline = Date.now() + 10_000
    while (!walked && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(client.cached(bob.address)?.seq, 2n, 'the best record of the whole walk is cached')
    assert.equal((await client.lookup(bob.address)).seq, 2n, 'and served to the next lookup')
  })
})
