/**
 * A simulated ATT node (reduced stack, bench/README.md §Simulation): Kademlia routing and records
 * (k = 20, α = 3, XOR distance on 64-bit ids), a mailbox server, an outbox with the real node's
 * rules (direct to the device first, else the mailboxes of the recipient's record; re-probe until
 * a receipt), the start-up fetch from the mailboxes of its own last record, and receipts.
 * The bytes are real: directory records are created and checked by the project's code (root-key
 * signature), envelopes sealed and opened by sealEnvelope/openEnvelope, receipts signed and
 * verified by createReceipt/verifyReceipt. Transport, sessions and SQLite are replaced by the
 * simulated network and in-memory maps.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  checkDirectoryRecord, createDirectoryRecord, createReceipt, derivePrekey, directoryKey, encodeDirectoryRecord,
  openEnvelope, pickPrekey, prekeyIdAt, prekeyResolver, sealEnvelope, verifyReceipt, utf8
} from '../../src/messaging/index.js'
import type { DirectoryRecord } from '../../src/messaging/index.js'
import type { RootIdentity } from '../../src/keys/index.js'
import type { Clock, Endpoint, Network } from './engine.js'

export const K = 20
export const ALPHA = 3
export const MAILBOXES = 3
export const RPC_TIMEOUT_MS = 1_000
/** Probe a message again (direct, else mailboxes) when no receipt came within this. */
export const PROBE_MS = 30_000
/** Periodic mailbox fetch (the real node's fetchInterval is configurable; this is the simulation's). */
export const FETCH_INTERVAL_MS = 60_000
export const RECORD_CACHE_MS = 60_000
const BODY = utf8('x'.repeat(200))

export function kadId (s: string): bigint {
  return createHash('sha256').update(s).digest().readBigUInt64BE(0)
}

function bucketOf (d: bigint): number {
  return d === 0n ? 0 : d.toString(2).length
}

/** What the run observes (filled by the nodes). */
export interface Metrics {
  sent: number
  /** Messages that reached a device or ≥ 1 mailbox (the network accepted them). */
  accepted: Set<string>
  /** First arrival in the recipient's inbox: envelope id hex → virtual ms. */
  deliveredAt: Map<string, { at: number, latency: number, via: 'direct' | 'mailbox' }>
  /** A message shown to the user twice (must stay 0: the inbox dedups by envelope id). */
  duplicates: number
  /** Redundant copies that arrived and were dropped by the dedup (re-probes, mailbox + direct). */
  redundantArrivals: number
  receiptsVerified: number
  lookups: Array<{ hops: number, ms: number, found: boolean }>
  sentAt: Map<string, { at: number, to: number, from: number }>
  publishAccepted: number[]
  errors: Map<string, number>
}

export function newMetrics (): Metrics {
  return {
    sent: 0, accepted: new Set(), deliveredAt: new Map(), duplicates: 0, redundantArrivals: 0, receiptsVerified: 0,
    lookups: [], sentAt: new Map(), publishAccepted: [], errors: new Map()
  }
}

export interface World {
  clock: Clock
  net: Network
  nodes: SimNode[]
  byAddress: Map<string, number>
  metrics: Metrics
  rand: () => number
}

interface OutboxEntry {
  id: Uint8Array
  idHex: string
  to: number
  kind: 'message' | 'receipt'
  body: Uint8Array
  parcel?: Uint8Array
  state: 'queued' | 'sent' | 'stored' | 'delivered'
  attempts: number
  busy: boolean
  timer: boolean
}

interface Parcel { id: string, to: string, envelope: Uint8Array }

export class SimNode implements Endpoint {
  online = false
  /** Left and will not come back. */
  gone = false
  readonly kid: bigint
  readonly address: string
  private readonly buckets = new Map<number, number[]>()
  /** DHT records we hold: record key → encoded record. */
  private readonly records = new Map<string, { value: Uint8Array, seq: bigint }>()
  /** Mailbox: recipient address → parcels by id. */
  private readonly mailbox = new Map<string, Map<string, Parcel>>()
  private readonly outbox = new Map<string, OutboxEntry>()
  private readonly inbox = new Set<string>()
  private readonly cache = new Map<string, { record: DirectoryRecord, at: number }>()
  /** Our last published record (kept across leave/rejoin, like the store's meta). */
  ownRecord?: DirectoryRecord
  private seq = 1n
  private epoch = 0

  constructor (readonly index: number, readonly identity: RootIdentity, private readonly w: World) {
    this.address = identity.address
    this.kid = kadId(this.address)
  }

  // ---------------------------------------------------------------- routing table

