import { randomBytes } from 'node:crypto'
import { serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import { peerIdOf } from './peer-ids.js'
import { hkdfSha256 } from '../crypto/index.js'
import { parseAttAddress } from '../keys/index.js'
import { toHex } from './protocol/codec.js'
import { OCTET_STREAM, TEXT_PLAIN } from './protocol/message.js'
import { encodeSync } from './protocol/sync.js'
import { checkDirectoryRecord, directoryKey, encodeDirectoryRecord } from './protocol/directory-record.js'
import { METHOD_DELIVER } from './protocol/rpc-methods.js'
import { METHOD_MAILBOX_TERMS } from './protocol/postage.js'
import {
  DEFAULT_DELIVERY_CALL_TIMEOUT_MS, DEFAULT_FETCH_INTERVAL_MS, DEFAULT_GIVE_UP_AFTER_MS, DEFAULT_MAILBOX_COUNT, DEFAULT_MAILBOX_GRACE_MS,
  DEFAULT_PROBE_INITIAL_MS, DEFAULT_PROBE_MAX_MS, DEFAULT_RECORD_TTL_SECONDS, DEFAULT_RETRY_INITIAL_MS, DEFAULT_RETRY_MAX_MS,
  DEFAULT_INBOX_PAGE, DIRECTORY_KEY_PREFIX, GROUP_ID_LENGTH, MAX_BODY_BYTES, SEEN_ENVELOPE_TTL_MS, STARTUP_FETCH_RETRY_MS, STARTUP_FETCH_TRIES
} from './constants.js'
import { InvalidRecipientError, MessageNotFoundError, MessageTooLargeError, NotStartedError } from './errors.js'
import { MessagingCounters } from './counters.js'
import { DirectoryClient } from './directory-client.js'
import { GroupManager } from './group-manager.js'
import { MailboxServer } from './mailbox-server.js'
import { Outbox } from './outbox.js'
import { DeviceSessions } from './device-sessions.js'
import { PrekeyClient } from './prekey-client.js'
import { PrekeyServer } from './prekey-server.js'
import { ParcelReceiver } from './parcel-receiver.js'
import { StaleDevices } from './stale-devices.js'
import { PeerBook } from './peer-book.js'
import { Postage } from './postage.js'
import { RecordPublisher } from './record-publisher.js'
import { RevocationState } from './revocations.js'
import { isRevoked } from './protocol/directory-record.js'
import { MessagingStore } from './store.js'
import { groupIdString, inboxMessageOf, parseGroupId, statusOf } from './views.js'
import { Contacts } from './contacts.js'
import { InboxMessageNotFoundError } from './errors.js'
import type { Contact } from './contacts.js'
import type { SentMessage } from './types.js'
import { DeliveryPaths } from './delivery-paths.js'
import { advertisedPrice } from '../utils/price.js'
import type { MessagingStats } from './counters.js'
import type { DirectoryRecord } from './protocol/directory-record.js'
import type { OutboxEntry, OutboxState } from './store.js'
import type { GroupInfo, InboxMessage, MessageStatus, MessagingServiceInit } from './types.js'
import type { Identity } from '../keys/index.js'
import type { Attn } from '../service/index.js'
import type { RpcStatus } from '../rpc/index.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { AbortOptions, ComponentLogger, Logger, PeerId, PeerStore, Startable } from '@libp2p/interface'
import type { AddressManager, ConnectionManager } from '@libp2p/interface-internal'

export type { GroupInfo, InboxMessage, MessageState, MessageStatus, MessagingServiceInit, SentMessage } from './types.js'
export type { Contact } from './contacts.js'
export { MessageNotFoundError, NotGroupAdminError, UnknownGroupError, InvalidRecipientError } from './errors.js'

export interface MessagingServiceComponents {
  attn: Attn
  dht: KadDHT
  peerId: PeerId
  logger: ComponentLogger
  connectionManager: ConnectionManager
  peerStore: PeerStore
  addressManager: AddressManager
  /** The node's DHT record store, when it has ours: tells us of newer records of our own identity. */
  dhtStore?: { onDirectoryRecord(listener: (key: string, value: Uint8Array) => void): () => void }
}

export interface MessagingEvents {
  message: CustomEvent<InboxMessage>
  status: CustomEvent<MessageStatus>
}

/** How long a transit status query waits for each device, ms. */
const TRANSIT_QUERY_TIMEOUT_MS = 3_000
/** Transit states cached, transit queries in flight, and emitted states remembered, at most. */
const MAX_TRANSIT_CACHE = 1_000
const MAX_TRANSIT_QUERIES = 64
const MAX_EMITTED_CACHE = 10_000

/** Sets `key` in a bounded map, dropping the oldest entry when full. */
function remember<V> (map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > max) map.delete(map.keys().next().value as string)
}

