import { randomBytes } from 'node:crypto'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { PublicRpcError } from '../rpc/index.js'
import { Reader, Writer, toHex } from './protocol/codec.js'
import { readGroupMessage } from './protocol/group.js'
import { OCTET_STREAM, encodeMessage } from './protocol/message.js'
import { PARCEL_BUNDLE, PARCEL_GROUP, decodeParcel, encodeParcel, parcelId } from './protocol/parcel.js'
import { createReceipt, verifyReceipt } from './protocol/receipt.js'
import { decodeSync } from './protocol/sync.js'
import { decodeRequest } from './rpc-request.js'
import {
  MAX_FETCH_ITEMS, METHOD_MAILBOX_ACK, METHOD_MAILBOX_FETCH, decodeFetchResponse, encodeAck, encodeFetchRequest
} from './protocol/rpc-methods.js'
import { DIRECT_QUARANTINE_BURST, DIRECT_QUARANTINE_RATE, MAX_RATE_BUCKETS, QUARANTINE_MAX, QUARANTINE_MAX_PER_GROUP, QUARANTINE_MAX_PER_SENDER, QUARANTINE_TTL_MS, SESSION_RESET_MIN_INTERVAL_MS } from './constants.js'
import { RateLimiter } from './rate-limiter.js'
import {
  DuplicateEnvelopeError, ForgedReceiptError, ForgedSyncError, NotForThisDeviceError, SenderRevokedError, SessionStateLostError, UnknownGroupError,
  UnknownSenderKeyError, UnsupportedVersionError, WrongRecipientError
} from './errors.js'
import type { DeviceSessions } from './device-sessions.js'
import type { StaleDevices } from './stale-devices.js'
import type { Message } from './protocol/message.js'
import type { PublicKey } from '@libp2p/interface'
import type { GroupManager } from './group-manager.js'
import type { MessagingCounters } from './counters.js'
import type { Outbox } from './outbox.js'
import type { Postage } from './postage.js'
import type { Parcel } from './protocol/parcel.js'
import type { InboxEntry, MessagingStore, QuarantineTrust } from './store.js'
import type { Identity } from '../keys/index.js'
import type { Attn } from '../service/index.js'
import type { RpcHandlerContext } from '../rpc/index.js'
import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'

export interface ParcelReceiverInit {
  store: MessagingStore
  identity: Identity
  attn: Attn
  outbox: Outbox
  groups: GroupManager
  counters: MessagingCounters
  log: Logger
  callTimeout: number
  sessions: DeviceSessions
  /** Delivery receipts for paid parcels, after each ack (protocols/rewards.md §6). */
  postage: Postage
  /** Stale device lists (§10.4.1): noticed on receipt, acted on as a sender. */
  staleDevices: StaleDevices
  /** Whether our cached record of `address` revokes device `nodeId` (messaging.md §2.2). */
  isRevoked?(address: string, nodeId: string): boolean
  /** A new message is in the inbox. */
  onMessage(envelopeId: Uint8Array): void
  /** An outbox entry changed state (a receipt arrived). */
  onStatus(envelopeId: Uint8Array): void
}

/** Passes of one quarantine retry (a pass runs again only when keys changed during the last one). */
const MAX_QUARANTINE_PASSES = 4
/** At most this many fetch rounds (of up to MAX_FETCH_ITEMS parcels) per mailbox per fetch. */
const MAX_FETCH_ROUNDS = 100

/** Errors after which a parcel may open later (its group's state or sender key has not arrived yet). */
function mayOpenLater (err: unknown): boolean {
  return err instanceof UnknownGroupError || err instanceof UnknownSenderKeyError
}

