/**
 * Postage on the mailbox protocol (protocols/rewards.md §6), in the three roles an identity plays:
 * - mailbox: answers `mailbox.terms`, takes the postage of each `mailbox.put` (a priced mailbox
 *   refuses an unpaid or underpaid parcel with ERR_POSTAGE_REQUIRED), reports the postage of the
 *   parcels a recipient acknowledges, and keeps the receipts it returns (`mailbox.receipt`);
 * - sender: picks mailboxes (free ones first, then the cheapest within maxPostage) and pays the put
 *   with a raised cumulative cheque;
 * - recipient: after an ack, signs one cumulative delivery receipt per (mailbox, sender) for the
 *   parcels it opened and whose sender it verified, and sends them back.
 * Without a rewards ledger (no contract configured, or no root key online) the node is a free
 * mailbox, pays nobody (priced mailboxes are skipped, with ERR_POSTAGE_REQUIRED when none is left)
 * and signs no receipts: today's free behaviour.
 */
import { peerIdOf } from './peer-ids.js'
import { evmAddress, parseAttAddress } from '../keys/index.js'
import { PublicRpcError } from '../rpc/index.js'
import { toHex } from './protocol/codec.js'
import {
  MAX_RECEIPTS_PER_CALL, METHOD_MAILBOX_RECEIPT, METHOD_MAILBOX_TERMS, decodeAckReply, decodePut, decodeReceipts, decodeTerms,
  encodeAckReply, encodePut, encodeReceipts, encodeTerms
} from './protocol/postage.js'
import { METHOD_MAILBOX_PUT } from './protocol/rpc-methods.js'
import { RateLimiter } from './rate-limiter.js'
import { decodeRequest } from './rpc-request.js'
import { carrierOf } from './delivery-paths.js'
import {
  DEFAULT_MAX_POSTAGE, MAILBOX_RECEIPT_BURST, MAILBOX_TTL_SECONDS, MAILBOX_RECEIPT_RATE, MAX_POSTAGE_REFUSALS, MAX_RATE_BUCKETS, MAX_TERMS_CACHE, TERMS_CACHE_MS
} from './constants.js'
import type { MailboxTerms, PutPostage } from './protocol/postage.js'
import type { MessagingCounters } from './counters.js'
import type { OutboxEntry } from './store.js'
import type { Attn } from '../service/index.js'
import type { CarrierKind } from '../carriers/channel.js'
import type { RpcHandlerContext } from '../rpc/index.js'
import type { RewardsLedger, SignedDelivery } from '../rewards/index.js'
import type { Logger } from '@libp2p/interface'

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000'
const POSTAGE_REQUIRED = 'ERR_POSTAGE_REQUIRED'

/** MessagingServiceInit.postage: the rewards side of this node. */
export interface PostageInit {
  /** This identity's ledger (bound to the contract's domain); absent = no rewards (free only). */
  ledger?: RewardsLedger
  /** Price per parcel this node asks as a mailbox, base units (0 = free; needs a ledger). */
  price?: bigint
  /** Most postage this node pays per parcel as a sender (default DEFAULT_MAX_POSTAGE = 100). */
  maxPostage?: bigint
}

export interface PostageDeps {
  attn: Attn
  counters: MessagingCounters
  log: Logger
  signal: AbortSignal
  callTimeout: number
}

interface TermsEntry { terms?: MailboxTerms, at: number }

export class Postage {
  readonly price: bigint
  readonly maxPostage: bigint
  private readonly ledger?: RewardsLedger
  private readonly receiptLimiter = new RateLimiter(MAILBOX_RECEIPT_RATE, MAILBOX_RECEIPT_BURST, MAX_RATE_BUCKETS)
  /** mailbox.terms answers by mailbox peer id (undefined terms: the mailbox does not say, i.e. free). */
  private readonly termsCache = new Map<string, TermsEntry>()
  /** Mailboxes that refused a put with ERR_POSTAGE_REQUIRED, with when (skipped by senders that cannot pay). */
  private readonly refusedBy = new Map<string, number>()
  /** Why the last mailbox round of a message stored it nowhere, by envelope id hex (read once by the outbox). */
  private readonly refusals = new Map<string, string>()
  /** Receipts whose mailbox.receipt call failed, by mailbox peer: resent (re-signed) after the next ack. */
  private readonly unsent = new Map<string, Map<string, { node: string, sender: string }>>()

  constructor (private readonly deps: PostageDeps, init: PostageInit = {}) {
    this.ledger = init.ledger
    this.price = init.price ?? 0n
    this.maxPostage = init.maxPostage ?? DEFAULT_MAX_POSTAGE
    if (this.price < 0n || this.maxPostage < 0n) throw new RangeError('price and maxPostage are non-negative')
    if (this.price > 0n && this.ledger == null) throw new RangeError('a priced mailbox needs a rewards ledger (a rewards contract)')
  }

