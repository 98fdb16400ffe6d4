/**
 * Session figures:
 *   session_bulk    MiB/s of 64 KiB records one way through a session vs raw bytes on a libp2p stream
 *   session_setup   ATTN handshake on an open connection vs a new TCP+noise+yamux connection
 *   session_memory  heap bytes per idle session in a SessionTable of 10 000 (child process, --expose-gc)
 */
import { execFile } from 'node:child_process'
import { getRandomValues, randomBytes } from 'node:crypto'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Session, SessionTable } from '../src/session/index.js'
import { interleave, median, mean, now, percentile, sleep, unavailable, type Figure, type HarnessOptions } from './harness.js'
import { baselineStream, createNode, netPair, SINK_PROTOCOL } from './net.bench.js'
import { result } from './types.js'
import type { AttnNode } from '../src/node/create-node.js'
import type { Session as SessionT } from '../src/session/index.js'

const RECORD = 64 * 1024
const MiB = 1024 * 1024

// ---------------------------------------------------------------- session_bulk

export const sessionBulk: Figure = {
  name: 'session_bulk',
  unit: 'MiB/s',
  goal: '>= 0.7',
  async run (opts, ctx) {
    const pair = await netPair(ctx)
    const { a, b, sink } = pair
    const session = await a.services.attn.connect(b.peerId)
    const stream = await baselineStream(pair, SINK_PROTOCOL)
    const total = opts.smoke ? 1 * MiB : opts.quick ? 16 * MiB : 64 * MiB
    const rounds = opts.smoke ? 1 : opts.quick ? 3 : 7
    const records = total / RECORD
    const chunk = randomBytes(RECORD)

    let received = 0
    let waiter: { target: number, resolve: () => void } | undefined
    const onRecord = (evt: CustomEvent<{ session: SessionT, data: Uint8Array }>): void => {
      if (evt.detail.session.idHex !== session.idHex) return
      received += evt.detail.data.byteLength
      if (waiter != null && received >= waiter.target) { const w = waiter; waiter = undefined; w.resolve() }
    }
    b.services.attn.addEventListener('record', onRecord as any)
    try {
      const ours = async (): Promise<number> => {
        const target = received + total
        const done = new Promise<void>(resolve => { waiter = { target, resolve } })
        const t0 = now()
        for (let i = 0; i < records; i++) await a.services.attn.sendRecord(session, chunk)
        await done
        return total / MiB / ((now() - t0) / 1000)
      }
      const raw = async (): Promise<number> => {
        const target = sink.bytes + total
        const t0 = now()
        for (let i = 0; i < records; i++) {
          if (!stream.send(chunk)) await stream.onDrain()
        }
        await sink.until(target)
        return total / MiB / ((now() - t0) / 1000)
      }
      const [o, r] = await interleave([ours, raw], rounds)
      pair.connection()
      return result(this.name, median(o), median(r), this.unit, this.goal,
        `${total / MiB} MiB as 64 KiB sendRecord() calls a→b, timed until b emitted the last record; median of ${rounds} ` +
        `interleaved batches (ours ${o.map(x => x.toFixed(0)).join('/')}, raw ${r.map(x => x.toFixed(0)).join('/')}); ` +
        `baseline = the same bytes written raw on a ${SINK_PROTOCOL} stream of the same connection`)
    } finally {
      b.services.attn.removeEventListener('record', onRecord as any)
      await stream.close().catch(() => { stream.abort(new Error('bench done')) })
    }
  }
}

// ---------------------------------------------------------------- session_setup

/** Closes the a↔b session on both sides so the next connect() runs a full handshake. */
function forget (a: AttnNode, b: AttnNode, s: SessionT): void {
  a.services.attn.sessions?.close(s, 'bench')
  const peer = b.services.attn.sessions?.table.getByHex(s.idHex)
  if (peer != null) b.services.attn.sessions?.close(peer, 'bench')
}

export const sessionSetup: Figure = {
  name: 'session_setup',
  unit: 'ms',
  goal: '<= 0.5',
  async run (opts, ctx) {
    const { a, b } = await netPair(ctx)
    const c = await ctx.get('setup-third', createNode, async (n) => { await n.stop() })
    const cAddrs = c.getMultiaddrs()
    const perBatch = opts.smoke ? 2 : opts.quick ? 10 : 20
    const rounds = opts.smoke ? 1 : opts.quick ? 3 : 5
    const settle = opts.smoke ? 5 : 20
    const all: number[][] = [[], []]
    const seen = new Set<string>()
    let discarded = 0

    const ours = async (): Promise<number> => {
      const xs: number[] = []
      for (let i = 0; i < perBatch; i++) {
        forget(a, b, await a.services.attn.connect(b.peerId))
        await sleep(settle)
        const t0 = now()
        const s = await a.services.attn.connect(b.peerId)
        xs.push(now() - t0)
        if (s.role !== 'initiator') throw new Error('unexpected session role')
      }
      all[0].push(...xs)
      return percentile(xs, 50)
    }
    const dial = async (): Promise<number> => {
      const xs: number[] = []
      for (let i = 0; i < perBatch; i++) {
        if (a.getConnections(c.peerId).length > 0) await a.hangUp(c.peerId)
        await sleep(settle)
        const t0 = now()
        const conn = await a.dial(cAddrs, { signal: AbortSignal.timeout(10_000) })
        const dt = now() - t0
        // a connection that existed already (e.g. redialled by the DHT) is no sample
        if (seen.has(conn.id)) discarded++
        else xs.push(dt)
        seen.add(conn.id)
        await a.hangUp(c.peerId)
      }
      all[1].push(...xs)
      return percentile(xs, 50)
    }
    const [o, d] = await interleave([ours, dial], rounds)
    const oAll = all[0].slice(perBatch)
    const dAll = all[1].slice(perBatch)
    return result(this.name, median(o), median(d), this.unit, this.goal,
      `p50 (median of ${rounds} interleaved batch p50s, ${perBatch} each): connect() to a connected peer after the session ` +
      `was closed on both sides (the /attn/1.0.0 stream stays open: HELLO/RESPONSE/FINISH/ACCEPT, 2 RTT, X25519 + ` +
      `secp256k1 sign/verify each side); mean ours ${mean(oAll).toFixed(2)} ms vs dial ${mean(dAll).toFixed(2)} ms; ` +
      `baseline = node.dial() of a third node with no connection (TCP + noise + yamux, secp256k1 peer keys), then hangUp` +
      (discarded > 0 ? `; ${discarded} reused connections discarded` : ''))
  }
}