  addContact (peer: number): void {
    if (peer === this.index) return
    const b = bucketOf(this.kid ^ this.w.nodes[peer].kid)
    let list = this.buckets.get(b)
    if (list == null) { list = []; this.buckets.set(b, list) }
    const i = list.indexOf(peer)
    if (i >= 0) { list.splice(i, 1); list.push(peer); return }
    if (list.length < K) list.push(peer)
  }

  dropContact (peer: number): void {
    const list = this.buckets.get(bucketOf(this.kid ^ this.w.nodes[peer].kid))
    const i = list?.indexOf(peer) ?? -1
    if (i >= 0) list?.splice(i, 1)
  }

  contacts (): number {
    let n = 0
    for (const l of this.buckets.values()) n += l.length
    return n
  }

  closestKnown (key: bigint, n = K): number[] {
    const all: number[] = []
    for (const l of this.buckets.values()) all.push(...l)
    const nodes = this.w.nodes
    return all.sort((a, b) => cmp(nodes[a].kid ^ key, nodes[b].kid ^ key)).slice(0, n)
  }

  // ---------------------------------------------------------------- RPC

  private async call (to: number, method: string, params: any): Promise<any> {
    try {
      const answer = await this.w.net.call(this.index, to, method, params, RPC_TIMEOUT_MS, this.w.rand)
      this.addContact(to)
      return answer
    } catch (err) {
      this.dropContact(to)
      throw err
    }
  }

  handle (from: number, method: string, p: any): any {
    this.addContact(from)
    switch (method) {
      case 'find': {
        const held = p.recordKey != null ? this.records.get(p.recordKey) : undefined
        return { closer: this.closestKnown(p.key), value: held?.value }
      }
      case 'put': {
        // the DHT guard's rule: a valid record (real signature check), never an older seq
        const record = checkDirectoryRecord(directoryKey(p.address), p.value)
        const held = this.records.get(p.recordKey)
        if (held != null && held.seq >= record.seq) return held.seq === record.seq
        this.records.set(p.recordKey, { value: p.value, seq: record.seq })
        return true
      }
      case 'deliver':
        this.receive(p as Parcel, 'direct')
        return true
      case 'mbput': {
        const parcel = p as Parcel
        let box = this.mailbox.get(parcel.to)
        if (box == null) { box = new Map(); this.mailbox.set(parcel.to, box) }
        box.set(parcel.id, parcel)
        return true
      }
      case 'mbfetch':
        // the real mailbox answers the session's authenticated address; here the caller's
        return [...(this.mailbox.get(this.w.nodes[from].address)?.values() ?? [])].slice(0, 100)
      case 'mback': {
        const box = this.mailbox.get(this.w.nodes[from].address)
        for (const id of p as string[]) box?.delete(id)
        return true
      }
      default:
        throw new Error(`unknown method ${method}`)
    }
  }

  /** Holds a copy of this parcel id for `address` (replication health). */
  holds (address: string, id: string): boolean {
    return this.mailbox.get(address)?.has(id) ?? false
  }

  // ---------------------------------------------------------------- DHT

  /** Iterative lookup; with `recordKey`, stops at the first valid record (what a sender needs). */
  async lookup (key: bigint, recordKey?: string, address?: string): Promise<{ closest: number[], record?: DirectoryRecord, hops: number }> {
    const nodes = this.w.nodes
    const queried = new Set<number>([this.index])
    let shortlist = this.closestKnown(key)
    let hops = 0
    let best: DirectoryRecord | undefined
    if (recordKey != null && address != null) {
      const local = this.records.get(recordKey)
      if (local != null) return { closest: shortlist, record: checkDirectoryRecord(directoryKey(address), local.value), hops: 0 }
    }
    for (let round = 0; round < 20; round++) {
      const next = shortlist.filter(p => !queried.has(p)).slice(0, ALPHA)
      if (next.length === 0) break
      hops++
      for (const p of next) queried.add(p)
      const answers = await Promise.all(next.map(async p => await this.call(p, 'find', { key, recordKey }).catch(() => undefined)))
      const seen = new Set(shortlist)
      for (const a of answers) {
        if (a == null) continue
        if (a.value != null && address != null && best == null) {
          try {
            best = checkDirectoryRecord(directoryKey(address), a.value)
          } catch (err: any) {
            count(this.w, `bad record: ${String(err.code ?? err.message)}`)
          }
        }
        for (const c of a.closer as number[]) {
          if (c === this.index || seen.has(c)) continue
          seen.add(c)
          shortlist.push(c)
          this.addContact(c)
        }
      }
      if (best != null) break
      shortlist = shortlist.filter(p => !queried.has(p) || this.isAlive(p)).sort((a, b) => cmp(nodes[a].kid ^ key, nodes[b].kid ^ key)).slice(0, K)
      // converged: the k closest have all been asked
      if (shortlist.every(p => queried.has(p))) break
    }
    return { closest: shortlist.filter(p => p !== this.index), record: best, hops }
  }