  // ---- mailbox role ---------------------------------------------------------------------------

  register (): void {
    this.deps.attn.handle(METHOD_MAILBOX_TERMS, () => encodeTerms(this.terms()))
    this.deps.attn.handle(METHOD_MAILBOX_RECEIPT, (params, ctx) => this.onReceipts(params, ctx))
  }

  unregister (): void {
    this.deps.attn.unhandle(METHOD_MAILBOX_TERMS)
    this.deps.attn.unhandle(METHOD_MAILBOX_RECEIPT)
  }

  /** What this node asks as a mailbox. */
  terms (): MailboxTerms {
    if (this.ledger == null) return { price: 0n, chainId: 0n, contract: ZERO_ADDRESS, node: ZERO_ADDRESS }
    return { price: this.price, chainId: BigInt(this.ledger.domain.chainId), contract: this.ledger.domain.verifyingContract, node: this.ledger.self }
  }

  /** Splits mailbox.put params into the parcel and its postage trailer (malformed: BAD_REQUEST). */
  parsePut (params: Uint8Array): { parcel: Uint8Array, postage?: PutPostage } {
    return decodeRequest(this.deps.counters, () => decodePut(params))
  }

  /**
   * Takes the postage of a put before the parcel is stored; throws (a coded error the mailbox
   * answers with) when a priced mailbox is not paid. A free mailbox ignores any trailer.
   */
  checkPut (senderAddress: string, recipient: string, parcelId: Uint8Array, postage?: PutPostage): void {
    if (this.price === 0n || this.ledger == null) return
    const sender = evmOf(senderAddress)
    this.ledger.acceptPostage({
      sender,
      recipient,
      parcelId: toHex(parcelId),
      price: this.price,
      postage: postage?.postage,
      cheque: postage == null ? undefined : { sender, node: this.ledger.self as `0x${string}`, cumulativeAmount: postage.cumulativeAmount, signature: postage.signature as `0x${string}` }
    })
  }

  /** The mailbox.ack result: the postage of the acknowledged parcels that were paid (reported once). */
  ackReply (recipient: string, ids: Uint8Array[]): Uint8Array {
    if (this.ledger == null || ids.length === 0) return encodeAckReply({ paid: [] })
    const paid = this.ledger.takePostage(recipient, ids.map(toHex))
    return encodeAckReply({
      domain: { chainId: BigInt(this.ledger.domain.chainId), contract: this.ledger.domain.verifyingContract, node: this.ledger.self },
      paid: paid.map(p => ({ parcelId: Uint8Array.from(Buffer.from(p.parcelId, 'hex')), sender: p.sender, postage: p.postage }))
    })
  }

  /** `mailbox.receipt`: keeps the caller's receipts; a stale one (a resend) is fine, a bad one is refused with its code. */
  private onReceipts (params: Uint8Array, ctx: RpcHandlerContext): Uint8Array {
    const { counters } = this.deps
    if (!this.receiptLimiter.take(ctx.remoteAddress)) {
      counters.reject({ code: 'ERR_RATE_LIMITED' })
      throw new PublicRpcError('ERR_RATE_LIMITED', 'mailbox.receipt from this identity is over its rate limit')
    }
    const receipts = decodeRequest(counters, () => decodeReceipts(params))
    const ledger = this.ledger
    if (ledger == null) return Uint8Array.of(1)
    const recipient = evmOf(ctx.remoteAddress)
    let refused: (Error & { code?: string }) | undefined
    for (const r of receipts) {
      try {
        ledger.acceptDelivery({ node: ledger.self, sender: r.sender as `0x${string}`, recipient, cumulativeAmount: r.cumulativeAmount, signature: r.signature as `0x${string}` })
      } catch (err: any) {
        if (err.code === 'ERR_STALE_DELIVERY') continue
        counters.reject(err)
        refused ??= err
      }
    }
    if (refused != null) throw new PublicRpcError(refused.code ?? 'BAD_REQUEST', refused.message)
    return Uint8Array.of(1)
  }

  /** Forgets per-parcel postage of mail long expired at the mailbox (and of resends long over). */
  expire (): void {
    try {
      this.ledger?.expirePostage(Date.now() - (MAILBOX_TTL_SECONDS + 86_400) * 1000)
    } catch (err: any) {
      this.deps.log.error('cannot expire postage rows: %s', err.message)
    }
  }

  // ---- sender role ----------------------------------------------------------------------------

