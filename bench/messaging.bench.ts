/**
 * Messaging figures (bench/README.md):
 *   mailbox_store     sealed 256 B parcels stored per second by `MessagingStore.mailboxPut` (real
 *                     SQLite file, WAL, default quotas) vs raw node:sqlite inserts of the same rows
 * (network_delivery and the other figures of the loopback network are in network.bench.ts)
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

export const BODY_BYTES = 256

export async function newIdentity (): Promise<Identity> {
  const key = await generateKeyPair('secp256k1')
  return { address: attAddress(key.publicKey), rootKey: key, nodeKey: key, chain: encodeChain([]) }
}

export function tempDir (prefix: string): string {
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