/** Store meta key of our last published directory record. */
const OWN_RECORD_KEY = 'own-directory-record'
/** Without a record of ours in the cache, mailbox polls look it up at most this often, ms. */
const OWN_RECORD_LOOKUP_INTERVAL_MS = 10_000
/** How often expired mailbox parcels and quarantined parcels are purged, ms. */
const EXPIRE_INTERVAL_MS = 60_000

/** What exists only while the service runs: made in afterStart, dropped in stop, so a restart starts clean. */
interface Running {
  identity: Identity
  store: MessagingStore
  abort: AbortController
  outbox: Outbox
  receiver: ParcelReceiver
  groups: GroupManager
  mailbox?: MailboxServer
  prekeyServer?: PrekeyServer
  prekeys: PrekeyClient
  publisher: RecordPublisher
  revocations: RevocationState
  contacts: Contacts
  timers: Array<ReturnType<typeof setInterval>>
  /** When we last looked our own record up for its mailboxes (unix ms). */
  ownLookupAt: number
  /** Stops watching the DHT store for our own records. */
  unwatch?: () => void
}

/**
 * The messaging layer of a node (protocols/messaging.md). It composes the parts, each with one
 * job: {@link RecordPublisher} (our directory record), {@link Outbox} (sealing, delivery, retries,
 * re-probes), {@link ParcelReceiver} (opening, storing, receipts, mailbox fetch),
 * {@link MailboxServer} (the mailbox role) and {@link GroupManager} (groups and sender keys).
 */
export class MessagingService extends TypedEventEmitter<MessagingEvents> implements Startable {
  private readonly components: MessagingServiceComponents
  private readonly init: MessagingServiceInit
  private readonly log: Logger
  private readonly directory: DirectoryClient
  private readonly peers: PeerBook
  private readonly counters = new MessagingCounters()
  /** Last known transit state of in-flight calls (`peer/msgId`), refreshed in the background. */
  private readonly transit = new Map<string, RpcStatus>()
  private readonly transitQueries = new Set<string>()
  /** Last state/reason emitted per message id: the same state is not an event twice. */
  private readonly lastEmitted = new Map<string, string>()
  private readonly paths = new DeliveryPaths()
  private twinAddresses?: string[]
  private running?: Running
  private started = false

  constructor (components: MessagingServiceComponents, init: MessagingServiceInit = {}) {
    super()
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('attn:messaging')
    this.directory = new DirectoryClient(components.dht, this.log, init.lookupTimeout)
    this.peers = new PeerBook(components, this.log)
  }

  readonly [Symbol.toStringTag] = '@attn/messaging'
  readonly [serviceCapabilities]: string[] = ['@attn/messaging']
  readonly [serviceDependencies]: string[] = ['@attn/service', '@libp2p/kad-dht']

  /** Our ATT address (the attn service's identity; known from its start on, and after stop). */
  get address (): string {
    return this.components.attn.address
  }

  async start (): Promise<void> {
    this.started = true
  }

