import { randomBytes } from 'node:crypto'
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { hkdfSha256 } from '../crypto/index.js'
import { AttnError } from '../errors.js'
import { parseAttAddress } from '../keys/index.js'
import { PublicRpcError } from '../rpc/index.js'
import { Reader, Writer, toHex } from './protocol/codec.js'
import { MAX_BODY_BYTES, GROUP_ID_LENGTH } from './constants.js'
import { DirectoryClient } from './directory-client.js'
import { pickPrekey } from './protocol/directory-record.js'
import { openEnvelope, sealEnvelope } from './protocol/envelope.js'
import { TooLargeError, InvalidGroupStateError, ForgedReceiptError } from './errors.js'
import {
  GroupMessageReceiver, GroupMessageSender, createGroup, createSenderKey, decodeGroupState, decodeSenderKey,
  encodeGroupState, encodeSenderKey, readGroupMessage, updateGroup, verifyGroupState
} from './protocol/group.js'
import { OCTET_STREAM, TEXT_PLAIN } from './protocol/message.js'
import { PARCEL_ENVELOPE, PARCEL_GROUP, decodeParcel, encodeParcel, parcelId } from './protocol/parcel.js'
import { derivePrekey, prekeyIdAt } from './protocol/prekeys.js'
import { createReceipt, verifyReceipt } from './protocol/receipt.js'
import {
  MAX_FETCH_BYTES, MAX_FETCH_ITEMS, METHOD_DELIVER, METHOD_MAILBOX_ACK, METHOD_MAILBOX_FETCH, METHOD_MAILBOX_PUT,
  decodeAck, decodeFetchRequest, decodeFetchResponse, encodeAck, encodeFetchRequest, encodeFetchResponse
} from './protocol/rpc-methods.js'
import { MessagingStore } from './store.js'
import type { Parcel } from './protocol/parcel.js'
import type { GroupState } from './protocol/group.js'
import type { Message, MessageInput } from './protocol/message.js'
import type { OutboxEntry, OutboxState } from './store.js'
import type { Identity } from '../keys/index.js'
import type { AttnService } from '../service/index.js'
import type { RpcHandlerContext, RpcStatus } from '../rpc/index.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { AbortOptions, ComponentLogger, Logger, PeerId, Startable } from '@libp2p/interface'

export interface InboxMessage {
  id: string
  from: string
  to: string
  group: string | null
  contentType: string
  /** UTF-8 text for text/* content, base64 otherwise. */
  body: string
  sentAt: number
  receivedAt: number
}

export type MessageState = OutboxState

export interface MessageStatus {
  id: string
  state: MessageState
  reason?: string
  to: string
  updatedAt: number
  /** While a direct delivery call is in flight: its state at each device (RPC status query). */
  transit?: Array<{ peer: string, state: RpcStatus }>
}

export interface GroupInfo {
  id: string
  name: string
  admins: string[]
  members: string[]
  epoch: number
}

export interface MessagingServiceInit {
  /** SQLite file of the messaging store (default: in memory, lost at stop). */
  dbPath?: string
  /** Serve as a mailbox for other identities (default true). */
  mailbox?: boolean
  /** Mailbox nodes to list in our directory record (peer id strings); default: the DHT-closest peers. */
  mailboxes?: string[]
  /** How many mailboxes to pick from the DHT when none are configured (default 3). */
  mailboxCount?: number
  /** Mailbox TTL, seconds (default 7 days). */
  mailboxTtlSeconds?: number
  /** Publish the directory record at start (default true). */
  publishOnStart?: boolean
  /** Directory record lifetime, seconds (default 24 h; republished at half-life). */
  recordTtlSeconds?: number
  /** How often to poll our mailboxes, ms (default 30 s). */
  fetchInterval?: number
  /** Outbox retry backoff: first and longest delay, ms (defaults 2 s and 5 min). */
  retryInitial?: number
  retryMax?: number
  /** How long undeliverable messages are retried before `failed`, ms (default 7 days). */
  giveUpAfter?: number
  /** Per-attempt RPC timeout, ms (default 10 s). */
  callTimeout?: number
  /** How long direct delivery may take before the mailboxes are used in parallel, ms (default 1.5 s). */
  mailboxGrace?: number
}

export interface MessagingServiceComponents {
  attn: AttnService
  dht: KadDHT
  peerId: PeerId
  logger: ComponentLogger
}

export interface MessagingEvents {
  message: CustomEvent<InboxMessage>
  status: CustomEvent<MessageStatus>
}

export class MessageNotFoundError extends AttnError {
  constructor (id: string) { super(`no sent message with id ${id}`, 'NOT_FOUND') }
}

export class NotGroupAdminError extends AttnError {
  constructor (id: string) { super(`this identity is not an admin of group ${id}`, 'ERR_NOT_GROUP_ADMIN') }
}

export class UnknownGroupError extends AttnError {
  constructor (id: string) { super(`unknown group ${id}`, 'NOT_FOUND') }
}

export class InvalidRecipientError extends AttnError {
  constructor (to: string) { super(`"${to}" is neither an ATT address nor a group id (grp_ + 32 hex)`, 'ERR_INVALID_ADDRESS') }
}

const GROUP_PREFIX = 'grp_'
const DAY = 86400

function groupIdString (id: Uint8Array): string {
  return GROUP_PREFIX + toHex(id)
}

