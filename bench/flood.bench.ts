/**
 * flood_p99: p99 of legitimate RPC round trips (paced 1 KiB `bench.echo` calls a→b on an
 * established session) while a HELLO flood at 10× the legitimate call rate hits b, beside the
 * same calls with no flood, interleaved in the same run (issue 11, "Floods as tests").
 * The attacker runs in a child process (bench/flood-child.ts): 8 peers × 4 raw streams of HELLOs.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { interleave, median, now, percentile, sleep, unavailable, type Figure, type HarnessOptions } from './harness.js'
import { netPair } from './net.bench.js'
import { rpcOf, RPC_MISSING } from './rpc.bench.js'
import { result } from './types.js'

const METHOD = 'bench.flood.echo'
/** Legitimate calls per second, and the flood's multiple of it. */
const CALL_RATE = 50
const FLOOD_FACTOR = 10

function sizes (opts: HarnessOptions): { calls: number, rounds: number } {
  if (opts.smoke) return { calls: 5, rounds: 1 }
  return opts.quick ? { calls: 150, rounds: 3 } : { calls: 300, rounds: 5 }
}

/** The flood child: send it `rate n`; resolves once its peers are connected. */
async function floodChild (target: string): Promise<{ rate: (n: number) => void, stats: () => Promise<[number, number]>, stop: () => void }> {
  const script = fileURLToPath(new URL('./flood-child.js', import.meta.url))
  const child = spawn(process.execPath, [script, target], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const waiters: Array<(line: string) => void> = []
  lines.on('line', line => { waiters.shift()?.(line) })
  const nextLine = async (): Promise<string> => await new Promise(resolve => { waiters.push(resolve) })
  const ready = await nextLine()
  if (ready !== 'ready') throw new Error(`flood child said ${ready}`)
  return {
    rate: (n) => { child.stdin.write(`rate ${n}\n`) },
    stats: async () => {
      const line = nextLine()
      child.stdin.write('stats\n')
      const [, r, j] = (await line).split(' ')
      return [Number(r), Number(j)]
    },
    stop: () => { child.stdin.end(); child.kill() }
  }
}

export const floodP99: Figure = {
  name: 'flood_p99',
  unit: 'ms',
  goal: '<= 2',
  async run (opts, ctx) {
    const pair = await netPair(ctx)
    const server = rpcOf(pair.b)
    const client = rpcOf(pair.a)
    if (server == null || client == null) return unavailable(this, RPC_MISSING)
    await server.handle(METHOD, async (params) => params)
    const data = randomBytes(1024)
    const call = async (): Promise<void> => { await client.call(pair.b.peerId, METHOD, data, { timeout: 30_000 }) }
    await call()
    const target = pair.b.getMultiaddrs().find(ma => ma.toString().startsWith('/ip4/127.0.0.1/'))
    if (target == null) return unavailable(this, 'b has no 127.0.0.1 address')
    const flood = await floodChild(target.toString())
    ctx.defer(async () => { flood.stop() })
    const { calls, rounds } = sizes(opts)
    const all: number[][] = [[], []]
    /** CPU time of this process (both nodes; the attacker is a child) per wall-clock time, per batch. */
    const cpuShare: number[][] = [[], []]
    const sessionsBefore = pair.b.services.attn.sessionStats()
    /** `calls` calls paced at CALL_RATE (each starts on its slot, or at once if the previous ran late). */
    const batch = (i: number, floodRate: number) => async (): Promise<number> => {
      flood.rate(floodRate)
      if (floodRate > 0) await sleep(200) // the flood is under way before the first call
      const xs: number[] = []
      const cpu0 = process.cpuUsage()
      const start = now()
      for (let k = 0; k < calls; k++) {
        const due = start + k * 1000 / CALL_RATE
        const wait = due - now()
        if (wait > 0) await sleep(wait)
        const t0 = now()
        await call()
        xs.push(now() - t0)
      }
      const cpu = process.cpuUsage(cpu0)
      cpuShare[i].push((cpu.user + cpu.system) / 1000 / (now() - start))
      flood.rate(0)
      all[i].push(...xs)
      return percentile(xs, 99)
    }
    const [ours, base] = await interleave([batch(0, CALL_RATE * FLOOD_FACTOR), batch(1, 0)], rounds)
    const [responses, rejects] = await flood.stats()
    const s = pair.b.services.attn.sessionStats()
    const signed = responses
    const note = `legit: ${CALL_RATE} calls/s of 1 KiB on an established session; flood: ${CALL_RATE * FLOOD_FACTOR} HELLO/s ` +
      `from 8 peers × 4 streams in a child process (127.0.0.1, same IP as the legit client). p99 per batch of ${calls}, median over ${rounds} batches. ` +
      `All calls: p50 ${percentile(all[0], 50).toFixed(2)} vs ${percentile(all[1], 50).toFixed(2)} ms, p99 ${percentile(all[0], 99).toFixed(2)} vs ${percentile(all[1], 99).toFixed(2)} ms. ` +
      `The flood got ${signed} RESPONSEs (signatures) and ${rejects} REJECTs; b refused ${(s?.handshakesRateLimited ?? 0) - (sessionsBefore?.handshakesRateLimited ?? 0)} rate-limited, ` +
      `${(s?.handshakesRefused ?? 0) - (sessionsBefore?.handshakesRefused ?? 0)} over pending caps. ` +
      `CPU of the measured process (both nodes): ${(median(cpuShare[0]) * 100).toFixed(1)} % of a core under flood vs ${(median(cpuShare[1]) * 100).toFixed(1)} % without ` +
      '(load-independent: what the flood costs the node; on a loaded machine the p99 ratio mostly measures scheduling noise).'
    return result(this.name, median(ours), median(base), 'ms', this.goal, note)
  }
}
