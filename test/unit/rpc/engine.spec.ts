import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  decodeInfo, decodeRpcMessage, encodeRpcMessage, PublicRpcError, RpcEngine, RPC_LIMITS
} from '../../../src/rpc/index.js'
import { LinkPair, until } from './link-pair.js'
import type { RpcEngineInit, RpcMessage } from '../../../src/rpc/index.js'

const te = new TextEncoder()
const td = new TextDecoder()

interface Setup { pair: LinkPair, a: RpcEngine, b: RpcEngine }

function connect (init: RpcEngineInit = {}, initB: RpcEngineInit = init): Setup {
  const pair = new LinkPair()
  const a = new RpcEngine(init)
  const b = new RpcEngine({ info: () => ({ address: 'att:b', version: '0.1.0', protocols: ['/attn/1.0.0'] }), ...initB })
  pair.a.deliver = (id, data) => { a.handleRecord(pair.a, id, data) }
  pair.b.deliver = (id, data) => { b.handleRecord(pair.b, id, data) }
  return { pair, a, b }
}

/** Call msg_ids the `from` side put on the wire, in order of first appearance. */
function callIds (pair: LinkPair, from: 'a' | 'b' = 'a'): Array<{ msgId: bigint, method: string }> {
  const seen = new Map<bigint, string>()
  for (const r of pair.records.filter(r => r.from === from)) {
    const m: RpcMessage = decodeRpcMessage(r.data)
    const items = m.kind === 'container' ? m.messages : [{ msgId: r.msgId, message: m }]
    for (const it of items) if (it.message.kind === 'call' && !seen.has(it.msgId)) seen.set(it.msgId, it.message.method)
  }
  return [...seen].map(([msgId, method]) => ({ msgId, method }))
}

async function quiesce (...engines: RpcEngine[]): Promise<void> {
  await until(() => engines.every(e => {
    const s = e.stats()
    return s.activeTimers === 0 && s.pendingCalls === 0 && s.waitingForSlot === 0 && s.runningHandlers === 0 &&
      s.pendingStatusQueries === 0 && s.pendingPings === 0 && s.queuedOutgoing === 0
  }), 10_000, 'engines to release every timer and pending entry')
}

