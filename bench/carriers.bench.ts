/**
 * Carrier figures (attnproto.md Part 2 §5, §6): one ATTN call/reply over the HTTP and UDP
 * carriers against the plainest request/response the same transport can do, same process, same run.
 *   rpc_rtt_http   p50 round trip of a 1 KiB call over the HTTP carrier vs a node:http POST echo of 1 KiB (keep-alive)
 *   rpc_rtt_udp    p50 round trip of a 1 KiB call over the UDP carrier vs a raw dgram echo of 1 KiB;
 *                  the note also gives the call's p50 while junk datagrams flood the node
 */
import { randomBytes } from 'node:crypto'
import { createSocket, type Socket } from 'node:dgram'
import { Agent, createServer, request, type Server } from 'node:http'
import { createAttnNode } from '../src/node/create-node.js'
import { carrierUrlToMultiaddr } from '../src/carriers/index.js'
import { interleave, mean, median, now, percentile, type BenchContext, type Figure, type HarnessOptions } from './harness.js'
import { result } from './types.js'
import type { AttnNode } from '../src/node/create-node.js'
import type { Multiaddr } from '@multiformats/multiaddr'

const SIZE = 1024
const METHOD = 'bench.echo'
const LOOP = { host: '127.0.0.1', port: 0 }
const UNTHROTTLED = { burst: 1e9, perSecond: 1e9 }

interface CarrierPair { a: AttnNode, b: AttnNode, udp: Multiaddr, http: Multiaddr }

async function carrierPair (ctx: BenchContext): Promise<CarrierPair> {
  return await ctx.get('carrier-pair', async () => {
    const sessionLimits = { responseRatePerPeer: UNTHROTTLED, responseRatePerIp: UNTHROTTLED, responseRate: UNTHROTTLED }
    const b = await createAttnNode({ listen: ['/ip4/127.0.0.1/tcp/0'], api: '', attn: { sessionLimits, udp: LOOP, http: LOOP } })
    const a = await createAttnNode({ listen: ['/ip4/127.0.0.1/tcp/0'], api: '', attn: { sessionLimits } })
    b.services.attn.handle(METHOD, async (p) => p)
    const ends = b.services.attn.endpoints()
    const udp = carrierUrlToMultiaddr(ends.find(e => e.startsWith('udp://')) ?? '')
    const http = carrierUrlToMultiaddr(ends.find(e => e.startsWith('http://')) ?? '')
    return { a, b, udp, http }
  }, async ({ a, b }) => { await Promise.all([a.stop(), b.stop()]) })
}

function sizes (opts: HarnessOptions): { perBatch: number, rounds: number } {
  if (opts.smoke) return { perBatch: 5, rounds: 1 }
  return opts.quick ? { perBatch: 200, rounds: 5 } : { perBatch: 500, rounds: 9 }
}

/**
 * Sequential round trips in interleaved batches; the figure is the median of batch p50s. Both ends
 * run in this process, so a round trip is main-thread CPU: its median per batch (µs, `cpuO`/`cpuB`)
 * is reported too, as it moves less than wall time when other processes load the machine.
 */
async function rtt (opts: HarnessOptions, ours: () => Promise<unknown>, base: () => Promise<unknown>): Promise<{ ours: number, base: number, o: number[], b: number[], cpuO: number, cpuB: number }> {
  const { perBatch, rounds } = sizes(opts)
  const all: number[][] = [[], []]
  const cpu: number[][] = [[], []]
  const batch = (i: number, op: () => Promise<unknown>) => async (): Promise<number> => {
    const xs: number[] = []
    const c0 = process.threadCpuUsage()
    for (let k = 0; k < perBatch; k++) {
      const t0 = now()
      await op()
      xs.push(now() - t0)
    }
    const c = process.threadCpuUsage(c0)
    cpu[i].push((c.user + c.system) / perBatch)
    all[i].push(...xs)
    return percentile(xs, 50)
  }
  const [o, b] = await interleave([batch(0, ours), batch(1, base)], rounds)
  // the first batch of each side is the warm-up (interleave drops its figure)
  return { ours: median(o), base: median(b), o: all[0].slice(perBatch), b: all[1].slice(perBatch), cpuO: median(cpu[0].slice(1)), cpuB: median(cpu[1].slice(1)) }
}

function cpuNote (r: { cpuO: number, cpuB: number }): string {
  return `main-thread CPU per round trip ours ${r.cpuO.toFixed(0)} µs, baseline ${r.cpuB.toFixed(0)} µs (ratio ${(r.cpuO / r.cpuB).toFixed(2)})`
}

async function httpEchoServer (ctx: BenchContext): Promise<{ port: number, post: (body: Uint8Array) => Promise<Buffer> }> {
  return await ctx.get('http-echo', async () => {
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) })
        res.end(body)
      })
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const agent = new Agent({ keepAlive: true, maxSockets: 4 })
    const post = async (body: Uint8Array): Promise<Buffer> => await new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => { resolve(Buffer.concat(chunks)) })
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(body)
    })
    return { port, post, server, agent }
  }, async (s: any) => { s.agent.destroy(); s.server.closeAllConnections(); await new Promise(resolve => s.server.close(resolve)) })
}