  /**
   * Stores a sealed parcel at the recipient's mailboxes: at every free one in parallel (as without
   * rewards); only when none took it, at the cheapest priced one within maxPostage (then the next),
   * paying postage. Returns how many stored it; when none did because of postage, the reason is kept
   * for {@link refusal}. `onStored` hears the carrier of each call that stored it (when known).
   */
  async store (entry: OutboxEntry, mailboxes: string[], onStored?: (carrier: CarrierKind | undefined) => void): Promise<number> {
    if (mailboxes.length === 0) return 0
    const idHex = toHex(entry.envelopeId)
    const now = Date.now()
    const terms = await Promise.all(mailboxes.map(async peer => ({ peer, terms: await this.termsOf(peer) })))
    const free: string[] = []
    const priced: Array<{ peer: string, terms: MailboxTerms }> = []
    const reasons: string[] = []
    for (const { peer, terms: t } of terms) {
      if (t == null || t.price === 0n) {
        // a mailbox that refused us for postage lately is skipped while others are left to try
        const refused = this.refusedBy.get(peer)
        if (refused == null || now - refused > TERMS_CACHE_MS) free.push(peer)
        else reasons.push(`${peer} requires postage`)
      } else if (t.price > this.maxPostage) {
        reasons.push(`${peer} asks ${t.price} per parcel, above maxPostage ${this.maxPostage}`)
      } else if (!this.canPay(t)) {
        reasons.push(`${peer} asks ${t.price} per parcel and this node cannot sign cheques for its contract`)
      } else {
        priced.push({ peer, terms: t })
      }
    }
    if (free.length === 0 && priced.length === 0 && reasons.length === 0) {
      // every free mailbox refused us lately: try them all again rather than give up
      free.push(...mailboxes)
    }
    const results = await Promise.all(free.map(async peer => await this.put(peer, encodePut(entry.envelope), onStored)))
    let stored = results.filter(r => r === true).length
    for (const r of results) if (typeof r === 'string') reasons.push(r)
    if (stored === 0) {
      priced.sort((a, b) => a.terms.price < b.terms.price ? -1 : a.terms.price > b.terms.price ? 1 : 0)
      for (const { peer, terms: t } of priced) {
        const r = await this.put(peer, this.paidPut(entry, t), onStored)
        if (r === true) { stored = 1; break }
        if (typeof r === 'string') reasons.push(r)
      }
    }
    if (stored === 0 && reasons.length > 0) {
      if (this.refusals.size >= MAX_POSTAGE_REFUSALS) this.refusals.delete(this.refusals.keys().next().value as string)
      this.refusals.set(idHex, `${POSTAGE_REQUIRED}: no mailbox stored the message within maxPostage ${this.maxPostage} (${reasons.join('; ')})`)
    }
    return stored
  }

  /** Why the last mailbox round of this message stored it nowhere for postage reasons (read once). */
  refusal (envelopeId: Uint8Array): string | undefined {
    const key = toHex(envelopeId)
    const reason = this.refusals.get(key)
    this.refusals.delete(key)
    return reason
  }

  private canPay (t: MailboxTerms): boolean {
    const l = this.ledger
    return l != null && t.chainId === BigInt(l.domain.chainId) && t.contract.toLowerCase() === l.domain.verifyingContract.toLowerCase()
  }

  private paidPut (entry: OutboxEntry, t: MailboxTerms): Uint8Array {
    const ledger = this.ledger as RewardsLedger
    const { postage, cheque } = ledger.payParcel(t.node, toHex(entry.envelopeId), t.price)
    return encodePut(entry.envelope, { postage, cumulativeAmount: cheque.cumulativeAmount, signature: cheque.signature })
  }

  /** The mailbox's terms (cached); undefined when it does not say (an older node: free) or cannot be asked. */
  private async termsOf (peer: string): Promise<MailboxTerms | undefined> {
    // a node without a ledger cannot pay anyone: no need to ask
    if (this.ledger == null) return undefined
    const cached = this.termsCache.get(peer)
    if (cached != null && Date.now() - cached.at < TERMS_CACHE_MS) return cached.terms
    let terms: MailboxTerms | undefined
    try {
      terms = decodeTerms(await this.deps.attn.call(peerIdOf(peer), METHOD_MAILBOX_TERMS, new Uint8Array(0), { timeout: this.deps.callTimeout, signal: this.deps.signal }))
    } catch (err: any) {
      this.deps.log.trace('mailbox.terms of %s: %s', peer, err.message)
      // unreachable now: ask again next time; an older node without the method: free
      if (err.code !== 'UNKNOWN_METHOD') return undefined
    }
    if (this.termsCache.size >= MAX_TERMS_CACHE) this.termsCache.delete(this.termsCache.keys().next().value as string)
    this.termsCache.set(peer, { terms, at: Date.now() })
    return terms
  }

