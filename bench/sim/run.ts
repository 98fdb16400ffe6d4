/**
 * The simulation scenario (bench/README.md §Simulation): N nodes join, publish their records, send
 * messages to random nodes while 10 %/min of the nodes leave and rejoin (some never return), then
 * a drain phase without churn; the report says what arrived, how fast, how often twice, and what
 * it cost.
 */
import { generateKeyPair, privateKeyFromRaw } from '@libp2p/crypto/keys'
import { attAddress, encodeChain } from '../../src/keys/index.js'
import type { RootIdentity } from '../../src/keys/index.js'
import { Clock, Network, prng } from './engine.js'
import { FETCH_INTERVAL_MS, SimNode, newMetrics, type World } from './node.js'

export interface SimOptions {
  nodes: number
  seed: number
  /** Virtual minutes of traffic (with churn). */
  minutes: number
  /** Virtual minutes after the traffic (no churn, leavers back) for what is in flight to arrive. */
  drainMinutes: number
  /** Messages per online node per virtual minute. */
  rate: number
  /** Fraction of the online nodes that leave per minute. */
  churn: number
  /** Fraction of the leavers that never come back. */
  neverReturn: number
  latencyMs: [number, number]
  loss: [number, number]
  /** Progress lines (stderr). */
  log?: (line: string) => void
}

export const DEFAULT_SIM: SimOptions = {
  nodes: 1000, seed: 1, minutes: 5, drainMinutes: 3, rate: 0.4, churn: 0.1, neverReturn: 0.1, latencyMs: [20, 200], loss: [0.01, 0.05]
}

export interface SimReport {
  nodes: number
  seed: number
  virtualMinutes: number
  wallSeconds: number
  latencyNote: [number, number]
  lossNote: [number, number]
  sent: number
  accepted: number
  /** Accepted messages whose recipient was online at the end (the ones that must arrive). */
  deliverable: number
  delivered: number
  deliveredOfDeliverable: number
  deliveryRatio: number
  duplicates: number
  redundantArrivals: number
  receiptsVerified: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  direct: { n: number, p50Ms: number, p99Ms: number }
  viaMailbox: { n: number, p50Ms: number, p99Ms: number }
  lookup: { n: number, found: number, hopsMean: number, hopsMax: number, p50Ms: number, p99Ms: number }
  /** Undelivered parcels held for offline recipients: with ≥ 1 online mailbox copy / all. */
  replication: { waiting: number, withOnlineCopy: number, meanOnlineCopies: number }
  publishAcceptedMean: number
  churnEvents: { left: number, rejoined: number, gone: number }
  memoryPerNodeBytes: number
  cpuMsPerDelivered: number
  packets: number
  lostPackets: number
  events: number
  errors: Record<string, number>
  /** Latencies (ms) for the CDF plot, by path. */
  latencies: { direct: number[], mailbox: number[] }
  /** [virtual s, sent so far, delivered so far] every 10 s. */
  timeline: Array<[number, number, number]>
}

