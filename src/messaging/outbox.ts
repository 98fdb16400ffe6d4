import { randomBytes } from 'node:crypto'
import { peerIdOf } from './peer-ids.js'
import { toHex } from './protocol/codec.js'
import { anySignal } from '../utils/signals.js'
import { decodeMessage, encodeMessage } from './protocol/message.js'
import { PARCEL_BUNDLE, encodeParcel } from './protocol/parcel.js'
import { METHOD_DELIVER } from './protocol/rpc-methods.js'
import type { DeviceSessions } from './device-sessions.js'
import type { PrekeyClient } from './prekey-client.js'
import type { Message } from './protocol/message.js'
import type { DirectoryClient } from './directory-client.js'
import type { MessagingCounters } from './counters.js'
import type { PeerBook } from './peer-book.js'
import { carrierOf } from './delivery-paths.js'
import type { DeliveryPaths } from './delivery-paths.js'
import type { CarrierKind } from '../carriers/channel.js'
import type { MessageInput, MessageKind } from './protocol/message.js'
import type { DirectoryRecord } from './protocol/directory-record.js'
import type { MessagingStore, OutboxEntry, OutboxKind } from './store.js'
import type { Postage } from './postage.js'
import type { Identity } from '../keys/index.js'
import type { Attn } from '../service/index.js'
import type { Logger } from '@libp2p/interface'

export interface OutboxTimings {
  retryInitial: number
  retryMax: number
  probeInitial: number
  probeMax: number
  giveUpAfter: number
  callTimeout: number
  mailboxGrace: number
}

export interface OutboxInit {
  store: MessagingStore
  identity: Identity
  /** Our libp2p peer id string. */
  self: string
  attn: Attn
  directory: DirectoryClient
  peers: PeerBook
  counters: MessagingCounters
  log: Logger
  /** Aborted at stop: ends every call in flight. */
  signal: AbortSignal
  timings: OutboxTimings
  /** An entry changed state. */
  onStatus(envelopeId: Uint8Array): void
  /** A message to our own address: this device is one of its recipients (it holds no session with itself). */
  deliverLocally(message: Message): void
  /** This device's ratchet sessions: seals each message for every device of the recipient (messaging.md §10). */
  sessions: DeviceSessions
  /** Mailbox choice and postage (protocols/rewards.md §6). */
  postage: Postage
  /** Where the path of each message's first hand-off is noted (message-status `path`). */
  paths?: DeliveryPaths
  /** Takes one-time prekeys from the recipient's mailboxes before a session starts (§10.8). */
  prekeys?: PrekeyClient
}

/**
 * Attempts in flight at once. Each entry is scheduled on its own: a new message starts at once
 * instead of waiting for a pass in flight, and no attempt waits for the slowest of a batch.
 */
const MAX_ACTIVE_ATTEMPTS = 128
/** An attempt that threw left its entry due: it waits this long before the next try (no hot loop). */
const ERROR_COOLDOWN_MS = 1_000
/** setTimeout overflows past 2^31-1 ms: wake up at least daily. */
const MAX_SLEEP_MS = 86_400_000

/**
 * The sender's queue (messaging.md §Sending): seals each message end to end once the
 * recipient's record is known, delivers it directly to every device of the recipient and, when
 * that does not succeed quickly, to its mailboxes; retries with backoff; re-probes a delivered
 * message until its receipt arrives (a lost receipt is re-triggered by the redelivery).
 */
export class Outbox {
  private timer?: ReturnType<typeof setTimeout>
  private stopped = false
  /** Attempts in flight, by envelope id hex (an entry is never attempted twice at once). */
  private readonly active = new Map<string, Promise<void>>()
  /** Entries whose last attempt threw, by envelope id hex: not retried before this time (unix ms). */
  private readonly cooling = new Map<string, number>()
  /** Direct delivery calls in flight, by envelope id hex: which device, which RPC msg_id. */
  private readonly calls = new Map<string, Array<{ peer: string, msgId: bigint }>>()
  /** A kickSoon() is scheduled. */
  private kickPending = false

  constructor (private readonly init: OutboxInit) {}

