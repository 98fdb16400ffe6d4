import { PublicRpcError } from '../rpc/index.js'
import { readEnvelopeHeader } from './protocol/envelope.js'
import { PARCEL_BUNDLE, PARCEL_ENVELOPE, decodeParcel, parcelId } from './protocol/parcel.js'
import { decodeBundle } from './protocol/bundle.js'
import {
  MAX_FETCH_BYTES, METHOD_MAILBOX_ACK, METHOD_MAILBOX_FETCH, METHOD_MAILBOX_PUT, decodeAck, decodeFetchRequest, encodeFetchResponse
} from './protocol/rpc-methods.js'
import {
  MAILBOX_LOOKUP_BURST, MAILBOX_LOOKUP_RATE, MAILBOX_PUT_BURST_PER_SENDER, MAILBOX_PUT_BURST_PER_SOURCE,
  MAILBOX_PUT_RATE_PER_SENDER, MAILBOX_PUT_RATE_PER_SOURCE, MAX_RATE_BUCKETS, PREKEY_ACCEPT_FUTURE, PREKEY_ACCEPT_PAST
} from './constants.js'
import { RateLimitedError, UnlistedPrekeyError } from './errors.js'
import { RateLimiter } from './rate-limiter.js'
import { mailboxRecord } from './mailbox-record.js'
import { decodeRequest } from './rpc-request.js'
import type { DirectoryClient } from './directory-client.js'
import type { MessagingCounters } from './counters.js'
import type { DirectoryRecord } from './protocol/directory-record.js'
import type { Parcel } from './protocol/parcel.js'
import type { MessagingStore } from './store.js'
import type { MessagingServiceInit } from './types.js'
import type { Postage } from './postage.js'
import type { Attn } from '../service/index.js'
import type { RpcHandlerContext } from '../rpc/index.js'
import type { Logger } from '@libp2p/interface'

export interface MailboxServerInit {
  store: MessagingStore
  attn: Attn
  directory: DirectoryClient
  counters: MessagingCounters
  log: Logger
  /** Our libp2p peer id string: recipients list it in their record's mailboxes. */
  self: string
  rates?: MessagingServiceInit['mailboxPutRate']
  /** Postage: the put's trailer, the ack's result, mailbox.terms and mailbox.receipt (protocols/rewards.md §6). */
  postage: Postage
}

export const MAILBOX_METHODS = [METHOD_MAILBOX_PUT, METHOD_MAILBOX_FETCH, METHOD_MAILBOX_ACK]

/**
 * The mailbox role (messaging.md §Mailboxes): holds sealed parcels for recipients that list this
 * node in their directory record, hands each device what it has not acknowledged, and deletes a
 * parcel once every device of the recipient has it. What a stranger can make us store or look up
 * is bounded: rate limits per sending identity and per network source, a global lookup budget,
 * cheap proofs of junk (not our recipient, unlisted prekey), and the store's quotas and global cap.
 */
export class MailboxServer {
  private readonly perSender: RateLimiter
  private readonly perSource: RateLimiter
  private readonly lookups: RateLimiter

  constructor (private readonly init: MailboxServerInit) {
    const r = init.rates ?? {}
    this.perSender = new RateLimiter(r.perSender ?? MAILBOX_PUT_RATE_PER_SENDER, r.perSenderBurst ?? MAILBOX_PUT_BURST_PER_SENDER, MAX_RATE_BUCKETS)
    this.perSource = new RateLimiter(r.perSource ?? MAILBOX_PUT_RATE_PER_SOURCE, r.perSourceBurst ?? MAILBOX_PUT_BURST_PER_SOURCE, MAX_RATE_BUCKETS)
    this.lookups = new RateLimiter(MAILBOX_LOOKUP_RATE, MAILBOX_LOOKUP_BURST, 1)
  }

  register (): void {
    const { attn } = this.init
    attn.handle(METHOD_MAILBOX_PUT, async (params, ctx) => await this.onPut(params, ctx))
    attn.handle(METHOD_MAILBOX_FETCH, (params, ctx) => this.onFetch(params, ctx))
    attn.handle(METHOD_MAILBOX_ACK, async (params, ctx) => await this.onAck(params, ctx))
    this.init.postage.register()
  }

  unregister (): void {
    for (const method of MAILBOX_METHODS) this.init.attn.unhandle(method)
    this.init.postage.unregister()
  }

