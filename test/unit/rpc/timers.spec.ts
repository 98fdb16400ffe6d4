import assert from 'node:assert/strict'
import { RpcEngine } from '../../../src/rpc/index.js'
import { Timers } from '../../../src/rpc/timers.js'
import { LinkPair, until } from './link-pair.js'

/** Resolves when `n` callbacks have run (or rejects after a generous deadline). */
function counter (n: number): { hit: (label: string) => void, order: string[], done: Promise<void> } {
  const order: string[] = []
  let resolve!: () => void
  const done = new Promise<void>(r => { resolve = r })
  return { order, done, hit: (label) => { order.push(label); if (order.length === n) resolve() } }
}

describe('rpc timers (one node timer per delay)', () => {
  it('fires in due order across delays, skips cleared timers and counts live ones', async () => {
    const t = new Timers()
    const c = counter(4)
    t.set(() => { c.hit('a30') }, 30)
    const x = t.set(() => { c.hit('cleared') }, 10)
    t.set(() => { c.hit('b10') }, 10)
    t.set(() => { c.hit('c10') }, 10)
    t.set(() => { c.hit('d0') }, 0)
    assert.equal(t.active, 5)
    assert.equal(t.clear(x), undefined)
    assert.equal(t.clear(x), undefined) // twice is harmless
    assert.equal(t.active, 4)
    await c.done
    assert.deepEqual(c.order, ['d0', 'b10', 'c10', 'a30'])
    assert.equal(t.active, 0)
  })

  it('a timer set after its list emptied still fires; a 0 ms timer set from a 0 ms callback fires too (no endless loop)', async () => {
    const t = new Timers()
    t.clear(t.set(() => { assert.fail('cleared') }, 5))
    const c = counter(3)
    t.set(() => {
      c.hit('first')
      t.set(() => { c.hit('nested') }, 0)
    }, 0)
    t.set(() => { c.hit('five') }, 5)
    await c.done
    assert.deepEqual([...c.order].sort(), ['first', 'five', 'nested'])
    assert.equal(t.active, 0)
  })
})

describe('rpc handler context (lazy abort signal)', () => {
  it('a handler that reads its signal only after the handler timeout gets an aborted signal; one that never reads it still times out', async () => {
    const pair = new LinkPair()
    const a = new RpcEngine()
    const b = new RpcEngine({ handlerTimeout: 30 })
    pair.a.deliver = (id, data) => { a.handleRecord(pair.a, id, data) }
    pair.b.deliver = (id, data) => { b.handleRecord(pair.b, id, data) }
    try {
      let late: AbortSignal | undefined
      let release!: () => void
      const gate = new Promise<void>(resolve => { release = resolve })
      b.handle('test.late', async (_p, ctx) => { await gate; late = ctx.signal; return new Uint8Array() })
      b.handle('test.blind', async () => await new Promise<Uint8Array>(() => {}))
      await assert.rejects(a.call(pair.a, 'test.late', new Uint8Array()), (e: any) => e.code === 'TIMEOUT' && e.remote === true)
      release()
      await until(() => late != null)
      assert.equal(late?.aborted, true)
      await assert.rejects(a.call(pair.a, 'test.blind', new Uint8Array()), (e: any) => e.code === 'TIMEOUT')
      await until(() => b.stats().runningHandlers === 0 && b.stats().activeTimers === 0)
    } finally {
      a.stop()
      b.stop()
    }
  })
})