  /**
   * Queues a message for `to`, unsealed: the worker seals it when the recipient's record is
   * found, so this never waits for the DHT. Returns the envelope id (random unless given).
   */
  enqueue (to: string, message: MessageInput & { kind: MessageKind }, options: { envelopeId?: Uint8Array, kind: OutboxKind }): Uint8Array {
    const id = options.envelopeId ?? Uint8Array.from(randomBytes(16))
    const bytes = encodeMessage({ id, sentAt: message.sentAt ?? Date.now(), contentType: message.contentType ?? '', body: message.body, groupId: message.groupId, kind: message.kind })
    this.init.store.enqueueUnsealed({ envelopeId: id, recipient: to, message: bytes, groupId: message.groupId, kind: options.kind })
    this.init.onStatus(id)
    return id
  }

  /** The devices a direct delivery of this message is in flight to, with the RPC msg_id of each call. */
  inFlight (idHex: string): Array<{ peer: string, msgId: bigint }> | undefined {
    return this.calls.get(idHex)
  }

  /** Starts every due entry that is not in flight now; called whenever something is queued or an attempt ends. */
  kick (): void {
    if (this.stopped || this.init.signal.aborted) return
    const { store } = this.init
    const free = MAX_ACTIVE_ATTEMPTS - this.active.size
    if (free > 0) {
      // entries in flight are still due in the store: ask for enough to see past them
      // ids only: most due entries are in flight; a whole row is read for the ones started
      for (const envelopeId of store.dueOutboxIds(free + this.active.size + this.cooling.size)) {
        if (this.active.size >= MAX_ACTIVE_ATTEMPTS) break
        const key = toHex(envelopeId)
        if (this.active.has(key)) continue
        const until = this.cooling.get(key)
        if (until != null) {
          if (until > Date.now()) continue
          this.cooling.delete(key)
        }
        const entry = store.getOutbox(envelopeId)
        if (entry == null) continue
        const run = this.attempt(entry)
          .catch((err) => {
            this.init.log('attempt failed: %s', err.message)
            this.cooling.set(key, Date.now() + ERROR_COOLDOWN_MS)
          })
          .finally(() => {
            this.active.delete(key)
            this.kickSoon()
          })
        this.active.set(key, run)
      }
    }
    this.arm()
  }

  /**
   * kick() once the current I/O callbacks are done: attempts that end, messages sent and receipts
   * queued together (a send loop, a burst read from one socket chunk) share one scan of the due
   * entries instead of one each (issue 17, message_throughput).
   */
  kickSoon (): void {
    if (this.kickPending) return
    this.kickPending = true
    setImmediate(() => {
      this.kickPending = false
      this.kick()
    })
  }