// ---------------------------------------------------------------- session_memory

export interface MemoryReport { sessions: number, heapUsed: number, external: number, arrayBuffers: number, rss: number }

const SESSIONS = 10_000

/** Runs in a child process started with --expose-gc: builds `n` idle sessions and reports per-session deltas. */
async function memoryChild (n: number): Promise<MemoryReport> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc == null) throw new Error('run with --expose-gc')
  const bytes = (k: number): Uint8Array => getRandomValues(new Uint8Array(k))
  const keys = (): { kMacI2R: Uint8Array, kEncI2R: Uint8Array, kMacR2I: Uint8Array, kEncR2I: Uint8Array } =>
    ({ kMacI2R: bytes(32), kEncI2R: bytes(32), kMacR2I: bytes(32), kEncR2I: bytes(32) })
  const self = { address: '16Uiu2HAmSelf' + 'x'.repeat(40), rootPublicKey: bytes(33), nodePublicKey: bytes(33) }
  const payload = bytes(100)
  // one session (and its peer) sealed and opened one frame each way: the realistic idle state
  const make = (i: number): Session => {
    const id = bytes(8)
    const salt = bytes(8)
    const k = keys()
    const address = `16Uiu2HAm${i.toString(36).padStart(44, '0')}` // an ATT address is a 53-char PeerId string
    const ours = new Session({ id, role: 'initiator', remote: { address, rootPublicKey: bytes(33), nodePublicKey: bytes(33) }, keys: k, salt })
    const theirs = new Session({ id, role: 'responder', remote: self, keys: k, salt })
    theirs.open(ours.seal(payload).frame)
    ours.open(theirs.seal(payload).frame)
    return ours
  }
  // warm up code paths and pools (padding pool, HEX table, …) before the first snapshot
  const warm = new SessionTable()
  for (let i = 0; i < 64; i++) warm.add(make(-1 - i))
  warm.clear()
  const settle = async (): Promise<NodeJS.MemoryUsage> => {
    for (let i = 0; i < 4; i++) { gc(); await sleep(10) }
    return process.memoryUsage()
  }
  const m0 = await settle()
  const table = new SessionTable({ maxSessions: n + 1 })
  for (let i = 0; i < n; i++) table.add(make(i))
  const m1 = await settle()
  if (table.size !== n) throw new Error(`table holds ${table.size} sessions, expected ${n}`)
  return {
    sessions: n,
    heapUsed: (m1.heapUsed - m0.heapUsed) / n,
    external: (m1.external - m0.external) / n,
    arrayBuffers: (m1.arrayBuffers - m0.arrayBuffers) / n,
    rss: (m1.rss - m0.rss) / n
  }
}

async function memoryInChild (n: number): Promise<MemoryReport> {
  const file = fileURLToPath(import.meta.url)
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', file, '--memory-child', String(n)], { timeout: 120_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err != null) reject(new Error(`memory child failed: ${err.message} ${stderr}`))
      else resolve(stdout)
    })
  })
  const last = out.trim().split('\n').pop() ?? ''
  return JSON.parse(last) as MemoryReport
}

export const sessionMemory: Figure = {
  name: 'session_memory',
  unit: 'B/session',
  goal: '<= 2048',
  async run (opts: HarnessOptions) {
    const n = opts.smoke ? 500 : SESSIONS
    let m: MemoryReport
    try {
      m = await memoryInChild(n)
    } catch (err: any) {
      return unavailable(this, String(err.message), true)
    }
    return result(this.name, m.heapUsed, null, this.unit, this.goal,
      `heapUsed delta / ${n} idle sessions in a SessionTable (child process, --expose-gc), each session having sealed and ` +
      `opened one 100-byte frame, distinct remote identities (53-char address, two 33-byte keys); ` +
      `per session also external ${m.external.toFixed(0)} B (arrayBuffers ${m.arrayBuffers.toFixed(0)} B: the one per-session buffer of ` +
      `id, salt, replay bitmap and both directions' HMAC pads, plus the remote keys), ` +
      `rss delta ${m.rss.toFixed(0)} B (noisy: includes heap reservation and sealing garbage)`)
  }
}

export const sessionFigures: Figure[] = [sessionBulk, sessionSetup, sessionMemory]

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv.includes('--memory-child')) {
  const n = Number(process.argv[process.argv.indexOf('--memory-child') + 1])
  const report = await memoryChild(Number.isInteger(n) && n > 0 ? n : SESSIONS)
  console.log(JSON.stringify(report))
}