async function udpEcho (ctx: BenchContext): Promise<{ request: (d: Uint8Array) => Promise<void>, server: Socket, client: Socket }> {
  return await ctx.get('udp-echo', async () => {
    const server = createSocket('udp4')
    server.on('message', (m, r) => { server.send(m, r.port, r.address) })
    await new Promise<void>(resolve => server.bind(0, '127.0.0.1', resolve))
    const client = createSocket('udp4')
    await new Promise<void>(resolve => client.bind(0, '127.0.0.1', resolve))
    let waiting: (() => void) | undefined
    client.on('message', () => { const w = waiting; waiting = undefined; w?.() })
    const port = server.address().port
    const req = async (d: Uint8Array): Promise<void> => {
      await new Promise<void>(resolve => { waiting = resolve; client.send(d, port, '127.0.0.1') })
    }
    return { request: req, server, client }
  }, async ({ server, client }) => { server.close(); client.close() })
}

export const rpcRttHttp: Figure = {
  name: 'rpc_rtt_http',
  unit: 'ms',
  goal: '<= 1.5',
  async run (opts, ctx) {
    const pair = await carrierPair(ctx)
    const echo = await httpEchoServer(ctx)
    const data = randomBytes(SIZE)
    const call = async (): Promise<Uint8Array> => await pair.a.services.attn.call(pair.http, METHOD, data, { timeout: 30_000 })
    if ((await call()).byteLength !== SIZE || (await echo.post(data)).byteLength !== SIZE) throw new Error('echo returned a wrong size')
    const r = await rtt(opts, call, async () => await echo.post(data))
    return result(this.name, r.ours, r.base, this.unit, this.goal,
      `p50 of interleaved batches of sequential 1 KiB calls over the HTTP carrier (a POST of the record with Attn-Wait 0; ` +
      `the reply comes in that response or in the session's outstanding long poll) vs a node:http 1 KiB POST echo over a keep-alive agent; ` +
      `mean ours ${mean(r.o).toFixed(3)} ms, baseline ${mean(r.b).toFixed(3)} ms; p99 ours ${percentile(r.o, 99).toFixed(3)} ms, baseline ${percentile(r.b, 99).toFixed(3)} ms; ${cpuNote(r)}`)
  }
}

export const rpcRttUdp: Figure = {
  name: 'rpc_rtt_udp',
  unit: 'ms',
  goal: '<= 3',
  async run (opts, ctx) {
    const pair = await carrierPair(ctx)
    const echo = await udpEcho(ctx)
    const data = randomBytes(SIZE)
    const call = async (): Promise<Uint8Array> => await pair.a.services.attn.call(pair.udp, METHOD, data, { timeout: 30_000 })
    if ((await call()).byteLength !== SIZE) throw new Error('rpc echo returned a wrong size')
    await echo.request(data)
    const r = await rtt(opts, call, async () => { await echo.request(data) })

    // the same call while a junk flood hits the node's UDP port (same process: the flood's CPU counts too)
    const junk = createSocket('udp4')
    await new Promise<void>(resolve => junk.bind(0, '127.0.0.1', resolve))
    const port = Number(pair.udp.getComponents()[1].value)
    let sent = 0
    const garbage = randomBytes(200)
    // ~10k datagrams/s at most (10 per 1 ms timer tick): a flood the node must shrug off, not a socket-buffer overrun
    const flooder = setInterval(() => {
      for (let i = 0; i < 10; i++) { garbage[0] = i % 2 === 0 ? 0x01 : 0x99; garbage[1] = sent & 0xff; junk.send(garbage, port, '127.0.0.1'); sent++ }
    }, 1)
    const t0 = now()
    const under: number[] = []
    let failed = 0
    for (let k = 0; k < sizes(opts).perBatch; k++) {
      const t = now()
      try {
        await pair.a.services.attn.call(pair.udp, METHOD, data, { timeout: 5_000 })
        under.push(now() - t)
      } catch {
        failed++
      }
    }
    clearInterval(flooder)
    const secs = (now() - t0) / 1000
    junk.close()
    const stats = pair.b.services.attn.carrierStats().find(c => c.kind === 'udp') as { junk: number } | undefined
    return result(this.name, r.ours, r.base, this.unit, this.goal,
      `p50 of interleaved batches of sequential 1 KiB calls over the UDP carrier (one datagram each way) vs a raw dgram 1 KiB echo; ` +
      `mean ours ${mean(r.o).toFixed(3)} ms, baseline ${mean(r.b).toFixed(3)} ms; p99 ours ${percentile(r.o, 99).toFixed(3)} ms; ${cpuNote(r)}; ` +
      `under a junk flood (~${Math.round(sent / secs)} datagrams/s of 200 B, half bad type bytes, half records of no session; node counted ${stats?.junk ?? '?'} junk) ` +
      `the call's p50 was ${percentile(under, 50).toFixed(3)} ms, p99 ${percentile(under, 99).toFixed(3)} ms, ${failed} of ${under.length + failed} calls failed (5 s timeout)`)
  }
}

export const carrierFigures: Figure[] = [rpcRttHttp, rpcRttUdp]
