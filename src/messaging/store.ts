/**
 * SQLite persistence of the messaging layer (protocols/messaging.md §7–8): outbox, inbox, mailbox
 * (the relay role), own prekeys, groups and sender keys — one `node:sqlite` database file, WAL mode,
 * foreign keys on, a schema_version table and forward-only migrations.
 *
 * Secrets (prekey private keys, sender keys, group states) are sealed at rest with AES-256-GCM under
 * the 32-byte key given to the constructor, bound to their table and primary key (AAD). The outbox
 * and mailbox hold only sealed envelopes; plaintext lives only in the inbox (the recipient's copy, or
 * the sender's own 'sync' copy).
 *
 * Times: every `*_ms` column and option is unix milliseconds; prekey expiry is unix seconds (as in
 * the directory record).
 */
import { DatabaseSync } from 'node:sqlite'
import type { SQLInputValue, StatementSync } from 'node:sqlite'
import { migrate, transaction } from '../utils/sqlite.js'
import { Writer, toHex, utf8 } from './protocol/codec.js'
import {
  AES_KEY_LENGTH, ENVELOPE_ID_LENGTH, GCM_IV_LENGTH, MAILBOX_FETCH_LIMIT, MAILBOX_MAX_BYTES_PER_RECIPIENT,
  MAILBOX_MAX_BYTES_PER_SENDER, MAILBOX_MAX_BYTES_TOTAL, MAILBOX_MAX_PER_RECIPIENT, MAILBOX_MAX_PER_SENDER, MAILBOX_TTL_SECONDS,
  DEFAULT_INBOX_PAGE, MAX_INBOX_PAGE
} from './constants.js'
import type { MessageKind } from './constants.js'
import { DecryptFailedError, MailboxFullError, QuotaExceededError, StoreCorruptError, StoreVersionError } from './errors.js'
import { decodeGroupState, decodeSenderKey, encodeGroupState, encodeSenderKey, GroupMessageReceiver } from './protocol/group.js'
import type { GroupState, SenderKey } from './protocol/group.js'
import { aesGcmOpen, aesGcmSeal, randomId } from './primitives.js'

export type OutboxState = 'queued' | 'sent' | 'stored' | 'delivered' | 'failed'
const RANK: Record<OutboxState, number> = { queued: 0, sent: 1, stored: 2, delivered: 3, failed: -1 }

/** 'message': a user's message (a receipt is expected, so it is re-probed until delivered); 'control': receipts, sync copies, group updates, sender keys. */
export type OutboxKind = 'message' | 'control'

export interface OutboxEntry {
  envelopeId: Uint8Array
  kind: OutboxKind
  /** False while the entry holds the message itself (sealed at rest), waiting for the recipient's record to seal it end to end. */
  sealed: boolean
  /** For a receipt: the envelope id it acknowledges. */
  receiptFor?: Uint8Array
  /** Recipient address (1:1) or the hex group id (a group fan-out copy names the member in `recipient` too). */
  recipient: string
  groupId?: Uint8Array
  envelope: Uint8Array
  state: OutboxState
  failureReason?: string
  attempts: number
  nextAttemptAtMs: number
  createdAtMs: number
  updatedAtMs: number
}

/** The fields of an outbox entry a status report shows (getOutboxStatus). */
export type OutboxStatusFields = Pick<OutboxEntry, 'kind' | 'recipient' | 'state' | 'failureReason' | 'updatedAtMs'>

export interface InboxEntry {
  envelopeId: Uint8Array
  from: string
  to: string
  groupId?: Uint8Array
  kind: MessageKind
  contentType: string
  body: Uint8Array
  sentAtMs: number
  receivedAtMs: number
  /** When the user marked it read (unix ms); absent while unread. */
  readAtMs?: number
}

export interface MailboxEntry {
  /** Opaque paging cursor (monotonic insertion order). */
  cursor: number
  recipient: string
  envelopeId: Uint8Array
  envelope: Uint8Array
  senderHint: string
  storedAtMs: number
  expiresAtMs: number
}

/**
 * How far a quarantined parcel's claimed origin is trusted (messaging.md §9 **Fetching**):
 * 0 a group we do not know (anyone can name any group id), 1 a group we are in but a sender that
 * is not one of its members, 2 a member of a group we are in.
 */
export type QuarantineTrust = 0 | 1 | 2

export interface QuarantineCaps {
  perSender: number
  perGroup: number
  total: number
}

export interface MailboxQuotas {
  maxPerRecipient: number
  maxBytesPerRecipient: number
  maxPerSender: number
  maxBytesPerSender: number
  /** All parcels held for everyone, bytes (ERR_MAILBOX_FULL past it). */
  maxBytesTotal: number
}

export interface StoredPrekey {
  id: number
  publicKey: Uint8Array
  privateKey: Uint8Array
  createdAt: number
  /** Unix seconds. */
  expiresAt: number
}

export type DeviceKeyKind = 'identity' | 'signed' | 'one-time'

export interface StoredDeviceKey {
  kind: DeviceKeyKind
  id: number
  publicKey: Uint8Array
  privateKey: Uint8Array
  /** The node key's signature over the prekey statement (signed and one-time prekeys). */
  signature?: Uint8Array
  /** Unix seconds. */
  createdAt: number
  expiresAt: number
}

export interface StoredSession {
  sessionId: Uint8Array
  peerAddress: string
  peerDevice: string
  /** encodeRatchetState bytes. */
  state: Uint8Array
  updatedAtMs: number
}

export interface MessagingStoreOptions {
  /** 32-byte key sealing secrets at rest. */
  encryptionKey: Uint8Array
  /** Mailbox quotas (defaults: 10 000 / 64 MiB per recipient, 1 000 / 16 MiB per sender, 1 GiB in all). */
  quotas?: Partial<MailboxQuotas>
  /** Mailbox TTL (default 7 days). */
  mailboxTtlSeconds?: number
  /** Clock, unix ms (tests). */
  now?: () => number
  /**
   * 32-byte key sealing this device's prekeys and ratchet sessions at rest (messaging.md §10.6).
   * Default: `encryptionKey`.
   */
  stateKey?: Uint8Array
}

/** The mailbox table (relay role): exported so the bench's raw-SQLite baseline uses the very same schema. */
export const MAILBOX_TABLE_DDL = `CREATE TABLE mailbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    envelope_id BLOB NOT NULL UNIQUE CHECK (length(envelope_id) = 16),
    recipient TEXT NOT NULL,
    envelope BLOB NOT NULL,
    size INTEGER NOT NULL,
    sender_hint TEXT NOT NULL,
    stored_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX mailbox_recipient ON mailbox (recipient, seq);
  CREATE INDEX mailbox_sender ON mailbox (sender_hint);
  CREATE INDEX mailbox_expiry ON mailbox (expires_at_ms);`