describe('rpc engine', () => {
  let s: Setup | undefined
  afterEach(() => { s?.a.stop(); s?.b.stop(); s = undefined })

  it('answers 1,000 concurrent calls correctly, batching them into containers', async () => {
    s = connect()
    const { pair, a, b } = s
    b.handle('test.double', p => { const n = Number(td.decode(p)); return te.encode(String(n * 2)) })
    const results = await Promise.all(Array.from({ length: 1000 }, async (_, i) => await a.call(pair.a, 'test.double', te.encode(String(i)))))
    results.forEach((r, i) => { assert.equal(td.decode(r), String(i * 2)) })
    const sa = a.stats()
    const sb = b.stats()
    assert.equal(sa.callsSent, 1000)
    assert.equal(sb.callsReceived, 1000)
    assert.ok(sa.containersSent >= 1, 'caller packed calls into containers')
    assert.ok(sa.recordsSent < 100, `caller used ${sa.recordsSent} records for 1000 calls`)
    assert.ok(sb.containersSent >= 1 && sb.recordsSent < 100, `callee used ${sb.recordsSent} records for 1000 replies`)
    await quiesce(a, b)
    // the replies were acknowledged, so the callee let go of their bytes
    await until(() => b.stats().receivedCacheBytes === 0, 10_000, 'reply acks')
  })

  it('maps a throwing handler to HANDLER_ERROR without leaking its message, and keeps serving', async () => {
    s = connect()
    const { pair, a, b } = s
    b.handle('test.boom', () => { throw new Error('secret database path /x/y') })
    b.handle('test.public', async () => { throw new PublicRpcError('NOT_FOUND', 'no such thing') })
    b.handle('test.ok', () => te.encode('ok'))
    await assert.rejects(a.call(pair.a, 'test.boom', new Uint8Array()), (e: any) => e.code === 'HANDLER_ERROR' && e.remote === true && !String(e.message).includes('secret'))
    await assert.rejects(a.call(pair.a, 'test.public', new Uint8Array()), (e: any) => e.code === 'NOT_FOUND' && e.message === 'no such thing')
    assert.equal(td.decode(await a.call(pair.a, 'test.ok', new Uint8Array())), 'ok')
    assert.equal(b.stats().handlerErrors, 1)
  })

  it('rejects an unknown method with UNKNOWN_METHOD, and bad names or params locally', async () => {
    s = connect()
    const { pair, a } = s
    await assert.rejects(a.call(pair.a, 'no.such.method', new Uint8Array()), (e: any) => e.code === 'UNKNOWN_METHOD' && e.remote === true)
    await assert.rejects(a.call(pair.a, 'bad name!', new Uint8Array()), (e: any) => e.code === 'BAD_REQUEST' && e.remote === false)
    await assert.rejects(a.call(pair.a, 'x', new Uint8Array(RPC_LIMITS.MAX_PAYLOAD_BYTES + 1)), (e: any) => e.code === 'TOO_LARGE' && e.remote === false)
  })

  it('sends TOO_LARGE instead of an oversize result', async () => {
    s = connect()
    const { pair, a, b } = s
    b.handle('test.big', () => new Uint8Array(RPC_LIMITS.MAX_PAYLOAD_BYTES + 1))
    b.handle('test.max', () => new Uint8Array(RPC_LIMITS.MAX_PAYLOAD_BYTES))
    await assert.rejects(a.call(pair.a, 'test.big', new Uint8Array()), (e: any) => e.code === 'TOO_LARGE' && e.remote === true)
    assert.equal((await a.call(pair.a, 'test.max', new Uint8Array(RPC_LIMITS.MAX_PAYLOAD_BYTES))).byteLength, RPC_LIMITS.MAX_PAYLOAD_BYTES)
  })

  it('resends a call whose Reply was lost; the handler runs exactly once', async () => {
    s = connect({ resendInitial: 20 })
    const { pair, a, b } = s
    let runs = 0
    b.handle('test.count', () => { runs++; return te.encode('done') })
    let droppedReply = false
    pair.drop = (from, _id, data) => {
      if (from !== 'b' || droppedReply) return false
      const m = decodeRpcMessage(data)
      const kinds = m.kind === 'container' ? m.messages.map(i => i.message.kind) : [m.kind]
      if (kinds.includes('reply')) { droppedReply = true; return true }
      return false
    }
    assert.equal(td.decode(await a.call(pair.a, 'test.count', new Uint8Array())), 'done')
    assert.equal(droppedReply, true)
    assert.equal(runs, 1)
    assert.ok(a.stats().resends >= 1)
    assert.ok(b.stats().duplicatesDropped >= 1)
    await quiesce(a, b)
  })

  it('resends a lost Call', async () => {
    s = connect({ resendInitial: 20 })
    const { pair, a, b } = s
    let runs = 0
    b.handle('test.count', () => { runs++; return te.encode('done') })
    pair.drop = (from, _id, _d, index) => from === 'a' && index === 0
    assert.equal(td.decode(await a.call(pair.a, 'test.count', new Uint8Array())), 'done')
    assert.equal(runs, 1)
    assert.equal(pair.dropped, 1)
  })

  it('answers duplicates of a running call with a processing StatusInfo, then the reply', async () => {
    s = connect({ resendInitial: 10, probeInitial: 10, resendMax: 20 })
    const { pair, a, b } = s
    let release!: () => void
    const held = new Promise<void>(resolve => { release = resolve })
    let runs = 0
    b.handle('test.slow', async () => { runs++; await held; return te.encode('late') })
    const p = a.call(pair.a, 'test.slow', new Uint8Array())
    await until(() => b.stats().duplicatesDropped >= 3, 10_000, 'probes of the running call')
    release()
    assert.equal(td.decode(await p), 'late')
    assert.equal(runs, 1)
    await quiesce(a, b)
  })

  it('reports received / processing / done / unknown through queryStatus', async () => {
    s = connect()
    const { pair, a, b } = s
    let release!: () => void
    const held = new Promise<void>(resolve => { release = resolve })
    b.handle('test.hold', async () => { await held; return te.encode('x') }, { maxConcurrent: 1, maxQueued: 4 })
    b.handle('test.ok', () => te.encode('ok'))
    await a.call(pair.a, 'test.ok', new Uint8Array())
    const p1 = a.call(pair.a, 'test.hold', new Uint8Array())
    const p2 = a.call(pair.a, 'test.hold', new Uint8Array())
    await until(() => b.stats().queuedHandlers === 1 && b.stats().runningHandlers === 2, 10_000, 'one running, one queued')
    const ids = callIds(pair)
    assert.deepEqual(ids.map(i => i.method), ['test.ok', 'test.hold', 'test.hold'])
    const states = await a.queryStatus(pair.a, [ids[1].msgId, ids[2].msgId, ids[0].msgId, 12345n])
    assert.deepEqual(states, ['processing', 'received', 'done', 'unknown'])
    release()
    await Promise.all([p1, p2])
    assert.deepEqual(await a.queryStatus(pair.a, [ids[1].msgId, ids[2].msgId]), ['done', 'done'])
    await quiesce(a, b)
  })

  it('answers OVERLOADED past a handler concurrency limit', async () => {
    s = connect()
    const { pair, a, b } = s
    let release!: () => void
    const held = new Promise<void>(resolve => { release = resolve })
    b.handle('test.one', async () => { await held; return new Uint8Array() }, { maxConcurrent: 1 })
    const p1 = a.call(pair.a, 'test.one', new Uint8Array())
    await assert.rejects(a.call(pair.a, 'test.one', new Uint8Array()), (e: any) => e.code === 'OVERLOADED')
    release()
    await p1
  })

  it('releases every timer, listener and slot on abort and timeout', async () => {
    s = connect({ maxInFlight: 2 }, { handlerTimeout: 60_000 })
    const { pair, a, b } = s
    let release!: () => void
    const held = new Promise<void>(resolve => { release = resolve })
    b.handle('test.hold', async (_p, ctx) => { await Promise.race([held, new Promise(resolve => ctx.signal.addEventListener('abort', resolve))]); return new Uint8Array() })
    const ac = new AbortController()
    const p1 = a.call(pair.a, 'test.hold', new Uint8Array(), { signal: ac.signal })
    const p2 = a.call(pair.a, 'test.hold', new Uint8Array(), { timeout: 50 })
    const ac3 = new AbortController()
    const p3 = a.call(pair.a, 'test.hold', new Uint8Array(), { signal: ac3.signal }) // waits for a slot
    const p4 = a.call(pair.a, 'test.hold', new Uint8Array(), { timeout: 30 }) // waits, times out waiting
    assert.equal(a.stats().waitingForSlot, 2)
    ac3.abort()
    await assert.rejects(p3, (e: any) => e.code === 'ABORTED')
    await assert.rejects(p4, (e: any) => e.code === 'TIMEOUT' && e.remote === false)
    await assert.rejects(p2, (e: any) => e.code === 'TIMEOUT')
    ac.abort()
    await assert.rejects(p1, (e: any) => e.code === 'ABORTED')
    await assert.rejects(a.call(pair.a, 'test.hold', new Uint8Array(), { signal: AbortSignal.abort() }), (e: any) => e.code === 'ABORTED')
    const sa = a.stats()
    assert.equal(sa.pendingCalls, 0)
    assert.equal(sa.waitingForSlot, 0)
    release()
    await quiesce(a, b)
  })

  it('a caller signal joins the default deadline of call, queryStatus and ping (it does not replace it)', async () => {
    s = connect({ callTimeout: 40 })
    const { pair, a, b } = s
    b.handle('test.never', async () => await new Promise<Uint8Array>(() => {}))
    const never = new AbortController().signal // a caller's signal that never fires
    pair.a.deliver = () => {} // nothing reaches a: no Pong, no StatusInfo
    await assert.rejects(a.call(pair.a, 'test.never', new Uint8Array(), { signal: never }), (e: any) => e.code === 'TIMEOUT')
    await assert.rejects(a.queryStatus(pair.a, [1n], { signal: never }), (e: any) => e.code === 'TIMEOUT')
    await assert.rejects(a.ping(pair.a, { signal: never }), (e: any) => e.code === 'TIMEOUT')
    // and an abort before the deadline wins, for each of the three
    for (const op of [
      async (signal: AbortSignal) => await a.call(pair.a, 'test.never', new Uint8Array(), { signal, timeout: 60_000 }),
      async (signal: AbortSignal) => await a.queryStatus(pair.a, [1n], { signal, timeout: 60_000 }),
      async (signal: AbortSignal) => await a.ping(pair.a, { signal, timeout: 60_000 })
    ]) {
      const ac = new AbortController()
      const p = op(ac.signal)
      ac.abort()
      await assert.rejects(p, (e: any) => e.code === 'ABORTED')
    }
    const sa = a.stats()
    assert.equal(sa.pendingCalls, 0)
    assert.equal(sa.pendingStatusQueries, 0)
    assert.equal(sa.pendingPings, 0)
  })

  it('fails pending calls with SESSION_CLOSED when the link closes, and aborts handlers', async () => {
    s = connect()
    const { pair, a, b } = s
    let aborted = false
    b.handle('test.hang', async (_p, ctx) => await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => { aborted = true; reject(new Error('aborted')) })))
    const p = a.call(pair.a, 'test.hang', new Uint8Array())
    await until(() => b.stats().runningHandlers === 1)
    pair.close()
    a.linkClosed(pair.a)
    b.linkClosed(pair.b)
    await assert.rejects(p, (e: any) => e.code === 'SESSION_CLOSED')
    assert.equal(aborted, true)
    await assert.rejects(a.call(pair.a, 'test.hang', new Uint8Array()), (e: any) => e.code === 'SESSION_CLOSED')
    await quiesce(a, b)
  })

  it('moves pending calls to a replacement link', async () => {
    s = connect({ resendInitial: 10_000 })
    const { pair, a, b } = s
    b.handle('test.ok', () => te.encode('ok'))
    pair.drop = (from) => from === 'a' // everything a sends on the old link is lost
    const p = a.call(pair.a, 'test.ok', new Uint8Array())
    await until(() => pair.dropped >= 1)
    const pair2 = new LinkPair('8899aabbccddeeff')
    pair2.a.deliver = (id, data) => { a.handleRecord(pair2.a, id, data) }
    pair2.b.deliver = (id, data) => { b.handleRecord(pair2.b, id, data) }
    a.linkReplaced(pair.a, pair2.a)
    b.linkReplaced(pair.b, pair2.b)
    assert.equal(td.decode(await p), 'ok')
  })

  it('resends the calls of a record rejected for its salt as soon as NewSalt arrives', async () => {
    const seen: Array<{ salt: Uint8Array, bad: bigint }> = []
    s = connect({ resendInitial: 60_000, onNewSalt: (_l, salt, _v, bad) => { seen.push({ salt, bad }) } })
    const { pair, a, b } = s
    b.handle('test.ok', () => te.encode('ok'))
    let badRecord = 0n
    pair.drop = (from, id, _d, index) => { if (from === 'a' && index === 0) { badRecord = id; return true } return false }
    const p = a.call(pair.a, 'test.ok', new Uint8Array())
    await until(() => badRecord !== 0n)
    const salt = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)
    b.sendNewSalt(pair.b, salt, 42n, badRecord)
    assert.equal(td.decode(await p), 'ok')
    assert.deepEqual(seen, [{ salt, bad: badRecord }])
  })

  it('serves attn.ping, attn.info and ping()', async () => {
    s = connect()
    const { pair, a, b } = s
    b.handle('test.ok', () => te.encode('ok'))
    assert.equal(td.decode(await a.call(pair.a, 'attn.ping', te.encode('hello'))), 'hello')
    const info = decodeInfo(await a.call(pair.a, 'attn.info', new Uint8Array()))
    assert.deepEqual(info, { version: '0.1.0', address: 'att:b', methods: ['attn.info', 'attn.ping', 'test.ok'], protocols: ['/attn/1.0.0'], carriers: [] })
    const rtt = await a.ping(pair.a)
    assert.ok(rtt >= 0)
    b.unhandle('test.ok')
    await assert.rejects(a.call(pair.a, 'test.ok', new Uint8Array()), (e: any) => e.code === 'UNKNOWN_METHOD')
    await quiesce(a, b)
  })

  it('survives random and mutated records: never throws, counts every decode error', async () => {
    s = connect()
    const { pair, a, b } = s
    b.handle('test.ok', () => te.encode('ok'))
    const valid = [
      encodeRpcMessage({ kind: 'call', method: 'test.ok', params: te.encode('p') }),
      encodeRpcMessage({ kind: 'reply', reqMsgId: 5n, error: { code: 'X', message: 'y' } }),
      encodeRpcMessage({ kind: 'statusInfo', reqMsgId: 1n, msgIds: [1n, 2n], states: Uint8Array.of(0, 3) }),
      encodeRpcMessage({ kind: 'container', messages: [{ msgId: 7n, message: { kind: 'ack', msgIds: [1n] } }, { msgId: 8n, message: { kind: 'ping', pingId: 3n } }] })
    ]
    let failures = 0
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([v, pos, byte]) => { const c = v.slice(); c[pos % c.length] = byte; return c }),
      fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([v, n]) => v.subarray(0, n % v.length))
    )
    let id = pair.b.nextMsgId() + 1_000_000n
    fc.assert(fc.property(bytes, data => {
      try { decodeRpcMessage(data) } catch (e: any) {
        assert.ok(e.constructor.name.startsWith('Rpc') && String(e.code).startsWith('ERR_RPC_'), `unexpected ${e}`)
        failures++
      }
      b.handleRecord(pair.b, id++, data) // must not throw
    }), { numRuns: 3000 })
    const counted = Object.values(b.stats().decodeErrors).reduce((x, y) => x + y, 0)
    assert.ok(counted >= failures, `${counted} counted vs ${failures} decode failures`)
    assert.ok(failures > 0)
    // still serving
    assert.equal(td.decode(await a.call(pair.a, 'test.ok', new Uint8Array())), 'ok')
  })
})