  /** After every service started: the attn identity is known, the DHT is up. */
  async afterStart (): Promise<void> {
    const { attn, peerId, dht } = this.components
    const init = this.init
    const identity = attn.identity
    const self = peerId.toString()
    // a linked device holds no root key: its store is sealed under its own device key
    const key = hkdfSha256((identity.rootKey ?? identity.nodeKey).raw, new Uint8Array(0), 'attn/1 messaging-store', 32)
    // prekeys and ratchet sessions are sealed under a key of this device's node key (the secret the
    // keystore passphrase protects; a linked device holds no root key): messaging.md §10.6
    const stateKey = hkdfSha256(identity.nodeKey.raw, new Uint8Array(0), 'attn/2 device-state', 32)
    const store = new MessagingStore(init.dbPath ?? ':memory:', { encryptionKey: key, stateKey, mailboxTtlSeconds: init.mailboxTtlSeconds, quotas: init.mailboxQuotas })
    const sessions = new DeviceSessions({ store, identity, self, counters: this.counters, log: this.log })
    const prekeys = new PrekeyClient({ attn, sessions, self, log: this.log, callTimeout: init.callTimeout ?? DEFAULT_DELIVERY_CALL_TIMEOUT_MS, batch: init.oneTimePrekeyBatch })
    const abort = new AbortController()
    const callTimeout = init.callTimeout ?? DEFAULT_DELIVERY_CALL_TIMEOUT_MS
    let receiver: ParcelReceiver | undefined
    const postage = new Postage({ attn, counters: this.counters, log: this.log, signal: abort.signal, callTimeout }, init.postage)
    // advertised in attn.info and our directory record (a hint; mailbox.terms is the binding offer)
    const mailboxPrice = init.mailbox === false ? undefined : advertisedPrice(postage.terms().price)
    attn.advertiseMailboxPrice(mailboxPrice)
    const outbox = new Outbox({
      postage,
      store,
      identity,
      self,
      attn,
      directory: this.directory,
      peers: this.peers,
      counters: this.counters,
      log: this.log,
      signal: abort.signal,
      timings: {
        retryInitial: init.retryInitial ?? DEFAULT_RETRY_INITIAL_MS,
        retryMax: init.retryMax ?? DEFAULT_RETRY_MAX_MS,
        probeInitial: init.probeInitial ?? DEFAULT_PROBE_INITIAL_MS,
        probeMax: init.probeMax ?? DEFAULT_PROBE_MAX_MS,
        giveUpAfter: init.giveUpAfter ?? DEFAULT_GIVE_UP_AFTER_MS,
        callTimeout,
        mailboxGrace: init.mailboxGrace ?? DEFAULT_MAILBOX_GRACE_MS
      },
      onStatus: (id) => { this.emitStatus(id) },
      deliverLocally: (message) => { receiver?.processLocal(message) },
      sessions,
      paths: this.paths,
      prekeys
    })
    const groups = new GroupManager({
      store,
      identity,
      outbox,
      log: this.log,
      counters: this.counters,
      onKeysChanged: (groupId) => { receiver?.retryQuarantined(groupId) }
    })
    const staleDevices = new StaleDevices({ identity, self, directory: this.directory, store, sessions, outbox, prekeys, counters: this.counters, log: this.log, signal: abort.signal })
    receiver = new ParcelReceiver({
      staleDevices,
      postage,
      store,
      identity,
      attn,
      outbox,
      groups,
      counters: this.counters,
      log: this.log,
      callTimeout,
      sessions,
      isRevoked: (address, nodeId) => { const r = this.directory.cached(address); return r != null && isRevoked(r, nodeId) },
      onMessage: (id) => { this.emitMessage(id) },
      onStatus: (id) => { this.emitStatus(id) }
    })
    const lastPublished = this.ownRecord(store, identity.address)
    // our mailboxes are known before the DHT answers: mail waiting for us is fetched at once
    if (lastPublished != null) this.directory.remember(lastPublished)
    const revocations = new RevocationState({ identity, self, log: this.log, path: init.revocationsPath, known: [lastPublished?.revocations] })
    const publisher = new RecordPublisher({
      revocations,
      identity,
      self,
      dht,
      directory: this.directory,
      peers: this.peers,
      log: this.log,
      recordTtlSeconds: init.recordTtlSeconds ?? DEFAULT_RECORD_TTL_SECONDS,
      mailboxes: init.mailboxes ?? [],
      mailboxCount: init.mailboxCount ?? DEFAULT_MAILBOX_COUNT,
      lastPublished,
      deviceBundle: () => sessions.publicBundle(),
      carrierAddresses: () => carrierMultiaddrs(attn.endpoints(), this.peers.ownAddresses()),
      mailboxPrice: () => mailboxPrice,
      servesMailbox: async (peer, options) => {
        await attn.call(peerIdOf(peer), METHOD_MAILBOX_TERMS, new Uint8Array(0), { timeout: callTimeout, signal: options.signal })
        return true
      },
      onPublished: (record) => {
        store.setMeta(OWN_RECORD_KEY, encodeDirectoryRecord(record))
        // our mailboxes now know our devices: keep them stocked with one-time prekeys
        void prekeys.replenish(record, { signal: abort.signal }).catch((err) => { this.log('one-time prekey replenish failed: %s', err.message) })
      },
      onTwin: (multiaddrs) => { this.twinAddresses = multiaddrs }
    })
    const mailbox = init.mailbox === false
      ? undefined
      : new MailboxServer({ store, attn, directory: this.directory, counters: this.counters, log: this.log, self, rates: init.mailboxPutRate, postage })
    const prekeyServer = init.mailbox === false ? undefined : new PrekeyServer({ store, attn, directory: this.directory, counters: this.counters, log: this.log, self })
    // a newer record stored in our DHT store (another device of ours, or of an identity whose mail
    // we hold, published): our cached view of their devices stays current. Mailboxes are the
    // DHT-closest peers of a record, so they receive every publication of the identities they serve
    const ownKeyText = new TextDecoder().decode(directoryKey(identity.address))
    const unwatch = this.components.dhtStore?.onDirectoryRecord((keyText, value) => {
      const address = keyText.slice(DIRECTORY_KEY_PREFIX.length)
      const own = keyText === ownKeyText
      if (!own && this.directory.cached(address) == null) return
      try {
        this.directory.learn(checkDirectoryRecord(directoryKey(address), value), { onlyIfCached: !own })
      } catch (err: any) {
        this.log('a directory record in the DHT store does not validate: %s', err.message)
      }
    })
    const running: Running = { identity, store, abort, outbox, receiver, groups, mailbox, prekeyServer, prekeys, publisher, revocations, contacts: new Contacts(store), timers: [], ownLookupAt: 0, unwatch }
    this.running = running

    const r = receiver
    attn.handle(METHOD_DELIVER, (params, ctx) => r.onDeliver(params, ctx))
    mailbox?.register()
    prekeyServer?.register()

    const recordTtl = init.recordTtlSeconds ?? DEFAULT_RECORD_TTL_SECONDS
    running.timers.push(
      setInterval(() => { void this.fetchMailboxes().catch((err) => { this.log('mailbox fetch failed: %s', err.message) }) }, init.fetchInterval ?? DEFAULT_FETCH_INTERVAL_MS),
      setInterval(() => { store.mailboxExpire(); store.expireSeenEnvelopes(SEEN_ENVELOPE_TTL_MS); postage.expire() }, EXPIRE_INTERVAL_MS),
      setInterval(() => { void this.publish().catch((err) => { this.log('republish failed: %s', err.message) }) }, recordTtl * 500)
    )
    for (const t of running.timers) t.unref?.()

    if (init.publishOnStart !== false) {
      // in the background: the DHT may still be empty right after start
      void this.publish().catch((err) => { this.log('initial publish failed: %s', err.message) })
    }
    void this.startupFetch(abort.signal).catch((err) => { this.log('initial mailbox fetch failed: %s', err.message) })
    outbox.kick()
  }