  /** Stops scheduling and waits for the attempts in flight (the store closes after this). */
  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await Promise.all([...this.active.values()])
  }

  /**
   * Wakes up when the next entry falls due. An entry due now is either in flight (its end kicks
   * again) or waiting for a free slot (an attempt's end kicks again): no timer needed for it.
   */
  private arm (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const now = Date.now()
    for (const [key, until] of this.cooling) if (until <= now) this.cooling.delete(key)
    const next = this.init.store.nextDueAt()
    if (next == null) { this.cooling.clear(); return }
    let wait = next - now
    if (this.cooling.size > 0) {
      // a cooling entry is due but skipped: wake when the first one may go again
      wait = Math.max(wait, Math.min(...this.cooling.values()) - now)
    } else if (wait <= 0 && this.active.size > 0) return
    this.timer = setTimeout(() => { this.kick() }, Math.min(MAX_SLEEP_MS, Math.max(50, wait)))
    this.timer.unref?.()
  }

  /** One attempt: seal if needed, then every device of the recipient directly, else (or also) its mailboxes. */
  private async attempt (entry: OutboxEntry): Promise<void> {
    const { store, timings, self } = this.init
    const id = entry.envelopeId
    const probing = entry.state === 'sent' || entry.state === 'stored'
    const giveUp = entry.createdAtMs + timings.giveUpAfter
    const backoff = Math.min(timings.retryInitial * 2 ** Math.min(entry.attempts, 16), timings.retryMax)
    // a message is re-probed until its receipt arrives; control messages expect none
    const probeAt = entry.kind === 'message' && Date.now() < giveUp
      ? Date.now() + Math.min(timings.probeInitial * 2 ** Math.min(entry.attempts, 16), timings.probeMax)
      : Number.MAX_SAFE_INTEGER
    let record: DirectoryRecord
    try {
      record = await this.init.directory.lookup(entry.recipient, { signal: this.init.signal })
    } catch (err: any) {
      // it reached someone before: probe again later, never back to queued or failed
      if (probing) store.setOutboxState(id, entry.state, { countAttempt: true, nextAttemptAtMs: probeAt })
      else this.retryOrFail(entry, giveUp, backoff, `recipient unknown: ${err.message as string}`)
      return
    }
    const devices = record.devices.map(d => d.nodeId).filter(n => n !== self)
    // listed addresses save a DHT peer lookup before the first dial; the dial and handshake start
    // now, in parallel for every device, and run while the message is sealed
    await Promise.all(record.devices.map(async d => {
      if (d.nodeId === self || this.init.peers.isConnected(d.nodeId)) return
      if (d.multiaddrs != null && d.multiaddrs.length > 0) await this.init.peers.learnAddresses(d.nodeId, d.multiaddrs)
    }))
    for (const nodeId of devices) this.prepareSession(nodeId)
    if (!entry.sealed) {
      let sealed: OutboxEntry | undefined
      let oneTime = new Map<string, { id: number, publicKey: Uint8Array }>()
      const fresh = this.init.prekeys == null ? [] : this.init.sessions.devicesWithoutSession(record)
      if (fresh.length > 0) oneTime = await (this.init.prekeys as PrekeyClient).take(record, fresh, { signal: this.init.signal })
      try {
        sealed = this.seal(entry, record, oneTime)
      } catch (err: any) {
        this.retryOrFail(entry, giveUp, backoff, `cannot seal: ${err.message as string}`)
        return
      }
      if (sealed == null) {
        // a note to self on our only device: delivered locally, nothing to send
        store.setOutboxState(id, 'sent', { countAttempt: true, nextAttemptAtMs: probeAt })
        this.init.onStatus(id)
        return
      }
      entry = sealed
    }
    if (probing) this.init.counters.add('reprobes')
    const mailboxes = record.mailboxes.map(m => m.peerId).filter(p => p !== self)
    const { direct, stored } = await this.deliver(entry, devices, mailboxes)
    const reachedAll = devices.length > 0 && direct.every(Boolean)
    const reachedSome = direct.some(Boolean)
    if (reachedAll || stored > 0) {
      store.setOutboxState(id, stored > 0 ? 'stored' : 'sent', { countAttempt: true, nextAttemptAtMs: probeAt })
    } else if (reachedSome) {
      // some devices have it, the offline ones have no mailbox yet: keep trying for them
      store.setOutboxState(id, 'sent', { countAttempt: true, nextAttemptAtMs: Date.now() + backoff })
    } else if (probing) {
      // it reached someone before; nobody answers now: probe again later, never back to queued
      store.setOutboxState(id, entry.state, { countAttempt: true, nextAttemptAtMs: probeAt })
      return
    } else {
      this.retryOrFail(entry, giveUp, backoff, this.init.postage.refusal(id) ?? 'no device or mailbox reachable')
      return
    }
    this.init.onStatus(id)
  }

  /** Starts the dial and ATTN handshake with a device (shared with the delivery call that follows). */
  private prepareSession (nodeId: string): void {
    try {
      // bounded like the call that joins it: a call waiting on this handshake cannot outlive its own timeout by much
      this.init.attn.connect(peerIdOf(nodeId), { signal: anySignal(this.init.signal, AbortSignal.timeout(this.init.timings.callTimeout)) })
        .catch((err: any) => { this.init.log.trace('early session with %s failed: %s', nodeId, err.message) })
    } catch (err: any) {
      this.init.log.trace('early session with %s not started: %s', nodeId, err.message)
    }
  }

  /**
   * Seals an unsealed entry end to end: a bundle for every device of the recipient (but this one),
   * each on its ratchet session; the new session states and the sealed parcel are stored in one
   * transaction. A message to our own address is also handed to this device here (once per
   * sealing). Returns undefined when there is nothing to send (our only device).
   */
  private seal (entry: OutboxEntry, record: DirectoryRecord, oneTime: Map<string, { id: number, publicKey: Uint8Array }>): OutboxEntry | undefined {
    const { store, sessions } = this.init
    const bytes = store.unsealedMessage(entry)
    const m = decodeMessage(bytes)
    if (entry.recipient === this.init.identity.address) {
      try {
        this.init.deliverLocally(m)
      } catch (err: any) {
        this.init.log('local delivery failed: %s', err.message)
      }
    }
    return store.transaction(() => {
      const bundle = sessions.seal(record, bytes, entry.envelopeId, oneTime)
      if (bundle == null) return undefined
      const parcel = encodeParcel({ kind: PARCEL_BUNDLE, recipient: entry.recipient, payload: bundle })
      store.markSealed(entry.envelopeId, parcel)
      return { ...entry, envelope: parcel, sealed: true }
    })
  }

  /**
   * Direct delivery first; if it has not succeeded within a short grace (an offline device costs
   * a dial timeout), store at the mailboxes in parallel (a device that answers late dedups the
   * mailbox copy by envelope id).
   */
  private async deliver (entry: OutboxEntry, devices: string[], mailboxes: string[]): Promise<{ direct: boolean[], stored: number }> {
    // the carrier of the first mailbox call that stored the copy (message-status `carrier`)
    let mailboxCarrier: CarrierKind | undefined
    const storeAtMailboxes = async (): Promise<number> => await this.init.postage.store(entry, mailboxes, c => { mailboxCarrier ??= c })
    let directDone = false
    const key = toHex(entry.envelopeId)
    const calls: Array<{ peer: string, msgId: bigint }> = []
    this.calls.set(key, calls)
    const directRun = Promise.all(devices.map(async nodeId => {
      // the path is read when the call goes out (dialled, session up): by the time the reply is
      // back, the recipient may have dialled us directly to send its receipt
      let path: 'direct' | 'relayed' | undefined
      let carrier: CarrierKind | undefined
      const ok = await this.callPeer(nodeId, METHOD_DELIVER, entry.envelope, msgId => {
        calls.push({ peer: nodeId, msgId })
        if (path == null) {
          path = this.pathOf(nodeId)
          carrier = carrierOf(this.init.attn, nodeId)
        }
      })
      if (ok && path != null) this.init.paths?.record(key, path, carrier)
      return ok
    }))
      .finally(() => { directDone = true; this.calls.delete(key) })
    let graceTimer: ReturnType<typeof setTimeout> | undefined
    let earlyStored = 0
    // stored at a mailbox while the direct calls still wait for their timeout: say so now (the
    // state the grace promises), not when the slowest direct call gives up
    const storeEarly = async (): Promise<number> => {
      const n = await storeAtMailboxes()
      earlyStored = n
      // the mailbox copy is the first hand-off when the direct calls still wait: note its path now
      if (n > 0 && !directDone) this.init.paths?.record(key, 'mailbox', mailboxCarrier)
      if (n > 0 && !directDone && this.init.store.setOutboxState(entry.envelopeId, 'stored')) this.init.onStatus(entry.envelopeId)
      return n
    }
    const early = devices.length === 0
      ? storeAtMailboxes()
      : new Promise<number>(resolve => {
        graceTimer = setTimeout(() => { resolve(directDone ? -1 : storeEarly()) }, this.init.timings.mailboxGrace)
        void directRun.then(() => { resolve(-1) })
      })
    const direct = await directRun
    const reachedAll = devices.length > 0 && direct.every(Boolean)
    // already marked stored: keep it (stored → sent would be refused, leaving the entry due at once)
    let stored = reachedAll ? earlyStored : await early
    clearTimeout(graceTimer)
    if (stored < 0) stored = reachedAll ? 0 : await storeAtMailboxes()
    if (stored > 0) this.init.paths?.record(key, 'mailbox', mailboxCarrier)
    return { direct, stored }
  }

  /** Whether the session with a device sends over a circuit relay (its channel's address says). */
  private pathOf (nodeId: string): 'direct' | 'relayed' {
    const sessions = this.init.attn.sessions
    const session = sessions?.sessionWithPeer(peerIdOf(nodeId))
    const addr = session == null ? undefined : sessions?.channelOf(session)?.remoteAddr
    if (addr != null) return addr.toString().includes('/p2p-circuit') ? 'relayed' : 'direct'
    return this.init.peers.pathTo(nodeId)
  }

  private retryOrFail (entry: OutboxEntry, giveUp: number, backoff: number, reason: string): void {
    const { store } = this.init
    if (Date.now() + backoff > giveUp) {
      store.setOutboxState(entry.envelopeId, 'failed', { reason, countAttempt: true })
      this.init.onStatus(entry.envelopeId)
    } else {
      store.setOutboxState(entry.envelopeId, entry.state, { countAttempt: true, nextAttemptAtMs: Date.now() + backoff, reason })
    }
  }

  private async callPeer (peer: string, method: string, params: Uint8Array, onMsgId?: (msgId: bigint) => void): Promise<boolean> {
    try {
      await this.init.attn.call(peerIdOf(peer), method, params, { timeout: this.init.timings.callTimeout, signal: this.init.signal, onMsgId })
      return true
    } catch (err: any) {
      this.init.log.trace('%s to %s failed: %s', method, peer, err.message)
      return false
    }
  }
}