function parseGroupId (s: string): Uint8Array | undefined {
  if (!s.startsWith(GROUP_PREFIX)) return undefined
  const hex = s.slice(GROUP_PREFIX.length)
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

function bodyString (contentType: string, body: Uint8Array): string {
  return contentType.toLowerCase().startsWith('text/') ? new TextDecoder().decode(body) : Buffer.from(body).toString('base64')
}

/** `to(u8 len) | content_type(u8 len) | body` — the body of a 'sync' copy of our own sent message. */
function encodeSync (to: string, contentType: string, body: Uint8Array): Uint8Array {
  return new Writer().string8(to).string8(contentType).bytes(body).finish()
}

function decodeSync (bytes: Uint8Array): { to: string, contentType: string, body: Uint8Array } {
  const r = new Reader(bytes, 'sync body')
  return { to: r.string8(), contentType: r.string8(), body: r.rest() }
}

/**
 * The messaging layer of a node (protocols/messaging.md): publishes our identity record,
 * seals 1:1 and group messages end to end, delivers them directly to every device of the
 * recipient or to its mailboxes, serves as a mailbox for others, keeps an outbox that
 * survives restarts, and turns signed delivery receipts into `delivered`.
 */
export class MessagingService extends TypedEventEmitter<MessagingEvents> implements Startable {
  private readonly components: MessagingServiceComponents
  private readonly init: MessagingServiceInit
  private readonly log: Logger
  private store?: MessagingStore
  private directory: DirectoryClient
  private identity?: Identity
  private seq = 0n
  private timers: Array<ReturnType<typeof setInterval>> = []
  private workerRunning = false
  private workerAgain = false
  private workerTimer?: ReturnType<typeof setTimeout>
  private readonly abort = new AbortController()
  private readonly counters = { parcelsIn: 0, messagesIn: 0, receiptsIn: 0, mailboxStored: 0, mailboxFetched: 0, rejected: {} as Record<string, number> }
  /** Direct delivery calls in flight, by envelope id hex: which device, which RPC msg_id. */
  private readonly inFlight = new Map<string, Array<{ peer: string, msgId: bigint }>>()
  private started = false

  constructor (components: MessagingServiceComponents, init: MessagingServiceInit = {}) {
    super()
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('attn:messaging')
    this.directory = new DirectoryClient(components.dht, this.log)
  }

  readonly [Symbol.toStringTag] = '@attn/messaging'
  readonly [serviceCapabilities]: string[] = ['@attn/messaging']
  readonly [serviceDependencies]: string[] = ['@attn/service', '@libp2p/kad-dht']

  get address (): string {
    return this.requireIdentity().address
  }

  async start (): Promise<void> {
    const attn = this.components.attn
    attn.handle(METHOD_DELIVER, async (params, ctx) => { await this.onDeliver(params, ctx); return Uint8Array.of(1) })
    if (this.init.mailbox !== false) {
      attn.handle(METHOD_MAILBOX_PUT, (params, ctx) => this.onMailboxPut(params, ctx))
      attn.handle(METHOD_MAILBOX_FETCH, (params, ctx) => this.onMailboxFetch(params, ctx))
      attn.handle(METHOD_MAILBOX_ACK, async (params, ctx) => await this.onMailboxAck(params, ctx))
    }
    this.started = true
  }

  /** After every service started: the attn identity is known, the DHT is up. */
  async afterStart (): Promise<void> {
    const identity = this.components.attn.identity
    this.identity = identity
    const key = hkdfSha256(identity.rootKey.raw, new Uint8Array(0), 'attn/1 messaging-store', 32)
    this.store = new MessagingStore(this.init.dbPath ?? ':memory:', {
      encryptionKey: key,
      mailboxTtlSeconds: this.init.mailboxTtlSeconds
    })
    this.store.db.exec(`CREATE TABLE IF NOT EXISTS attn_mailbox_acks (
      recipient TEXT NOT NULL, envelope_id BLOB NOT NULL, device BLOB NOT NULL,
      PRIMARY KEY (recipient, envelope_id, device)) WITHOUT ROWID`)
    this.store.db.exec(`CREATE TABLE IF NOT EXISTS attn_group_sends (
      msg_id BLOB NOT NULL, envelope_id BLOB NOT NULL, PRIMARY KEY (msg_id, envelope_id)) WITHOUT ROWID`)
    this.seq = BigInt(Date.now())

    const fetchEvery = this.init.fetchInterval ?? 30_000
    this.timers.push(setInterval(() => { void this.fetchMailboxes().catch(() => {}) }, fetchEvery))
    this.timers.push(setInterval(() => { this.store?.mailboxExpire() }, 60_000))
    const recordTtl = this.init.recordTtlSeconds ?? DAY
    this.timers.push(setInterval(() => { void this.publish().catch(() => {}) }, recordTtl * 500))
    for (const t of this.timers) t.unref?.()

    if (this.init.publishOnStart !== false) {
      // in the background: the DHT may still be empty right after start
      void this.publish().catch((err) => { this.log('initial publish failed: %s', err.message) })
    }
    void this.fetchMailboxes().catch(() => {})
    this.kick()
  }

  async stop (): Promise<void> {
    this.abort.abort()
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    clearTimeout(this.workerTimer)
    for (const method of [METHOD_DELIVER, METHOD_MAILBOX_PUT, METHOD_MAILBOX_FETCH, METHOD_MAILBOX_ACK]) this.components.attn.unhandle(method)
    // let a running worker pass finish before the database closes
    while (this.workerRunning) await new Promise(resolve => setTimeout(resolve, 10))
    this.store?.close()
    this.store = undefined
    this.started = false
  }

  isStarted (): boolean {
    return this.started
  }

  // ------------------------------------------------------------------ public API

  /** Counters: parcels received, messages and receipts accepted, mailbox use, rejected input by error code. */
  stats (): { parcelsIn: number, messagesIn: number, receiptsIn: number, mailboxStored: number, mailboxFetched: number, rejected: Record<string, number> } {
    return { ...this.counters, rejected: { ...this.counters.rejected } }
  }

  private reject (err: Error & { code?: string }): void {
    const code = err.code ?? 'ERR_UNKNOWN'
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1
  }

  /** Publishes (or republishes) our directory record; returns its seq and how many DHT peers accepted it. */
  async publish (options: AbortOptions = {}): Promise<{ seq: string, accepted: number }> {
    const identity = this.requireIdentity()
    const now = Math.floor(Date.now() / 1000)
    const current = prekeyIdAt(now)
    const prekeys = [derivePrekey(identity.rootKey, current), derivePrekey(identity.rootKey, current + 1)]
      .map(({ id, publicKey, expiresAt }) => ({ id, publicKey, expiresAt }))
    // other devices of this identity stay listed: merge with the record in the DHT
    const devices = new Map<string, { chain: Uint8Array, nodeId: string, multiaddrs?: string[] }>()
    try {
      const existing = await this.directory.lookup(identity.address, { ...options, fresh: true })
      for (const d of existing.devices) devices.set(d.nodeId, d)
      if (existing.seq >= this.seq) this.seq = existing.seq
    } catch {}
    const self = this.components.peerId.toString()
    devices.set(self, { chain: identity.chain, nodeId: self, multiaddrs: this.components.attn.ownAddresses().slice(0, 8) })
    const mailboxes = await this.chooseMailboxes(options)
    this.seq++
    const { accepted } = await this.directory.publish(identity, {
      seq: this.seq,
      expiresAt: now + (this.init.recordTtlSeconds ?? DAY),
      devices: [...devices.values()],
      prekeys,
      mailboxes
    }, { signal: options.signal ?? AbortSignal.timeout(30_000) })
    return { seq: this.seq.toString(), accepted }
  }

  /** Sends a text (or bytes) message to an address or a group; resolves with its id once queued. */
  async send (to: string, body: Uint8Array | string, options: AbortOptions & { contentType?: string } = {}): Promise<{ id: string }> {
    const identity = this.requireIdentity()
    this.requireStore() // started?
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
    if (bytes.byteLength > MAX_BODY_BYTES) throw new TooLargeError(`a message body is at most ${MAX_BODY_BYTES} bytes (got ${bytes.byteLength})`)
    const contentType = options.contentType ?? (typeof body === 'string' ? TEXT_PLAIN : OCTET_STREAM)
    const groupId = parseGroupId(to)
    if (groupId != null) return await this.sendGroup(groupId, bytes, contentType, options)
    try {
      parseAttAddress(to)
    } catch {
      throw new InvalidRecipientError(to)
    }
    const id = Uint8Array.from(randomBytes(16))
    const sentAt = Date.now()
    await this.enqueueEnvelope(to, { kind: 'message', contentType, body: bytes, sentAt }, id, options)
    // our other devices (if the directory lists any) get a copy of what we sent
    if (to !== identity.address && await this.hasOtherDevices(options)) {
      await this.enqueueEnvelope(identity.address, { kind: 'sync', contentType: OCTET_STREAM, body: encodeSync(to, contentType, bytes), sentAt }, undefined, options)
        .catch((err) => { this.log('no sync copy for our other devices: %s', err.message) })
    }
    this.kick()
    return { id: toHex(id) }
  }

  /** The sender's view of a message: queued → sent → stored → delivered, or failed. */
  async status (id: string): Promise<MessageStatus> {
    const store = this.requireStore()
    if (!/^[0-9a-f]{32}$/.test(id)) throw new MessageNotFoundError(id)
    const bytes = Uint8Array.from(Buffer.from(id, 'hex'))
    const entry = store.getOutbox(bytes)
    if (entry != null) {
      const status = this.statusOf(entry, id)
      const calls = this.inFlight.get(id)
      if (calls != null && calls.length > 0 && (entry.state === 'queued' || entry.state === 'sent')) {
        // in flight: ask each device how far its copy got (RPC StatusQuery on the call's msg_id)
        status.transit = await Promise.all(calls.map(async ({ peer, msgId }) => {
          try {
            const [state] = await this.components.attn.queryStatus(peerIdFromString(peer), [msgId], { timeout: 3_000 })
            return { peer, state }
          } catch {
            return { peer, state: 'unknown' as RpcStatus }
          }
        }))
      }
      return status
    }
    // a group message: the least advanced member copy
    const rows = store.statement('SELECT envelope_id FROM attn_group_sends WHERE msg_id = ?').all(bytes) as Array<{ envelope_id: Uint8Array }>
    const copies = rows.map(r => store.getOutbox(Uint8Array.from(r.envelope_id))).filter((e): e is OutboxEntry => e != null)
    if (copies.length === 0) throw new MessageNotFoundError(id)
    const rank: Record<OutboxState, number> = { failed: -1, queued: 0, sent: 1, stored: 2, delivered: 3 }
    copies.sort((a, b) => rank[a.state] - rank[b.state])
    return { ...this.statusOf(copies[0], id), to: groupIdString(copies[0].groupId ?? new Uint8Array(GROUP_ID_LENGTH)) }
  }

  /** Received messages, oldest first. */
  inbox (options: { limit?: number, after?: number } = {}): InboxMessage[] {
    const store = this.requireStore()
    const rows = store.statement(`SELECT envelope_id FROM inbox WHERE kind = 'message' AND received_at_ms > ? ORDER BY received_at_ms ASC, rowid ASC LIMIT ?`)
      .all(options.after ?? -1, Math.min(options.limit ?? 1000, 10_000)) as Array<{ envelope_id: Uint8Array }>
    return rows.map(r => store.getInbox(Uint8Array.from(r.envelope_id))).filter(e => e != null).map(e => ({
      id: toHex(e.envelopeId),
      from: e.from,
      to: e.to,
      group: e.groupId == null ? null : groupIdString(e.groupId),
      contentType: e.contentType,
      body: bodyString(e.contentType, e.body),
      sentAt: e.sentAtMs,
      receivedAt: e.receivedAtMs
    }))
  }

  /** Pulls our parcels from every mailbox in our directory record. */
  async fetchMailboxes (options: AbortOptions = {}): Promise<{ fetched: number }> {
    const identity = this.requireIdentity()
    let record
    try {
      record = this.directory.cached(identity.address) ?? await this.directory.lookup(identity.address, options)
    } catch {
      return { fetched: 0 }
    }
    let fetched = 0
    await Promise.all(record.mailboxes.map(async (mailbox) => {
      if (mailbox.peerId === this.components.peerId.toString()) return
      try {
        fetched += await this.fetchFrom(peerIdFromString(mailbox.peerId), options)
      } catch (err: any) {
        this.log('fetch from mailbox %s failed: %s', mailbox.peerId, err.message)
      }
    }))
    return { fetched }
  }

  async createGroup (name: string, members: string[], options: AbortOptions = {}): Promise<GroupInfo> {
    const identity = this.requireIdentity()
    for (const m of members) this.checkAddress(m)
    const state = createGroup(identity, { name, members })
    await this.installGroup(state, options)
    return this.groupInfo(state)
  }

  async addMember (groupId: string, address: string, options: AbortOptions = {}): Promise<GroupInfo> {
    this.checkAddress(address)
    const previous = this.requireAdminOf(groupId)
    if (previous.members.includes(address)) return this.groupInfo(previous)
    return await this.changeGroup(previous, { members: [...previous.members, address] }, [], options)
  }

  async removeMember (groupId: string, address: string, options: AbortOptions = {}): Promise<GroupInfo> {
    const previous = this.requireAdminOf(groupId)
    if (!previous.members.includes(address)) return this.groupInfo(previous)
    return await this.changeGroup(previous, { members: previous.members.filter(m => m !== address) }, [address], options)
  }

  listGroups (): GroupInfo[] {
    const store = this.requireStore()
    return store.listGroupIds().map(id => store.getGroupState(id)).filter((s): s is GroupState => s != null).map(s => this.groupInfo(s))
  }

  // ------------------------------------------------------------------ sending

  private async enqueueEnvelope (to: string, message: MessageInput, envelopeId: Uint8Array | undefined, options: AbortOptions): Promise<Uint8Array> {
    const identity = this.requireIdentity()
    const record = await this.directory.lookup(to, options)
    const prekey = pickPrekey(record)
    if (prekey == null) throw new AttnError(`${to} publishes no valid prekey`, 'ERR_RECIPIENT_UNKNOWN')
    const envelope = sealEnvelope({ sender: identity, recipientAddress: to, recipientPrekey: prekey, message, envelopeId })
    const parcel: Parcel = { kind: PARCEL_ENVELOPE, recipient: to, payload: envelope }
    const id = parcelId(parcel)
    this.requireStore().enqueueOutbox({ envelopeId: id, recipient: to, envelope: encodeParcel(parcel) })
    this.emitStatus(id)
    return id
  }

  private async sendGroup (groupId: Uint8Array, body: Uint8Array, contentType: string, options: AbortOptions): Promise<{ id: string }> {
    const identity = this.requireIdentity()
    const store = this.requireStore()
    const state = this.requireGroup(groupIdString(groupId))
    let own = store.getOwnSenderKey(groupId, state.epoch, identity.address)
    if (own == null) {
      own = createSenderKey(identity, groupId, state.epoch)
      store.putOwnSenderKey(own)
      await this.distributeSenderKey(state, own, options)
    }
    const sender = new GroupMessageSender(identity, own)
    const id = Uint8Array.from(randomBytes(16))
    // encrypted once with our sender key, then one parcel per member
    const ciphertext = sender.encrypt({ id, contentType, body, groupId, sentAt: Date.now() })
    store.putOwnSenderKey(sender.senderKey)
    for (const member of state.members) {
      if (member === identity.address) continue
      const parcel: Parcel = { kind: PARCEL_GROUP, recipient: member, payload: ciphertext }
      const copyId = parcelId(parcel)
      store.enqueueOutbox({ envelopeId: copyId, recipient: member, envelope: encodeParcel(parcel), groupId })
      store.statement('INSERT OR IGNORE INTO attn_group_sends (msg_id, envelope_id) VALUES (?, ?)').run(id, copyId)
    }
    this.kick()
    return { id: toHex(id) }
  }

  private async installGroup (state: GroupState, options: AbortOptions, removed: string[] = []): Promise<void> {
    const identity = this.requireIdentity()
    const store = this.requireStore()
    store.putGroupState(state)
    const own = createSenderKey(identity, state.groupId, state.epoch)
    store.putOwnSenderKey(own)
    const update = encodeGroupState(state)
    for (const member of [...state.members, ...removed]) {
      if (member === identity.address) continue
      await this.enqueueEnvelope(member, { kind: 'group-update', contentType: OCTET_STREAM, body: update, groupId: state.groupId }, undefined, options)
        .catch((err) => { this.log('group update to %s not queued: %s', member, err.message) })
    }
    await this.distributeSenderKey(state, own, options)
    this.kick()
  }

  private async changeGroup (previous: GroupState, changes: { members: string[] }, removed: string[], options: AbortOptions): Promise<GroupInfo> {
    // every membership change starts a new epoch with fresh sender keys (removed members get none)
    const state = updateGroup(this.requireIdentity(), previous, changes)
    await this.installGroup(state, options, removed)
    return this.groupInfo(state)
  }

  /** Sends our sender key for the state's epoch to every other member, end to end. */
  private async distributeSenderKey (state: GroupState, key: ReturnType<typeof createSenderKey>, options: AbortOptions): Promise<void> {
    const identity = this.requireIdentity()
    const encoded = encodeSenderKey(key)
    for (const member of state.members) {
      if (member === identity.address) continue
      await this.enqueueEnvelope(member, { kind: 'sender-key', contentType: OCTET_STREAM, body: encoded, groupId: state.groupId }, undefined, options)
        .catch((err) => { this.log('sender key to %s not queued: %s', member, err.message) })
    }
  }

  /** Runs the outbox: one pass now, and again whenever something new is queued or a retry is due. */
  private kick (): void {
    if (!this.started || this.store == null) return
    if (this.workerRunning) { this.workerAgain = true; return }
    this.workerRunning = true
    void this.runOutbox().finally(() => {
      this.workerRunning = false
      if (this.workerAgain && this.store != null) { this.workerAgain = false; this.kick() }
    })
  }

  private async runOutbox (): Promise<void> {
    const store = this.store
    if (store == null) return
    const due = store.dueOutbox(100)
    await Promise.all(due.map(async entry => { await this.attempt(entry).catch((err) => { this.log('attempt failed: %s', err.message) }) }))
    if (this.store == null || this.abort.signal.aborted) return
    // schedule the next due retry
    const next = store.statement(`SELECT MIN(next_attempt_at_ms) AS t FROM outbox WHERE state IN ('queued', 'sent') AND next_attempt_at_ms < ?`)
      .get(Number.MAX_SAFE_INTEGER) as { t: number | null } | undefined
    clearTimeout(this.workerTimer)
    if (next?.t != null) {
      // setTimeout overflows past 2^31-1 ms; wake up at least daily
      this.workerTimer = setTimeout(() => { this.kick() }, Math.min(86_400_000, Math.max(50, Number(next.t) - Date.now())))
      this.workerTimer.unref?.()
    }
  }

  /** One delivery attempt: every device of the recipient directly, else (or also, for offline devices) its mailboxes. */
  private async attempt (entry: OutboxEntry): Promise<void> {
    const store = this.requireStore()
    const id = entry.envelopeId
    if (entry.recipient === this.address && entry.attempts === 0) {
      // a message to our own address: this device is one of the recipients
      try {
        this.processParcel(decodeParcel(entry.envelope))
      } catch (err: any) {
        this.log('local delivery failed: %s', err.message)
      }
    }
    const giveUp = entry.createdAtMs + (this.init.giveUpAfter ?? 7 * DAY * 1000)
    const backoff = Math.min((this.init.retryInitial ?? 2_000) * 2 ** Math.min(entry.attempts, 16), this.init.retryMax ?? 300_000)
    let record
    try {
      record = await this.directory.lookup(entry.recipient, { signal: this.abort.signal })
    } catch (err: any) {
      this.retryOrFail(entry, giveUp, backoff, `recipient unknown: ${err.message}`)
      return
    }
    const self = this.components.peerId.toString()
    const devices = record.devices.map(d => d.nodeId).filter(n => n !== self)
    // listed addresses save a DHT peer lookup before the first dial
    for (const d of record.devices) {
      if (d.nodeId !== self && d.multiaddrs != null && d.multiaddrs.length > 0 && !this.components.attn.isConnected(d.nodeId)) {
        await this.components.attn.learnAddresses(d.nodeId, d.multiaddrs)
      }
    }
    const mailboxes = record.mailboxes.map(m => m.peerId).filter(p => p !== self)
    const storeAtMailboxes = async (): Promise<number> =>
      (await Promise.all(mailboxes.map(async peer => await this.callPeer(peer, METHOD_MAILBOX_PUT, entry.envelope)))).filter(Boolean).length
    // direct delivery first; if it has not succeeded within a short grace (an offline device
    // costs a dial timeout), store at the mailboxes in parallel (a device that answers late
    // dedups the mailbox copy by envelope id)
    let directDone = false
    const key = toHex(id)
    const calls: Array<{ peer: string, msgId: bigint }> = []
    this.inFlight.set(key, calls)
    const directRun = Promise.all(devices.map(async nodeId =>
      await this.callPeer(nodeId, METHOD_DELIVER, entry.envelope, msgId => { calls.push({ peer: nodeId, msgId }) })))
      .finally(() => { directDone = true; this.inFlight.delete(key) })
    let graceTimer: ReturnType<typeof setTimeout> | undefined
    const early = devices.length === 0
      ? storeAtMailboxes()
      : new Promise<number>(resolve => {
        graceTimer = setTimeout(() => { resolve(directDone ? -1 : storeAtMailboxes()) }, this.init.mailboxGrace ?? 1_500)
        void directRun.then(() => { resolve(-1) })
      })
    const direct = await directRun
    const reachedAll = devices.length > 0 && direct.every(Boolean)
    const reachedSome = direct.some(Boolean)
    let stored = reachedAll ? 0 : await early
    clearTimeout(graceTimer)
    if (stored < 0) stored = reachedAll ? 0 : await storeAtMailboxes()
    if (reachedAll || (reachedSome && stored > 0)) {
      store.setOutboxState(id, stored > 0 ? 'stored' : 'sent', { countAttempt: true, nextAttemptAtMs: Number.MAX_SAFE_INTEGER })
    } else if (stored > 0) {
      store.setOutboxState(id, 'stored', { countAttempt: true, nextAttemptAtMs: Number.MAX_SAFE_INTEGER })
    } else if (reachedSome) {
      // some devices have it, the offline ones have no mailbox yet: keep trying for them
      store.setOutboxState(id, 'sent', { countAttempt: true, nextAttemptAtMs: Date.now() + backoff })
    } else {
      this.retryOrFail(entry, giveUp, backoff, 'no device or mailbox reachable')
      return
    }
    this.emitStatus(id)
  }

  private retryOrFail (entry: OutboxEntry, giveUp: number, backoff: number, reason: string): void {
    const store = this.requireStore()
    if (Date.now() + backoff > giveUp) {
      store.setOutboxState(entry.envelopeId, 'failed', { reason, countAttempt: true })
      this.emitStatus(entry.envelopeId)
    } else {
      store.setOutboxState(entry.envelopeId, entry.state, { countAttempt: true, nextAttemptAtMs: Date.now() + backoff, reason })
    }
  }

  private async callPeer (peer: string, method: string, params: Uint8Array, onMsgId?: (msgId: bigint) => void): Promise<boolean> {
    try {
      await this.components.attn.call(peerIdFromString(peer), method, params, { timeout: this.init.callTimeout ?? 10_000, signal: this.abort.signal, onMsgId })
      return true
    } catch (err: any) {
      this.log.trace('%s to %s failed: %s', method, peer, err.message)
      return false
    }
  }

  private async hasOtherDevices (options: AbortOptions): Promise<boolean> {
    try {
      const own = await this.directory.lookup(this.address, options)
      return own.devices.some(d => d.nodeId !== this.components.peerId.toString())
    } catch {
      return false
    }
  }

  private async chooseMailboxes (options: AbortOptions): Promise<Array<{ peerId: string, multiaddrs: string[] }>> {
    const self = this.components.peerId.toString()
    const attn = this.components.attn
    const wanted = this.init.mailboxCount ?? 3
    let peers: string[] = this.init.mailboxes ?? []
    if (peers.length === 0) {
      const { directoryKey } = await import('./protocol/directory-record.js')
      const found = new Set<string>()
      try {
        for await (const event of this.components.dht.getClosestPeers(directoryKey(this.address), { signal: options.signal ?? AbortSignal.timeout(15_000) })) {
          if (event.name === 'FINAL_PEER' && event.peer.id.toString() !== self) found.add(event.peer.id.toString())
        }
      } catch {}
      peers = [...found].slice(0, wanted)
    }
    return peers.map(p => ({ peerId: p, multiaddrs: attn.peerAddresses(p).slice(0, 8) }))
  }

  // ------------------------------------------------------------------ receiving

  /** Decodes request params; undecodable input is counted and answered BAD_REQUEST. */
  private decodeRequest<T> (decode: () => T): T {
    try {
      return decode()
    } catch (err: any) {
      this.reject(err)
      throw new PublicRpcError('BAD_REQUEST', err.message)
    }
  }

  private async onDeliver (params: Uint8Array, ctx: RpcHandlerContext): Promise<void> {
    const parcel = this.decodeRequest(() => decodeParcel(params))
    if (parcel.recipient !== this.address) {
      this.reject(new AttnError('parcel for another address', 'WRONG_RECIPIENT'))
      throw new PublicRpcError('WRONG_RECIPIENT', 'this node does not serve that address')
    }
    try {
      this.processParcel(parcel)
    } catch (err: any) {
      this.reject(err)
      throw new PublicRpcError(err.code ?? 'BAD_REQUEST', err.message)
    }
  }

  /** Opens and stores one parcel addressed to us; throws a typed error if it cannot be read. */
  private processParcel (parcel: Parcel): void {
    const store = this.requireStore()
    const identity = this.requireIdentity()
    this.counters.parcelsIn++
    if (parcel.kind === PARCEL_GROUP) {
      this.processGroupMessage(parcel.payload)
      return
    }
    const current = prekeyIdAt(Math.floor(Date.now() / 1000))
    const opened = openEnvelope({
      recipient: {
        address: identity.address,
        prekey: (id) => id >= current - 3 && id <= current + 2 ? derivePrekey(identity.rootKey, id).privateKey : undefined
      },
      envelope: parcel.payload
    })
    const m = opened.message
    switch (m.kind) {
      case 'message': {
        const isNew = store.insertInbox({
          envelopeId: opened.envelopeId, from: opened.senderAddress, to: identity.address, groupId: m.groupId,
          kind: 'message', contentType: m.contentType, body: m.body, sentAtMs: m.sentAt, receivedAtMs: Date.now()
        })
        if (isNew) {
          this.counters.messagesIn++
          this.emitMessage(opened.envelopeId)
          void this.sendReceipt(opened.senderAddress, opened.envelopeId)
        }
        return
      }
      case 'receipt': {
        const entry = store.getOutbox(new Reader(m.body, 'receipt').bytes(16))
        if (entry == null) return
        verifyReceipt(m.body.subarray(16), entry.recipient, entry.envelopeId)
        if (opened.senderAddress !== entry.recipient) throw new ForgedReceiptError('receipt sealed by another identity than the recipient')
        this.counters.receiptsIn++
        if (store.setOutboxState(entry.envelopeId, 'delivered')) this.emitStatus(entry.envelopeId)
        return
      }
      case 'sync': {
        if (opened.senderAddress !== identity.address) throw new AttnError('sync copy from another identity', 'ERR_FORGED_SYNC')
        // our own copy, handed to ourselves by a message to our own address: nothing to do
        if (Buffer.from(opened.senderNodePublicKey.raw).equals(Buffer.from(identity.nodeKey.publicKey.raw))) return
        const copy = decodeSync(m.body)
        if (store.insertInbox({
          envelopeId: opened.envelopeId, from: identity.address, to: copy.to, kind: 'message',
          contentType: copy.contentType, body: copy.body, sentAtMs: m.sentAt, receivedAtMs: Date.now()
        })) this.emitMessage(opened.envelopeId)
        return
      }
      case 'group-update': {
        const state = decodeGroupState(m.body)
        const previous = store.getGroupState(state.groupId)
        if (previous != null && state.epoch <= previous.epoch) return
        verifyGroupState(state, previous)
        if (!state.admins.includes(opened.senderAddress)) throw new InvalidGroupStateError('group update not sent by an admin')
        store.putGroupState(state)
        if (state.members.includes(identity.address)) {
          // our own sender key for the new epoch, to the members of the new epoch only
          const own = createSenderKey(identity, state.groupId, state.epoch)
          store.putOwnSenderKey(own)
          void this.distributeSenderKey(state, own, {}).then(() => { this.kick() })
        }
        return
      }
      case 'sender-key': {
        const key = decodeSenderKey(m.body)
        const state = store.getGroupState(key.groupId)
        if (state == null || key.epoch !== state.epoch) throw new AttnError('sender key for an unknown group or epoch', 'ERR_UNKNOWN_GROUP')
        if (key.senderAddress !== opened.senderAddress || !state.members.includes(key.senderAddress)) throw new AttnError('sender key from a non-member', 'ERR_FORGED_SENDER_KEY')
        if (!Buffer.from(key.signingPublicKey).equals(Buffer.from(opened.senderNodePublicKey.raw))) throw new AttnError('sender key signing key is not the sender node key', 'ERR_FORGED_SENDER_KEY')
        store.putReceiver(new GroupMessageReceiver(key))
      }
    }
  }

  private processGroupMessage (payload: Uint8Array): void {
    const store = this.requireStore()
    const identity = this.requireIdentity()
    const header = readGroupMessage(payload)
    const state = store.getGroupState(header.groupId)
    if (state == null || !state.members.includes(identity.address)) throw new AttnError('group message for a group we are not in', 'ERR_UNKNOWN_GROUP')
    const receiver = store.getReceiver(header.groupId, header.epoch, header.senderAddress, header.signingPublicKey)
    if (receiver == null) throw new AttnError('no sender key for this group message (yet)', 'ERR_NO_SENDER_KEY')
    const opened = receiver.decrypt(payload)
    store.putReceiver(receiver)
    const m: Message = opened.message
    if (store.insertInbox({
      envelopeId: m.id, from: opened.senderAddress, to: identity.address, groupId: header.groupId, kind: 'message',
      contentType: m.contentType, body: m.body, sentAtMs: m.sentAt, receivedAtMs: Date.now()
    })) this.emitMessage(m.id)
  }

  private async sendReceipt (to: string, envelopeId: Uint8Array): Promise<void> {
    try {
      const identity = this.requireIdentity()
      const receipt = createReceipt(identity, { envelopeId, senderAddress: to })
      // prefixed with the envelope id so the sender finds the outbox entry before verifying
      const body = new Writer().bytes(envelopeId).bytes(receipt).finish()
      await this.enqueueEnvelope(to, { kind: 'receipt', contentType: OCTET_STREAM, body }, undefined, {})
      this.kick()
    } catch (err: any) {
      this.log('could not queue a receipt to %s: %s', to, err.message)
    }
  }

  private async fetchFrom (mailbox: PeerId, options: AbortOptions): Promise<number> {
    let total = 0
    for (let round = 0; round < 100; round++) {
      const res = decodeFetchResponse(await this.components.attn.call(mailbox, METHOD_MAILBOX_FETCH, encodeFetchRequest(MAX_FETCH_ITEMS), { signal: options.signal, timeout: this.init.callTimeout ?? 10_000 }))
      const done: Uint8Array[] = []
      for (const bytes of res.parcels) {
        try {
          const parcel = decodeParcel(bytes)
          this.processParcel(parcel)
          done.push(parcelId(parcel))
        } catch (err: any) {
          // e.g. a group message whose sender key has not arrived: left in the mailbox for the next fetch
          this.reject(err)
          this.log('mailbox parcel not processed: %s', err.message)
        }
      }
      if (done.length > 0) await this.components.attn.call(mailbox, METHOD_MAILBOX_ACK, encodeAck(done), { signal: options.signal })
      total += done.length
      this.counters.mailboxFetched += done.length
      if (!res.more || done.length === 0) break
    }
    return total
  }

  private onMailboxPut (params: Uint8Array, ctx: RpcHandlerContext): Uint8Array {
    const store = this.requireStore()
    const parcel = this.decodeRequest(() => decodeParcel(params))
    try {
      if (store.mailboxPut({ recipient: parcel.recipient, envelopeId: parcelId(parcel), envelope: params, senderHint: ctx.remoteAddress }).stored) this.counters.mailboxStored++
    } catch (err: any) {
      this.reject(err)
      throw new PublicRpcError(err.code ?? 'MAILBOX_ERROR', err.message)
    }
    return Uint8Array.of(1)
  }

  /** Only the identity a parcel is for may fetch it; each device sees what it has not acked yet. */
  private onMailboxFetch (params: Uint8Array, ctx: RpcHandlerContext): Uint8Array {
    const store = this.requireStore()
    const { limit } = this.decodeRequest(() => decodeFetchRequest(params))
    const device = this.components.attn.sessionDevice(ctx.sessionId)
    const acked = store.statement('SELECT 1 FROM attn_mailbox_acks WHERE recipient = ? AND envelope_id = ? AND device = ?')
    const out: Uint8Array[] = []
    let bytes = 0
    let after: number | undefined
    let more = false
    outer: for (let page = 0; page < 50; page++) {
      const { items, next } = store.mailboxFetch(ctx.remoteAddress, { limit: 256, after })
      for (const item of items) {
        if (acked.get(ctx.remoteAddress, item.envelopeId, device) != null) continue
        if (out.length >= limit || bytes + item.envelope.byteLength > MAX_FETCH_BYTES) { more = true; break outer }
        out.push(item.envelope)
        bytes += item.envelope.byteLength
      }
      if (next == null) break
      after = next
    }
    return encodeFetchResponse(out, more)
  }

  /** Marks parcels fetched by this device; deletes them once every listed device has them. */
  private async onMailboxAck (params: Uint8Array, ctx: RpcHandlerContext): Promise<Uint8Array> {
    const store = this.requireStore()
    const ids = this.decodeRequest(() => decodeAck(params))
    const device = this.components.attn.sessionDevice(ctx.sessionId)
    let devices = 1
    try {
      devices = Math.max(1, (await this.directory.lookup(ctx.remoteAddress)).devices.length)
    } catch {}
    const mark = store.statement('INSERT OR IGNORE INTO attn_mailbox_acks (recipient, envelope_id, device) VALUES (?, ?, ?)')
    const count = store.statement('SELECT COUNT(*) AS n FROM attn_mailbox_acks WHERE recipient = ? AND envelope_id = ?')
    const drop = store.statement('DELETE FROM attn_mailbox_acks WHERE recipient = ? AND envelope_id = ?')
    const done: Uint8Array[] = []
    for (const id of ids) {
      mark.run(ctx.remoteAddress, id, device)
      const n = Number((count.get(ctx.remoteAddress, id) as { n: number }).n)
      if (n >= devices) {
        done.push(id)
        drop.run(ctx.remoteAddress, id)
      }
    }
    if (done.length > 0) store.mailboxAck(ctx.remoteAddress, done)
    return Uint8Array.of(1)
  }

  // ------------------------------------------------------------------ helpers

  private statusOf (entry: OutboxEntry, id: string): MessageStatus {
    return { id, state: entry.state, reason: entry.failureReason, to: entry.recipient, updatedAt: entry.updatedAtMs }
  }

  private emitStatus (envelopeId: Uint8Array): void {
    const entry = this.store?.getOutbox(envelopeId)
    if (entry != null) this.safeDispatchEvent('status', { detail: this.statusOf(entry, toHex(envelopeId)) })
  }

  private emitMessage (envelopeId: Uint8Array): void {
    const e = this.store?.getInbox(envelopeId)
    if (e == null) return
    this.safeDispatchEvent('message', {
      detail: {
        id: toHex(e.envelopeId), from: e.from, to: e.to, group: e.groupId == null ? null : groupIdString(e.groupId),
        contentType: e.contentType, body: bodyString(e.contentType, e.body), sentAt: e.sentAtMs, receivedAt: e.receivedAtMs
      }
    })
  }

  private groupInfo (s: GroupState): GroupInfo {
    return { id: groupIdString(s.groupId), name: s.name, admins: s.admins, members: s.members, epoch: Number(s.epoch) }
  }

  private requireGroup (groupId: string): GroupState {
    const id = parseGroupId(groupId)
    const state = id == null ? undefined : this.requireStore().getGroupState(id)
    if (state == null) throw new UnknownGroupError(groupId)
    return state
  }

  private requireAdminOf (groupId: string): GroupState {
    const state = this.requireGroup(groupId)
    if (!state.admins.includes(this.requireIdentity().address)) throw new NotGroupAdminError(groupId)
    return state
  }

  private checkAddress (address: string): void {
    try {
      parseAttAddress(address)
    } catch {
      throw new InvalidRecipientError(address)
    }
  }

  private requireIdentity (): Identity {
    if (this.identity == null) throw new AttnError('the messaging service is not started', 'ERR_NOT_STARTED')
    return this.identity
  }

  private requireStore (): MessagingStore {
    if (this.store == null) throw new AttnError('the messaging service is not started', 'ERR_NOT_STARTED')
    return this.store
  }
}

/** libp2p service factory: `services: { messaging: messaging({ dbPath }) }` (after `attn` and `dht`). */
export function messaging (init: MessagingServiceInit = {}): (components: MessagingServiceComponents) => MessagingService {
  return (components) => new MessagingService(components, init)
}