/** Forward-only migrations; index i brings the schema from version i to i + 1. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE outbox (
    envelope_id BLOB PRIMARY KEY CHECK (length(envelope_id) = 16),
    recipient TEXT NOT NULL,
    group_id BLOB,
    envelope BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued','sent','stored','delivered','failed')),
    failure_reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX outbox_due ON outbox (state, next_attempt_at_ms);

  CREATE TABLE inbox (
    envelope_id BLOB PRIMARY KEY CHECK (length(envelope_id) = 16),
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    group_id BLOB,
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    sent_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX inbox_received ON inbox (received_at_ms);
  CREATE INDEX inbox_group ON inbox (group_id, received_at_ms);

  ${MAILBOX_TABLE_DDL}

  CREATE TABLE prekeys (
    id INTEGER PRIMARY KEY CHECK (id >= 0 AND id <= 4294967295),
    public_key BLOB NOT NULL,
    private_sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE groups (
    group_id BLOB PRIMARY KEY CHECK (length(group_id) = 16),
    epoch INTEGER NOT NULL,
    state_sealed BLOB NOT NULL,
    updated_at_ms INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE sender_keys (
    group_id BLOB NOT NULL REFERENCES groups (group_id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    sender TEXT NOT NULL,
    signing_key BLOB NOT NULL,
    own INTEGER NOT NULL CHECK (own IN (0, 1)),
    data_sealed BLOB NOT NULL,
    PRIMARY KEY (group_id, epoch, sender, signing_key, own)
  ) STRICT;
  `,
  // 2: tables the service used to create itself (IF NOT EXISTS: older homes already have them),
  // outbox kinds and unsealed entries (a send queued before the recipient's record is known;
  // durable receipts), the parcel quarantine
  `
  CREATE TABLE IF NOT EXISTS attn_mailbox_acks (
    recipient TEXT NOT NULL, envelope_id BLOB NOT NULL, device BLOB NOT NULL,
    PRIMARY KEY (recipient, envelope_id, device)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS attn_group_sends (
    msg_id BLOB NOT NULL, envelope_id BLOB NOT NULL, PRIMARY KEY (msg_id, envelope_id)) WITHOUT ROWID;
  ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'message' CHECK (kind IN ('message', 'control'));
  ALTER TABLE outbox ADD COLUMN sealed INTEGER NOT NULL DEFAULT 1 CHECK (sealed IN (0, 1));
  ALTER TABLE outbox ADD COLUMN receipt_for BLOB;
  CREATE UNIQUE INDEX outbox_pending_receipt ON outbox (receipt_for) WHERE receipt_for IS NOT NULL AND state = 'queued';

  CREATE TABLE quarantine (
    parcel_id BLOB PRIMARY KEY CHECK (length(parcel_id) = 16),
    group_id BLOB,
    parcel BLOB NOT NULL,
    reason TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX quarantine_group ON quarantine (group_id);

  CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
  `,
  // 3: forward secrecy (messaging.md §10): this device's prekeys, ratchet sessions per peer device,
  // envelope ids already opened (duplicates), and the plaintext of undelivered messages (resealed
  // on a new session after a peer lost its state)
  `
  CREATE TABLE device_keys (
    kind TEXT NOT NULL CHECK (kind IN ('identity', 'signed', 'one-time')),
    id INTEGER NOT NULL CHECK (id >= 0 AND id <= 4294967295),
    public_key BLOB NOT NULL,
    private_sealed BLOB NOT NULL,
    signature BLOB,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
  ) STRICT;
  CREATE TABLE ratchet_sessions (
    session_id BLOB PRIMARY KEY CHECK (length(session_id) = 16),
    peer_address TEXT NOT NULL,
    peer_device TEXT NOT NULL,
    state_sealed BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX ratchet_sessions_peer ON ratchet_sessions (peer_address, peer_device, updated_at_ms);
  CREATE TABLE ratchet_active (
    peer_address TEXT NOT NULL,
    peer_device TEXT NOT NULL,
    session_id BLOB NOT NULL,
    PRIMARY KEY (peer_address, peer_device)
  ) STRICT;
  CREATE TABLE envelopes_seen (
    envelope_id BLOB PRIMARY KEY CHECK (length(envelope_id) = 16),
    seen_at_ms INTEGER NOT NULL
  ) STRICT;
  ALTER TABLE outbox ADD COLUMN message_sealed BLOB;
  `,
  // 4: read/unread and deletion of received messages (a deleted message keeps its row, emptied,
  // so a redelivered copy is still recognised as a duplicate); contacts (name → ATT address)
  `
  ALTER TABLE inbox ADD COLUMN read_at_ms INTEGER;
  ALTER TABLE inbox ADD COLUMN deleted_at_ms INTEGER;
  CREATE INDEX inbox_unread ON inbox (sender) WHERE read_at_ms IS NULL AND deleted_at_ms IS NULL;
  CREATE TABLE contacts (
    name TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX contacts_address ON contacts (address);
  `,
  // 5: one-time prekeys this node holds as a mailbox for other identities' devices (public only)
  `
  CREATE TABLE otpk_pool (
    owner TEXT NOT NULL,
    device TEXT NOT NULL,
    id INTEGER NOT NULL CHECK (id >= 0 AND id <= 4294967295),
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    expires_at INTEGER NOT NULL,
    signature BLOB NOT NULL,
    stored_at_ms INTEGER NOT NULL,
    PRIMARY KEY (owner, device, id)
  ) STRICT;
  CREATE INDEX otpk_pool_expiry ON otpk_pool (expires_at);
  `,
  // 6: quarantine shares (messaging.md §9 Fetching): who a parcel claims to come from and how much
  // we trust that claim, so a stranger's parcels can never push out a member's
  `
  ALTER TABLE quarantine ADD COLUMN sender TEXT;
  ALTER TABLE quarantine ADD COLUMN trust INTEGER NOT NULL DEFAULT 0 CHECK (trust IN (0, 1, 2));
  CREATE INDEX quarantine_sender ON quarantine (group_id, sender);
  `
]

export const STORE_SCHEMA_VERSION = MIGRATIONS.length

const u8 = (v: unknown): Uint8Array => new Uint8Array(v as Uint8Array)
const num = (v: unknown): number => Number(v)

export class MessagingStore {
  private readonly db: DatabaseSync
  /** Prepared statements by SQL text: preparing costs more than running a small query. */
  private readonly statements = new Map<string, StatementSync>()
  private readonly key: Uint8Array
  private readonly stateKey: Uint8Array
  private readonly quotas: MailboxQuotas
  private readonly ttlMs: number
  private readonly clock: () => number

  constructor (readonly path: string, options: MessagingStoreOptions) {
    if (!(options.encryptionKey instanceof Uint8Array) || options.encryptionKey.byteLength !== AES_KEY_LENGTH) {
      throw new RangeError('the store encryption key is 32 bytes')
    }
    this.key = options.encryptionKey.slice()
    if (options.stateKey != null && options.stateKey.byteLength !== AES_KEY_LENGTH) throw new RangeError('the store state key is 32 bytes')
    this.stateKey = (options.stateKey ?? options.encryptionKey).slice()
    this.quotas = {
      maxPerRecipient: MAILBOX_MAX_PER_RECIPIENT,
      maxBytesPerRecipient: MAILBOX_MAX_BYTES_PER_RECIPIENT,
      maxPerSender: MAILBOX_MAX_PER_SENDER,
      maxBytesPerSender: MAILBOX_MAX_BYTES_PER_SENDER,
      maxBytesTotal: MAILBOX_MAX_BYTES_TOTAL,
      ...options.quotas
    }
    this.ttlMs = (options.mailboxTtlSeconds ?? MAILBOX_TTL_SECONDS) * 1000
    this.clock = options.now ?? Date.now
    this.db = new DatabaseSync(path)
    try {
      // secure_delete: a deleted message key or ratchet state is overwritten, not left in free pages (forward secrecy)
      this.db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA secure_delete = ON;')
      this.migrate()
    } catch (err) {
      this.db.close()
      throw err
    }
  }

  /** A prepared statement for `sql`, prepared once and reused. */
  private statement (sql: string): StatementSync {
    let st = this.statements.get(sql)
    if (st == null) {
      st = this.db.prepare(sql)
      this.statements.set(sql, st)
    }
    return st
  }

  /** Reads a PRAGMA (diagnostics and tests). */
  pragma (name: 'journal_mode' | 'foreign_keys' | 'synchronous'): unknown {
    return this.db.prepare(`PRAGMA ${name}`).get()?.[name]
  }

  /** Folds the WAL into the main file (tests check what reaches the disk). */
  checkpoint (): void {
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  }

  close (): void {
    this.statements.clear()
    if (this.db.isOpen) this.db.close()
  }

  private migrate (): void {
    migrate(this.db, MIGRATIONS, (version, known) => new StoreVersionError(`the database has schema version ${version}; this code knows up to ${known}`))
  }


  get schemaVersion (): number {
    return num(this.statement('SELECT version FROM schema_version').get()?.version)
  }

  private tx<T> (fn: () => T): T {
    // joins a transaction already open (transaction(): one commit for a received message and everything it causes)
    if (this.db.isTransaction) return fn()
    return transaction(this.db, fn)
  }

  /** Runs `fn` in one transaction (joined when one is already open): all of its writes commit, or none. */
  transaction<T> (fn: () => T): T {
    return this.tx(fn)
  }


  // ---- at-rest sealing ---------------------------------------------------------------------

  private seal (aad: string, plaintext: Uint8Array, key = this.key): Uint8Array {
    const nonce = randomId(GCM_IV_LENGTH)
    return new Writer().bytes(nonce).bytes(aesGcmSeal(key, nonce, plaintext, utf8(aad))).finish()
  }

  private unseal (aad: string, sealed: Uint8Array, key = this.key): Uint8Array {
    try {
      return aesGcmOpen(key, sealed.subarray(0, GCM_IV_LENGTH), sealed.subarray(GCM_IV_LENGTH), utf8(aad))
    } catch (err) {
      if (err instanceof DecryptFailedError) throw new StoreCorruptError(`cannot open sealed ${aad}: wrong store key or altered data`, { cause: err })
      throw err
    }
  }

  // ---- outbox ------------------------------------------------------------------------------

  /** Queues a sealed envelope. Returns false (and changes nothing) when the id is already queued. */
  enqueueOutbox (entry: { envelopeId: Uint8Array, recipient: string, envelope: Uint8Array, groupId?: Uint8Array, nextAttemptAtMs?: number, kind?: OutboxKind }): boolean {
    checkId(entry.envelopeId)
    const now = this.clock()
    const r = this.statement(`INSERT OR IGNORE INTO outbox
      (envelope_id, recipient, group_id, envelope, state, attempts, next_attempt_at_ms, created_at_ms, updated_at_ms, kind, sealed)
      VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, 1)`)
      .run(entry.envelopeId, entry.recipient, entry.groupId ?? null, entry.envelope, entry.nextAttemptAtMs ?? now, now, now, entry.kind ?? 'message')
    return num(r.changes) === 1
  }

  /**
   * Queues a message that is not sealed end to end yet (the recipient's record is looked up by the
   * outbox worker, so a send never waits for, or fails on, the DHT). The message bytes are sealed
   * at rest under the store key. A receipt (`receiptFor`) is queued at most once while one for the
   * same envelope is still queued; returns false then.
   */
  enqueueUnsealed (entry: { envelopeId: Uint8Array, recipient: string, message: Uint8Array, groupId?: Uint8Array, kind: OutboxKind, receiptFor?: Uint8Array }): boolean {
    checkId(entry.envelopeId)
    const now = this.clock()
    const r = this.statement(`INSERT OR IGNORE INTO outbox
      (envelope_id, recipient, group_id, envelope, state, attempts, next_attempt_at_ms, created_at_ms, updated_at_ms, kind, sealed, receipt_for)
      VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, 0, ?)`)
      .run(entry.envelopeId, entry.recipient, entry.groupId ?? null, this.seal(`outbox:${toHex(entry.envelopeId)}`, entry.message),
        now, now, now, entry.kind, entry.receiptFor ?? null)
    return num(r.changes) === 1
  }

  /** The message bytes of an unsealed entry (see enqueueUnsealed). */
  unsealedMessage (entry: OutboxEntry): Uint8Array {
    if (entry.sealed) throw new RangeError('the outbox entry is already sealed end to end')
    return this.unseal(`outbox:${toHex(entry.envelopeId)}`, entry.envelope)
  }

  /** Replaces an unsealed entry's message by its end-to-end envelope (parcel). */
  markSealed (envelopeId: Uint8Array, envelope: Uint8Array): boolean {
    // a user's message keeps its (at-rest sealed) plaintext until delivered: resealed if the recipient's device loses its session
    return num(this.statement(`UPDATE outbox SET message_sealed = CASE WHEN kind = 'message' THEN envelope ELSE NULL END,
      envelope = ?, sealed = 1, updated_at_ms = ? WHERE envelope_id = ? AND sealed = 0`)
      .run(envelope, this.clock(), envelopeId).changes) === 1
  }

  /**
   * The user messages to `recipient` sealed end to end since `sinceMs` whose plaintext is still
   * kept (sealed at rest), newest first: what a stale-devices hint (messaging.md §10.4.1) may seal
   * again for devices the first bundle left out. `message()` opens the kept plaintext (only the
   * entries that need it pay for it).
   */
  recentSealedMessages (recipient: string, sinceMs: number, limit: number): Array<{ envelopeId: Uint8Array, parcel: Uint8Array, message: () => Uint8Array }> {
    return this.statement(`SELECT envelope_id, envelope, message_sealed FROM outbox WHERE recipient = ? AND kind = 'message' AND sealed = 1
      AND message_sealed IS NOT NULL AND created_at_ms >= ? ORDER BY created_at_ms DESC LIMIT ?`)
      .all(recipient, sinceMs, limit)
      .map((row: any) => {
        const envelopeId = Uint8Array.from(row.envelope_id as Uint8Array)
        const kept = row.message_sealed as Uint8Array
        return { envelopeId, parcel: Uint8Array.from(row.envelope as Uint8Array), message: () => this.unseal(`outbox:${toHex(envelopeId)}`, kept) }
      })
  }

  /**
   * Turns the undelivered user messages to `recipient` back into unsealed entries (their kept
   * plaintext), due now: the worker seals them again, on the sessions as they are now. Returns how many.
   */
  resealPending (recipient: string): number {
    const now = this.clock()
    return num(this.statement(`UPDATE outbox SET envelope = message_sealed, message_sealed = NULL, sealed = 0, next_attempt_at_ms = ?, updated_at_ms = ?
      WHERE recipient = ? AND kind = 'message' AND sealed = 1 AND message_sealed IS NOT NULL AND state IN ('queued', 'sent', 'stored')`)
      .run(now, now, recipient).changes)
  }

  /**
   * Stores a received message and queues its receipt in one transaction, so a crash can lose
   * neither. A duplicate (already in the inbox) queues the receipt again: the sender evidently
   * did not get the first one (unless a receipt for it is still queued). Returns whether the
   * message is new and whether a receipt was queued.
   */
  insertInboxWithReceipt (e: InboxEntry, receipt: { envelopeId: Uint8Array, recipient: string, message: Uint8Array, receiptFor: Uint8Array }): { isNew: boolean, receiptQueued: boolean } {
    return this.tx(() => {
      const isNew = this.insertInbox(e)
      const receiptQueued = this.enqueueUnsealed({ ...receipt, kind: 'control' })
      return { isNew, receiptQueued }
    })
  }

  /**
   * Moves an outbox entry forward: queued → sent → stored → delivered (skipping is allowed), any
   * state but delivered → failed, failed → delivered (a late receipt proves delivery). A move
   * backwards or out of a terminal state is ignored and returns false (late network events are
   * normal); an unknown id returns false. Same-state updates refresh reason / next attempt.
   */
  setOutboxState (envelopeId: Uint8Array, state: OutboxState, options: { reason?: string, nextAttemptAtMs?: number, countAttempt?: boolean } = {}): boolean {
    if (!(state in RANK)) throw new RangeError(`unknown outbox state ${state}`)
    return this.tx(() => {
      const row = this.statement('SELECT state FROM outbox WHERE envelope_id = ?').get(envelopeId)
      if (row == null) return false
      const from = row.state as OutboxState
      if (!outboxTransitionAllowed(from, state)) return false
      this.statement(`UPDATE outbox SET state = ?, failure_reason = ?, attempts = attempts + ?,
        next_attempt_at_ms = COALESCE(?, next_attempt_at_ms), updated_at_ms = ? WHERE envelope_id = ?`)
        .run(state, options.reason ?? (state === 'failed' ? 'failed' : null), options.countAttempt === true ? 1 : 0,
          options.nextAttemptAtMs ?? null, this.clock(), envelopeId)
      return true
    })
  }

  getOutbox (envelopeId: Uint8Array): OutboxEntry | undefined {
    const row = this.statement('SELECT * FROM outbox WHERE envelope_id = ?').get(envelopeId)
    return row == null ? undefined : outboxRow(row)
  }

  /**
   * What a status event needs of an entry, without its blobs (the sealed parcel and message): status
   * events are emitted at every state change of every message (issue 17, message_throughput).
   */
  getOutboxStatus (envelopeId: Uint8Array): OutboxStatusFields | undefined {
    const r = this.statement('SELECT kind, recipient, state, failure_reason, updated_at_ms FROM outbox WHERE envelope_id = ?').get(envelopeId)
    if (r == null) return undefined
    const e: OutboxStatusFields = {
      kind: r.kind === 'control' ? 'control' : 'message',
      recipient: String(r.recipient),
      state: r.state as OutboxState,
      updatedAtMs: num(r.updated_at_ms)
    }
    if (r.failure_reason != null) e.failureReason = String(r.failure_reason)
    return e
  }

  /** Entries to (re)send or re-probe: state queued, sent or stored with next_attempt_at_ms <= now, oldest first. */
  dueOutbox (limit = 100, nowMs = this.clock()): OutboxEntry[] {
    return this.statement(`SELECT * ${DUE_OUTBOX}`).all(nowMs, limit).map(outboxRow)
  }

  /**
   * The envelope ids of dueOutbox, same order: the outbox's scheduler reads these on every kick
   * (most are in flight already) and loads only the entries it starts (issue 17: reading whole rows,
   * blobs included, on every kick cost ≈ 2 ms per message at 128 in flight).
   */
  dueOutboxIds (limit = 100, nowMs = this.clock()): Uint8Array[] {
    return this.statement(`SELECT envelope_id ${DUE_OUTBOX}`).all(nowMs, limit).map(r => u8(r.envelope_id))
  }

  /** When the next entry falls due (unix ms), if any. */
  nextDueAt (): number | undefined {
    const row = this.statement(`SELECT MIN(next_attempt_at_ms) AS t FROM outbox WHERE state IN ('queued','sent','stored')
      AND next_attempt_at_ms < ?`).get(Number.MAX_SAFE_INTEGER)
    return row?.t == null ? undefined : num(row.t)
  }

  /** Remembers that group message `msgId` was fanned out as the member copy `copyId`. */
  recordGroupSend (msgId: Uint8Array, copyId: Uint8Array): void {
    this.statement('INSERT OR IGNORE INTO attn_group_sends (msg_id, envelope_id) VALUES (?, ?)').run(msgId, copyId)
  }

  /** The member copies of a group message. */
  groupCopies (msgId: Uint8Array): OutboxEntry[] {
    return this.statement(`SELECT o.* FROM attn_group_sends g JOIN outbox o ON o.envelope_id = g.envelope_id WHERE g.msg_id = ?`)
      .all(msgId).map(outboxRow)
  }

  // ---- inbox -------------------------------------------------------------------------------

  /** Inserts a received message. Returns true when new, false for a duplicate envelope id (exactly-once). */
  insertInbox (e: InboxEntry): boolean {
    checkId(e.envelopeId)
    const r = this.statement(`INSERT OR IGNORE INTO inbox
      (envelope_id, sender, recipient, group_id, kind, content_type, body, sent_at_ms, received_at_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(e.envelopeId, e.from, e.to, e.groupId ?? null, e.kind, e.contentType, e.body, e.sentAtMs, e.receivedAtMs)
    return num(r.changes) === 1
  }

  getInbox (envelopeId: Uint8Array): InboxEntry | undefined {
    const row = this.statement('SELECT * FROM inbox WHERE envelope_id = ?').get(envelopeId)
    return row == null ? undefined : inboxRow(row)
  }

  /** Received messages (kind 'message'), oldest first, received after `afterMs`. */
  listInboxMessages (options: { afterMs?: number, limit?: number } = {}): InboxEntry[] {
    return this.statement(`SELECT * FROM inbox WHERE kind = 'message' AND received_at_ms > ? ORDER BY received_at_ms ASC, rowid ASC LIMIT ?`)
      .all(options.afterMs ?? -1, Math.max(1, Math.min(options.limit ?? DEFAULT_INBOX_PAGE, MAX_INBOX_PAGE))).map(inboxRow)
  }

  /**
   * A page of received messages (kind 'message', not deleted), oldest first within the page:
   * without a cursor the newest `limit`; `beforeMs` the newest `limit` received before it (paging
   * back); `afterMs` the oldest `limit` received after it (paging forward, following new ones).
   */
  inboxPage (options: { limit?: number, beforeMs?: number, afterMs?: number, unreadOnly?: boolean } = {}): InboxEntry[] {
    const limit = Math.max(1, Math.min(options.limit ?? DEFAULT_INBOX_PAGE, MAX_INBOX_PAGE))
    const where = ["kind = 'message'", 'deleted_at_ms IS NULL']
    const args: SQLInputValue[] = []
    if (options.unreadOnly === true) where.push('read_at_ms IS NULL')
    if (options.beforeMs != null) { where.push('received_at_ms < ?'); args.push(options.beforeMs) }
    if (options.afterMs != null) { where.push('received_at_ms > ?'); args.push(options.afterMs) }
    const forward = options.afterMs != null && options.beforeMs == null
    const rows = this.statement(`SELECT * FROM inbox WHERE ${where.join(' AND ')}
      ORDER BY received_at_ms ${forward ? 'ASC' : 'DESC'}, rowid ${forward ? 'ASC' : 'DESC'} LIMIT ?`).all(...args, limit).map(inboxRow)
    return forward ? rows : rows.reverse()
  }

  /** Marks received messages read (or unread); returns how many changed. Unknown or deleted ids count 0. */
  markRead (envelopeIds: Uint8Array[], read = true): number {
    return this.tx(() => {
      let n = 0
      for (const id of envelopeIds) {
        n += num(this.statement(`UPDATE inbox SET read_at_ms = ? WHERE envelope_id = ? AND deleted_at_ms IS NULL AND (read_at_ms IS NULL) = ?`)
          .run(read ? this.clock() : null, id, read ? 1 : 0).changes)
      }
      return n
    })
  }

  /** Whether a received message was deleted (its row stays as a tombstone). */
  inboxDeleted (envelopeId: Uint8Array): boolean {
    return this.statement('SELECT deleted_at_ms FROM inbox WHERE envelope_id = ?').get(envelopeId)?.deleted_at_ms != null
  }

  /** Marks every received message read; returns how many changed. */
  markAllRead (): number {
    return num(this.statement(`UPDATE inbox SET read_at_ms = ? WHERE kind = 'message' AND deleted_at_ms IS NULL AND read_at_ms IS NULL`).run(this.clock()).changes)
  }

  /** Unread received messages: in all, and by sender. */
  unreadCounts (): { total: number, bySender: Record<string, number> } {
    const rows = this.statement(`SELECT sender, COUNT(*) AS n FROM inbox WHERE kind = 'message' AND deleted_at_ms IS NULL AND read_at_ms IS NULL GROUP BY sender`).all()
    const bySender: Record<string, number> = {}
    let total = 0
    for (const r of rows) { bySender[String(r.sender)] = num(r.n); total += num(r.n) }
    return { total, bySender }
  }

  /**
   * Deletes a received message: its content is dropped, its row stays (emptied) so that a copy
   * delivered again is still a duplicate. Returns false for an unknown or already deleted id.
   */
  deleteInbox (envelopeId: Uint8Array): boolean {
    return num(this.statement(`UPDATE inbox SET body = x'', content_type = '', deleted_at_ms = ? WHERE envelope_id = ? AND deleted_at_ms IS NULL`)
      .run(this.clock(), envelopeId).changes) === 1
  }

  /** Sent 1:1 messages (outbox kind 'message'), newest first; `beforeMs` pages back by creation time. */
  sentMessages (options: { limit?: number, beforeMs?: number } = {}): OutboxEntry[] {
    const limit = Math.max(1, Math.min(options.limit ?? DEFAULT_INBOX_PAGE, MAX_INBOX_PAGE))
    return this.statement(`SELECT * FROM outbox WHERE kind = 'message' AND created_at_ms < ? ORDER BY created_at_ms DESC, rowid DESC LIMIT ?`)
      .all(options.beforeMs ?? Number.MAX_SAFE_INTEGER, limit).map(outboxRow)
  }

  /** Sent group messages: each message id with its member copies, newest first. */
  sentGroupMessages (options: { limit?: number, beforeMs?: number } = {}): Array<{ msgId: Uint8Array, copies: OutboxEntry[] }> {
    const limit = Math.max(1, Math.min(options.limit ?? DEFAULT_INBOX_PAGE, MAX_INBOX_PAGE))
    const ids = this.statement(`SELECT g.msg_id AS msg_id, MIN(o.created_at_ms) AS t FROM attn_group_sends g JOIN outbox o ON o.envelope_id = g.envelope_id
      GROUP BY g.msg_id HAVING t < ? ORDER BY t DESC LIMIT ?`).all(options.beforeMs ?? Number.MAX_SAFE_INTEGER, limit)
    return ids.map(r => ({ msgId: u8(r.msg_id), copies: this.groupCopies(u8(r.msg_id)) }))
  }

  // ---- contacts ----------------------------------------------------------------------------

  /** Adds a contact; false when the name is taken. */
  addContact (name: string, address: string): boolean {
    return num(this.statement('INSERT OR IGNORE INTO contacts (name, address, created_at_ms) VALUES (?, ?, ?)').run(name, address, this.clock()).changes) === 1
  }

  removeContact (name: string): boolean {
    return num(this.statement('DELETE FROM contacts WHERE name = ?').run(name).changes) === 1
  }

  /** Renames a contact; false when `from` is unknown (a taken `to` throws: the primary key). */
  renameContact (from: string, to: string): boolean {
    return num(this.statement('UPDATE contacts SET name = ? WHERE name = ?').run(to, from).changes) === 1
  }

  getContact (name: string): { name: string, address: string } | undefined {
    const r = this.statement('SELECT name, address FROM contacts WHERE name = ?').get(name)
    return r == null ? undefined : { name: String(r.name), address: String(r.address) }
  }

  /** Contacts by name. */
  listContacts (): Array<{ name: string, address: string, createdAt: number }> {
    return this.statement('SELECT name, address, created_at_ms FROM contacts ORDER BY name').all()
      .map(r => ({ name: String(r.name), address: String(r.address), createdAt: num(r.created_at_ms) }))
  }

  /** The first contact name (by name) of an address. */
  contactNameOf (address: string): string | undefined {
    const r = this.statement('SELECT name FROM contacts WHERE address = ? ORDER BY name LIMIT 1').get(address)
    return r == null ? undefined : String(r.name)
  }

  contactCount (): number {
    return num(this.statement('SELECT COUNT(*) AS n FROM contacts').get()?.n)
  }

  /** Newest first; filter by peer (sender or recipient) or group; `beforeMs` pages backwards. */
  listInbox (options: { peer?: string, groupId?: Uint8Array, limit?: number, beforeMs?: number } = {}): InboxEntry[] {
    const where: string[] = []
    const args: SQLInputValue[] = []
    if (options.peer != null) { where.push('(sender = ? OR recipient = ?)'); args.push(options.peer, options.peer) }
    if (options.groupId != null) { where.push('group_id = ?'); args.push(options.groupId) }
    if (options.beforeMs != null) { where.push('received_at_ms < ?'); args.push(options.beforeMs) }
    const sql = `SELECT * FROM inbox ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY received_at_ms DESC, rowid DESC LIMIT ?`
    return this.statement(sql).all(...args, options.limit ?? 100).map(inboxRow)
  }

  // ---- mailbox (relay role) ----------------------------------------------------------------

  /**
   * Holds a sealed envelope for `recipient`. Idempotent: the same envelope id twice stores once
   * (returns `stored: false`). Expired entries are purged first; then the per-recipient and
   * per-sender (senderHint) count and byte quotas are enforced (QuotaExceededError).
   */
  mailboxPut (e: { recipient: string, envelopeId: Uint8Array, envelope: Uint8Array, senderHint: string, ttlSeconds?: number }): { stored: boolean, expiresAtMs: number } {
    checkId(e.envelopeId)
    const now = this.clock()
    return this.tx(() => {
      const existing = this.statement('SELECT expires_at_ms FROM mailbox WHERE envelope_id = ?').get(e.envelopeId)
      if (existing != null) return { stored: false, expiresAtMs: num(existing.expires_at_ms) }
      this.statement('DELETE FROM mailbox WHERE expires_at_ms <= ?').run(now)
      const size = e.envelope.byteLength
      const rq = this.statement('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM mailbox WHERE recipient = ?').get(e.recipient)
      if (num(rq?.n) + 1 > this.quotas.maxPerRecipient || num(rq?.b) + size > this.quotas.maxBytesPerRecipient) {
        throw new QuotaExceededError(`mailbox of ${e.recipient} is full`, 'recipient')
      }
      const sq = this.statement('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM mailbox WHERE sender_hint = ?').get(e.senderHint)
      if (num(sq?.n) + 1 > this.quotas.maxPerSender || num(sq?.b) + size > this.quotas.maxBytesPerSender) {
        throw new QuotaExceededError(`sender ${e.senderHint} has reached its mailbox quota`, 'sender')
      }
      const total = this.statement('SELECT coalesce(sum(size), 0) AS b FROM mailbox').get()
      if (num(total?.b) + size > this.quotas.maxBytesTotal) {
        throw new MailboxFullError(`this mailbox holds ${num(total?.b)} bytes, its limit is ${this.quotas.maxBytesTotal}`)
      }
      const ttl = e.ttlSeconds == null ? this.ttlMs : Math.min(e.ttlSeconds * 1000, this.ttlMs)
      const expiresAtMs = now + ttl
      this.statement(`INSERT INTO mailbox (envelope_id, recipient, envelope, size, sender_hint, stored_at_ms, expires_at_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?)`).run(e.envelopeId, e.recipient, e.envelope, size, e.senderHint, now, expiresAtMs)
      return { stored: true, expiresAtMs }
    })
  }

  /** Unexpired envelopes for `recipient`, oldest first, after `cursor`; `next` is the cursor of the next page. */
  mailboxFetch (recipient: string, options: { limit?: number, after?: number } = {}): { items: MailboxEntry[], next?: number } {
    const limit = Math.max(1, Math.min(options.limit ?? MAILBOX_FETCH_LIMIT, 1000))
    const rows = this.statement(`SELECT * FROM mailbox WHERE recipient = ? AND seq > ? AND expires_at_ms > ?
      ORDER BY seq LIMIT ?`).all(recipient, options.after ?? 0, this.clock(), limit + 1).map(mailboxRow)
    const more = rows.length > limit
    const items = more ? rows.slice(0, limit) : rows
    return more ? { items, next: items[items.length - 1].cursor } : { items }
  }

  /**
   * The parcels of `recipient` that `device` has not acknowledged, oldest first, at most `limit`
   * items and `maxBytes` bytes; `more` when some were left out.
   */
  mailboxFetchUnacked (recipient: string, device: Uint8Array, options: { limit: number, maxBytes: number }): { items: MailboxEntry[], more: boolean } {
    const rows = this.statement(`SELECT * FROM mailbox m WHERE recipient = ? AND expires_at_ms > ? AND NOT EXISTS
      (SELECT 1 FROM attn_mailbox_acks a WHERE a.recipient = m.recipient AND a.envelope_id = m.envelope_id AND a.device = ?)
      ORDER BY seq LIMIT ?`).all(recipient, this.clock(), device, options.limit + 1).map(mailboxRow)
    const items: MailboxEntry[] = []
    let bytes = 0
    for (const row of rows) {
      if (items.length >= options.limit || bytes + row.envelope.byteLength > options.maxBytes) return { items, more: true }
      items.push(row)
      bytes += row.envelope.byteLength
    }
    return { items, more: false }
  }

  /**
   * Records that `device` of `recipient` has these parcels; a parcel acknowledged by `devices`
   * distinct devices is deleted (with its acks). Returns the ids deleted.
   */
  mailboxAckDevice (recipient: string, envelopeIds: Uint8Array[], device: Uint8Array, devices: number): Uint8Array[] {
    return this.tx(() => {
      const done: Uint8Array[] = []
      for (const id of envelopeIds) {
        // only parcels we hold for this recipient: a caller acking random ids must not grow the table
        if (this.statement('SELECT 1 AS x FROM mailbox WHERE recipient = ? AND envelope_id = ?').get(recipient, id) == null) continue
        this.statement('INSERT OR IGNORE INTO attn_mailbox_acks (recipient, envelope_id, device) VALUES (?, ?, ?)').run(recipient, id, device)
        const n = num(this.statement('SELECT COUNT(*) AS n FROM attn_mailbox_acks WHERE recipient = ? AND envelope_id = ?').get(recipient, id)?.n)
        if (n >= devices) {
          this.statement('DELETE FROM attn_mailbox_acks WHERE recipient = ? AND envelope_id = ?').run(recipient, id)
          this.statement('DELETE FROM mailbox WHERE recipient = ? AND envelope_id = ?').run(recipient, id)
          done.push(id)
        }
      }
      return done
    })
  }

  /** Deletes acknowledged envelopes of `recipient` (others' ids are ignored). Returns the number deleted. */
  mailboxAck (recipient: string, envelopeIds: Uint8Array[]): number {
    return this.tx(() => {
      let n = 0
      const del = this.statement('DELETE FROM mailbox WHERE recipient = ? AND envelope_id = ?')
      for (const id of envelopeIds) n += num(del.run(recipient, id).changes)
      return n
    })
  }

  /** Deletes expired envelopes (and their acks), and expired quarantined parcels; returns how many envelopes. */
  mailboxExpire (nowMs = this.clock()): number {
    return this.tx(() => {
      this.statement(`DELETE FROM attn_mailbox_acks WHERE NOT EXISTS
        (SELECT 1 FROM mailbox m WHERE m.recipient = attn_mailbox_acks.recipient AND m.envelope_id = attn_mailbox_acks.envelope_id AND m.expires_at_ms > ?)`).run(nowMs)
      this.statement('DELETE FROM quarantine WHERE expires_at_ms <= ?').run(nowMs)
      return num(this.statement('DELETE FROM mailbox WHERE expires_at_ms <= ?').run(nowMs).changes)
    })
  }

  /** Counts for metrics: user messages in the outbox by state, and what the mailbox holds for others. */
  counts (): { outbox: Record<OutboxState, number>, mailboxItems: number, mailboxBytes: number } {
    const outbox: Record<OutboxState, number> = { queued: 0, sent: 0, stored: 0, delivered: 0, failed: 0 }
    for (const r of this.statement("SELECT state, count(*) AS n FROM outbox WHERE kind = 'message' GROUP BY state").all()) {
      const state = String(r.state) as OutboxState
      if (state in outbox) outbox[state] = num(r.n)
    }
    const m = this.statement('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM mailbox').get()
    return { outbox, mailboxItems: num(m?.n), mailboxBytes: num(m?.b) }
  }

  /** Bytes held for everyone (the global cap's measure). */
  mailboxTotalBytes (): number {
    return num(this.statement('SELECT coalesce(sum(size), 0) AS b FROM mailbox').get()?.b)
  }

  // ---- meta (small node state: our own last published directory record) ---------------------

  getMeta (key: string): Uint8Array | undefined {
    const row = this.statement('SELECT value FROM meta WHERE key = ?').get(key)
    return row == null ? undefined : u8(row.value)
  }

  setMeta (key: string, value: Uint8Array): void {
    this.statement('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value)
  }

  // ---- quarantine (parcels fetched from a mailbox that cannot be opened yet) ---------------

  /**
   * Keeps a parcel that may become readable later (a group message whose sender key has not
   * arrived). Bounded three ways (messaging.md §9 **Fetching**): at most `caps.perSender` per
   * (group, claimed sender), `caps.perGroup` per group and `caps.total` in all. Past a bound the
   * least trusted go first, oldest first among equals — a new parcel less trusted than all the
   * others in its scope is not kept. Returns whether the parcel is now kept (false for a known id).
   */
  quarantinePut (q: { parcelId: Uint8Array, groupId?: Uint8Array, sender?: string, trust: QuarantineTrust, parcel: Uint8Array, reason: string, ttlMs: number, caps: QuarantineCaps }): boolean {
    checkId(q.parcelId)
    const now = this.clock()
    const group = q.groupId ?? null
    const sender = q.sender ?? null
    return this.tx(() => {
      const r = this.statement(`INSERT OR IGNORE INTO quarantine (parcel_id, group_id, sender, trust, parcel, reason, received_at_ms, expires_at_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(q.parcelId, group, sender, q.trust, q.parcel, q.reason, now, now + q.ttlMs)
      if (num(r.changes) !== 1) return false
      const keep = 'ORDER BY trust DESC, received_at_ms DESC, rowid DESC LIMIT -1 OFFSET ?'
      this.statement(`DELETE FROM quarantine WHERE parcel_id IN
        (SELECT parcel_id FROM quarantine WHERE group_id IS ? AND sender IS ? ${keep})`).run(group, sender, q.caps.perSender)
      this.statement(`DELETE FROM quarantine WHERE parcel_id IN
        (SELECT parcel_id FROM quarantine WHERE group_id IS ? ${keep})`).run(group, q.caps.perGroup)
      this.statement(`DELETE FROM quarantine WHERE parcel_id IN (SELECT parcel_id FROM quarantine ${keep})`).run(q.caps.total)
      return this.statement('SELECT 1 AS kept FROM quarantine WHERE parcel_id = ?').get(q.parcelId) != null
    })
  }

  /** Quarantined parcels of a group, oldest first. */
  quarantined (groupId: Uint8Array): Array<{ parcelId: Uint8Array, parcel: Uint8Array, sender?: string, trust: QuarantineTrust }> {
    return this.statement('SELECT parcel_id, parcel, sender, trust FROM quarantine WHERE group_id = ? ORDER BY received_at_ms, rowid')
      .all(groupId).map(r => ({ parcelId: u8(r.parcel_id), parcel: u8(r.parcel), ...(r.sender != null ? { sender: String(r.sender) } : {}), trust: num(r.trust) as QuarantineTrust }))
  }

  quarantineDelete (parcelId: Uint8Array): void {
    this.statement('DELETE FROM quarantine WHERE parcel_id = ?').run(parcelId)
  }

  quarantineCount (): number {
    return num(this.statement('SELECT count(*) AS n FROM quarantine').get()?.n)
  }

  mailboxUsage (by: { recipient: string } | { senderHint: string }): { count: number, bytes: number } {
    const row = 'recipient' in by
      ? this.statement('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM mailbox WHERE recipient = ?').get(by.recipient)
      : this.statement('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM mailbox WHERE sender_hint = ?').get(by.senderHint)
    return { count: num(row?.n), bytes: num(row?.b) }
  }

  // ---- device keys and ratchet sessions (messaging.md §10) -------------------------------------

  putDeviceKey (k: StoredDeviceKey): void {
    this.statement(`INSERT OR REPLACE INTO device_keys (kind, id, public_key, private_sealed, signature, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(k.kind, k.id, k.publicKey, this.seal(`device_keys:${k.kind}:${k.id}`, k.privateKey, this.stateKey), k.signature ?? null, k.createdAt, k.expiresAt)
  }

  private deviceKeyOf (row: Record<string, unknown>): StoredDeviceKey {
    const kind = String(row.kind) as DeviceKeyKind
    const id = num(row.id)
    return {
      kind, id, publicKey: u8(row.public_key), privateKey: this.unseal(`device_keys:${kind}:${id}`, u8(row.private_sealed), this.stateKey),
      signature: row.signature == null ? undefined : u8(row.signature), createdAt: num(row.created_at), expiresAt: num(row.expires_at)
    }
  }

  getDeviceKey (kind: DeviceKeyKind, id: number): StoredDeviceKey | undefined {
    const row = this.statement('SELECT * FROM device_keys WHERE kind = ? AND id = ?').get(kind, id)
    return row == null ? undefined : this.deviceKeyOf(row)
  }

  /** Keys of a kind, newest first. */
  listDeviceKeys (kind: DeviceKeyKind): StoredDeviceKey[] {
    return this.statement('SELECT * FROM device_keys WHERE kind = ? ORDER BY created_at DESC, id DESC').all(kind).map(r => this.deviceKeyOf(r))
  }

  countDeviceKeys (kind: DeviceKeyKind): number {
    return num(this.statement('SELECT count(*) AS n FROM device_keys WHERE kind = ?').get(kind)?.n)
  }

  /** Deletes the least recently used sessions beyond `max` (a global bound on ratchet state). */
  pruneSessionsTotal (max: number): number {
    const n = num(this.statement('SELECT count(*) AS n FROM ratchet_sessions').get()?.n)
    if (n <= max) return 0
    const rows = this.statement('SELECT session_id FROM ratchet_sessions ORDER BY updated_at_ms LIMIT ?').all(n - max)
    for (const r of rows) this.deleteSession(u8(r.session_id))
    return rows.length
  }

  deleteDeviceKey (kind: DeviceKeyKind, id: number): boolean {
    return num(this.statement('DELETE FROM device_keys WHERE kind = ? AND id = ?').run(kind, id).changes) === 1
  }

  /** Deletes keys of a kind whose expiry passed before `beforeSeconds`. */
  deleteDeviceKeysExpiredBefore (kind: DeviceKeyKind, beforeSeconds: number): number {
    return num(this.statement('DELETE FROM device_keys WHERE kind = ? AND expires_at < ?').run(kind, beforeSeconds).changes)
  }

  putSession (s: Omit<StoredSession, 'updatedAtMs'>): void {
    const now = this.clock()
    this.statement(`INSERT INTO ratchet_sessions (session_id, peer_address, peer_device, state_sealed, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (session_id) DO UPDATE SET state_sealed = excluded.state_sealed, updated_at_ms = excluded.updated_at_ms`)
      .run(s.sessionId, s.peerAddress, s.peerDevice, this.seal(`ratchet_sessions:${toHex(s.sessionId)}`, s.state, this.stateKey), now, now)
  }

  private sessionOf (row: Record<string, unknown>): StoredSession {
    const sessionId = u8(row.session_id)
    return {
      sessionId, peerAddress: String(row.peer_address), peerDevice: String(row.peer_device),
      state: this.unseal(`ratchet_sessions:${toHex(sessionId)}`, u8(row.state_sealed), this.stateKey), updatedAtMs: num(row.updated_at_ms)
    }
  }

  getSession (sessionId: Uint8Array): StoredSession | undefined {
    const row = this.statement('SELECT * FROM ratchet_sessions WHERE session_id = ?').get(sessionId)
    return row == null ? undefined : this.sessionOf(row)
  }

  deleteSession (sessionId: Uint8Array): void {
    this.statement('DELETE FROM ratchet_sessions WHERE session_id = ?').run(sessionId)
    this.statement('DELETE FROM ratchet_active WHERE session_id = ?').run(sessionId)
  }

  /** Keeps the `keep` most recently used sessions with a peer device (plus the active one), deleting the rest. */
  pruneSessions (peerAddress: string, peerDevice: string, keep: number): void {
    const active = this.activeSessionId(peerAddress, peerDevice)
    const rows = this.statement('SELECT session_id FROM ratchet_sessions WHERE peer_address = ? AND peer_device = ? ORDER BY updated_at_ms DESC').all(peerAddress, peerDevice)
    for (const r of rows.slice(keep)) {
      const id = u8(r.session_id)
      if (active == null || toHex(id) !== toHex(active)) this.deleteSession(id)
    }
  }

  activeSessionId (peerAddress: string, peerDevice: string): Uint8Array | undefined {
    const row = this.statement('SELECT session_id FROM ratchet_active WHERE peer_address = ? AND peer_device = ?').get(peerAddress, peerDevice)
    return row == null ? undefined : u8(row.session_id)
  }

  setActiveSession (peerAddress: string, peerDevice: string, sessionId: Uint8Array): void {
    this.statement('INSERT OR REPLACE INTO ratchet_active (peer_address, peer_device, session_id) VALUES (?, ?, ?)').run(peerAddress, peerDevice, sessionId)
  }

  clearActiveSession (peerAddress: string, peerDevice: string): void {
    this.statement('DELETE FROM ratchet_active WHERE peer_address = ? AND peer_device = ?').run(peerAddress, peerDevice)
  }

  /** Every session's peer device (tests and diagnostics). */
  listSessions (): StoredSession[] {
    return this.statement('SELECT * FROM ratchet_sessions ORDER BY updated_at_ms').all().map(r => this.sessionOf(r))
  }

  envelopeSeen (envelopeId: Uint8Array): boolean {
    return this.statement('SELECT 1 AS x FROM envelopes_seen WHERE envelope_id = ?').get(envelopeId) != null
  }

  markEnvelopeSeen (envelopeId: Uint8Array): void {
    this.statement('INSERT OR IGNORE INTO envelopes_seen (envelope_id, seen_at_ms) VALUES (?, ?)').run(envelopeId, this.clock())
  }

  expireSeenEnvelopes (ttlMs: number): number {
    return num(this.statement('DELETE FROM envelopes_seen WHERE seen_at_ms < ?').run(this.clock() - ttlMs).changes)
  }

  // ---- one-time prekeys held as a mailbox (messaging.md §10.8) --------------------------------

  /**
   * Adds a device's one-time prekeys (public parts) after dropping expired ones: new ids only, up to
   * `maxPerDevice` for the device and `maxTotal` in all (the excess is not stored). Returns how many
   * of the device's keys are held now.
   */
  otpkPut (owner: string, device: string, keys: Array<{ id: number, publicKey: Uint8Array, expiresAt: number, signature: Uint8Array }>, limits: { maxPerDevice: number, maxTotal: number, nowSeconds: number }): number {
    return this.tx(() => {
      this.statement('DELETE FROM otpk_pool WHERE expires_at <= ?').run(limits.nowSeconds)
      let held = this.otpkCount(owner, device)
      let total = num(this.statement('SELECT count(*) AS n FROM otpk_pool').get()?.n)
      const insert = this.statement('INSERT OR IGNORE INTO otpk_pool (owner, device, id, public_key, expires_at, signature, stored_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)')
      for (const k of keys) {
        if (held >= limits.maxPerDevice || total >= limits.maxTotal) break
        if (num(insert.run(owner, device, k.id, k.publicKey, k.expiresAt, k.signature, this.clock()).changes) === 1) { held++; total++ }
      }
      return held
    })
  }

  otpkCount (owner: string, device: string): number {
    return num(this.statement('SELECT count(*) AS n FROM otpk_pool WHERE owner = ? AND device = ?').get(owner, device)?.n)
  }

  /** Hands out (and deletes) the oldest unexpired one-time prekey of a device, if any. */
  otpkTake (owner: string, device: string, nowSeconds: number): { id: number, publicKey: Uint8Array, expiresAt: number, signature: Uint8Array } | undefined {
    return this.tx(() => {
      const row = this.statement('SELECT * FROM otpk_pool WHERE owner = ? AND device = ? AND expires_at > ? ORDER BY stored_at_ms, id LIMIT 1').get(owner, device, nowSeconds)
      if (row == null) return undefined
      this.statement('DELETE FROM otpk_pool WHERE owner = ? AND device = ? AND id = ?').run(owner, device, row.id as number)
      return { id: num(row.id), publicKey: u8(row.public_key), expiresAt: num(row.expires_at), signature: u8(row.signature) }
    })
  }

  // ---- prekeys -----------------------------------------------------------------------------

  putPrekey (p: StoredPrekey): void {
    this.statement(`INSERT OR REPLACE INTO prekeys (id, public_key, private_sealed, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`)
      .run(p.id, p.publicKey, this.seal(`prekey:${p.id}`, p.privateKey), p.createdAt, p.expiresAt)
  }

  getPrekey (id: number): StoredPrekey | undefined {
    const row = this.statement('SELECT * FROM prekeys WHERE id = ?').get(id)
    if (row == null) return undefined
    return {
      id: num(row.id),
      publicKey: u8(row.public_key),
      privateKey: this.unseal(`prekey:${num(row.id)}`, u8(row.private_sealed)),
      createdAt: num(row.created_at),
      expiresAt: num(row.expires_at)
    }
  }

  /** Public parts of the stored prekeys (for the directory record), newest expiry first. */
  listPrekeys (): Array<Omit<StoredPrekey, 'privateKey'>> {
    return this.statement('SELECT id, public_key, created_at, expires_at FROM prekeys ORDER BY expires_at DESC, id DESC').all()
      .map(r => ({ id: num(r.id), publicKey: u8(r.public_key), createdAt: num(r.created_at), expiresAt: num(r.expires_at) }))
  }

  /** Deletes prekeys that expired before `beforeSeconds` (keep a grace period for late envelopes). */
  deletePrekeysExpiredBefore (beforeSeconds: number): number {
    return num(this.statement('DELETE FROM prekeys WHERE expires_at < ?').run(beforeSeconds).changes)
  }

  /** A lookup for openEnvelope's `recipient.prekey`. */
  prekeyLookup (): (id: number) => Uint8Array | undefined {
    return (id: number) => this.getPrekey(id)?.privateKey
  }

  // ---- groups and sender keys --------------------------------------------------------------

  /** Stores (replaces) a group's current state; the caller has verified it (verifyGroupState). */
  putGroupState (state: GroupState): void {
    const gid = toHex(state.groupId)
    this.statement(`INSERT INTO groups (group_id, epoch, state_sealed, updated_at_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT (group_id) DO UPDATE SET epoch = excluded.epoch, state_sealed = excluded.state_sealed, updated_at_ms = excluded.updated_at_ms`)
      .run(state.groupId, state.epoch, this.seal(`group:${gid}`, encodeGroupState(state)), this.clock())
  }

  getGroupState (groupId: Uint8Array): GroupState | undefined {
    const row = this.statement('SELECT state_sealed FROM groups WHERE group_id = ?').get(groupId)
    return row == null ? undefined : decodeGroupState(this.unseal(`group:${toHex(groupId)}`, u8(row.state_sealed)))
  }

  listGroupIds (): Uint8Array[] {
    return this.statement('SELECT group_id FROM groups ORDER BY updated_at_ms DESC').all().map(r => u8(r.group_id))
  }

  /** Deletes a group and (cascade) all its sender keys. */
  deleteGroup (groupId: Uint8Array): boolean {
    return num(this.statement('DELETE FROM groups WHERE group_id = ?').run(groupId).changes) === 1
  }

  private senderKeyAad (own: boolean, groupId: Uint8Array, epoch: bigint, sender: string, signingKey: Uint8Array): string {
    return `sender-key:${own ? 'own' : 'peer'}:${toHex(groupId)}:${epoch}:${sender}:${toHex(signingKey)}`
  }

  private putSenderKeyRow (own: boolean, k: SenderKey, data: Uint8Array): void {
    this.statement(`INSERT OR REPLACE INTO sender_keys (group_id, epoch, sender, signing_key, own, data_sealed) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(k.groupId, k.epoch, k.senderAddress, k.signingPublicKey, own ? 1 : 0,
        this.seal(this.senderKeyAad(own, k.groupId, k.epoch, k.senderAddress, k.signingPublicKey), data))
  }

  private getSenderKeyRow (own: boolean, groupId: Uint8Array, epoch: bigint, sender: string, signingKey?: Uint8Array): { data: Uint8Array } | undefined {
    const row = signingKey == null
      ? this.statement('SELECT * FROM sender_keys WHERE own = ? AND group_id = ? AND epoch = ? AND sender = ?').get(own ? 1 : 0, groupId, epoch, sender)
      : this.statement('SELECT * FROM sender_keys WHERE own = ? AND group_id = ? AND epoch = ? AND sender = ? AND signing_key = ?')
        .get(own ? 1 : 0, groupId, epoch, sender, signingKey)
    if (row == null) return undefined
    return { data: this.unseal(this.senderKeyAad(own, groupId, epoch, sender, u8(row.signing_key)), u8(row.data_sealed)) }
  }

  /** Stores our own sender key (after every encrypt, so an iteration is never reused). The group must exist. */
  putOwnSenderKey (k: SenderKey): void { this.putSenderKeyRow(true, k, encodeSenderKey(k)) }

  getOwnSenderKey (groupId: Uint8Array, epoch: bigint, sender: string): SenderKey | undefined {
    const row = this.getSenderKeyRow(true, groupId, epoch, sender)
    return row == null ? undefined : decodeSenderKey(row.data)
  }

  /** Stores another member's receiving state (sender key + skipped keys). The group must exist. */
  putReceiver (r: GroupMessageReceiver): void { this.putSenderKeyRow(false, r.senderKey, r.toBytes()) }

  getReceiver (groupId: Uint8Array, epoch: bigint, sender: string, signingKey: Uint8Array): GroupMessageReceiver | undefined {
    const row = this.getSenderKeyRow(false, groupId, epoch, sender, signingKey)
    return row == null ? undefined : GroupMessageReceiver.fromBytes(row.data)
  }

  /** Drops sender keys of epochs before `epoch` (after a rotation, once late messages had time to arrive). */
  deleteSenderKeysBefore (groupId: Uint8Array, epoch: bigint): number {
    return num(this.statement('DELETE FROM sender_keys WHERE group_id = ? AND epoch < ?').run(groupId, epoch).changes)
  }
}

export function outboxTransitionAllowed (from: OutboxState, to: OutboxState): boolean {
  if (from === 'delivered') return false
  if (to === 'failed') return true
  if (from === 'failed') return to === 'delivered'
  return RANK[to] >= RANK[from]
}

function checkId (id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.byteLength !== ENVELOPE_ID_LENGTH) throw new RangeError('an envelope id is 16 bytes')
}

/** The due outbox entries, oldest due first (parameters: now, limit): dueOutbox and dueOutboxIds. */
const DUE_OUTBOX = `FROM outbox WHERE state IN ('queued','sent','stored') AND next_attempt_at_ms <= ?
      ORDER BY next_attempt_at_ms, created_at_ms LIMIT ?`

function outboxRow (r: Record<string, unknown>): OutboxEntry {
  const e: OutboxEntry = {
    envelopeId: u8(r.envelope_id),
    kind: r.kind === 'control' ? 'control' : 'message',
    sealed: num(r.sealed) === 1,
    recipient: String(r.recipient),
    envelope: u8(r.envelope),
    state: r.state as OutboxState,
    attempts: num(r.attempts),
    nextAttemptAtMs: num(r.next_attempt_at_ms),
    createdAtMs: num(r.created_at_ms),
    updatedAtMs: num(r.updated_at_ms)
  }
  if (r.group_id != null) e.groupId = u8(r.group_id)
  if (r.failure_reason != null) e.failureReason = String(r.failure_reason)
  if (r.receipt_for != null) e.receiptFor = u8(r.receipt_for)
  return e
}

function inboxRow (r: Record<string, unknown>): InboxEntry {
  const e: InboxEntry = {
    envelopeId: u8(r.envelope_id),
    from: String(r.sender),
    to: String(r.recipient),
    kind: r.kind as MessageKind,
    contentType: String(r.content_type),
    body: u8(r.body),
    sentAtMs: num(r.sent_at_ms),
    receivedAtMs: num(r.received_at_ms)
  }
  if (r.group_id != null) e.groupId = u8(r.group_id)
  if (r.read_at_ms != null) e.readAtMs = num(r.read_at_ms)
  return e
}

function mailboxRow (r: Record<string, unknown>): MailboxEntry {
  return {
    cursor: num(r.seq),
    recipient: String(r.recipient),
    envelopeId: u8(r.envelope_id),
    envelope: u8(r.envelope),
    senderHint: String(r.sender_hint),
    storedAtMs: num(r.stored_at_ms),
    expiresAtMs: num(r.expires_at_ms)
  }
}