  async stop (): Promise<void> {
    const running = this.running
    this.running = undefined
    this.started = false
    if (running == null) return
    running.abort.abort()
    running.unwatch?.()
    for (const t of running.timers) clearInterval(t)
    this.components.attn.unhandle(METHOD_DELIVER)
    running.mailbox?.unregister()
    running.prekeyServer?.unregister()
    // a running outbox pass finishes (its calls are aborted) before the database closes
    await running.outbox.stop()
    running.store.close()
  }

  isStarted (): boolean {
    return this.started
  }

  // ------------------------------------------------------------------ public API

  /** Counters: parcels received, messages and receipts accepted, mailbox use, junk, rejected input by error code. */
  stats (): MessagingStats {
    return this.counters.snapshot()
  }

  /** Store counts for metrics (outbox by state, mailbox items and bytes); undefined when not started. */
  storeCounts (): ReturnType<MessagingStore['counts']> | undefined {
    return this.running?.store.counts()
  }

  /** Publishes (or republishes) our directory record; returns its seq and how many DHT peers accepted it. */
  async publish (options: AbortOptions = {}): Promise<{ seq: string, accepted: number }> {
    return await this.require().publisher.publish(options)
  }

  /**
   * Sends a text (or bytes) message to an address or a group; resolves with its id once queued.
   * A recipient whose record is not found yet is not an error: the message waits in the outbox
   * (status `queued`, with the reason) until the record appears or the give-up time passes.
   */
  async send (to: string, body: Uint8Array | string, options: AbortOptions & { contentType?: string } = {}): Promise<{ id: string }> {
    const { identity, outbox, groups, contacts } = this.require()
    to = contacts.resolve(to)
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
    if (bytes.byteLength > MAX_BODY_BYTES) throw new MessageTooLargeError(`a message body is at most ${MAX_BODY_BYTES} bytes (got ${bytes.byteLength})`)
    const contentType = options.contentType ?? (typeof body === 'string' ? TEXT_PLAIN : OCTET_STREAM)
    const groupId = parseGroupId(to)
    if (groupId != null) {
      const id = groups.send(groupId, bytes, contentType)
      outbox.kick()
      return { id: toHex(id) }
    }
    checkAddress(to)
    const id = Uint8Array.from(randomBytes(16))
    const sentAt = Date.now()
    outbox.enqueue(to, { kind: 'message', contentType, body: bytes, sentAt }, { envelopeId: id, kind: 'message' })
    outbox.kick()
    // our other devices (if the directory lists any) get a copy of what we sent; finding out takes
    // a directory lookup, which must not hold the send up (a sick DHT would make it hang or time out)
    if (to !== identity.address) void this.syncToOtherDevices(to, { contentType, body: bytes, sentAt })
    return { id: toHex(id) }
  }

