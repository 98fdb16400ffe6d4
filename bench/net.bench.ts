/**
 * Shared pieces of the network benches: two real nodes over TCP on loopback (one process),
 * the raw libp2p baseline protocols registered on the same nodes (a length-prefixed echo and a
 * byte sink, used over the SAME connection as the ATTN session). The messaging figures are in
 * messaging.bench.ts. See bench/README.md.
 */
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { createAttnNode } from '../src/node/create-node.js'
import type { BenchContext } from './harness.js'
import type { AttnNode } from '../src/node/create-node.js'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const ECHO_PROTOCOL = '/bench/echo/1.0.0'
export const SINK_PROTOCOL = '/bench/sink/1.0.0'
const MAX_MESSAGE = 4 * 1024 * 1024

/** Bytes received by the sink protocol of a node, with a waiter for "at least n". */
export class SinkCounter {
  bytes = 0
  private waiter?: { target: number, resolve: () => void }

  add (n: number): void {
    this.bytes += n
    if (this.waiter != null && this.bytes >= this.waiter.target) {
      const w = this.waiter
      this.waiter = undefined
      w.resolve()
    }
  }

  async until (target: number): Promise<void> {
    if (this.bytes >= target) return
    await new Promise<void>(resolve => { this.waiter = { target, resolve } })
  }
}

export interface NetPair {
  /** The dialler (client side of every figure). */
  a: AttnNode
  /** The listener (server side: RPC handler, echo, sink, session responder). */
  b: AttnNode
  /** Bytes b's sink protocol received. */
  sink: SinkCounter
  /** The one a→b connection every figure of the pair uses. */
  connection: () => Connection
}

/**
 * The bench measures what a handshake, a record or a call costs, not admission control: a
 * session_setup batch runs dozens of handshakes a second between the same two peers, which the
 * default per-peer RESPONSE budget (burst 8, 4/s) would throttle. flood_p99 keeps the defaults.
 */
const UNTHROTTLED = { burst: 1_000_000, perSecond: 1_000_000 }

export async function createNode (): Promise<AttnNode> {
  return await createAttnNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    api: '',
    attn: { sessionLimits: { responseRatePerPeer: UNTHROTTLED, responseRatePerIp: UNTHROTTLED, responseRate: UNTHROTTLED } }
  })
}

function lp (data: Uint8Array | Uint8ArrayList): Uint8ArrayList {
  return new Uint8ArrayList(varint.encode(data.byteLength), data)
}

/** Raw echo server: every length-prefixed message is sent straight back (write backpressure honoured). */
function echoHandler (stream: Stream): void {
  const decoder = new LengthPrefixedDecoder({ maxDataLength: MAX_MESSAGE })
  stream.addEventListener('message', (evt) => {
    try {
      for (const msg of decoder.decode(evt.data)) {
        if (!stream.send(lp(msg))) {
          stream.pause()
          stream.onDrain().then(() => { stream.resume() }, () => {})
        }
      }
    } catch (err: any) {
      stream.abort(err)
    }
  })
  stream.addEventListener('remoteCloseWrite', () => { stream.close().catch((err: Error) => { stream.abort(err) }) })
}

/** Client of the echo protocol: requests are answered in order on one stream. */
export class EchoClient {
  private readonly decoder = new LengthPrefixedDecoder({ maxDataLength: MAX_MESSAGE })
  private readonly waiting: Array<{ resolve: (d: Uint8ArrayList) => void, reject: (e: Error) => void }> = []

  constructor (readonly stream: Stream) {
    stream.addEventListener('message', (evt) => {
      for (const msg of this.decoder.decode(evt.data)) this.waiting.shift()?.resolve(msg)
    })
    stream.addEventListener('close', () => {
      for (const w of this.waiting.splice(0)) w.reject(new Error('echo stream closed'))
    })
  }

  async request (data: Uint8Array): Promise<Uint8ArrayList> {
    const reply = new Promise<Uint8ArrayList>((resolve, reject) => { this.waiting.push({ resolve, reject }) })
    if (!this.stream.send(lp(data))) await this.stream.onDrain()
    return await reply
  }
}

/** The pair used by the RPC and session figures: built once per run, stopped at the end. */
export async function netPair (ctx: BenchContext): Promise<NetPair> {
  return await ctx.get('net-pair', async () => {
    const a = await createNode()
    const b = await createNode()
    const sink = new SinkCounter()
    await b.handle(ECHO_PROTOCOL, (stream) => { echoHandler(stream) }, { maxInboundStreams: 16 })
    await b.handle(SINK_PROTOCOL, (stream) => {
      stream.addEventListener('message', (evt) => { sink.add(evt.data.byteLength) })
      stream.addEventListener('remoteCloseWrite', () => { stream.close().catch((err: Error) => { stream.abort(err) }) })
    }, { maxInboundStreams: 16 })
    // the session (and so the /attn/1.0.0 stream) first, then the baselines on the same connection
    await a.services.attn.connect(b.getMultiaddrs())
    const connection = (): Connection => {
      const conns = a.getConnections(b.peerId).filter(c => c.status === 'open')
      if (conns.length !== 1) throw new Error(`expected one a→b connection, found ${conns.length}`)
      return conns[0]
    }
    connection()
    return { a, b, sink, connection }
  }, async ({ a, b }) => { await Promise.all([a.stop(), b.stop()]) })
}

/** Opens a baseline stream on the pair's one connection. */
export async function baselineStream (pair: NetPair, protocol: string): Promise<Stream> {
  return await pair.connection().newStream(protocol, { signal: AbortSignal.timeout(10_000) })
}

export type Target = PeerId | Multiaddr
