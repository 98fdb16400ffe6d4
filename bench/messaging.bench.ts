/**
 * Messaging figures (bench/README.md):
 *   mailbox_store     sealed 256 B parcels stored per second by `MessagingStore.mailboxPut` (real
 *                     SQLite file, WAL, default quotas) vs raw node:sqlite inserts of the same rows
 *   network_delivery  median 1:1 latency send() → recipient's 'message' event on a loopback network
 *                     of real nodes (one process) vs a direct `attn.ping` RPC round trip
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { attAddress, encodeChain } from '../src/keys/index.js'
import type { Identity } from '../src/keys/index.js'
import { MessagingStore, MAILBOX_TABLE_DDL, sealEnvelope, generatePrekey, encodeParcel, PARCEL_ENVELOPE } from '../src/messaging/index.js'
import type { InboxMessage } from '../src/messaging/index.js'
import { createAttnNode } from '../src/node/create-node.js'
import type { AttnNode } from '../src/node/create-node.js'
import { interleave, median, now, percentile, sleep, type Figure, type HarnessOptions } from './harness.js'
import { result } from './types.js'

const BODY_BYTES = 256

async function newIdentity (): Promise<Identity> {
  const key = await generateKeyPair('secp256k1')
  return { address: attAddress(key.publicKey), rootKey: key, nodeKey: key, chain: encodeChain([]) }
}

function tempDir (prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

// ---------------------------------------------------------------------------------------------
// mailbox_store
// ---------------------------------------------------------------------------------------------

interface StoredRow { recipient: string, envelopeId: Uint8Array, envelope: Uint8Array, senderHint: string }

/** `n` real parcels: sealEnvelope of a 256-byte body from one of `senders` to one of `recipients`, wrapped by encodeParcel. */
async function makeParcels (n: number, senders: number, recipients: number): Promise<StoredRow[]> {
  const from = await Promise.all(Array.from({ length: senders }, async () => await newIdentity()))
  const expires = Math.floor(Date.now() / 1000) + 86_400
  const to = await Promise.all(Array.from({ length: recipients }, async (_, i) => ({ address: (await newIdentity()).address, prekey: generatePrekey(i + 1, expires) })))
  const rows: StoredRow[] = []
  for (let i = 0; i < n; i++) {
    const s = from[i % senders]
    const r = to[Math.floor(i / senders) % recipients]
    const envelopeId = randomBytes(16)
    const envelope = sealEnvelope({ sender: s, recipientAddress: r.address, recipientPrekey: r.prekey, message: { body: randomBytes(BODY_BYTES) }, envelopeId })
    // a mailbox stores the whole parcel under its id; the sender hint is the remote ATT address of the put
    rows.push({ recipient: r.address, envelopeId, envelope: encodeParcel({ kind: PARCEL_ENVELOPE, recipient: r.address, payload: envelope }), senderHint: s.address })
  }
  return rows
}

function mailboxSizes (opts: HarnessOptions): { parcels: number, rounds: number } {
  if (opts.smoke) return { parcels: 20, rounds: 1 }
  return opts.quick ? { parcels: 300, rounds: 5 } : { parcels: 1000, rounds: 9 }
}

