/**
 * The one-time prekey role of a mailbox (messaging.md §10.8): `prekey.put` (a device leaves signed
 * one-time prekeys with a mailbox its record lists) and `prekey.take` (a sender takes one, which is
 * deleted as it is handed out). Additive beside MailboxServer: its own methods, limits and table.
 */
import { peerIdFromStringFast } from '../keys/libp2p-key.js'
import { PublicRpcError } from '../rpc/index.js'
import {
  CLOCK_SKEW_SECONDS, MAILBOX_LOOKUP_BURST, MAILBOX_LOOKUP_RATE, MAX_ONE_TIME_PREKEYS_PER_DEVICE, MAX_ONE_TIME_PREKEYS_TOTAL,
  MAX_RATE_BUCKETS, ONE_TIME_PREKEY_TTL_SECONDS, PREKEY_TAKE_BURST_PER_REQUESTER, PREKEY_TAKE_PER_OWNER_PER_HOUR, PREKEY_TAKE_RATE_PER_REQUESTER
} from './constants.js'
import { BadPrekeySignatureError, NotOwnDeviceError, RateLimitedError } from './errors.js'
import { PREKEY_TYPE_ONE_TIME, verifyPrekey } from './protocol/device-prekeys.js'
import { equalBytes } from './protocol/codec.js'
import {
  METHOD_PREKEY_PUT, METHOD_PREKEY_TAKE, decodePrekeyPut, decodePrekeyTake, encodeHeld, encodeTaken
} from './protocol/prekey-rpc.js'
import { RateLimiter } from './rate-limiter.js'
import { mailboxRecord } from './mailbox-record.js'
import { decodeRequest } from './rpc-request.js'
import type { MessagingCounters } from './counters.js'
import type { DirectoryClient } from './directory-client.js'
import type { DirectoryRecord } from './protocol/directory-record.js'
import type { MessagingStore } from './store.js'
import type { Attn } from '../service/index.js'
import type { RpcHandlerContext } from '../rpc/index.js'
import type { Logger } from '@libp2p/interface'

export interface PrekeyServerInit {
  store: MessagingStore
  attn: Attn
  directory: DirectoryClient
  counters: MessagingCounters
  log: Logger
  self: string
}

export class PrekeyServer {
  private readonly perRequester = new RateLimiter(PREKEY_TAKE_RATE_PER_REQUESTER, PREKEY_TAKE_BURST_PER_REQUESTER, MAX_RATE_BUCKETS)
  private readonly perOwner = new RateLimiter(PREKEY_TAKE_PER_OWNER_PER_HOUR / 3600, PREKEY_TAKE_PER_OWNER_PER_HOUR, MAX_RATE_BUCKETS)
  private readonly puts = new RateLimiter(1, 10, MAX_RATE_BUCKETS)
  private readonly lookups = new RateLimiter(MAILBOX_LOOKUP_RATE, MAILBOX_LOOKUP_BURST, 1)

  constructor (private readonly init: PrekeyServerInit) {}

  register (): void {
    this.init.attn.handle(METHOD_PREKEY_PUT, async (params, ctx) => await this.onPut(params, ctx))
    this.init.attn.handle(METHOD_PREKEY_TAKE, (params, ctx) => this.onTake(params, ctx))
  }

  unregister (): void {
    this.init.attn.unhandle(METHOD_PREKEY_PUT)
    this.init.attn.unhandle(METHOD_PREKEY_TAKE)
  }

  /**
   * Checks, first failure wins: rate (ERR_RATE_LIMITED), grammar (BAD_REQUEST), the caller's record
   * lists this node as a mailbox (ERR_NOT_MAILBOX), the named device is the calling device and is
   * listed with an identity key (ERR_NOT_OWN_DEVICE), every key's signature and expiry
   * (ERR_PREKEY_BAD_SIGNATURE). Stores new ids up to the caps; answers how many are held.
   */
  private async onPut (params: Uint8Array, ctx: RpcHandlerContext): Promise<Uint8Array> {
    const { counters, store } = this.init
    if (!this.puts.take(ctx.remoteAddress)) this.refuse(new RateLimitedError('prekey.put over its rate limit'))
    const { deviceId, keys } = decodeRequest(counters, () => decodePrekeyPut(params))
    let record = await this.ownerRecord(ctx.remoteAddress)
    // a device added since we cached the record: look once more before refusing
    if (!record.devices.some(d => d.nodeId === deviceId)) record = await this.ownerRecord(ctx.remoteAddress, true)
    const device = record.devices.find(d => d.nodeId === deviceId)
    let nodeKey: Uint8Array | undefined
    try {
      nodeKey = peerIdFromStringFast(deviceId).publicKey?.raw
    } catch (err: any) {
      this.init.log.trace('bad device id in prekey.put: %s', err.message)
    }
    if (device?.identityKey == null || nodeKey == null || ctx.remoteDevice == null || !equalBytes(nodeKey, ctx.remoteDevice)) {
      this.refuse(new NotOwnDeviceError('only a listed device uploads its own one-time prekeys'))
    }
    const now = Math.floor(Date.now() / 1000)
    for (const k of keys) {
      if (k.expiresAt <= now || k.expiresAt > now + ONE_TIME_PREKEY_TTL_SECONDS + CLOCK_SKEW_SECONDS ||
        !verifyPrekey(nodeKey, PREKEY_TYPE_ONE_TIME, device.identityKey, k)) {
        this.refuse(new BadPrekeySignatureError(`one-time prekey ${k.id} is not signed by the device or its expiry is out of range`))
      }
    }
    const held = store.otpkPut(ctx.remoteAddress, deviceId, keys, { maxPerDevice: MAX_ONE_TIME_PREKEYS_PER_DEVICE, maxTotal: MAX_ONE_TIME_PREKEYS_TOTAL, nowSeconds: now })
    return encodeHeld(held)
  }

  /** Rate per requester, then per (requester, owner); hands out and deletes one key, or none. */
  private onTake (params: Uint8Array, ctx: RpcHandlerContext): Uint8Array {
    const { owner, deviceId } = decodeRequest(this.init.counters, () => decodePrekeyTake(params))
    if (!this.perRequester.take(ctx.remoteAddress)) this.refuse(new RateLimitedError('prekey.take over its rate limit'))
    if (!this.perOwner.take(`${ctx.remoteAddress} ${owner}`)) this.refuse(new RateLimitedError(`prekey.take of ${owner}'s keys over its rate limit`))
    return encodeTaken(this.init.store.otpkTake(owner, deviceId, Math.floor(Date.now() / 1000)))
  }

  private async ownerRecord (owner: string, refresh = false): Promise<DirectoryRecord> {
    return await mailboxRecord(owner, { refresh, directory: this.init.directory, self: this.init.self, lookups: this.lookups, busy: 'too many record lookups; retry later', refuse: (err) => this.refuse(err) })
  }

  private refuse (err: Error & { code?: string }): never {
    this.init.counters.reject(err)
    throw new PublicRpcError(err.code ?? 'PREKEY_ERROR', err.message)
  }
}