  /** A contact that answered (kept in the routing table); the lookup drops the others. */
  private isAlive (p: number): boolean {
    return this.buckets.get(bucketOf(this.kid ^ this.w.nodes[p].kid))?.includes(p) ?? false
  }

  /** Joins (or rejoins) through `bootstrap`: a self-lookup fills the routing table. */
  async join (bootstrap: number[]): Promise<void> {
    this.online = true
    this.epoch++
    for (const b of bootstrap) this.addContact(b)
    await this.lookup(this.kid)
  }

  leave (forever: boolean): void {
    this.online = false
    this.gone = forever
    this.epoch++
  }

  /** Publishes our record: mailboxes = the closest peers to our record key; stored at the k closest. */
  async publish (): Promise<number> {
    const recordKey = this.address
    const { closest } = await this.lookup(kadId(recordKey))
    const nowS = Math.floor(Date.now() / 1000)
    const current = prekeyIdAt(nowS)
    const prekeys = [derivePrekey(this.identity.rootKey, current), derivePrekey(this.identity.rootKey, current + 1)]
      .map(({ id, publicKey, expiresAt }) => ({ id, publicKey, expiresAt }))
    const record = createDirectoryRecord(this.identity, {
      seq: this.seq++,
      expiresAt: nowS + 86_400,
      prekeys,
      mailboxes: closest.slice(0, MAILBOXES).map(p => ({ peerId: this.w.nodes[p].address, multiaddrs: [] }))
    })
    const value = encodeDirectoryRecord(record)
    this.records.set(recordKey, { value, seq: record.seq })
    const results = await Promise.all(closest.map(async p => await this.call(p, 'put', { recordKey, address: this.address, value }).catch(() => false)))
    this.ownRecord = record
    const accepted = results.filter(Boolean).length
    this.w.metrics.publishAccepted.push(accepted)
    return accepted
  }

  /** The start-up (and periodic) fetch: from the mailboxes of our own last-known record, at once. */
  async fetchMailboxes (): Promise<void> {
    const record = this.ownRecord
    if (record == null || !this.online) return
    await Promise.all(record.mailboxes.map(async m => {
      const mb = this.w.byAddress.get(m.peerId)
      if (mb == null || mb === this.index) return
      try {
        for (let round = 0; round < 10; round++) {
          const parcels = await this.call(mb, 'mbfetch', {}) as Parcel[]
          if (parcels.length === 0) break
          for (const p of parcels) this.receive(p, 'mailbox')
          await this.call(mb, 'mback', parcels.map(p => p.id))
          if (parcels.length < 100) break
        }
      } catch (err: any) {
        count(this.w, `fetch: ${String(err.code ?? err.message)}`)
      }
    }))
  }

  // ---------------------------------------------------------------- messaging

  /** Queues a message to node `to` (returns its envelope id hex). */
  send (to: number): string {
    const id = randomBytes(16)
    const idHex = id.toString('hex')
    const e: OutboxEntry = { id, idHex, to, kind: 'message', body: BODY, state: 'queued', attempts: 0, busy: false, timer: false }
    this.outbox.set(idHex, e)
    this.w.metrics.sent++
    this.w.metrics.sentAt.set(idHex, { at: this.w.clock.now, to, from: this.index })
    void this.attempt(e)
    return idHex
  }

  /** Resumes every entry not delivered (after a rejoin). */
  kick (): void {
    for (const e of this.outbox.values()) if (e.state !== 'delivered') void this.attempt(e)
  }

  private schedule (e: OutboxEntry, ms: number): void {
    if (e.timer) return
    e.timer = true
    const epoch = this.epoch
    this.w.clock.after(ms, () => {
      e.timer = false
      if (this.epoch === epoch) void this.attempt(e)
    })
  }

  private async recordOf (to: number, fresh: boolean): Promise<DirectoryRecord | undefined> {
    const address = this.w.nodes[to].address
    const cached = this.cache.get(address)
    if (!fresh && cached != null && this.w.clock.now - cached.at < RECORD_CACHE_MS) return cached.record
    const t0 = this.w.clock.now
    const { record, hops } = await this.lookup(kadId(address), address, address)
    this.w.metrics.lookups.push({ hops, ms: this.w.clock.now - t0, found: record != null })
    if (record == null) return cached?.record
    if (cached == null || record.seq >= cached.record.seq) this.cache.set(address, { record, at: this.w.clock.now })
    return this.cache.get(address)?.record
  }