  /** One mailbox.put: true when stored, a reason string when refused for postage, false otherwise. */
  private async put (peer: string, params: Uint8Array, onStored?: (carrier: CarrierKind | undefined) => void): Promise<boolean | string> {
    try {
      // the carrier is read when the call goes out (the session's channel then)
      let carrier: CarrierKind | undefined
      await this.deps.attn.call(peerIdOf(peer), METHOD_MAILBOX_PUT, params, {
        timeout: this.deps.callTimeout,
        signal: this.deps.signal,
        onMsgId: () => { carrier ??= carrierOf(this.deps.attn, peer) }
      })
      this.refusedBy.delete(peer)
      onStored?.(carrier)
      return true
    } catch (err: any) {
      this.deps.log.trace('mailbox.put to %s failed: %s', peer, err.message)
      if (err.code !== POSTAGE_REQUIRED) return false
      if (this.refusedBy.size >= MAX_TERMS_CACHE) this.refusedBy.delete(this.refusedBy.keys().next().value as string)
      this.refusedBy.set(peer, Date.now())
      this.termsCache.delete(peer)
      return `${peer}: ${err.message as string}`
    }
  }

  // ---- recipient role -------------------------------------------------------------------------

  /**
   * After a mailbox.ack: signs the receipts for the paid parcels the mailbox reported, counting only
   * those this node opened and whose sender (verified by the envelope) is the one that paid, each
   * capped at maxPostage; sends them with mailbox.receipt. `senders` maps parcel id hex → the
   * opened parcel's sender ATT address.
   */
  async afterAck (mailbox: string, reply: Uint8Array, senders: Map<string, string>): Promise<void> {
    const ledger = this.ledger
    if (ledger == null) return
    let decoded
    try {
      decoded = decodeAckReply(reply)
    } catch (err: any) {
      this.deps.counters.reject(err)
      this.deps.log('mailbox %s answered an ack with a malformed result: %s', mailbox, err.message)
      return
    }
    const pending = this.unsent.get(mailbox) ?? new Map<string, { node: string, sender: string }>()
    const d = decoded.domain
    if (d != null && decoded.paid.length > 0) {
      if (d.chainId !== BigInt(ledger.domain.chainId) || d.contract.toLowerCase() !== ledger.domain.verifyingContract.toLowerCase()) {
        this.deps.log('mailbox %s is paid under another contract (%s on chain %s): no receipts', mailbox, d.contract, d.chainId)
        return
      }
      const sums = new Map<string, bigint>()
      for (const p of decoded.paid) {
        const from = senders.get(toHex(p.parcelId))
        if (from == null || evmOf(from).toLowerCase() !== p.sender.toLowerCase()) continue
        const key = p.sender.toLowerCase()
        sums.set(key, (sums.get(key) ?? 0n) + (p.postage < this.maxPostage ? p.postage : this.maxPostage))
      }
      for (const [sender, amount] of sums) {
        if (amount === 0n) continue
        ledger.issueDelivery(d.node, sender, amount)
        pending.set(`${d.node.toLowerCase()}|${sender}`, { node: d.node, sender })
      }
    }
    if (pending.size === 0) return
    // cumulative receipts: the latest (re-signed, deterministic) replaces every earlier one
    const receipts: SignedDelivery[] = []
    for (const { node, sender } of pending.values()) {
      const r = ledger.reissueDelivery(node, sender)
      if (r != null) receipts.push(r)
    }
    this.unsent.delete(mailbox)
    for (let i = 0; i < receipts.length; i += MAX_RECEIPTS_PER_CALL) {
      const chunk = receipts.slice(i, i + MAX_RECEIPTS_PER_CALL)
      try {
        await this.deps.attn.call(peerIdOf(mailbox), METHOD_MAILBOX_RECEIPT,
          encodeReceipts(chunk.map(r => ({ sender: r.sender, cumulativeAmount: r.cumulativeAmount, signature: r.signature }))),
          { timeout: this.deps.callTimeout, signal: this.deps.signal })
      } catch (err: any) {
        this.deps.log('mailbox.receipt to %s failed (resent after the next ack): %s', mailbox, err.message)
        const again = this.unsent.get(mailbox) ?? new Map()
        for (const r of chunk) again.set(`${r.node.toLowerCase()}|${r.sender.toLowerCase()}`, { node: r.node, sender: r.sender })
        if (this.unsent.size < MAX_TERMS_CACHE || this.unsent.has(mailbox)) this.unsent.set(mailbox, again)
      }
    }
  }
}

/** The EVM address of an ATT address (its root key as an Ethereum account). */
function evmOf (address: string): `0x${string}` {
  return evmAddress(parseAttAddress(address)) as `0x${string}`
}
