/**
 * Figures of one loopback network of real nodes in one process (bench/README.md), measured in ONE
 * run shared by the figures (built by the first of them, read by the others):
 *   network_delivery  first message to a new peer vs attn.ping on the same (warm) pair (summary)
 *   first_contact     first message to a new peer vs a bare kad-dht get of the same record
 *   repeat_message    the same pair again (record cached, session open) vs attn.ping
 *   offline_fetch     restart of a recipient with mail waiting: ready → message in inbox, vs one
 *                     mailbox.fetch round trip
 * Every phase has a budget scaled by the machine's load: when it runs out, the figures report
 * what was measured so far (and say so in their notes) instead of timing out.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { directoryKey, encodeFetchRequest, METHOD_MAILBOX_FETCH } from '../src/messaging/index.js'
import type { InboxMessage } from '../src/messaging/index.js'
import { createAttnNode } from '../src/node/create-node.js'
import type { AttnNode } from '../src/node/create-node.js'
import type { Identity } from '../src/keys/index.js'
import { median, now, percentile, unavailable, until, type BenchContext, type Figure, type HarnessOptions } from './harness.js'
import { BODY_BYTES, newIdentity, tempDir } from './messaging.bench.js'
import { result, type BenchResult } from './types.js'

interface NetNode { node: AttnNode, identity: Identity, dbPath: string }

/** How much slower than an idle machine this one is now (1 … 4): every deadline is scaled by it. */
export function loadFactor (): number {
  return Math.min(4, Math.max(1, loadavg()[0] / Math.max(1, cpus().length)))
}

function netSizes (opts: HarnessOptions): { nodes: number, messages: number, viaMailbox: number, setupMs: number, budgetMs: number } {
  const env = Number(process.env.ATTN_BENCH_NODES)
  const nodes = Number.isInteger(env) && env >= 3 ? env : undefined
  const f = loadFactor()
  // set-up: 20 nodes publishing at once in one process took 36–57 s on an idle machine (bench/README.md,
  // "Morning of 2026-11-30 …: where a 20-node process spends its time")
  if (opts.smoke) return { nodes: nodes ?? 4, messages: 2, viaMailbox: 1, setupMs: 40_000, budgetMs: 40_000 }
  return opts.quick
    ? { nodes: nodes ?? 20, messages: 12, viaMailbox: 3, setupMs: 120_000 * f, budgetMs: 60_000 * f }
    : { nodes: nodes ?? 20, messages: 40, viaMailbox: 7, setupMs: 150_000 * f, budgetMs: 150_000 * f }
}


async function startNode (identity: Identity, dbPath: string, relay: AttnNode | undefined, start = true): Promise<AttnNode> {
  return await createAttnNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    api: '',
    bootstrap: relay == null ? [] : [relay.getMultiaddrs()[0].toString()],
    // sessions saved at a clean stop and resumed at start, as `attn start` does (daemon.ts)
    attn: { identity, rpc: { callTimeout: 5_000 }, sessionStorePath: dbPath.replace(/\.db$/, '.sessions.db') },
    // no background mailbox polling (the start-up fetch is what offline_fetch measures); quick retries
    messaging: { dbPath, publishOnStart: false, fetchInterval: 3_600_000, retryInitial: 200, retryMax: 1_000, callTimeout: 3_000 },
    start
  })
}

/** Resolves with performance.now() of the first 'message' event whose body is `body` (or rejects after `ms`). */
function arrival (n: AttnNode, body: string, ms: number): { at: Promise<number>, cancel: () => void } {
  let cancel = (): void => {}
  const at = new Promise<number>((resolve, reject) => {
    const listener = (evt: CustomEvent<InboxMessage>): void => {
      if (evt.detail.body !== body) return
      cancel()
      resolve(now())
    }
    const timer = setTimeout(() => { cancel(); reject(new Error('not delivered in time')) }, ms)
    cancel = () => { clearTimeout(timer); n.services.messaging.removeEventListener('message', listener) }
    n.services.messaging.addEventListener('message', listener)
  })
  return { at, cancel }
}

function textBody (tag: string): string {
  return (tag + ' ').padEnd(BODY_BYTES, 'x')
}

export function stats (xs: number[]): string {
  if (xs.length === 0) return 'none'
  return `median ${median(xs).toFixed(1)}, p90 ${percentile(xs, 90).toFixed(1)}, min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`
}