  /** Queues a sync copy of a sent message for our other devices, if our record lists any. */
  private async syncToOtherDevices (to: string, m: { contentType: string, body: Uint8Array, sentAt: number }): Promise<void> {
    const running = this.running
    if (running == null) return
    try {
      if (!await this.hasOtherDevices(running.identity, { signal: running.abort.signal })) return
      if (this.running !== running) return
      running.outbox.enqueue(running.identity.address, { kind: 'sync', contentType: OCTET_STREAM, body: encodeSync({ to, contentType: m.contentType, body: m.body }), sentAt: m.sentAt }, { kind: 'control' })
      running.outbox.kick()
    } catch (err: any) {
      this.log.error('cannot queue the sync copy for our other devices: %s', err.message)
    }
  }

  /** The sender's view of a message: queued → sent → stored → delivered, or failed. */
  async status (id: string): Promise<MessageStatus> {
    const { store, outbox } = this.require()
    if (!/^[0-9a-f]{32}$/.test(id)) throw new MessageNotFoundError(id)
    const bytes = Uint8Array.from(Buffer.from(id, 'hex'))
    const entry = store.getOutbox(bytes)
    if (entry != null) {
      const status = this.withPath(this.named(statusOf(entry, id)))
      if (entry.kind !== 'message') throw new MessageNotFoundError(id)
      const calls = outbox.inFlight(id)
      if (calls != null && calls.length > 0 && (entry.state === 'queued' || entry.state === 'sent')) {
        // in flight: each device's last known state of its copy, from the local cache; the RPC
        // status query that refreshes it runs in the background (it may wait seconds for a device)
        status.transit = calls.map(({ peer, msgId }) => ({ peer, state: this.transit.get(`${peer}/${msgId}`) ?? 'unknown' as RpcStatus }))
        this.refreshTransit(calls)
      }
      return status
    }
    // a group message: each current member's copy; the message is as far as the least advanced one
    let copies = store.groupCopies(bytes)
    if (copies.length === 0) throw new MessageNotFoundError(id)
    const groupId = copies[0].groupId ?? new Uint8Array(GROUP_ID_LENGTH)
    const members = store.getGroupState(groupId)?.members
    const current = members == null ? copies : copies.filter(c => members.includes(c.recipient))
    if (current.length > 0) copies = current
    return {
      ...statusOf(leastAdvanced(copies), id),
      to: groupIdString(groupId),
      members: copies.map(c => ({ address: c.recipient, state: c.state }))
    }
  }

  /** Queries the devices of in-flight calls for their state (one query per call at a time), into the cache. */
  private refreshTransit (calls: Array<{ peer: string, msgId: bigint }>): void {
    for (const { peer, msgId } of calls) {
      const key = `${peer}/${msgId}`
      if (this.transitQueries.has(key) || this.transitQueries.size >= MAX_TRANSIT_QUERIES) continue
      this.transitQueries.add(key)
      void this.components.attn.queryStatus(peerIdOf(peer), [msgId], { timeout: TRANSIT_QUERY_TIMEOUT_MS })
        .then(([state]) => { remember(this.transit, key, state, MAX_TRANSIT_CACHE) })
        .catch((err: any) => { this.log.trace('transit query to %s failed: %s', peer, err.message) })
        .finally(() => { this.transitQueries.delete(key) })
    }
  }

  /**
   * A page of received messages, oldest first within the page: the newest `limit` (default 1000);
   * `before` (a receivedAt, exclusive) pages back; `after` the oldest `limit` after it (forward).
   */
  inbox (options: { limit?: number, after?: number, before?: number, unread?: boolean } = {}): InboxMessage[] {
    const { store, contacts } = this.require()
    const names = contacts.names()
    return store.inboxPage({ afterMs: options.after, beforeMs: options.before, limit: options.limit ?? DEFAULT_INBOX_PAGE, unreadOnly: options.unread })
      .map(e => withName(inboxMessageOf(e), names.get(e.from)))
  }