/** The group a parcel that may open later waits for, if it names one, and who it claims to come from. */
function quarantineOriginOf (parcel: Parcel, err: unknown): { groupId: Uint8Array, sender?: string } | undefined {
  // a group message names its group and sender in the clear (not yet verifiable: no sender key);
  // a sender key names its group inside an envelope whose sender is authenticated
  if (parcel.kind === PARCEL_GROUP) {
    const header = readGroupMessage(parcel.payload)
    return { groupId: header.groupId, sender: header.senderAddress }
  }
  if (err instanceof UnknownGroupError && /^[0-9a-f]{32}$/.test(err.group)) return { groupId: Uint8Array.from(Buffer.from(err.group, 'hex')), sender: err.sender }
  return undefined
}

/** Errors of our own storage: the parcel is fine, we are not; leave it at the mailbox. */
function isLocalFailure (err: unknown): boolean {
  const code = (err as { code?: string })?.code
  return code === 'ERR_STORE_CORRUPT' || code === 'ERR_STORE_VERSION' || code === 'ERR_NOT_STARTED'
}

/**
 * The receiving side (messaging.md §Receiving): opens parcels delivered directly (`msg.deliver`)
 * or fetched from mailboxes, stores messages exactly once with their receipt queued in the same
 * transaction, applies receipts, sync copies, group updates and sender keys, and acknowledges
 * every fetched parcel it is done with — including junk, which is counted and dropped, so no
 * parcel can block the ones behind it.
 */
export class ParcelReceiver {
  /** One fetch per mailbox at a time: a second caller joins the running one (no parcel handled twice). */
  private readonly fetching = new Map<string, Promise<number>>()
  /** When we last reset the session with a peer device (address + device), unix ms: at most one reset a minute each. */
  private readonly resets = new Map<string, number>()
  /** Groups whose quarantine is being retried (by group id hex): true = their keys changed meanwhile, run again. */
  private readonly retrying = new Map<string, boolean>()
  /** Groups with a quarantine retry scheduled (by group id hex), not yet started. */
  private readonly retryScheduled = new Set<string>()
  /** Quarantines through `msg.deliver`, by caller address. */
  private readonly directQuarantines = new RateLimiter(DIRECT_QUARANTINE_RATE, DIRECT_QUARANTINE_BURST, MAX_RATE_BUCKETS)

  constructor (private readonly init: ParcelReceiverInit) {}

  /**
   * `msg.deliver`: a parcel for us, straight from the sender. One that cannot be opened yet (its
   * group state or sender key is still on its way: the sender queues them before its parcels, but
   * nothing keeps them in order) is quarantined as a fetched one would be and accepted: the sender
   * has handed it over, and it opens here when the missing piece arrives.
   */
  onDeliver (params: Uint8Array, ctx: RpcHandlerContext): Uint8Array {
    const parcel = decodeRequest(this.init.counters, () => decodeParcel(params))
    if (parcel.recipient !== this.init.identity.address) {
      const err = new WrongRecipientError('this node does not serve that address')
      this.init.counters.reject(err)
      throw new PublicRpcError(err.code, err.message)
    }
    try {
      this.process(parcel)
    } catch (err: any) {
      if (mayOpenLater(err) && this.quarantineDirect(parcel, err, ctx.remoteAddress)) return Uint8Array.of(1)
      this.init.counters.reject(err)
      throw new PublicRpcError(err.code ?? 'BAD_REQUEST', err.message)
    }
    return Uint8Array.of(1)
  }

  /**
   * Quarantines a parcel delivered directly that may open later: a group message only from the
   * member it names as its sender (who fans it out itself), within the caller's rate. False: refuse
   * it as before (the sender then stores it at our mailboxes, where the same rule keeps it).
   */
  private quarantineDirect (parcel: Parcel, err: Error, caller: string): boolean {
    try {
      if (parcel.kind === PARCEL_GROUP && readGroupMessage(parcel.payload).senderAddress !== caller) return false
    } catch (e: any) {
      this.init.log('a group parcel whose header does not parse: %s', e.message)
      return false
    }
    if (quarantineOriginOf(parcel, err) == null || !this.directQuarantines.take(caller)) return false
    return this.quarantine(parcel, parcelId(parcel), err)
  }