/** What one network run measured (partial when `cut` says why it stopped early). */
export interface NetRun {
  count: number
  setup: string
  load: string
  first: number[]
  again: number[]
  pings: number[]
  /** Bare `dht.get` of the recipient's record from a third node: until kad-dht yields its VALUE. */
  bareGet: number[]
  /** The same bare gets: until the first PEER_RESPONSE carrying the record. */
  bareFirstAnswer: number[]
  sent: number
  delivered: number
  receipts: number
  mbSent: number
  mbDelivered: number
  /** Restarted recipient: start() resolved → message in its inbox (0 if it came before). */
  readyToMessage: number[]
  /** Restarted recipient: createAttnNode → message in its inbox. */
  restartToMessage: number[]
  /** One mailbox.fetch call (nothing waiting) from the restarted recipient to its mailbox. */
  fetchRtt: number[]
  failures: string[]
  /** Why the run stopped before its planned counts, if it did. */
  cut?: string
}

async function bareGet (n: AttnNode, address: string, ms: number): Promise<{ value: number, firstAnswer: number }> {
  const t0 = now()
  let firstAnswer = NaN
  let value = NaN
  for await (const event of n.services.dht.get(directoryKey(address), { signal: AbortSignal.timeout(ms) })) {
    if (event.name === 'PEER_RESPONSE' && event.record != null && Number.isNaN(firstAnswer)) firstAnswer = now() - t0
    if (event.name === 'VALUE') { value = now() - t0; break }
  }
  if (Number.isNaN(firstAnswer)) firstAnswer = value
  return { value, firstAnswer }
}

