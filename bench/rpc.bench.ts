/**
 * RPC figures: ATTN call/reply against a raw libp2p length-prefixed echo protocol on the same
 * connection between the same two nodes (TCP, loopback, one process).
 *   rpc_rtt_1k     p50 round trip of one 1 KiB call (1 KiB result) vs one 1 KiB echo
 *   rpc_pipelined  calls/s with PIPELINE calls in flight vs echo messages/s with as many in flight
 */
import { randomBytes } from 'node:crypto'
import { interleave, mean, median, now, percentile, unavailable, type Figure, type HarnessOptions } from './harness.js'
import { baselineStream, ECHO_PROTOCOL, EchoClient, netPair, type NetPair, type Target } from './net.bench.js'
import { result } from './types.js'
import type { BenchContext } from './harness.js'
import type { AttnNode } from '../src/node/create-node.js'

/** The RPC API of the attn service (being integrated; checked at run time). */
export interface RpcApi {
  handle: (method: string, fn: (params: Uint8Array, ctx: unknown) => Promise<Uint8Array>) => unknown
  call: (target: Target, method: string, params: Uint8Array, options?: { signal?: AbortSignal, timeout?: number }) => Promise<Uint8Array>
}

export const RPC_MISSING = 'rpc layer not available (node.services.attn.handle/call missing)'
const METHOD = 'bench.echo'
const SIZE = 1024
const PIPELINE = 128
const CALL_TIMEOUT = 30_000

export function rpcOf (node: AttnNode): RpcApi | undefined {
  const s = node.services.attn as unknown as Partial<RpcApi>
  return typeof s.handle === 'function' && typeof s.call === 'function' ? s as RpcApi : undefined
}

interface RpcBench { pair: NetPair, rpc: RpcApi, echo: EchoClient, call: (data: Uint8Array) => Promise<Uint8Array> }

/** The pair with `bench.echo` registered on b and an echo stream on the same a→b connection. */
async function setup (ctx: BenchContext): Promise<RpcBench | undefined> {
  const pair = await netPair(ctx)
  const server = rpcOf(pair.b)
  const client = rpcOf(pair.a)
  if (server == null || client == null) return undefined
  return await ctx.get('rpc-bench', async () => {
    await server.handle(METHOD, async (params) => params)
    const echo = new EchoClient(await baselineStream(pair, ECHO_PROTOCOL))
    const target = pair.b.peerId
    const call = async (data: Uint8Array): Promise<Uint8Array> => await client.call(target, METHOD, data, { timeout: CALL_TIMEOUT })
    // check both once, and that RPC runs on the pair's single connection
    const r = await call(randomBytes(SIZE))
    if (r.byteLength !== SIZE) throw new Error(`rpc echo returned ${r.byteLength} bytes`)
    if ((await echo.request(randomBytes(SIZE))).byteLength !== SIZE) throw new Error('echo returned a wrong size')
    pair.connection()
    return { pair, rpc: client, echo, call }
  }, async () => {})
}

function sizes (opts: HarnessOptions): { perBatch: number, rounds: number, pipelined: number, pipeRounds: number } {
  if (opts.smoke) return { perBatch: 5, rounds: 1, pipelined: 32, pipeRounds: 1 }
  return opts.quick
    ? { perBatch: 200, rounds: 5, pipelined: 2000, pipeRounds: 3 }
    : { perBatch: 500, rounds: 9, pipelined: 5000, pipeRounds: 7 }
}

export const rpcRtt: Figure = {
  name: 'rpc_rtt_1k',
  unit: 'ms',
  goal: '<= 1.3',
  async run (opts, ctx) {
    const bench = await setup(ctx)
    if (bench == null) return unavailable(this, RPC_MISSING)
    const { perBatch, rounds } = sizes(opts)
    const data = randomBytes(SIZE)
    const all: number[][] = [[], []]
    const batch = (i: number, op: () => Promise<unknown>) => async (): Promise<number> => {
      const xs: number[] = []
      for (let k = 0; k < perBatch; k++) {
        const t0 = now()
        await op()
        xs.push(now() - t0)
      }
      all[i].push(...xs)
      return percentile(xs, 50)
    }
    const [ours, base] = await interleave([
      batch(0, async () => await bench.call(data)),
      batch(1, async () => await bench.echo.request(data))
    ], rounds)
    // the warm-up batch is in `all` too: drop it
    const o = all[0].slice(perBatch)
    const b = all[1].slice(perBatch)
    return result(this.name, median(ours), median(base), this.unit, this.goal,
      `p50 of ${rounds} interleaved batches x ${perBatch} sequential calls (median of batch p50s); ` +
      `mean ours ${mean(o).toFixed(3)} ms, baseline ${mean(b).toFixed(3)} ms; p99 ours ${percentile(o, 99).toFixed(3)} ms, ` +
      `baseline ${percentile(b, 99).toFixed(3)} ms; baseline = raw ${ECHO_PROTOCOL} length-prefixed 1 KiB echo on the same connection`)
  }
}

/** Runs `total` requests with at most `inFlight` outstanding; returns requests per second. */
async function pipelined (op: () => Promise<unknown>, total: number, inFlight: number): Promise<number> {
  let started = 0
  const worker = async (): Promise<void> => {
    while (started < total) {
      started++
      await op()
    }
  }
  const t0 = now()
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, worker))
  return total / ((now() - t0) / 1000)
}

export const rpcPipelined: Figure = {
  name: 'rpc_pipelined',
  unit: 'calls/s',
  goal: '>= 0.8',
  async run (opts, ctx) {
    const bench = await setup(ctx)
    if (bench == null) return unavailable(this, RPC_MISSING)
    const { pipelined: total, pipeRounds } = sizes(opts)
    const data = randomBytes(SIZE)
    const [ours, base] = await interleave([
      async () => await pipelined(async () => await bench.call(data), total, PIPELINE),
      async () => await pipelined(async () => await bench.echo.request(data), total, PIPELINE)
    ], pipeRounds)
    return result(this.name, median(ours), median(base), this.unit, this.goal,
      `${PIPELINE} x 1 KiB calls in flight, ${total} per batch, median of ${pipeRounds} interleaved batches; ` +
      `baseline = as many 1 KiB messages in flight on a raw ${ECHO_PROTOCOL} stream, same connection (msgs/s); ` +
      'ours batches the calls queued in one event-loop turn into Containers (few records, few yamux frames), the raw echo ' +
      'writes one yamux frame per message')
  }
}

export const rpcFigures: Figure[] = [rpcRtt, rpcPipelined]
