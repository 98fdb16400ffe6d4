import assert from 'node:assert/strict'
import { Uint8ArrayList } from 'uint8arraylist'
import { NodeSet, nextEvent, waitFor } from '../helpers/nodes.js'
import { PROTOCOL, MAX_FRAME_SIZE } from '../../src/carriers/index.js'
import type { FrameChannel } from '../../src/carriers/index.js'

interface FrameEvent { frame: Uint8Array, channel: FrameChannel }

describe('carrier: /attn/1.0.0 framed streams between real nodes', function () {
  const nodes = new NodeSet({ attn: { rawFrames: true } })
  afterEach(async () => { await nodes.stopAll() })

  it('two nodes discover each other via bootstrap and exchange frames both ways', async () => {
    const a = await nodes.create()
    const b = await nodes.create({ bootstrap: [a.getMultiaddrs()[0].toString()] })
    await waitFor(() => a.getConnections(b.peerId).length > 0, { what: 'bootstrap connection' })

    const atA = nextEvent<FrameEvent>(a.services.attn, 'frame')
    await b.services.attn.sendFrame(a.peerId, new TextEncoder().encode('hello a'))
    const got = await atA
    assert.equal(new TextDecoder().decode(got.frame), 'hello a')

    // answer on the channel the frame came in on
    const atB = nextEvent<FrameEvent>(b.services.attn, 'frame')
    await got.channel.send(new TextEncoder().encode('hello b'))
    assert.equal(new TextDecoder().decode((await atB).frame), 'hello b')

    // a frame of exactly the maximum size passes
    const big = new Uint8Array(MAX_FRAME_SIZE).fill(7)
    const bigAtA = nextEvent<FrameEvent>(a.services.attn, 'frame')
    await b.services.attn.sendFrame(a.peerId, big)
    assert.equal((await bigAtA).frame.byteLength, MAX_FRAME_SIZE)
    assert.ok(a.services.attn.stats().framesIn >= 2)
  })

  for (const [name, bytes, code] of [
    ['oversize length prefix', new Uint8Array([0xff, 0xff, 0x7f]), 'ERR_FRAME_TOO_LARGE'],
    ['truncated frame', new Uint8Array([10, 1, 2, 3]), 'ERR_FRAME_TRUNCATED'],
    ['empty frame', new Uint8Array([0]), 'ERR_FRAME_EMPTY']
  ] as const) {
    it(`${name}: the stream is reset and the node keeps serving other peers`, async () => {
      const server = await nodes.create()
      const bad = await nodes.create()
      const good = await nodes.create()

      const stream = await bad.dialProtocol(server.getMultiaddrs(), PROTOCOL)
      const errored = nextEvent<{ code: string }>(server.services.attn, 'protocol:error')
      const closed = new Promise<void>(resolve => { stream.addEventListener('close', () => { resolve() }) })
      stream.send(new Uint8ArrayList(bytes))
      if (code === 'ERR_FRAME_TRUNCATED') await stream.close()
      assert.equal((await errored).code, code)
      await closed
      assert.equal(stream.status === 'reset' || stream.status === 'aborted' || stream.status === 'closed', true, `stream status ${stream.status}`)
      assert.equal(server.services.attn.stats().protocolErrors[code], 1)

      // the misbehaving peer's reset did not disturb anyone else
      const atServer = nextEvent<FrameEvent>(server.services.attn, 'frame')
      await good.services.attn.sendFrame(server.getMultiaddrs(), new Uint8Array([1, 2, 3]))
      assert.deepEqual([...(await atServer).frame], [1, 2, 3])
    })
  }

  /** varint(length) | the first `sent` bytes of a frame of `length` bytes. */
  function partialFrame (length: number, sent: number): Uint8ArrayList {
    const prefix: number[] = []
    for (let n = length; ; n = Math.floor(n / 128)) {
      if (n < 128) { prefix.push(n); break }
      prefix.push((n % 128) | 0x80)
    }
    return new Uint8ArrayList(Uint8Array.from(prefix), new Uint8Array(sent).fill(5))
  }

  it('a peer that sends half a 1 MiB frame and stalls gets its stream reset after the partial-frame timeout', async () => {
    const server = await nodes.create({ attn: { rawFrames: true, partialFrameTimeout: 300 } })
    const bad = await nodes.create()
    const good = await nodes.create()
    const stream = await bad.dialProtocol(server.getMultiaddrs(), PROTOCOL)
    const errored = nextEvent<{ code: string }>(server.services.attn, 'protocol:error')
    const closed = new Promise<void>(resolve => { stream.addEventListener('close', () => { resolve() }) })
    stream.send(partialFrame(1024 * 1024, 512 * 1024))
    assert.equal((await errored).code, 'ERR_FRAME_STALLED')
    await closed
    assert.equal(server.services.attn.stats().partialBytes, 0, 'the partial frame was released')

    // a frame that completes in time is not affected by the timeout
    const atServer = nextEvent<FrameEvent>(server.services.attn, 'frame')
    await good.services.attn.sendFrame(server.getMultiaddrs(), new Uint8Array(512 * 1024).fill(1))
    assert.equal((await atServer).frame.byteLength, 512 * 1024)
  })

  it('partial frames are bounded per connection and node-wide; the oldest partial frame goes first', async () => {
    const MiB = 1024 * 1024
    const server = await nodes.create({ attn: { rawFrames: true, maxPartialBytesPerConnection: 1.5 * MiB, maxPartialBytes: 2.5 * MiB } })
    const partialBytes = (): number => server.services.attn.stats().partialBytes ?? 0

    // per connection: two streams of one connection, each with most of a 1 MiB frame
    const bad = await nodes.create()
    const s1 = await bad.dialProtocol(server.getMultiaddrs(), PROTOCOL)
    s1.send(partialFrame(MiB, 800 * 1024))
    await waitFor(() => partialBytes() >= 800 * 1024, { what: 'first partial frame buffered' })
    const s2 = await bad.dialProtocol(server.getMultiaddrs(), PROTOCOL)
    assert.equal(s2.id !== s1.id, true)
    const overConnection = nextEvent<{ code: string }>(server.services.attn, 'protocol:error')
    s2.send(partialFrame(MiB, 800 * 1024))
    assert.equal((await overConnection).code, 'ERR_FRAME_BUFFER_FULL')
    await waitFor(() => s2.status !== 'open', { what: 'the stream that went over the connection limit is reset' })
    assert.equal(s1.status, 'open', 'the first stream keeps its partial frame')
    // and can still complete it
    const completed = nextEvent<FrameEvent>(server.services.attn, 'frame')
    s1.send(new Uint8Array(224 * 1024).fill(5))
    assert.equal((await completed).frame.byteLength, MiB)
    assert.equal(partialBytes(), 0)

    // node-wide: three connections each hold 1 MiB-ish partial frames; the third pushes over 2.5 MiB
    const streams: Array<typeof s1> = []
    for (let i = 0; i < 2; i++) {
      const peer = await nodes.create()
      const st = await peer.dialProtocol(server.getMultiaddrs(), PROTOCOL)
      st.send(partialFrame(MiB, 900 * 1024))
      await waitFor(() => partialBytes() >= (i + 1) * 900 * 1024, { what: `partial frame ${i + 1} buffered` })
      streams.push(st)
    }
    const third = await nodes.create()
    const s3 = await third.dialProtocol(server.getMultiaddrs(), PROTOCOL)
    const overNode = nextEvent<{ code: string }>(server.services.attn, 'protocol:error')
    s3.send(partialFrame(MiB, 900 * 1024))
    assert.equal((await overNode).code, 'ERR_FRAME_BUFFER_FULL')
    await waitFor(() => streams[0].status !== 'open', { what: 'the oldest partial frame is dropped' })
    assert.equal(streams[1].status, 'open')
    assert.equal(s3.status, 'open')
    assert.ok(partialBytes() <= 2.5 * MiB)
    assert.equal(server.services.attn.stats().protocolErrors.ERR_FRAME_BUFFER_FULL, 2)
  })

  it('runs alongside another custom protocol on the same libp2p node', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    await a.handle('/example/echo/1.0.0', (stream) => {
      stream.addEventListener('message', (evt) => { stream.send(evt.data) })
      stream.addEventListener('remoteCloseWrite', () => { void stream.close() })
    })
    const echo = await b.dialProtocol(a.getMultiaddrs(), '/example/echo/1.0.0')
    const echoed = new Promise<Uint8Array>(resolve => {
      echo.addEventListener('message', (evt) => { resolve(evt.data.subarray()) }, { once: true })
    })
    echo.send(new Uint8Array([9, 9]))
    assert.deepEqual([...await echoed], [9, 9])

    const atA = nextEvent<FrameEvent>(a.services.attn, 'frame')
    await b.services.attn.sendFrame(a.peerId, new Uint8Array([4, 2]))
    assert.deepEqual([...(await atA).frame], [4, 2])
    assert.ok(a.getProtocols().includes('/example/echo/1.0.0'))
    assert.ok(a.getProtocols().includes(PROTOCOL))
  })

  it('unregisters /attn/1.0.0 on stop', async () => {
    const a = await nodes.create()
    assert.ok(a.getProtocols().includes(PROTOCOL))
    await a.services.attn.stop()
    assert.ok(!a.getProtocols().includes(PROTOCOL))
    await a.services.attn.start()
  })
})