  private async attempt (e: OutboxEntry): Promise<void> {
    if (e.busy || !this.online || e.state === 'delivered') return
    e.busy = true
    const epoch = this.epoch
    try {
      const probing = e.state === 'sent' || e.state === 'stored'
      const record = await this.recordOf(e.to, probing)
      if (this.epoch !== epoch) return
      e.attempts++
      if (record == null) { this.schedule(e, Math.min(30_000, 1_000 * 2 ** e.attempts)); return }
      if (e.parcel == null) {
        const prekey = pickPrekey(record)
        if (prekey == null) { count(this.w, 'no prekey'); this.schedule(e, 30_000); return }
        e.parcel = sealEnvelope({
          sender: this.identity, recipientAddress: record.address, recipientPrekey: prekey,
          message: { kind: e.kind, body: e.body }, envelopeId: e.id
        })
      }
      const parcel: Parcel = { id: e.idHex, to: record.address, envelope: e.parcel }
      const device = this.w.byAddress.get(record.devices[0].nodeId) ?? e.to
      let direct = false
      for (let t = 0; t < 2 && !direct; t++) {
        direct = await this.call(device, 'deliver', parcel).then(() => true, () => false)
      }
      if (this.epoch !== epoch) return
      let stored = 0
      if (!direct) {
        const boxes = record.mailboxes.map(m => this.w.byAddress.get(m.peerId)).filter((p): p is number => p != null && p !== this.index)
        const ok = await Promise.all(boxes.map(async b => await this.call(b, 'mbput', parcel).then(() => true, () => false)))
        stored = ok.filter(Boolean).length
      }
      if (this.epoch !== epoch) return
      if (direct || stored > 0) {
        if (e.kind === 'receipt') { this.outbox.delete(e.idHex); return }
        this.w.metrics.accepted.add(e.idHex)
        // the receipt may have come in while we waited
        if ((e.state as string) !== 'delivered') {
          e.state = direct ? 'sent' : 'stored'
          this.schedule(e, PROBE_MS)
        }
      } else {
        this.schedule(e, Math.min(30_000, 1_000 * 2 ** e.attempts))
      }
    } catch (err: any) {
      count(this.w, `attempt: ${String(err.code ?? err.message)}`)
      this.schedule(e, 5_000)
    } finally {
      e.busy = false
    }
  }

  private receive (p: Parcel, via: 'direct' | 'mailbox'): void {
    const m = this.w.metrics
    let opened
    try {
      opened = openEnvelope({ recipient: { address: this.address, prekey: prekeyResolver(this.identity.rootKey, Math.floor(Date.now() / 1000)) }, envelope: p.envelope })
    } catch (err: any) {
      count(this.w, `open: ${String(err.code ?? err.message)}`)
      return
    }
    const sender = this.w.byAddress.get(opened.senderAddress)
    if (sender == null) return
    if (opened.message.kind === 'receipt') {
      const body = opened.message.body
      const idHex = Buffer.from(body.subarray(0, 16)).toString('hex')
      const e = this.outbox.get(idHex)
      if (e == null || e.state === 'delivered') return
      verifyReceipt(body.subarray(16), this.w.nodes[e.to].address, e.id)
      m.receiptsVerified++
      e.state = 'delivered'
      return
    }
    if (this.inbox.has(p.id)) {
      m.redundantArrivals++
    } else {
      this.inbox.add(p.id)
      const sent = m.sentAt.get(p.id)
      if (m.deliveredAt.has(p.id)) m.duplicates++
      else if (sent != null) m.deliveredAt.set(p.id, { at: this.w.clock.now, latency: this.w.clock.now - sent.at, via })
    }
    // a receipt for every copy (a lost receipt is re-triggered by the sender's re-probe)
    const receipt = createReceipt(this.identity, { envelopeId: opened.envelopeId, senderAddress: opened.senderAddress })
    const body = new Uint8Array(16 + receipt.byteLength)
    body.set(opened.envelopeId, 0)
    body.set(receipt, 16)
    const rid = randomBytes(16)
    const e: OutboxEntry = { id: rid, idHex: rid.toString('hex'), to: sender, kind: 'receipt', body, state: 'queued', attempts: 0, busy: false, timer: false }
    this.outbox.set(e.idHex, e)
    void this.attempt(e)
  }

  /** Undelivered outbox messages (for the report). */
  pending (): number {
    let n = 0
    for (const e of this.outbox.values()) if (e.kind === 'message' && e.state !== 'delivered') n++
    return n
  }
}

function cmp (a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function count (w: World, what: string): void {
  w.metrics.errors.set(what, (w.metrics.errors.get(what) ?? 0) + 1)
}