  /**
   * Opens and stores one parcel addressed to us; throws a typed error if it cannot be read. A
   * bundle (§10) is opened on its ratchet session and everything it causes (session state, seen
   * envelope id, inbox row, receipt) is written in one transaction: a crash before the commit
   * leaves the message key in place for the redelivery, and after it the message is stored.
   * v1 envelopes (kind 1) are no longer opened (§10.7).
   * Returns the sender's address the parcel proved (what a delivery receipt may name), if any.
   */
  process (parcel: Parcel): string | undefined {
    this.init.counters.add('parcelsIn')
    if (parcel.kind === PARCEL_GROUP) {
      return this.processGroupMessage(parcel)
    }
    if (parcel.kind !== PARCEL_BUNDLE) throw new UnsupportedVersionError('v1 envelopes (root-derived prekeys) are no longer opened; the sender must use v2 bundles')
    const { store, sessions, counters } = this.init
    let opened: ReturnType<DeviceSessions['open']>
    try {
      opened = sessions.open(parcel.payload)
    } catch (err) {
      if (err instanceof DuplicateEnvelopeError) return this.onDuplicate(parcel)
      if (err instanceof NotForThisDeviceError) {
        // a bundle sealed before this device was listed: nothing for us in it, and not junk
        counters.add('duplicates')
        return
      }
      if (err instanceof SessionStateLostError) this.onStateLost(err)
      throw err
    }
    // a revoked device's parcels are refused (nothing is committed: its session state stays as it was)
    const senderDevice = peerIdFromPublicKey(opened.senderNodePublicKey).toString()
    if (this.init.isRevoked?.(opened.senderAddress, senderDevice) === true) {
      throw new SenderRevokedError(`device ${senderDevice} of ${opened.senderAddress} is revoked`)
    }
    store.transaction(() => {
      opened.commit()
      if (opened.peerReset) {
        // the peer device lost its state and started over: what it may have missed is sealed again
        counters.add('sessionsReset')
        store.resealPending(opened.senderAddress)
      }
      this.dispatch(opened.message, opened.senderAddress, opened.senderNodePublicKey, opened.envelopeId)
      // a user message sealed for an older record of ours: tell the sender which devices it missed
      if (opened.message.kind === 'message') this.init.staleDevices.notice(opened.senderAddress, opened.envelopeId, opened.bundleDevices)
    })
    if (opened.peerReset) this.init.outbox.kick()
    return opened.senderAddress
  }

  /** A message this device sent to its own address: handled as if received (it has no session with itself). */
  processLocal (m: Message): void {
    const { identity, store } = this.init
    store.transaction(() => { this.dispatch(m, identity.address, identity.nodeKey.publicKey, m.id) })
  }

  /**
   * A bundle we opened before (another mailbox's copy, a re-probe): the sender may lack our receipt.
   * Returns the sender the first opening proved, if we still hold the message.
   */
  private onDuplicate (parcel: Parcel): string | undefined {
    const { store, counters } = this.init
    counters.add('duplicates')
    const e = store.getInbox(parcelId(parcel))
    if (e != null && e.kind === 'message' && e.groupId == null && e.from !== this.init.identity.address) {
      this.storeWithReceipt(e, e.from, e.envelopeId)
    }
    return e?.from
  }

  /**
   * Our session with a peer device cannot open its message (we were restored from a backup, or the
   * peer was, or keys expired): drop the session, tell the peer on a fresh one (a `session-reset`
   * message starts it) and reseal our undelivered messages to it. At most once a minute per device.
   */
  private onStateLost (err: SessionStateLostError): void {
    const { sessions, outbox, store, log } = this.init
    const key = `${err.peerAddress}/${err.peerDevice}`
    const last = this.resets.get(key) ?? 0
    if (Date.now() - last < SESSION_RESET_MIN_INTERVAL_MS) return
    this.resets.set(key, Date.now())
    if (this.resets.size > 10_000) this.resets.delete(this.resets.keys().next().value as string)
    log.error('ratchet state with %s (device %s) is lost: %s; starting a new session', err.peerAddress, err.peerDevice, err.message)
    store.transaction(() => {
      sessions.reset(err.peerAddress, err.peerDevice)
      store.resealPending(err.peerAddress)
      outbox.enqueue(err.peerAddress, { kind: 'session-reset', contentType: OCTET_STREAM, body: new Uint8Array(0) }, { kind: 'control' })
    })
    outbox.kick()
  }