export const mailboxStore: Figure = {
  name: 'mailbox_store',
  unit: 'msg/s',
  goal: '>= 0.5',
  async run (opts) {
    const { parcels, rounds } = mailboxSizes(opts)
    const t0 = now()
    const rows = await makeParcels(parcels, 16, 16)
    const sealMs = (now() - t0) / parcels
    const dir = tempDir('attn-bench-mailbox-')
    const store = new MessagingStore(join(dir, 'ours.db'), { encryptionKey: randomBytes(32) })
    // the baseline: same journal mode / synchronous as the store sets, same table, one prepared INSERT, autocommit
    const raw = new DatabaseSync(join(dir, 'raw.db'))
    try {
      raw.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;')
      raw.exec(MAILBOX_TABLE_DDL) // the store's own schema, so the baseline differs only in the code path
      const insert = raw.prepare(`INSERT INTO mailbox (envelope_id, recipient, envelope, size, sender_hint, stored_at_ms, expires_at_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?)`)
      const ttlMs = 7 * 86_400_000
      const byRecipient = new Map<string, Uint8Array[]>()
      for (const r of rows) byRecipient.set(r.recipient, [...(byRecipient.get(r.recipient) ?? []), r.envelopeId])
      const ours = async (): Promise<number> => {
        const t = now()
        for (const r of rows) {
          if (!store.mailboxPut(r).stored) throw new Error('mailboxPut did not store a new parcel')
        }
        const rate = rows.length / ((now() - t) / 1000)
        // untimed: the recipients acknowledge, so the same parcels can be stored again next round
        for (const [recipient, ids] of byRecipient) store.mailboxAck(recipient, ids)
        return rate
      }
      const base = async (): Promise<number> => {
        const t = now()
        for (const r of rows) {
          const at = Date.now()
          insert.run(r.envelopeId, r.recipient, r.envelope, r.envelope.byteLength, r.senderHint, at, at + ttlMs)
        }
        const rate = rows.length / ((now() - t) / 1000)
        raw.exec('DELETE FROM mailbox')
        return rate
      }
      const [o, b] = await interleave([ours, base], rounds)
      const size = median(rows.map(r => r.envelope.byteLength))
      return result(this.name, median(o), median(b), this.unit, this.goal,
        `${parcels} real parcels (sealEnvelope of a ${BODY_BYTES} B body, encodeParcel: ${size} B each; 16 senders × 16 recipients, ` +
        `pre-generated in ${(sealMs * parcels / 1000).toFixed(1)} s = ${sealMs.toFixed(2)} ms/seal, not timed) per batch into a SQLite file ` +
        `(WAL, synchronous NORMAL, default quotas); ours = MessagingStore.mailboxPut (one BEGIN IMMEDIATE transaction: dedup lookup, ` +
        `expiry purge, per-recipient and per-sender count/bytes quota queries, INSERT); baseline = one prepared INSERT of the same row ` +
        `(autocommit, same table and indexes, same pragmas). Median of ${rounds} batches each (interleaved, after a warm-up); ` +
        `after each batch the rows are acknowledged/deleted (untimed) so the table holds ≤ ${parcels} rows. ` +
        `Batches: ours ${o.map(x => x.toFixed(0)).join(', ')}; raw ${b.map(x => x.toFixed(0)).join(', ')} msg/s`)
    } finally {
      store.close()
      raw.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// network_delivery
// ---------------------------------------------------------------------------------------------

interface NetNode { node: AttnNode, identity: Identity, dbPath: string }

function netSizes (opts: HarnessOptions): { nodes: number, messages: number, viaMailbox: number } {
  const env = Number(process.env.ATTN_BENCH_NODES)
  const nodes = Number.isInteger(env) && env >= 3 ? env : undefined
  if (opts.smoke) return { nodes: nodes ?? 4, messages: 2, viaMailbox: 1 }
  return opts.quick ? { nodes: nodes ?? 20, messages: 12, viaMailbox: 2 } : { nodes: nodes ?? 20, messages: 50, viaMailbox: 7 }
}

async function until (what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, interval = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (err) {
      last = err
    }
    await sleep(interval)
  }
  throw new Error(`timed out waiting for ${what}${last != null ? `: ${String((last as Error).message ?? last)}` : ''}`)
}

async function startNode (identity: Identity, dbPath: string, relay: AttnNode | undefined, start = true): Promise<AttnNode> {
  return await createAttnNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    api: '',
    bootstrap: relay == null ? [] : [relay.getMultiaddrs()[0].toString()],
    attn: { identity, rpc: { callTimeout: 5_000 } },
    // no background mailbox polling (the bench fetches explicitly); quick retries
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

function stats (xs: number[]): string {
  if (xs.length === 0) return 'none'
  return `median ${median(xs).toFixed(1)}, p90 ${percentile(xs, 90).toFixed(1)}, min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`
}

export const networkDelivery: Figure = {
  name: 'network_delivery',
  unit: 'ms',
  goal: '<= 3',
  async run (opts) {
    const { nodes: count, messages, viaMailbox } = netSizes(opts)
    const dir = tempDir('attn-bench-net-')
    const net: NetNode[] = []
    const deliverMs = 15_000
    const rnd = (n: number): number => Math.floor(Math.random() * n)
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
      await until('bootstrap connections', () => rest.every(n => n.node.getConnections(relay.peerId).length > 0), 30_000)
      const phases: string[] = [`start ${((now() - tSetup) / 1000).toFixed(1)} s`]
      // every node publishes its directory record (accepted by ≥ 1 DHT peer), all at once
      await Promise.all(net.map(async n => {
        await until('directory record accepted', async () => (await n.node.services.messaging.publish()).accepted >= 1, 60_000, 200)
      }))
      phases.push(`publish ${((now() - tSetup) / 1000).toFixed(1)} s`)
      const setupS = (now() - tSetup) / 1000

      // --- direct delivery between random pairs (sequential), then the same pair again, then pings
      const first: number[] = []
      const again: number[] = []
      const pings: number[] = []
      let sent = 0
      let delivered = 0
      let receipts = 0
      const failures: string[] = []
      const one = async (a: NetNode, b: NetNode, tag: string): Promise<number | undefined> => {
        const body = textBody(tag)
        const wait = arrival(b.node, body, deliverMs)
        sent++
        const t0 = now()
        let id: string
        try {
          id = (await a.node.services.messaging.send(b.identity.address, body)).id
        } catch (err: any) {
          wait.cancel()
          failures.push(`${tag}: send: ${String(err.message)}`)
          return undefined
        }
        let t1: number
        try {
          t1 = await wait.at
        } catch (err: any) {
          failures.push(`${tag}: ${String(err.message)}`)
          return undefined
        }
        delivered++
        // quiesce before the next message: the receipt comes back and the sync copy is stored (bounded)
        try {
          await until('delivered status', async () => (await a.node.services.messaging.status(id)).state === 'delivered', 5_000)
          receipts++
        } catch (err: any) {
          // not delivered within the bound: counted as a missing receipt (receipts < delivered)
          if (!String(err?.message).startsWith('timed out')) throw err
        }
        return t1 - t0
      }
      for (let m = 0; m < messages; m++) {
        const i = rnd(count)
        let j = rnd(count - 1)
        if (j >= i) j++
        const a = net[i]
        const b = net[j]
        const x = await one(a, b, `m${m}`)
        if (x != null) first.push(x)
        const y = await one(a, b, `m${m}-again`)
        if (y != null) again.push(y)
        // baseline: direct RPC round trips on the same (now warm) pair
        for (let k = 0; k < 5; k++) {
          const t0 = now()
          await a.node.services.attn.call(b.node.peerId, 'attn.ping', randomBytes(16), { timeout: 5_000 })
          pings.push(now() - t0)
        }
      }

      // --- via mailbox: the recipient is stopped at send time; restarted; fetchMailboxes() timed
      const fetchMs: number[] = []
      const restartMs: number[] = []
      let mbSent = 0
      let mbDelivered = 0
      let autoFetched = 0
      for (let k = 0; k < viaMailbox; k++) {
        const ri = 1 + rnd(count - 1)
        let si = rnd(count - 1)
        if (si >= ri) si++
        const r = net[ri]
        const s = net[si]
        const body = textBody(`mb${k}`)
        mbSent++
        await r.node.stop()
        try {
          const { id } = await s.node.services.messaging.send(r.identity.address, body)
          await until('stored at a mailbox', async () => (await s.node.services.messaging.status(id)).state === 'stored', 20_000)
        } catch (err: any) {
          failures.push(`mb${k}: ${String(err.message)}`)
          r.node = await startNode(r.identity, r.dbPath, relay)
          continue
        }
        const tRestart = now()
        const node = await startNode(r.identity, r.dbPath, relay, false)
        r.node = node
        const wait = arrival(node, body, deliverMs)
        await node.start()
        await until('bootstrap connection after restart', () => node.getConnections(relay.peerId).length > 0, 10_000)
        const tFetch = now()
        try {
          await node.services.messaging.fetchMailboxes({ signal: AbortSignal.timeout(deliverMs) })
          const t1 = await wait.at
          mbDelivered++
          restartMs.push(t1 - tRestart)
          if (t1 >= tFetch) fetchMs.push(t1 - tFetch)
          else autoFetched++
        } catch (err: any) {
          wait.cancel()
          failures.push(`mb${k}: ${String(err.message)}`)
        }
      }

      const ours = median(first)
      const base = median(pings)
      const allSent = sent + mbSent
      const allDelivered = delivered + mbDelivered
      const r = result(this.name, ours, base, this.unit, this.goal,
        `${count} real nodes on TCP loopback in ONE process (node 0 is the bootstrap node; every node published its directory record ` +
        `in the DHT; setup ${setupS.toFixed(1)} s: ${phases.join(', ')}). Delivered ${allDelivered}/${allSent} ` +
        `(direct ${delivered}/${sent}, via mailbox ${mbDelivered}/${mbSent}; receipts back ${receipts}/${delivered}). ` +
        `Ours = send() → the recipient's 'message' event, first message of ${messages} random pairs (sequential; includes the DHT lookup ` +
        `of the recipient's record, sealing, a new session if none, open + verify, SQLite): ${stats(first)}. ` +
        `Same pair again (record cached, session open): ${stats(again)}. ` +
        `Baseline = attn.call(peer, 'attn.ping', 16 B) on the same warm pairs: ${stats(pings)}. ` +
        `Via mailbox (recipient stopped at send, status 'stored', then restarted): fetchMailboxes() → message ${stats(fetchMs)}` +
        `${autoFetched > 0 ? ` (${autoFetched} fetched by the start-up fetch before the explicit one)` : ''}; ` +
        `restart (new node, same identity and store) → message ${stats(restartMs)}.` +
        (failures.length > 0 ? ` Failures: ${failures.slice(0, 5).join('; ')}` : ''))
      if (allDelivered !== allSent) r.met = false
      return r
    } finally {
      await Promise.all(net.map(async n => { try { await n.node.stop() } catch (err: any) { console.error('bench: node stop failed:', err.message) } }))
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
