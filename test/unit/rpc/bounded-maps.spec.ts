import assert from 'node:assert/strict'
import { ReceivedCalls } from '../../../src/rpc/received-calls.js'
import { SentRecords } from '../../../src/rpc/sent-records.js'

describe('rpc bounded maps (received-call cache, sent-record memory)', () => {
  it('SentRecords keeps exactly the last `max` records, oldest dropped first', () => {
    const s = new SentRecords(3)
    for (let i = 1n; i <= 10n; i++) s.set(i, [i * 100n])
    assert.equal(s.size, 3)
    assert.equal(s.get(7n), undefined)
    assert.deepEqual([s.get(8n), s.get(9n), s.get(10n)], [[800n], [900n], [1000n]])
    s.set(9n, [1n]) // an id again replaces its calls, evicts nothing
    assert.equal(s.size, 3)
    assert.deepEqual(s.get(8n), [800n])
    s.clear()
    assert.equal(s.size, 0)
    s.set(1n, [])
    assert.equal(s.size, 1)
  })

  it('ReceivedCalls evicts the oldest finished entries beyond its bounds, never a running one, across many inserts', () => {
    let now = 1_000
    const rc = new ReceivedCalls(100, 1 << 20, 60_000, () => now)
    const first = rc.add(1n) // stays running: never evicted
    first.state = 'processing'
    for (let i = 2n; i <= 50_000n; i++) {
      const e = rc.add(i)
      rc.complete(e, false, new Uint8Array(10), i + 1_000_000n)
      assert.ok(rc.size <= 100)
    }
    assert.equal(rc.size, 100) // the running one and the 99 newest
    assert.equal(rc.get(1n), first)
    assert.equal(rc.get(49_901n), undefined)
    assert.notEqual(rc.get(49_902n), undefined)
    assert.equal(rc.bytes, 99 * 10)
    // a removed entry (expired lookup) is skipped when eviction reaches it
    now += 60_001
    assert.equal(rc.get(49_950n), undefined)
    const e = rc.add(60_000n)
    rc.complete(e, false, new Uint8Array(10), 70_000n)
    assert.deepEqual([rc.size, rc.bytes], [2, 10]) // everything else expired; the running one stays
    assert.equal(rc.get(1n), first)
  })
})