function pct (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

async function identity (rand: () => number): Promise<RootIdentity> {
  // seeded keys: the same seed gives the same network
  const raw = new Uint8Array(32)
  for (let i = 0; i < 32; i++) raw[i] = Math.floor(rand() * 256)
  raw[0] = (raw[0] % 0xfe) + 1
  let key
  try {
    key = privateKeyFromRaw(raw)
  } catch {
    key = await generateKeyPair('secp256k1')
  }
  if (key.type !== 'secp256k1') key = await generateKeyPair('secp256k1')
  return { address: attAddress(key.publicKey), rootKey: key, nodeKey: key, chain: encodeChain([]) } as RootIdentity
}

export async function runSim (o: SimOptions): Promise<SimReport> {
  const log = o.log ?? (() => {})
  const wall0 = performance.now()
  const cpu0 = process.cpuUsage()
  const rand = prng(o.seed)
  const clock = new Clock()
  const net = new Network(clock, { latencyMs: o.latencyMs, loss: o.loss }, o.seed)
  const metrics = newMetrics()
  const w: World = { clock, net, nodes: [], byAddress: new Map(), metrics, rand }
  const gc = (globalThis as any).gc as (() => void) | undefined
  gc?.()
  const heap0 = process.memoryUsage().heapUsed
  for (let i = 0; i < o.nodes; i++) {
    const n = new SimNode(i, await identity(rand), w)
    w.nodes.push(n)
    net.endpoints.push(n)
    w.byAddress.set(n.address, i)
  }
  const online = (): SimNode[] => w.nodes.filter(n => n.online)
  const pickOnline = (except?: number): SimNode | undefined => {
    const on = online().filter(n => n.index !== except)
    return on.length === 0 ? undefined : on[Math.floor(rand() * on.length)]
  }

  // --- join: node 0 first, the others over 30 virtual seconds through node 0 and a random online node
  const joinMs = 30_000
  w.nodes[0].online = true
  for (let i = 1; i < o.nodes; i++) {
    clock.at(Math.floor((i / o.nodes) * joinMs), () => {
      const extra = pickOnline(i)
      void w.nodes[i].join(extra != null && extra.index !== 0 ? [0, extra.index] : [0])
    })
  }
  await clock.runUntil(joinMs + 5_000)
  log(`sim: ${o.nodes} joined at ${(clock.now / 1000).toFixed(0)} s virtual (${((performance.now() - wall0) / 1000).toFixed(1)} s wall)`)
  // --- publish: every node within 30 virtual seconds
  const pubStart = clock.now
  for (const n of w.nodes) clock.at(pubStart + Math.floor(rand() * 30_000), () => { void n.publish() })
  await clock.runUntil(pubStart + 40_000)
  log(`sim: records published at ${(clock.now / 1000).toFixed(0)} s virtual (${((performance.now() - wall0) / 1000).toFixed(1)} s wall)`)

  // --- periodic mailbox fetch (each node at its own phase)
  const trafficStart = clock.now
  const end = trafficStart + (o.minutes + o.drainMinutes) * 60_000
  for (const n of w.nodes) {
    const tick = (): void => {
      if (n.online) void n.fetchMailboxes()
      if (clock.now + FETCH_INTERVAL_MS < end) clock.after(FETCH_INTERVAL_MS, tick)
    }
    clock.at(trafficStart + Math.floor(rand() * FETCH_INTERVAL_MS), tick)
  }

  // --- traffic: Poisson sends from online nodes to any node (online or not)
  const trafficEnd = trafficStart + o.minutes * 60_000
  const perMs = (o.rate * o.nodes) / 60_000
  let t = trafficStart
  while (true) {
    t += -Math.log(1 - rand()) / perMs
    if (t >= trafficEnd) break
    clock.at(Math.floor(t), () => {
      const from = pickOnline()
      if (from == null) return
      let to = Math.floor(rand() * o.nodes)
      if (to === from.index) to = (to + 1) % o.nodes
      from.send(to)
    })
  }

  // --- churn: every 6 s, churn/10 of the online nodes leave; each returns after 10–90 s, or never
  const churn = { left: 0, rejoined: 0, gone: 0 }
  for (let c = trafficStart + 6_000; c < trafficEnd; c += 6_000) {
    clock.at(c, () => {
      const on = online()
      const leaving = Math.round(on.length * o.churn / 10)
      for (let k = 0; k < leaving; k++) {
        const n = on.splice(Math.floor(rand() * on.length), 1)[0]
        if (n == null || n.index === 0) continue
        const forever = rand() < o.neverReturn
        n.leave(forever)
        churn.left++
        if (forever) { churn.gone++; continue }
        const back = Math.min(trafficEnd + 30_000, clock.now + 10_000 + Math.floor(rand() * 80_000))
        clock.at(back, () => {
          churn.rejoined++
          const via = pickOnline(n.index)
          // rejoin: routing through a bootstrap peer, mail from the mailboxes of our last record at
          // once (no DHT wait), then a fresh record (the closest peers may have changed), then the outbox
          void (async () => {
            n.online = true
            void n.fetchMailboxes()
            await n.join(via != null ? [via.index] : [0])
            await n.publish()
            void n.fetchMailboxes()
            n.kick()
          })()
        })
      }
    })
  }

  // --- run, with a timeline sample every 10 s
  const timeline: Array<[number, number, number]> = []
  for (let s = trafficStart; s <= end; s += 10_000) {
    clock.at(s, () => { timeline.push([Math.round((clock.now - trafficStart) / 1000), metrics.sent, metrics.deliveredAt.size]) })
  }
  let replicationAtEndOfChurn = { waiting: 0, withOnlineCopy: 0, meanOnlineCopies: 0 }
  clock.at(trafficEnd, () => { replicationAtEndOfChurn = replication(w) })
  for (let m = trafficStart; m < end; m += 60_000) {
    await clock.runUntil(Math.min(end, m + 60_000))
    log(`sim: minute ${Math.round((clock.now - trafficStart) / 60_000)}/${o.minutes + o.drainMinutes}: sent ${metrics.sent}, delivered ${metrics.deliveredAt.size}, ` +
      `online ${online().length}, ${((performance.now() - wall0) / 1000).toFixed(1)} s wall`)
  }

  // --- report
  const cpu = process.cpuUsage(cpu0)
  gc?.()
  const heap1 = process.memoryUsage().heapUsed
  const onlineAtEnd = new Set(online().map(n => n.index))
  let deliverable = 0
  let deliveredOfDeliverable = 0
  for (const id of metrics.accepted) {
    const s = metrics.sentAt.get(id)
    if (s == null || !onlineAtEnd.has(s.to)) continue
    deliverable++
    if (metrics.deliveredAt.has(id)) deliveredOfDeliverable++
  }
  const all = [...metrics.deliveredAt.values()]
  const direct = all.filter(d => d.via === 'direct').map(d => d.latency)
  const mailbox = all.filter(d => d.via === 'mailbox').map(d => d.latency)
  const lat = all.map(d => d.latency)
  const lk = metrics.lookups
  const delivered = metrics.deliveredAt.size
  return {
    nodes: o.nodes,
    seed: o.seed,
    virtualMinutes: o.minutes + o.drainMinutes,
    latencyNote: o.latencyMs,
    lossNote: o.loss,
    wallSeconds: (performance.now() - wall0) / 1000,
    sent: metrics.sent,
    accepted: metrics.accepted.size,
    deliverable,
    delivered,
    deliveredOfDeliverable,
    deliveryRatio: deliverable === 0 ? NaN : deliveredOfDeliverable / deliverable,
    duplicates: metrics.duplicates,
    redundantArrivals: metrics.redundantArrivals,
    receiptsVerified: metrics.receiptsVerified,
    p50Ms: pct(lat, 50),
    p90Ms: pct(lat, 90),
    p99Ms: pct(lat, 99),
    direct: { n: direct.length, p50Ms: pct(direct, 50), p99Ms: pct(direct, 99) },
    viaMailbox: { n: mailbox.length, p50Ms: pct(mailbox, 50), p99Ms: pct(mailbox, 99) },
    lookup: {
      n: lk.length,
      found: lk.filter(l => l.found).length,
      hopsMean: lk.length === 0 ? NaN : lk.reduce((a, l) => a + l.hops, 0) / lk.length,
      hopsMax: lk.reduce((a, l) => Math.max(a, l.hops), 0),
      p50Ms: pct(lk.map(l => l.ms), 50),
      p99Ms: pct(lk.map(l => l.ms), 99)
    },
    replication: replicationAtEndOfChurn,
    publishAcceptedMean: metrics.publishAccepted.length === 0 ? NaN : metrics.publishAccepted.reduce((a, b) => a + b, 0) / metrics.publishAccepted.length,
    churnEvents: churn,
    memoryPerNodeBytes: Math.round((heap1 - heap0) / o.nodes),
    cpuMsPerDelivered: delivered === 0 ? NaN : (cpu.user + cpu.system) / 1000 / delivered,
    packets: net.packets,
    lostPackets: net.lost,
    events: clock.events,
    errors: Object.fromEntries(metrics.errors),
    latencies: { direct, mailbox },
    timeline
  }
}

/** Messages accepted by a mailbox but not delivered whose recipient is offline: how many online copies remain. */
function replication (w: World): { waiting: number, withOnlineCopy: number, meanOnlineCopies: number } {
  let waiting = 0
  let withCopy = 0
  let copies = 0
  for (const id of w.metrics.accepted) {
    if (w.metrics.deliveredAt.has(id)) continue
    const s = w.metrics.sentAt.get(id)
    if (s == null) continue
    const r = w.nodes[s.to]
    if (r.online) continue
    waiting++
    let c = 0
    for (const n of w.nodes) if (n.online && n.holds(r.address, id)) c++
    if (c > 0) withCopy++
    copies += c
  }
  return { waiting, withOnlineCopy: withCopy, meanOnlineCopies: waiting === 0 ? NaN : copies / waiting }
}
