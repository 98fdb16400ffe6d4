import assert from 'node:assert/strict'
import { CallTiming, CALL_TIMING_BUCKETS_S, PublicRpcError, RpcEngine } from '../../../src/rpc/index.js'
import { MAX_CALL_TIMING_SERIES, MAX_OUTCOMES_PER_METHOD } from '../../../src/rpc/call-timing.js'
import { LinkPair } from './link-pair.js'

const te = new TextEncoder()

describe('rpc call timing (latency histograms for /metrics)', () => {
  it('puts each duration in the first bucket whose bound is not below it, and sums in seconds', () => {
    const t = new CallTiming()
    t.observe('out', 'a.b', 'ok', 0.5) // ≤ 1 ms
    t.observe('out', 'a.b', 'ok', 1) // exactly 1 ms: still the first bucket
    t.observe('out', 'a.b', 'ok', 7) // ≤ 10 ms
    t.observe('out', 'a.b', 'ok', 120_000) // above every bound: +Inf only
    const [s] = t.snapshot()
    assert.equal(s.count, 4)
    assert.equal(s.buckets[0], 2)
    assert.equal(s.buckets[CALL_TIMING_BUCKETS_S.indexOf(0.01)], 1)
    assert.equal(s.buckets[CALL_TIMING_BUCKETS_S.length], 1)
    assert.ok(Math.abs(s.sum - 120.0085) < 1e-9)
  })

  it('alternating directions, methods and outcomes each land in their own series', () => {
    const t = new CallTiming()
    const seq: Array<['in' | 'out', string, string]> = [
      ['out', 'a.b', 'ok'], ['out', 'a.b', 'ok'], ['in', 'a.b', 'ok'], ['out', 'a.b', 'TIMEOUT'],
      ['out', 'a.b', 'ok'], ['in', 'c.d', 'ok'], ['in', 'a.b', 'ok'], ['out', 'c.d', 'ok']
    ]
    for (const [d, m, o] of seq) t.observe(d, m, o, 1)
    const count = (d: string, m: string, o: string): number | undefined => t.snapshot().find(s => s.direction === d && s.method === m && s.outcome === o)?.count
    assert.equal(count('out', 'a.b', 'ok'), 3)
    assert.equal(count('out', 'a.b', 'TIMEOUT'), 1)
    assert.equal(count('in', 'a.b', 'ok'), 2)
    assert.equal(count('in', 'c.d', 'ok'), 1)
    assert.equal(count('out', 'c.d', 'ok'), 1)
    assert.equal(t.snapshot().length, 5)
  })

  it('a peer choosing error codes or method names cannot grow the table beyond its caps', () => {
    const t = new CallTiming()
    for (let i = 0; i < 100; i++) t.observe('out', 'mailbox.put', `ERR_JUNK_${i}`, 1)
    const put = t.snapshot().filter(s => s.method === 'mailbox.put')
    assert.equal(put.length, MAX_OUTCOMES_PER_METHOD)
    assert.equal(put.find(s => s.outcome === 'other')?.count, 100 - (MAX_OUTCOMES_PER_METHOD - 1))
    for (let i = 0; i < 10_000; i++) t.observe('out', `m${i}`, 'ok', 1)
    const all = t.snapshot()
    assert.ok(all.length <= MAX_CALL_TIMING_SERIES + 1, `${all.length} series`)
    const total = all.reduce((n, s) => n + s.count, 0)
    assert.equal(total, 10_100, 'every observation is still counted')
  })

  it('the engine times calls both ways; received calls of unregistered methods are labelled "unknown"', async () => {
    const pair = new LinkPair()
    const a = new RpcEngine({})
    const b = new RpcEngine({})
    pair.a.deliver = (id, data) => { a.handleRecord(pair.a, id, data) }
    pair.b.deliver = (id, data) => { b.handleRecord(pair.b, id, data) }
    try {
      b.handle('test.echo', p => p)
      b.handle('test.fail', () => { throw new PublicRpcError('NOPE', 'no') })
      await a.call(pair.a, 'test.echo', te.encode('x'))
      await assert.rejects(a.call(pair.a, 'test.fail', new Uint8Array()), { code: 'NOPE' })
      await assert.rejects(a.call(pair.a, 'made.up.by.peer', new Uint8Array()), { code: 'UNKNOWN_METHOD' })
      const out = a.timing.snapshot().map(s => `${s.direction} ${s.method} ${s.outcome} ${s.count}`).sort()
      assert.deepEqual(out, ['out made.up.by.peer UNKNOWN_METHOD 1', 'out test.echo ok 1', 'out test.fail NOPE 1'])
      const inc = b.timing.snapshot().map(s => `${s.direction} ${s.method} ${s.outcome} ${s.count}`).sort()
      assert.deepEqual(inc, ['in test.echo ok 1', 'in test.fail NOPE 1', 'in unknown UNKNOWN_METHOD 1'])
    } finally {
      a.stop()
      b.stop()
    }
  })
})