  /** Acts on an opened message by its kind (inside the caller's transaction). */
  private dispatch (m: Message, senderAddress: string, senderNodePublicKey: PublicKey, envelopeId: Uint8Array): void {
    const { store, identity, groups } = this.init
    const opened = { senderAddress, senderNodePublicKey, envelopeId }
    switch (m.kind) {
      case 'message': {
        this.storeWithReceipt({
          envelopeId: opened.envelopeId, from: opened.senderAddress, to: identity.address, groupId: m.groupId,
          kind: 'message', contentType: m.contentType, body: m.body, sentAtMs: m.sentAt, receivedAtMs: Date.now()
        }, opened.senderAddress, opened.envelopeId)
        return
      }
      case 'receipt': {
        const entry = store.getOutbox(new Reader(m.body, 'receipt').bytes(16))
        if (entry == null) return
        verifyReceipt(m.body.subarray(16), entry.recipient, entry.envelopeId)
        if (opened.senderAddress !== entry.recipient) throw new ForgedReceiptError('receipt sealed by another identity than the recipient')
        this.init.counters.add('receiptsIn')
        if (store.setOutboxState(entry.envelopeId, 'delivered')) this.init.onStatus(entry.envelopeId)
        return
      }
      case 'sync': {
        if (opened.senderAddress !== identity.address) throw new ForgedSyncError()
        // our own copy, handed to ourselves by a message to our own address: nothing to do
        if (Buffer.from(opened.senderNodePublicKey.raw).equals(Buffer.from(identity.nodeKey.publicKey.raw))) return
        const copy = decodeSync(m.body)
        if (store.insertInbox({
          envelopeId: opened.envelopeId, from: identity.address, to: copy.to, kind: 'message',
          contentType: copy.contentType, body: copy.body, sentAtMs: m.sentAt, receivedAtMs: Date.now()
        })) this.init.onMessage(opened.envelopeId)
        return
      }
      case 'group-update':
        groups.onGroupUpdate(m.body, opened.senderAddress)
        this.init.outbox.kick()
        return
      case 'sender-key':
        groups.onSenderKey(m.body, opened.senderAddress, opened.senderNodePublicKey.raw)
        return
      case 'session-reset':
        // its arrival on a new session did the work (peerReset in process)
        return
      case 'devices':
        this.init.staleDevices.onHint(m.body, opened.senderAddress)
    }
  }

  /**
   * Pulls our parcels from one mailbox until it has no more. Every parcel is acknowledged once
   * handled: stored, quarantined (may open later), or junk (counted and dropped). Only a failure
   * of our own storage leaves parcels at the mailbox.
   */
  async fetchFrom (mailbox: PeerId, options: AbortOptions = {}): Promise<number> {
    const key = mailbox.toString()
    let running = this.fetching.get(key)
    if (running == null) {
      running = this.fetchRounds(mailbox, options).finally(() => { this.fetching.delete(key) })
      this.fetching.set(key, running)
    }
    return await running
  }