async function runNetwork (opts: HarnessOptions): Promise<NetRun> {
  const { nodes: count, messages, viaMailbox, setupMs, budgetMs } = netSizes(opts)
  const f = loadFactor()
  // the set-up (start, publish) is bounded by one budget and the measurements by another: on an
  // idle machine the 20 concurrent publications alone took 54 s and left the pairs no time at all
  let deadline = Date.now() + setupMs
  const left = (): number => deadline - Date.now()
  const deliverMs = 15_000 * f
  const dir = tempDir('attn-bench-net-')
  const net: NetNode[] = []
  const rnd = (n: number): number => Math.floor(Math.random() * n)
  const run: NetRun = {
    count, setup: '', load: `load average ${loadavg().map(x => x.toFixed(2)).join(' ')} at start (deadlines ×${f.toFixed(1)})`,
    first: [], again: [], pings: [], bareGet: [], bareFirstAnswer: [], sent: 0, delivered: 0, receipts: 0,
    mbSent: 0, mbDelivered: 0, readyToMessage: [], restartToMessage: [], fetchRtt: [], failures: []
  }
  try {
    // --- the network: node 0 is the bootstrap node, every other node bootstraps from it
    const tSetup = now()
    const ids = await Promise.all(Array.from({ length: count }, async () => await newIdentity()))
    const relayPath = join(dir, 'n0.db')
    net.push({ node: await startNode(ids[0], relayPath, undefined), identity: ids[0], dbPath: relayPath })
    const relay = net[0].node
    const rest = await Promise.all(ids.slice(1).map(async (identity, i) => {
      const dbPath = join(dir, `n${i + 1}.db`)
      return { node: await startNode(identity, dbPath, relay), identity, dbPath }
    }))
    net.push(...rest)
    await until('bootstrap connections', () => rest.every(n => n.node.getConnections(relay.peerId).length > 0), Math.min(30_000 * f, left()))
    const phases: string[] = [`start ${((now() - tSetup) / 1000).toFixed(1)} s`]
    // every node publishes its directory record (accepted by ≥ 1 DHT peer), all at once
    await Promise.all(net.map(async n => {
      // bounded by the set-up budget
      await until('directory record accepted', async () => (await n.node.services.messaging.publish()).accepted >= 1, Math.max(1_000, left()), 200)
    }))
    phases.push(`publish ${((now() - tSetup) / 1000).toFixed(1)} s`)
    run.setup = `setup ${((now() - tSetup) / 1000).toFixed(1)} s: ${phases.join(', ')}`
    deadline = Date.now() + budgetMs

    const one = async (a: NetNode, b: NetNode, tag: string): Promise<number | undefined> => {
      const body = textBody(tag)
      const wait = arrival(b.node, body, deliverMs)
      run.sent++
      const t0 = now()
      let id: string
      try {
        id = (await a.node.services.messaging.send(b.identity.address, body)).id
      } catch (err: any) {
        wait.cancel()
        run.failures.push(`${tag}: send: ${String(err.message)}`)
        return undefined
      }
      let t1: number
      try {
        t1 = await wait.at
      } catch (err: any) {
        run.failures.push(`${tag}: ${String(err.message)}`)
        return undefined
      }
      run.delivered++
      // quiesce before the next message: the receipt comes back and the sync copy is stored (bounded)
      try {
        await until('delivered status', async () => (await a.node.services.messaging.status(id)).state === 'delivered', 5_000 * f)
        run.receipts++
      } catch (err: any) {
        if (!String(err?.message).startsWith('timed out')) throw err
      }
      return t1 - t0
    }
    // --- first contact between random pairs (sequential), the same pair again, pings, and a bare
    // DHT get of the recipient's record by a third node (alternately before and after the message)
    const reserve = viaMailbox > 0 ? Math.min(budgetMs / 3, 8_000 * f * viaMailbox) : 0
    for (let m = 0; m < messages; m++) {
      if (left() < reserve) { run.cut = `time budget: ${m}/${messages} pairs measured`; break }
      const i = rnd(count)
      let j = rnd(count - 1)
      if (j >= i) j++
      let k = rnd(count)
      while (k === i || k === j) k = rnd(count)
      const a = net[i]
      const b = net[j]
      const get = async (): Promise<void> => {
        try {
          const g = await bareGet(net[k].node, b.identity.address, deliverMs)
          if (!Number.isNaN(g.value)) { run.bareGet.push(g.value); run.bareFirstAnswer.push(g.firstAnswer) }
        } catch (err: any) {
          run.failures.push(`get m${m}: ${String(err.message)}`)
        }
      }
      if (m % 2 === 0) await get()
      const x = await one(a, b, `m${m}`)
      if (x != null) run.first.push(x)
      if (m % 2 === 1) await get()
      const y = await one(a, b, `m${m}-again`)
      if (y != null) run.again.push(y)
      for (let p = 0; p < 5; p++) {
        const t0 = now()
        await a.node.services.attn.call(b.node.peerId, 'attn.ping', randomBytes(16), { timeout: 5_000 * f })
        run.pings.push(now() - t0)
      }
    }

    // --- via mailbox: the recipient is stopped at send time, then restarted with mail waiting
    for (let k = 0; k < viaMailbox; k++) {
      if (left() < 5_000 * f) { run.cut = `${run.cut != null ? run.cut + '; ' : ''}time budget: ${k}/${viaMailbox} restarts measured`; break }
      const ri = 1 + rnd(count - 1)
      let si = rnd(count - 1)
      if (si >= ri) si++
      const r = net[ri]
      const s = net[si]
      const body = textBody(`mb${k}`)
      run.mbSent++
      await r.node.stop()
      try {
        const { id } = await s.node.services.messaging.send(r.identity.address, body)
        await until('stored at a mailbox', async () => (await s.node.services.messaging.status(id)).state === 'stored', 20_000 * f)
      } catch (err: any) {
        run.failures.push(`mb${k}: ${String(err.message)}`)
        r.node = await startNode(r.identity, r.dbPath, relay)
        continue
      }
      const tRestart = now()
      const node = await startNode(r.identity, r.dbPath, relay, false)
      r.node = node
      const wait = arrival(node, body, deliverMs)
      await node.start()
      const tReady = now()
      try {
        // no explicit fetch: the node fetches from the mailboxes of its last-known record at start
        const t1 = await wait.at
        run.mbDelivered++
        run.restartToMessage.push(t1 - tRestart)
        run.readyToMessage.push(Math.max(0, t1 - tReady))
      } catch (err: any) {
        wait.cancel()
        run.failures.push(`mb${k}: ${String(err.message)}`)
        continue
      }
      // baseline: mailbox.fetch round trips (nothing waiting) from the same node to a mailbox
      // server it is connected to (every node serves one: the bootstrap node), after a warm-up call
      for (let q = 0; q < 4; q++) {
        const t0 = now()
        await node.services.attn.call(relay.peerId, METHOD_MAILBOX_FETCH, encodeFetchRequest(1), { timeout: 5_000 * f })
        if (q > 0) run.fetchRtt.push(now() - t0)
      }
    }
  } catch (err: any) {
    run.failures.push(`run: ${String(err?.message ?? err)}`)
    run.cut = `${run.cut != null ? run.cut + '; ' : ''}stopped by an error`
  } finally {
    await Promise.all(net.map(async n => { try { await n.node.stop() } catch (err: any) { console.error('bench: node stop failed:', err.message) } }))
    rmSync(dir, { recursive: true, force: true })
  }
  return run
}

/** The shared run (built by whichever network figure runs first). */
async function network (opts: HarnessOptions, ctx: BenchContext): Promise<NetRun> {
  return await ctx.get('network-run', async () => await runNetwork(opts), async () => {})
}

