import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createServer } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import type { AddressInfo } from 'node:net'
import { NodeSet, waitFor } from '../helpers/nodes.js'
import { decodeRpcMessage, AttnRpcError, PublicRpcError } from '../../src/rpc/index.js'
import type { Session } from '../../src/session/index.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** Call msg_ids (bare or inside a container) in an outgoing RPC record. */
function callIds (data: Uint8Array, recordMsgId: bigint): bigint[] {
  const msg = decodeRpcMessage(data)
  if (msg.kind === 'call') return [recordMsgId]
  if (msg.kind === 'container') return msg.messages.filter(m => m.message.kind === 'call').map(m => m.msgId)
  return []
}

function hasReply (data: Uint8Array): boolean {
  const msg = decodeRpcMessage(data)
  if (msg.kind === 'reply') return true
  return msg.kind === 'container' && msg.messages.some(m => m.message.kind === 'reply')
}

describe('RPC between real nodes', function () {
  const nodes = new NodeSet()
  afterEach(async () => { await nodes.stopAll() })

  it('1,000 concurrent calls are all answered correctly, batched into containers', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    b.services.attn.handle('test.double', (params) => bytes(String(Number(text(params)) * 2)))
    const results = await Promise.all(Array.from({ length: 1000 }, async (_, i) =>
      text(await a.services.attn.call(b.getMultiaddrs(), 'test.double', bytes(String(i))))))
    assert.deepEqual(results, Array.from({ length: 1000 }, (_, i) => String(i * 2)))
    const stats = a.services.attn.rpcStats()
    assert.ok(stats != null && stats.containersSent > 0, 'containers used under load')
    assert.ok(stats.recordsSent < 1000, `${stats.recordsSent} records for 1000 calls`)
    assert.equal(a.services.attn.sessionStats()?.handshakesCompleted, 1, 'one session for all calls')
  })

  it('built-in attn.info and attn.ping; handler errors and unknown methods are typed; the node keeps serving', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    b.services.attn.handle('test.fail', () => { throw new Error('secret internals') })
    b.services.attn.handle('test.public', () => { throw new PublicRpcError('NOT_ALLOWED', 'you may not') })
    b.services.attn.handle('test.ok', () => bytes('ok'))
    const { decodeInfo } = await import('../../src/rpc/index.js')
    const info = decodeInfo(await a.services.attn.call(b.getMultiaddrs(), 'attn.info', new Uint8Array(0)))
    assert.equal(info.address, b.services.attn.address)
    assert.ok(info.methods.includes('test.ok') && info.methods.includes('attn.ping'))
    assert.deepEqual([...await a.services.attn.call(b.peerId, 'attn.ping', Uint8Array.of(1, 2, 3))], [1, 2, 3])

    await assert.rejects(a.services.attn.call(b.peerId, 'test.fail', new Uint8Array(0)), (err: any) => {
      assert.ok(err instanceof AttnRpcError)
      assert.equal(err.code, 'HANDLER_ERROR')
      assert.doesNotMatch(err.message, /secret internals/)
      return true
    })
    await assert.rejects(a.services.attn.call(b.peerId, 'test.public', new Uint8Array(0)), { code: 'NOT_ALLOWED', message: /you may not/ })
    await assert.rejects(a.services.attn.call(b.peerId, 'no.such.method', new Uint8Array(0)), { code: 'UNKNOWN_METHOD' })
    assert.equal(text(await a.services.attn.call(b.peerId, 'test.ok', new Uint8Array(0))), 'ok')
    assert.ok(await a.services.attn.ping(b.peerId) >= 0)
  })

  it('a reply dropped at the session boundary: the call is resent and the handler runs exactly once', async () => {
    let dropped = 0
    const a = await nodes.create()
    const b = await nodes.create({
      attn: { dropOutgoing: (_s: Session, data: Uint8Array) => { if (dropped === 0 && hasReply(data)) { dropped++; return true } return false } }
    })
    let runs = 0
    b.services.attn.handle('test.count', () => { runs++; return bytes(`run ${runs}`) })
    assert.equal(text(await a.services.attn.call(b.getMultiaddrs(), 'test.count', new Uint8Array(0))), 'run 1')
    assert.equal(dropped, 1)
    assert.equal(runs, 1)
    assert.ok((b.services.attn.rpcStats()?.duplicatesDropped ?? 0) >= 1, 'the resent call was deduplicated')
  })

  it('status query: received, processing, done and unknown', async () => {
    const sent: bigint[] = []
    const a = await nodes.create({ attn: { dropOutgoing: (_s: Session, data: Uint8Array, id: bigint) => { sent.push(...callIds(data, id)); return false } } })
    const b = await nodes.create()
    const gates: Array<() => void> = []
    b.services.attn.handle('test.hold', async () => { await new Promise<void>(resolve => gates.push(resolve)); return bytes('released') }, { maxConcurrent: 1, maxQueued: 4 })
    await a.services.attn.call(b.getMultiaddrs(), 'attn.ping', new Uint8Array(0))
    sent.length = 0
    const first = a.services.attn.call(b.peerId, 'test.hold', new Uint8Array(0))
    const second = a.services.attn.call(b.peerId, 'test.hold', new Uint8Array(0))
    await waitFor(() => sent.length >= 2 && gates.length === 1, { what: 'both calls delivered, one running' })
    const [id1, id2] = sent
    const unknown = id2 + 12345n
    assert.deepEqual(await a.services.attn.queryStatus(b.peerId, [id1, id2, unknown]), ['processing', 'received', 'unknown'])
    gates[0]()
    assert.equal(text(await first), 'released')
    await waitFor(() => gates.length === 2, { what: 'second call started' })
    gates[1]()
    await second
    assert.deepEqual(await a.services.attn.queryStatus(b.peerId, [id1, id2]), ['done', 'done'])
  })

  it('abort and timeout release every pending call, timer and listener', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    b.services.attn.handle('test.never', async (_p, ctx) => await new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => { reject(new Error('aborted')) })
    }))
    await a.services.attn.call(b.getMultiaddrs(), 'attn.ping', new Uint8Array(0))
    const controller = new AbortController()
    const aborted = a.services.attn.call(b.peerId, 'test.never', new Uint8Array(0), { signal: controller.signal })
    const timedOut = a.services.attn.call(b.peerId, 'test.never', new Uint8Array(0), { timeout: 300 })
    await waitFor(() => a.services.attn.rpcStats()?.pendingCalls === 2, { what: 'two pending calls' })
    controller.abort()
    await assert.rejects(aborted, { code: 'ABORTED' })
    await assert.rejects(timedOut, { code: 'TIMEOUT' })
    await waitFor(() => {
      const s = a.services.attn.rpcStats()
      return s?.pendingCalls === 0 && s.waitingForSlot === 0 && s.activeTimers === 0 && s.pendingPings === 0
    }, { what: 'all caller resources released' })
  })

  it('the connection is killed mid-call: the call completes over a new connection on the same session', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    let release: () => void = () => {}
    let runs = 0
    b.services.attn.handle('test.slow', async () => {
      runs++
      await new Promise<void>(resolve => { release = resolve })
      return bytes('survived')
    })
    await a.services.attn.call(b.getMultiaddrs(), 'attn.ping', new Uint8Array(0))
    const session = a.services.attn.sessions?.sessionWithPeer(b.peerId)
    const pending = a.services.attn.call(b.peerId, 'test.slow', new Uint8Array(0))
    await waitFor(() => runs === 1, { what: 'handler running' })
    await a.hangUp(b.peerId)
    await waitFor(() => a.getConnections(b.peerId).length === 0 && b.getConnections(a.peerId).length === 0, { what: 'connection gone' })
    release()
    assert.equal(text(await pending), 'survived')
    assert.equal(runs, 1)
    assert.equal(a.services.attn.sessions?.sessionWithPeer(b.peerId), session, 'same session')
    assert.equal(a.services.attn.sessionStats()?.handshakesCompleted, 1)
  })

  it('fuzzed RPC bodies inside valid records never crash the node', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    b.services.attn.handle('test.ok', () => bytes('ok'))
    const session = await a.services.attn.connect(b.getMultiaddrs())
    const samples = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 600 }), { numRuns: 300, seed: 7 })
    for (const data of samples) await a.services.attn.sendRecord(session, data)
    // garbage first, then a real call on the same session: it still works
    assert.equal(text(await a.services.attn.call(b.peerId, 'test.ok', new Uint8Array(0))), 'ok')
    const errors = Object.values(b.services.attn.rpcStats()?.decodeErrors ?? {}).reduce((x, y) => x + y, 0)
    assert.ok(errors > 0, 'malformed bodies were counted')
  })

  it('rekey: the initiator replaces its session by a fresh handshake; calls go on without a gap', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    b.services.attn.handle('test.ok', () => bytes('ok'))
    assert.equal(text(await a.services.attn.call(b.getMultiaddrs(), 'test.ok', new Uint8Array(0))), 'ok')
    const manager = a.services.attn.sessions
    assert.ok(manager != null)
    const old = manager.sessionWithPeer(b.peerId)
    assert.ok(old != null)
    // a session past its rekey threshold (2^24 frames) is replaced at the next maintenance pass
    old.framesSent = 2 ** 24
    ;(manager as any).maintain()
    await waitFor(() => manager.sessionWithPeer(b.peerId) !== old && manager.sessionWithPeer(b.peerId) != null, { what: 'replacement session' })
    const fresh = manager.sessionWithPeer(b.peerId)
    assert.notEqual(fresh?.idHex, old.idHex)
    assert.equal(manager.table.getByHex(old.idHex), undefined, 'the old session is dropped')
    assert.equal(text(await a.services.attn.call(b.peerId, 'test.ok', new Uint8Array(0))), 'ok')
    assert.equal(a.services.attn.sessionStats()?.handshakesCompleted, 2)
  })

  it('call, ping and queryStatus without a timeout end at the node\'s rpc.callTimeout (dial and handshake included)', async function () {
    this.timeout(20_000)
    // a peer that accepts TCP and never speaks: the dial itself hangs
    const silent = createServer(socket => { socket.on('error', () => {}) })
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    try {
      const a = await nodes.create({ attn: { rpc: { callTimeout: 400 } } })
      const { port } = silent.address() as AddressInfo
      const b = await nodes.create()
      const target = multiaddr(`/ip4/127.0.0.1/tcp/${port}/p2p/${b.peerId.toString()}`)
      for (const op of [
        async () => await a.services.attn.call(target, 'test.ok', new Uint8Array(0)),
        async () => await a.services.attn.ping(target),
        async () => await a.services.attn.queryStatus(target, [1n])
      ]) {
        await assert.rejects(op(), (err: Error & { code?: string }) => {
          assert.ok(['TIMEOUT', 'ABORTED', 'UNREACHABLE'].includes(String(err.code)), `${err.code}: ${err.message}`)
          return true
        })
      }
    } finally {
      silent.close()
    }
  })
})