  private async fetchRounds (mailbox: PeerId, options: AbortOptions): Promise<number> {
    const { attn, counters } = this.init
    let total = 0
    for (let round = 0; round < MAX_FETCH_ROUNDS; round++) {
      const res = decodeFetchResponse(await attn.call(mailbox, METHOD_MAILBOX_FETCH, encodeFetchRequest(MAX_FETCH_ITEMS), { signal: options.signal, timeout: this.init.callTimeout }))
      const done: Uint8Array[] = []
      /** Parcel id hex → the sender each opened parcel proved (delivery receipts name only those). */
      const senders = new Map<string, string>()
      let localFailure = false
      for (const bytes of res.parcels) {
        let parcel: Parcel
        try {
          parcel = decodeParcel(bytes)
        } catch (err: any) {
          // the mailbox checked the same grammar on put; without a parcel id there is nothing to ack
          counters.reject(err)
          counters.add('junkDropped')
          continue
        }
        const id = parcelId(parcel)
        try {
          const sender = this.process(parcel)
          if (sender != null) senders.set(toHex(id), sender)
          total++
        } catch (err: any) {
          if (isLocalFailure(err)) {
            this.init.log.error('mailbox parcel left at the mailbox: %s', err.message)
            localFailure = true
            break
          }
          counters.reject(err)
          if (mayOpenLater(err)) {
            this.quarantine(parcel, id, err)
          } else {
            counters.add('junkDropped')
            this.init.log('dropping a mailbox parcel that cannot be opened: %s', err.message)
          }
        }
        done.push(id)
      }
      if (done.length > 0) {
        const reply = await attn.call(mailbox, METHOD_MAILBOX_ACK, encodeAck(done), { signal: options.signal, timeout: this.init.callTimeout })
        await this.init.postage.afterAck(mailbox.toString(), reply, senders)
      }
      counters.add('mailboxFetched', done.length)
      if (!res.more || done.length === 0 || localFailure) break
    }
    return total
  }

  /**
   * Retries the quarantined parcels of a group (its state or a sender key just arrived), once the
   * current synchronous work is done. It is called from inside the transaction that stores the new
   * state or key: run there, a quarantined bundle that still cannot open would have its session
   * step committed with that transaction and be lost as a "duplicate" at its next retry; run after
   * it, a failed open rolls back on its own.
   */
  retryQuarantined (groupId: Uint8Array): void {
    const key = Buffer.from(groupId).toString('hex')
    if (this.retrying.has(key)) {
      // a quarantined sender key that opened during a retry: one more pass of the running retry
      this.retrying.set(key, true)
      return
    }
    if (this.retryScheduled.has(key)) return
    this.retryScheduled.add(key)
    queueMicrotask(() => {
      this.retryScheduled.delete(key)
      try {
        this.retryNow(groupId)
      } catch (err: any) {
        // the store closed under us (stop): the parcels stay quarantined for the next start
        this.init.log('quarantine retry of group %s failed: %s', key, err.message)
      }
    })
  }

  /** Retries the quarantined parcels of a group now (outside any transaction). */
  private retryNow (groupId: Uint8Array): void {
    const { store, counters } = this.init
    // a quarantined sender key that opens now changes the group's keys, which calls
    // retryQuarantined from inside process(): it only asks this retry for one more pass (before,
    // it recursed on the same parcel, not yet deleted, until the stack overflowed, again and again)
    const key = Buffer.from(groupId).toString('hex')
    if (this.retrying.has(key)) return
    try {
      for (let pass = 0; pass < MAX_QUARANTINE_PASSES; pass++) {
        this.retrying.set(key, false)
        for (const q of store.quarantined(groupId)) {
          let parcel: Parcel
          try {
            parcel = decodeParcel(q.parcel)
            this.process(parcel)
          } catch (err: any) {
            if (mayOpenLater(err)) continue
            counters.add('junkDropped')
            this.init.log('dropping a quarantined parcel: %s', err.message)
          }
          store.quarantineDelete(q.parcelId)
        }
        if (this.retrying.get(key) !== true) break
      }
    } finally {
      this.retrying.delete(key)
    }
  }