  /** Marks received messages read (`read` false: unread again); unknown ids are an error. Returns how many changed. */
  markRead (ids: string[], read = true): number {
    const { store } = this.require()
    const bytes = ids.map(id => {
      const b = /^[0-9a-f]{32}$/.test(id) ? Uint8Array.from(Buffer.from(id, 'hex')) : undefined
      const e = b == null ? undefined : store.getInbox(b)
      if (b == null || e == null || e.kind !== 'message' || store.inboxDeleted(b)) throw new InboxMessageNotFoundError(id)
      return b
    })
    return store.markRead(bytes, read)
  }

  /** Marks every received message read; returns how many changed. */
  markAllRead (): number {
    return this.require().store.markAllRead()
  }

  /** Unread received messages, in all and by sender address. */
  unread (): { unread: number, from: Record<string, number> } {
    const { total, bySender } = this.require().store.unreadCounts()
    return { unread: total, from: bySender }
  }

  /** Deletes a received message (its content; the id stays known so a redelivery is not stored again). */
  deleteMessage (id: string): void {
    const { store } = this.require()
    if (!/^[0-9a-f]{32}$/.test(id) || !store.deleteInbox(Uint8Array.from(Buffer.from(id, 'hex')))) throw new InboxMessageNotFoundError(id)
  }

  /** Messages this node sent (1:1 and group), newest first, with their states. */
  sent (options: { limit?: number, before?: number } = {}): SentMessage[] {
    const { store, contacts } = this.require()
    const names = contacts.names()
    const q = { limit: options.limit ?? DEFAULT_INBOX_PAGE, beforeMs: options.before }
    const direct: SentMessage[] = store.sentMessages(q).map(e => withName({
      id: toHex(e.envelopeId), to: e.recipient, state: e.state, ...(e.failureReason != null ? { reason: e.failureReason } : {}), createdAt: e.createdAtMs, updatedAt: e.updatedAtMs
    }, names.get(e.recipient), 'toName'))
    const grouped: SentMessage[] = store.sentGroupMessages(q).filter(g => g.copies.length > 0).map(g => {
      const least = leastAdvanced(g.copies)
      return {
        id: toHex(g.msgId),
        to: groupIdString(least.groupId ?? new Uint8Array(GROUP_ID_LENGTH)),
        state: least.state,
        createdAt: Math.min(...g.copies.map(c => c.createdAtMs)),
        updatedAt: Math.max(...g.copies.map(c => c.updatedAtMs))
      }
    })
    return [...direct, ...grouped].sort((a, b) => b.createdAt - a.createdAt).slice(0, q.limit)
  }

  /** Contacts, by name. */
  contacts (): Contact[] {
    return this.require().contacts.list()
  }

  addContact (name: string, address: string): Contact {
    return this.require().contacts.add(name, address)
  }

  removeContact (name: string): Contact {
    return this.require().contacts.remove(name)
  }

  renameContact (from: string, to: string): Contact {
    return this.require().contacts.rename(from, to)
  }

  /** An address or group id as given, a contact name as its address (ERR_INVALID_ADDRESS otherwise). */
  resolve (to: string): string {
    return this.require().contacts.resolve(to)
  }

  /** A status with the recipient's contact name. */
  private named (status: MessageStatus): MessageStatus {
    const name = this.running?.contacts.nameOf(status.to)
    return name == null ? status : { ...status, toName: name }
  }

  /**
   * Addresses where the DHT showed this very PeerId in a record this node did not publish (another
   * node runs with a copy of this identity), found when publishing; undefined when none was seen.
   */
  twin (): string[] | undefined {
    return this.twinAddresses
  }

  /**
   * Revokes a device of this identity (root key only, messaging.md §2.2): the new revocation list is
   * kept in the home and published at once (a failed publication is retried with the next one).
   */
  async revoke (nodeId: string, options: AbortOptions = {}): Promise<{ seq: string, nodeIds: string[], published?: { seq: string, accepted: number }, publishError?: string }> {
    const { revocations, publisher } = this.require()
    const list = await revocations.revoke(nodeId)
    const out = { seq: list.seq.toString(), nodeIds: list.nodeIds }
    try {
      return { ...out, published: await publisher.publish(options) }
    } catch (err: any) {
      this.log('publishing the revocation failed (retried with the next publication): %s', err.message)
      return { ...out, publishError: err.message }
    }
  }

  /** The revocation list as this node knows it, and whether it revokes this device. */
  revocationState (): { revoked: string[], seq: string | null, selfRevoked: boolean } {
    const r = this.running?.revocations
    const list = r?.current()
    return { revoked: list?.nodeIds ?? [], seq: list?.seq.toString() ?? null, selfRevoked: r?.revokedSelf() != null }
  }

