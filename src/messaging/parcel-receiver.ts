import { randomBytes } from 'node:crypto'
import { PublicRpcError } from '../rpc/index.js'
import { Reader, Writer } from './protocol/codec.js'
import { openEnvelope } from './protocol/envelope.js'
import { readGroupMessage } from './protocol/group.js'
import { OCTET_STREAM, encodeMessage } from './protocol/message.js'
import { PARCEL_GROUP, decodeParcel, encodeParcel, parcelId } from './protocol/parcel.js'
import { prekeyResolver } from './protocol/prekeys.js'
import { createReceipt, verifyReceipt } from './protocol/receipt.js'
import { decodeSync } from './protocol/sync.js'
import { decodeRequest } from './rpc-request.js'
import {
  MAX_FETCH_ITEMS, METHOD_MAILBOX_ACK, METHOD_MAILBOX_FETCH, decodeFetchResponse, encodeAck, encodeFetchRequest
} from './protocol/rpc-methods.js'
import { QUARANTINE_MAX, QUARANTINE_TTL_MS } from './constants.js'
import { ForgedReceiptError, ForgedSyncError, UnknownGroupError, UnknownSenderKeyError, WrongRecipientError } from './errors.js'
import type { GroupManager } from './group-manager.js'
import type { MessagingCounters } from './counters.js'
import type { Outbox } from './outbox.js'
import type { Parcel } from './protocol/parcel.js'
import type { InboxEntry, MessagingStore } from './store.js'
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
  /** Groups whose quarantine is being retried (by group id hex): true = their keys changed meanwhile, run again. */
  private readonly retrying = new Map<string, boolean>()

  constructor (private readonly init: ParcelReceiverInit) {}

  /** `msg.deliver`: a parcel for us, straight from the sender. */
  onDeliver (params: Uint8Array, _ctx: RpcHandlerContext): Uint8Array {
    const parcel = decodeRequest(this.init.counters, () => decodeParcel(params))
    if (parcel.recipient !== this.init.identity.address) {
      const err = new WrongRecipientError('this node does not serve that address')
      this.init.counters.reject(err)
      throw new PublicRpcError(err.code, err.message)
    }
    try {
      this.process(parcel)
    } catch (err: any) {
      this.init.counters.reject(err)
      throw new PublicRpcError(err.code ?? 'BAD_REQUEST', err.message)
    }
    return Uint8Array.of(1)
  }

  /** Opens and stores one parcel addressed to us; throws a typed error if it cannot be read. */
  process (parcel: Parcel): void {
    this.init.counters.add('parcelsIn')
    if (parcel.kind === PARCEL_GROUP) {
      this.processGroupMessage(parcel)
      return
    }
    const { store, identity, groups } = this.init
    const opened = openEnvelope({
      recipient: { address: identity.address, prekey: prekeyResolver(identity.rootKey, Math.floor(Date.now() / 1000)) },
      envelope: parcel.payload
    })
    const m = opened.message
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
          this.process(parcel)
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
      if (done.length > 0) await attn.call(mailbox, METHOD_MAILBOX_ACK, encodeAck(done), { signal: options.signal, timeout: this.init.callTimeout })
      counters.add('mailboxFetched', done.length)
      if (!res.more || done.length === 0 || localFailure) break
    }
    return total
  }

  /** Retries the quarantined parcels of a group (its state or a sender key just arrived). */
  retryQuarantined (groupId: Uint8Array): void {
    const { store, counters } = this.init
    // a quarantined sender key that opens now changes the group's keys, which calls this again
    // from inside process(): re-entered, it only asks the running retry for one more pass (before,
    // it recursed on the same parcel, not yet deleted, until the stack overflowed, again and again)
    const key = Buffer.from(groupId).toString('hex')
    if (this.retrying.has(key)) {
      this.retrying.set(key, true)
      return
    }
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

  /** Keeps a parcel that may open once its group's state or sender key arrives (retried then). */
  private quarantine (parcel: Parcel, id: Uint8Array, err: Error): void {
    // a group message names its group in the clear; a sender key names it inside the envelope
    const groupId = parcel.kind === PARCEL_GROUP
      ? readGroupMessage(parcel.payload).groupId
      : err instanceof UnknownGroupError && /^[0-9a-f]{32}$/.test(err.group) ? Uint8Array.from(Buffer.from(err.group, 'hex')) : undefined
    if (groupId == null) {
      this.init.counters.add('junkDropped')
      return
    }
    if (this.init.store.quarantinePut({ parcelId: id, groupId, parcel: encodeParcel(parcel), reason: err.message, ttlMs: QUARANTINE_TTL_MS, max: QUARANTINE_MAX })) {
      this.init.counters.add('quarantined')
    }
  }

  private processGroupMessage (parcel: Parcel): void {
    const { store, identity } = this.init
    const header = readGroupMessage(parcel.payload)
    const state = store.getGroupState(header.groupId)
    if (state == null || !state.members.includes(identity.address)) throw new UnknownGroupError(Buffer.from(header.groupId).toString('hex'), 'group message for a group we are not in')
    const receiver = store.getReceiver(header.groupId, header.epoch, header.senderAddress, header.signingPublicKey)
    if (receiver == null) throw new UnknownSenderKeyError('no sender key for this group message (yet)')
    const opened = receiver.decrypt(parcel.payload)
    store.putReceiver(receiver)
    const m = opened.message
    if (store.insertInbox({
      envelopeId: m.id, from: opened.senderAddress, to: identity.address, groupId: header.groupId, kind: 'message',
      contentType: m.contentType, body: m.body, sentAtMs: m.sentAt, receivedAtMs: Date.now()
    })) this.init.onMessage(m.id)
  }

  /**
   * Stores a message and queues its signed receipt in one transaction. A duplicate queues the
   * receipt again (unless one is still queued): the sender is asking because it has none.
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
      this.init.onMessage(envelopeId)
    } else if (receiptQueued) {
      counters.add('receiptsRequeued')
    }
    this.init.outbox.kick()
  }

}