  /**
   * Keeps a parcel that may open once its group's state or sender key arrives (retried then).
   * Returns false when it names no group (dropped as junk).
   */
  private quarantine (parcel: Parcel, id: Uint8Array, err: Error): boolean {
    const origin = quarantineOriginOf(parcel, err)
    if (origin == null) {
      this.init.counters.add('junkDropped')
      return false
    }
    const { store, identity } = this.init
    // trust decides what goes first when the quarantine is full (store.quarantinePut): anyone can
    // name any group, only a group we are in lists its members
    const state = store.getGroupState(origin.groupId)
    const trust: QuarantineTrust = state == null || !state.members.includes(identity.address)
      ? 0
      : (origin.sender != null && state.members.includes(origin.sender) ? 2 : 1)
    const caps = { perSender: QUARANTINE_MAX_PER_SENDER, perGroup: QUARANTINE_MAX_PER_GROUP, total: QUARANTINE_MAX }
    if (store.quarantinePut({ parcelId: id, groupId: origin.groupId, sender: origin.sender, trust, parcel: encodeParcel(parcel), reason: err.message, ttlMs: QUARANTINE_TTL_MS, caps })) {
      this.init.counters.add('quarantined')
    }
    return true
  }

  private processGroupMessage (parcel: Parcel): string | undefined {
    const { store, identity } = this.init
    const header = readGroupMessage(parcel.payload)
    const state = store.getGroupState(header.groupId)
    if (state == null || !state.members.includes(identity.address)) throw new UnknownGroupError(Buffer.from(header.groupId).toString('hex'), 'group message for a group we are not in')
    // we left it: its messages are no longer ours (acked and dropped, never quarantined)
    if (this.init.groups.hasLeft(header.groupId)) return
    // the same copy again (its mailbox copy after a direct delivery, a resend): its message key is
    // used up, so it would fail as junk; it is a duplicate, like a bundle opened before
    const copyId = parcelId(parcel)
    if (store.envelopeSeen(copyId)) {
      this.init.counters.add('duplicates')
      return
    }
    const receiver = store.getReceiver(header.groupId, header.epoch, header.senderAddress, header.signingPublicKey)
    if (receiver == null) throw new UnknownSenderKeyError('no sender key for this group message (yet)')
    const opened = receiver.decrypt(parcel.payload)
    const m = opened.message
    store.transaction(() => {
      store.putReceiver(receiver)
      // the receipt names this member's copy (its parcel id): the sender's outbox entry for it
      this.storeWithReceipt({
        envelopeId: m.id, from: opened.senderAddress, to: identity.address, groupId: header.groupId, kind: 'message',
        contentType: m.contentType, body: m.body, sentAtMs: m.sentAt, receivedAtMs: Date.now()
      }, opened.senderAddress, copyId)
      store.markEnvelopeSeen(copyId)
    })
    return opened.senderAddress
  }

  /**
   * Stores a message and queues its signed receipt for `envelopeId` (a 1:1 envelope id, or a group
   * copy's parcel id) in one transaction. A duplicate queues the receipt again (unless one is still
   * queued): the sender is asking because it has none.
   */
  private storeWithReceipt (entry: InboxEntry, sender: string, envelopeId: Uint8Array): void {
    const { store, identity, counters } = this.init
    const receipt = createReceipt(identity, { envelopeId, senderAddress: sender })
    // prefixed with the envelope id so the sender finds the outbox entry before verifying
    const body = new Writer().bytes(envelopeId).bytes(receipt).finish()
    const receiptId = Uint8Array.from(randomBytes(16))
    const message = encodeMessage({ id: receiptId, kind: 'receipt', contentType: OCTET_STREAM, body, sentAt: Date.now() })
    const { isNew, receiptQueued } = store.insertInboxWithReceipt(entry, { envelopeId: receiptId, recipient: sender, message, receiptFor: envelopeId })
    if (isNew) {
      counters.add('messagesIn')
      this.init.onMessage(entry.envelopeId)
    } else if (receiptQueued) {
      counters.add('receiptsRequeued')
    }
    this.init.outbox.kickSoon()
  }

}