  /** Our directory record as last published or seen (its devices and mailboxes), if any. */
  publishedRecord (): DirectoryRecord | undefined {
    return this.directory.cached(this.address)
  }

  /** Pulls our parcels from every mailbox in our directory record. */
  async fetchMailboxes (options: AbortOptions = {}): Promise<{ fetched: number }> {
    const { fetched } = await this.fetchRound(options)
    return { fetched }
  }

  /**
   * The start-up fetch: mail waiting for us is what a user sees first, so a mailbox that could not
   * be reached right after start (its dial or our first session timed out) is asked again after
   * STARTUP_FETCH_RETRY_MS, doubling, STARTUP_FETCH_TRIES times in all, instead of at the next poll.
   */
  private async startupFetch (signal: AbortSignal): Promise<void> {
    let wait = STARTUP_FETCH_RETRY_MS
    for (let i = 0; i < STARTUP_FETCH_TRIES && !signal.aborted; i++) {
      if (i > 0) {
        await new Promise(resolve => { setTimeout(resolve, wait).unref?.() })
        wait *= 2
        if (signal.aborted || this.running == null) return
      }
      const { failed } = await this.fetchRound({ signal })
      if (failed === 0) return
    }
  }

  private async fetchRound (options: AbortOptions): Promise<{ fetched: number, failed: number }> {
    const running = this.require()
    const { identity, receiver } = running
    let record = this.directory.cached(identity.address)
    if (record == null) {
      // not published by us yet: look our record up, but not on every poll (a DHT walk each time)
      if (Date.now() - running.ownLookupAt < OWN_RECORD_LOOKUP_INTERVAL_MS) return { fetched: 0, failed: 0 }
      running.ownLookupAt = Date.now()
      try {
        record = await this.directory.lookup(identity.address, options)
      } catch (err: any) {
        this.log('no record of ours to find our mailboxes: %s', err.message)
        return { fetched: 0, failed: 0 }
      }
    }
    const self = this.components.peerId.toString()
    let fetched = 0
    let failed = 0
    await Promise.all(record.mailboxes.map(async (mailbox) => {
      if (mailbox.peerId === self) return
      // the record's addresses: without them a dial right after start has nothing to try but a
      // DHT peer lookup, and a dial that others (bootstrap) joined would die with our timeout
      if (mailbox.multiaddrs.length > 0 && !this.peers.isConnected(mailbox.peerId)) await this.peers.learnAddresses(mailbox.peerId, mailbox.multiaddrs)
      try {
        fetched += await receiver.fetchFrom(peerIdOf(mailbox.peerId), options)
      } catch (err: any) {
        failed++
        this.log('fetch from mailbox %s failed: %s', mailbox.peerId, err.message)
      }
    }))
    // the mailboxes' stock of our one-time prekeys, checked now and then (and retried while a check
    // fails): after the fetch, so that at start-up the mail waiting for us is the first call on each
    // new session and no prekey check or key generation competes with it (issue 17, offline_fetch)
    if (record.devices.some(d => d.nodeId === self)) {
      void running.prekeys.maybeReplenish(record, { signal: running.abort.signal }).catch((err) => { this.log('one-time prekey check failed: %s', err.message) })
    }
    return { fetched, failed }
  }

  async createGroup (name: string, members: string[], _options: AbortOptions = {}): Promise<GroupInfo> {
    const { groups, outbox, contacts } = this.require()
    members = members.map(m => contacts.resolve(m))
    for (const m of members) checkAddress(m)
    const info = groups.create(name, members)
    outbox.kick()
    return info
  }

  async addMember (groupId: string, address: string, _options: AbortOptions = {}): Promise<GroupInfo> {
    const { groups, outbox, contacts } = this.require()
    address = contacts.resolve(address)
    checkAddress(address)
    const info = groups.addMember(groupId, address)
    outbox.kick()
    return info
  }

  async removeMember (groupId: string, address: string, _options: AbortOptions = {}): Promise<GroupInfo> {
    const { groups, outbox, contacts } = this.require()
    address = contacts.resolve(address)
    const info = groups.removeMember(groupId, address)
    outbox.kick()
    return info
  }

  async renameGroup (groupId: string, name: string, _options: AbortOptions = {}): Promise<GroupInfo> {
    const { groups, outbox } = this.require()
    const info = groups.rename(groupId, name)
    outbox.kick()
    return info
  }

  async leaveGroup (groupId: string, _options: AbortOptions = {}): Promise<GroupInfo> {
    const { groups, outbox } = this.require()
    const info = groups.leave(groupId)
    outbox.kick()
    return info
  }