function common (r: NetRun): string {
  return `${r.count} real nodes on TCP loopback in ONE process (node 0 bootstraps the others; every node published its directory record; ${r.setup}); ` +
    `${r.load}. Delivered ${r.delivered + r.mbDelivered}/${r.sent + r.mbSent} (direct ${r.delivered}/${r.sent}, via mailbox ${r.mbDelivered}/${r.mbSent}; ` +
    `receipts back ${r.receipts}/${r.delivered}).` +
    (r.cut != null ? ` PARTIAL: ${r.cut}.` : '') +
    (r.failures.length > 0 ? ` Failures: ${r.failures.slice(0, 5).join('; ')}` : '')
}

/** `scope`: which deliveries must all have succeeded for the goal to count as met (the figure's own). */
function finish (f: Figure, ours: number, base: number, r: NetRun, note: string, scope: 'all' | 'direct' | 'mailbox'): BenchResult {
  if (Number.isNaN(ours) || Number.isNaN(base)) return unavailable(f, `${note} ${common(r)}`)
  const res = result(f.name, ours, base, f.unit, f.goal, `${note} ${common(r)}`)
  const direct = r.delivered === r.sent
  const mailbox = r.mbDelivered === r.mbSent
  if (!(scope === 'direct' ? direct : scope === 'mailbox' ? mailbox : direct && mailbox)) res.met = false
  return res
}

/**
 * One figure of the shared network run: `pick` chooses ours, the baseline and the note from the
 * run; `scope` says which deliveries must all have succeeded for its goal to count as met.
 */
function netFigure (name: string, goal: string, scope: 'all' | 'direct' | 'mailbox', pick: (r: NetRun) => [number, number, string]): Figure {
  return {
    name,
    unit: 'ms',
    goal,
    // the set-up and the measurements each have a budget (runNetwork), plus stopping and restarts:
    // the run reports what it measured before this limit could cut it (57 s of set-up on an idle
    // machine once left the old 90 s limit no time to report)
    minLimitMs: (opts) => {
      const { setupMs, budgetMs } = netSizes(opts)
      return setupMs + budgetMs + 60_000
    },
    async run (opts, ctx) {
      const r = await network(opts, ctx)
      const [ours, base, note] = pick(r)
      return finish(this, ours, base, r, note, scope)
    }
  }
}

export const networkDelivery = netFigure('network_delivery', '<= 3', 'all', r => [median(r.first), median(r.pings),
  `Ours = send() → the recipient's 'message' event, first message of random pairs (sequential; DHT lookup of the record, ` +
  `sealing, a new session, open + verify, SQLite): ${stats(r.first)}. Baseline = attn.call(peer, 'attn.ping', 16 B) on the same warm pairs: ` +
  `${stats(r.pings)}. Same pair again: ${stats(r.again)}. Bare kad-dht get: ${stats(r.bareGet)}. Restart with mail waiting, ready → message: ` +
  `${stats(r.readyToMessage)}.`])

export const firstContact = netFigure('first_contact', '<= 1.5', 'direct', r => [median(r.first), median(r.bareGet),
  `Ours = first message to a new peer, send() → 'message' event: ${stats(r.first)}. Baseline = a bare kad-dht get of the same record by a ` +
  `third node (until kad-dht yields its VALUE, i.e. the end of its query), alternately before and after the message: ${stats(r.bareGet)}; ` +
  `the first PEER_RESPONSE carrying the record came after ${stats(r.bareFirstAnswer)} (the directory client stops there).`])

export const repeatMessage = netFigure('repeat_message', '<= 3', 'direct', r => [median(r.again), median(r.pings),
  `Ours = the same pair again (record cached, session open), send() → 'message' event: ${stats(r.again)}. ` +
  `Baseline = attn.ping round trips on the same pairs: ${stats(r.pings)}.`])

export const offlineFetch = netFigure('offline_fetch', '<= 5', 'mailbox', r => [median(r.readyToMessage), median(r.fetchRtt),
  `Ours = a recipient stopped while a message was stored at its mailboxes is restarted (new node, same identity and store, no explicit ` +
  `fetch): node.start() resolved → message in its inbox: ${stats(r.readyToMessage)} (from createAttnNode: ${stats(r.restartToMessage)}). ` +
  `Baseline = one mailbox.fetch round trip from that node to its mailbox right after: ${stats(r.fetchRtt)}.`])

export const networkFigures: Figure[] = [networkDelivery, firstContact, repeatMessage, offlineFetch]