  /** `mailbox.put`: rate limits first (cheapest), then the grammar, then whether the parcel is provably junk. */
  private async onPut (params: Uint8Array, ctx: RpcHandlerContext): Promise<Uint8Array> {
    const { store, counters } = this.init
    if (!this.perSender.take(ctx.remoteAddress)) this.refuse(new RateLimitedError(`mailbox.put from ${ctx.remoteAddress} is over its rate limit`))
    if (!this.perSource.take(ctx.remoteSource ?? ctx.sessionId)) this.refuse(new RateLimitedError('mailbox.put from this network source is over its rate limit'))
    const put = this.init.postage.parsePut(params)
    const parcel = decodeRequest(counters, () => decodeParcel(put.parcel))
    let record = await this.recipientRecord(parcel.recipient)
    if (parcel.kind === PARCEL_ENVELOPE) this.checkPrekey(parcel, record)
    if (parcel.kind === PARCEL_BUNDLE && !this.namesListedDevice(parcel, record)) {
      // a device added since we cached the record: look once more before refusing
      record = await this.recipientRecord(parcel.recipient, true)
      if (!this.namesListedDevice(parcel, record)) this.refuse(new UnlistedPrekeyError(`the bundle names no device that ${parcel.recipient} lists with prekeys`))
    }
    const id = parcelId(parcel)
    try {
      this.init.postage.checkPut(ctx.remoteAddress, parcel.recipient, id, put.postage)
      if (store.mailboxPut({ recipient: parcel.recipient, envelopeId: id, envelope: put.parcel, senderHint: ctx.remoteAddress }).stored) counters.add('mailboxStored')
    } catch (err: any) {
      this.refuse(err)
    }
    return Uint8Array.of(1)
  }

  /** Only the identity a parcel is for may fetch it; each device sees what it has not acked yet. */
  private onFetch (params: Uint8Array, ctx: RpcHandlerContext): Uint8Array {
    const { limit } = decodeRequest(this.init.counters, () => decodeFetchRequest(params))
    const { items, more } = this.init.store.mailboxFetchUnacked(ctx.remoteAddress, deviceOf(ctx), { limit, maxBytes: MAX_FETCH_BYTES })
    return encodeFetchResponse(items.map(i => i.envelope), more)
  }

  /** Marks parcels fetched by this device; deletes them once every listed device has them. */
  private async onAck (params: Uint8Array, ctx: RpcHandlerContext): Promise<Uint8Array> {
    const ids = decodeRequest(this.init.counters, () => decodeAck(params))
    let devices = 1
    try {
      devices = Math.max(1, (await this.init.directory.lookup(ctx.remoteAddress, { signal: ctx.signal })).devices.length)
    } catch (err: any) {
      // without the record, one device's ack is taken as everyone's: mail is not kept forever
      this.init.log('no directory record for %s at ack: %s', ctx.remoteAddress, err.message)
    }
    this.init.store.mailboxAckDevice(ctx.remoteAddress, ids, deviceOf(ctx), devices)
    return this.init.postage.ackReply(ctx.remoteAddress, ids)
  }

  /** The recipient's record, which must list this node as one of its mailboxes (see mailboxRecord). */
  private async recipientRecord (recipient: string, refresh = false): Promise<DirectoryRecord> {
    return await mailboxRecord(recipient, { refresh, directory: this.init.directory, self: this.init.self, lookups: this.lookups, busy: 'this mailbox is checking too many unknown recipients; retry later', refuse: (err) => this.refuse(err) })
  }

  /** An envelope sealed to a prekey the recipient never listed (give or take the rotation window) can never be opened. */
  private checkPrekey (parcel: Parcel, record: DirectoryRecord): void {
    const id = readEnvelopeHeader(parcel.payload).prekeyId
    const ids = record.prekeys.map(p => p.id)
    if (ids.length === 0 || id < Math.min(...ids) - PREKEY_ACCEPT_PAST || id > Math.max(...ids) + PREKEY_ACCEPT_FUTURE) {
      this.refuse(new UnlistedPrekeyError(`prekey ${id} is not listed by ${parcel.recipient}`))
    }
  }

  /** Whether the bundle names a device the record lists with prekeys (one naming none can never be opened: messaging.md §10.4). */
  private namesListedDevice (parcel: Parcel, record: DirectoryRecord): boolean {
    const listed = new Set(record.devices.filter(d => d.signedPrekey != null).map(d => d.nodeId))
    return decodeBundle(parcel.payload).devices.some(d => listed.has(d.deviceId))
  }

  /** Counts the refusal and answers it with its code. */
  private refuse (err: Error & { code?: string }): never {
    this.init.counters.reject(err)
    throw new PublicRpcError(err.code ?? 'MAILBOX_ERROR', err.message)
  }

}

/** The calling device's node key: acks are per device. */
function deviceOf (ctx: RpcHandlerContext): Uint8Array {
  return ctx.remoteDevice ?? new Uint8Array(0)
}