  listGroups (): GroupInfo[] {
    return this.require().groups.list()
  }

  // ------------------------------------------------------------------ helpers

  /** Our last published record from the store, if it is still valid. */
  private ownRecord (store: MessagingStore, address: string): DirectoryRecord | undefined {
    const bytes = store.getMeta(OWN_RECORD_KEY)
    if (bytes == null) return undefined
    try {
      return checkDirectoryRecord(directoryKey(address), bytes)
    } catch (err: any) {
      this.log('our stored directory record is no longer valid: %s', err.message)
      return undefined
    }
  }

  /** Whether our record lists other devices (when no record is found: the one we last saw decides). */
  private async hasOtherDevices (identity: Identity, options: AbortOptions): Promise<boolean> {
    const self = this.components.peerId.toString()
    try {
      const own = await this.directory.lookup(identity.address, options)
      return own.devices.some(d => d.nodeId !== self)
    } catch (err: any) {
      this.log.trace('no record of ours found (the last one seen decides on other devices): %s', err.message)
      return this.directory.cached(identity.address)?.devices.some(d => d.nodeId !== self) ?? false
    }
  }

  /**
   * A status event for a user's message whose state or reason changed. Receipts, sync copies and
   * group control traffic are protocol traffic, not messages the user sent: no event. A state
   * reported again (a second receipt, an attempt ending where a receipt already took it) is not
   * an event again: one `delivered` per message.
   */
  private emitStatus (envelopeId: Uint8Array): void {
    const entry = this.running?.store.getOutboxStatus(envelopeId)
    if (entry == null || entry.kind !== 'message') return
    const id = toHex(envelopeId)
    const seen = `${entry.state}/${entry.failureReason ?? ''}`
    if (this.lastEmitted.get(id) === seen) return
    remember(this.lastEmitted, id, seen, MAX_EMITTED_CACHE)
    this.safeDispatchEvent('status', { detail: this.withPath(this.named(statusOf(entry, id))) })
  }

  private withPath (status: MessageStatus): MessageStatus {
    const hop = this.paths.get(status.id)
    return hop == null ? status : { ...status, ...hop }
  }

  private emitMessage (envelopeId: Uint8Array): void {
    const e = this.running?.store.getInbox(envelopeId)
    if (e != null) this.safeDispatchEvent('message', { detail: withName(inboxMessageOf(e), this.running?.contacts.nameOf(e.from)) })
  }

  private require (): Running {
    if (this.running == null) throw new NotStartedError('the messaging service')
    return this.running
  }
}

/** `value` with `[key]: name` when there is a name. */
function withName<T extends object> (value: T, name: string | undefined, key = 'fromName'): T {
  return name == null ? value : { ...value, [key]: name }
}

/** The least advanced of a group message's member copies (failed counts as least). */
function leastAdvanced (copies: OutboxEntry[]): OutboxEntry {
  const rank: Record<OutboxState, number> = { failed: -1, queued: 0, sent: 1, stored: 2, delivered: 3 }
  return [...copies].sort((a, b) => rank[a.state] - rank[b.state])[0]
}

function checkAddress (address: string): void {
  try {
    parseAttAddress(address)
  } catch {
    throw new InvalidRecipientError(address)
  }
}

/** libp2p service factory: `services: { messaging: messaging({ dbPath }) }` (after `attn` and `dht`). */
export function messaging (init: MessagingServiceInit = {}): (components: MessagingServiceComponents) => MessagingService {
  return (components) => new MessagingService(components, init)
}

/**
 * The UDP/HTTP carrier endpoints (`udp://H:P`, `http://H:P`) as directory multiaddrs; a wildcard
 * listen host (0.0.0.0, ::) is replaced by the IPv4 addresses libp2p announces.
 */
function carrierMultiaddrs (endpoints: string[], own: string[]): string[] {
  const ips = [...new Set(own.map(a => /^\/ip4\/([0-9.]+)\//.exec(a)?.[1]).filter((ip): ip is string => ip != null && ip !== '0.0.0.0'))]
  const out: string[] = []
  for (const e of endpoints) {
    const m = /^(udp|http):\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(e)
    if (m == null) continue
    const host = m[2].replace(/^\[|\]$/g, '')
    const hosts = host === '0.0.0.0' || host === '::' ? ips : [host]
    for (const h of hosts) {
      const ip = h.includes(':') ? `/ip6/${h}` : `/ip4/${h}`
      out.push(m[1] === 'udp' ? `${ip}/udp/${m[3]}` : `${ip}/tcp/${m[3]}/http`)
    }
  }
  return out
}
