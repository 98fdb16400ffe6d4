/**
 * The rewards ledger (protocols/rewards.md §5): one `node:sqlite` file, WAL mode, a schema_version
 * table and forward-only migrations, bound to one EIP-712 domain (chain id + contract). It serves the
 * three roles an identity plays:
 * - node (mailbox): the latest cheque per sender and the latest receipt per (sender, recipient), what
 *   the chain has paid, and the claims it sent;
 * - sender: the cumulative amount it has signed to each node (issueCheque raises it and signs);
 * - recipient: the cumulative amount it has receipted per (node, sender) (issueDelivery).
 * and keeps per-epoch totals of each. Amounts are uint128 (MAX_AMOUNT), stored as decimal TEXT since
 * SQLite integers stop at 2^63; comparisons happen in JS on bigints inside one transaction.
 */
import { DatabaseSync } from 'node:sqlite'
import { migrate, transaction } from '../utils/sqlite.js'
import type { StatementSync } from 'node:sqlite'
import type { PrivateKey } from '@libp2p/interface'
import {
  DEFAULT_EPOCH_SECONDS, MAX_CLAIM_RECEIPTS, MAX_LEDGER_COUNTERPARTIES, MAX_LEDGER_DELIVERIES, MAX_LEDGER_SENDERS,
  MAX_RECIPIENTS_PER_SENDER, MAX_AMOUNT
} from './constants.js'
import {
  InvalidAmountError, LedgerCorruptError, LedgerDomainMismatchError, LedgerFullError, PostageRequiredError, StaleChequeError,
  StaleDeliveryError, UnknownSenderError, WrongNodeError
} from './errors.js'
import { evmAddressOf, signCheque, signDelivery, toAmount, toEvmAddress, verifyCheque, verifyDelivery } from './typed-data.js'
import type { Address, Hex, RewardsDomain, SignedCheque, SignedDelivery } from './typed-data.js'

/** Kinds of per-epoch totals. */
export type TotalKind = 'cheque_received' | 'delivery_received' | 'cheque_issued' | 'delivery_issued' | 'claimed'
const TOTAL_KINDS: TotalKind[] = ['cheque_received', 'delivery_received', 'cheque_issued', 'delivery_issued', 'claimed']

export interface LedgerLimits {
  maxSenders: number
  maxRecipientsPerSender: number
  maxDeliveries: number
  maxCounterparties: number
}

export interface RewardsLedgerOptions {
  /** The chain and contract every cheque and receipt in this file is signed for. */
  domain: RewardsDomain
  /** This identity's root key: its EVM address is `self`; it signs issued cheques and receipts. */
  rootKey: PrivateKey
  /** Length of a totals epoch in seconds (default one day, as the contract's default cap epoch). */
  epochSeconds?: number
  limits?: Partial<LedgerLimits>
  /** Clock, unix ms (tests). */
  now?: () => number
}

/** What accepting a cheque or receipt changed: the new cumulative amount and its increase. */
export interface Accepted {
  cumulative: bigint
  /** 0n when the same amount was already held (an idempotent resend). */
  increment: bigint
}

/** One entry of the contract's `claim`/`claimBatch` argument (AttRewards.Claim). */
export interface ClaimItem {
  sender: Address
  node: Address
  chequeAmount: bigint
  chequeSignature: Hex
  deliveries: Array<{ recipient: Address, cumulativeAmount: bigint, signature: Hex }>
}

/** A claim the ledger would send, with its expected payment (before the contract's deposit and epoch caps). */
export interface PendingClaim {
  item: ClaimItem
  expected: bigint
}

/** One `Claimed` event of a mined claim. */
export interface Settlement {
  sender: Address
  node: Address
  amount: bigint
  proven: bigint
  paid: bigint
}

export interface EpochTotal { amount: bigint, count: number }

export interface LedgerSummary {
  /** Sum over senders of min(receipts held, cheque held): what delivered mail has earned. */
  earned: bigint
  /** What the chain has paid this node (sum of the latest `paid` per sender). */
  claimed: bigint
  /** earned − claimed (before the contract's deposit and epoch caps). */
  claimable: bigint
}

/** Forward-only migrations; index i brings the schema from version i to i + 1. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

  CREATE TABLE cheques_received (
    sender TEXT PRIMARY KEY,
    cumulative TEXT NOT NULL,
    signature TEXT NOT NULL,
    paid TEXT NOT NULL DEFAULT '0',
    updated_at_ms INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE deliveries_received (
    sender TEXT NOT NULL REFERENCES cheques_received (sender),
    recipient TEXT NOT NULL,
    cumulative TEXT NOT NULL,
    signature TEXT NOT NULL,
    claimed TEXT NOT NULL DEFAULT '0',
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (sender, recipient)
  ) STRICT;

  CREATE TABLE cheques_issued (
    node TEXT PRIMARY KEY,
    cumulative TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE deliveries_issued (
    node TEXT NOT NULL,
    sender TEXT NOT NULL,
    cumulative TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (node, sender)
  ) STRICT;

  CREATE TABLE claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_hash TEXT NOT NULL,
    paid TEXT NOT NULL,
    receipts INTEGER NOT NULL,
    gas_used TEXT NOT NULL,
    claimed_at_ms INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE epoch_totals (
    epoch INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cheque_received','delivery_received','cheque_issued','delivery_issued','claimed')),
    amount TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (epoch, kind)
  ) STRICT;
  `,
  // postage per parcel (protocols/rewards.md §6): what a mailbox holds paid parcels for (and how much
  // postage it has credited each sender against its cheques), and what a sender has paid each node
  `
  CREATE TABLE postage_held (
    recipient TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    postage TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (recipient, parcel_id)
  ) STRICT;
  CREATE INDEX postage_held_at ON postage_held (at_ms);

  CREATE TABLE postage_credit (
    sender TEXT PRIMARY KEY,
    credited TEXT NOT NULL
  ) STRICT;

  CREATE TABLE postage_paid (
    node TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    postage TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (node, parcel_id)
  ) STRICT;
  CREATE INDEX postage_paid_at ON postage_paid (at_ms);
  `
]

export const LEDGER_SCHEMA_VERSION = MIGRATIONS.length

const big = (v: unknown): bigint => {
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]*)$/.test(v)) throw new LedgerCorruptError(`not a stored amount: ${String(v)}`)
  const b = BigInt(v)
  if (b > MAX_AMOUNT) throw new LedgerCorruptError(`stored amount above 2^128 - 1: ${v}`)
  return b
}
const min = (a: bigint, b: bigint): bigint => a < b ? a : b

export class RewardsLedger {
  /** This identity's EVM address. */
  readonly self: Address
  readonly domain: RewardsDomain
  private readonly db: DatabaseSync
  private readonly statements = new Map<string, StatementSync>()
  private readonly rootKey: PrivateKey
  private readonly epochMs: number
  private readonly limits: LedgerLimits
  private readonly clock: () => number

  constructor (readonly path: string, options: RewardsLedgerOptions) {
    this.rootKey = options.rootKey
    this.self = evmAddressOf(options.rootKey.publicKey)
    this.domain = { chainId: options.domain.chainId, verifyingContract: toEvmAddress(options.domain.verifyingContract, 'verifyingContract') }
    const epochSeconds = options.epochSeconds ?? DEFAULT_EPOCH_SECONDS
    if (!Number.isSafeInteger(epochSeconds) || epochSeconds <= 0) throw new RangeError('epochSeconds is a positive integer')
    this.epochMs = epochSeconds * 1000
    this.limits = {
      maxSenders: MAX_LEDGER_SENDERS,
      maxRecipientsPerSender: MAX_RECIPIENTS_PER_SENDER,
      maxDeliveries: MAX_LEDGER_DELIVERIES,
      maxCounterparties: MAX_LEDGER_COUNTERPARTIES,
      ...options.limits
    }
    this.clock = options.now ?? Date.now
    this.db = new DatabaseSync(path)
    try {
      this.db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;')
      this.migrate()
      this.bindDomain()
    } catch (err) {
      this.db.close()
      throw err
    }
  }

  close (): void {
    if (this.db.isOpen) this.db.close()
  }

  /** Reads a PRAGMA (diagnostics and tests). */
  pragma (name: 'journal_mode' | 'foreign_keys'): unknown {
    return this.db.prepare(`PRAGMA ${name}`).get()?.[name]
  }

  /** The totals epoch of a time (unix ms; default now). */
  epochOf (ms = this.clock()): number {
    return Math.floor(ms / this.epochMs)
  }

  // ---- node role ----------------------------------------------------------------------------

  /**
   * Keeps a sender's postage cheque if it is newer. Throws WrongNodeError (not for this node),
   * BadChequeSignatureError / MalformedEvmSignatureError, StaleChequeError (below the one held),
   * LedgerFullError. The messaging layer checks `increment` against the parcel's postage.
   */
  acceptCheque (signed: SignedCheque): Accepted {
    const cheque = verifyCheque(this.domain, signed)
    if (cheque.node !== this.self) throw new WrongNodeError(`the cheque is for node ${cheque.node}, this node is ${this.self}`)
    return this.tx(() => {
      const row = this.statement('SELECT cumulative FROM cheques_received WHERE sender = ?').get(cheque.sender)
      const held = row == null ? undefined : big(row.cumulative)
      if (held != null && cheque.cumulativeAmount < held) {
        throw new StaleChequeError(`a cheque for ${held} from ${cheque.sender} is already held; this one is for ${cheque.cumulativeAmount}`)
      }
      if (held == null && this.count('SELECT count(*) AS n FROM cheques_received') >= this.limits.maxSenders) {
        throw new LedgerFullError(`the ledger holds cheques from ${this.limits.maxSenders} senders`)
      }
      const increment = cheque.cumulativeAmount - (held ?? 0n)
      if (held == null || increment > 0n) {
        this.statement(`INSERT INTO cheques_received (sender, cumulative, signature, updated_at_ms) VALUES (?, ?, ?, ?)
          ON CONFLICT (sender) DO UPDATE SET cumulative = excluded.cumulative, signature = excluded.signature, updated_at_ms = excluded.updated_at_ms`)
          .run(cheque.sender, cheque.cumulativeAmount.toString(), cheque.signature, this.clock())
        this.addTotal('cheque_received', increment)
      }
      return { cumulative: cheque.cumulativeAmount, increment }
    })
  }

  /**
   * Keeps a recipient's delivery receipt if it is newer. Throws WrongNodeError (another node, or the
   * node itself as recipient), Bad/MalformedSignature errors, UnknownSenderError (no cheque held from
   * that sender: the receipt could never be paid), StaleDeliveryError, LedgerFullError.
   */
  acceptDelivery (signed: SignedDelivery): Accepted {
    const delivery = verifyDelivery(this.domain, signed)
    if (delivery.node !== this.self) throw new WrongNodeError(`the receipt is for node ${delivery.node}, this node is ${this.self}`)
    if (delivery.recipient === this.self) throw new WrongNodeError('a node cannot receipt deliveries to itself (the contract refuses them)')
    return this.tx(() => {
      if (this.statement('SELECT 1 AS x FROM cheques_received WHERE sender = ?').get(delivery.sender) == null) {
        throw new UnknownSenderError(`no cheque from ${delivery.sender} is held`)
      }
      const row = this.statement('SELECT cumulative FROM deliveries_received WHERE sender = ? AND recipient = ?').get(delivery.sender, delivery.recipient)
      const held = row == null ? undefined : big(row.cumulative)
      if (held != null && delivery.cumulativeAmount < held) {
        throw new StaleDeliveryError(`a receipt for ${held} from ${delivery.recipient} is already held; this one is for ${delivery.cumulativeAmount}`)
      }
      if (held == null) {
        if (this.count('SELECT count(*) AS n FROM deliveries_received WHERE sender = ?', delivery.sender) >= this.limits.maxRecipientsPerSender) {
          throw new LedgerFullError(`the ledger holds receipts from ${this.limits.maxRecipientsPerSender} recipients for sender ${delivery.sender}`)
        }
        if (this.count('SELECT count(*) AS n FROM deliveries_received') >= this.limits.maxDeliveries) {
          throw new LedgerFullError(`the ledger holds ${this.limits.maxDeliveries} receipts`)
        }
      }
      const increment = delivery.cumulativeAmount - (held ?? 0n)
      if (held == null || increment > 0n) {
        this.statement(`INSERT INTO deliveries_received (sender, recipient, cumulative, signature, updated_at_ms) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (sender, recipient) DO UPDATE SET cumulative = excluded.cumulative, signature = excluded.signature, updated_at_ms = excluded.updated_at_ms`)
          .run(delivery.sender, delivery.recipient, delivery.cumulativeAmount.toString(), delivery.signature, this.clock())
        this.addTotal('delivery_received', increment)
      }
      return { cumulative: delivery.cumulativeAmount, increment }
    })
  }

  /** The latest cheque held from `sender`. */
  latestCheque (sender: string): SignedCheque | undefined {
    const s = toEvmAddress(sender, 'sender')
    const row = this.statement('SELECT cumulative, signature FROM cheques_received WHERE sender = ?').get(s)
    if (row == null) return undefined
    return { sender: s, node: this.self, cumulativeAmount: big(row.cumulative), signature: row.signature as Hex }
  }

  /** The latest receipt held for (`sender`, `recipient`). */
  latestDelivery (sender: string, recipient: string): SignedDelivery | undefined {
    const s = toEvmAddress(sender, 'sender')
    const r = toEvmAddress(recipient, 'recipient')
    const row = this.statement('SELECT cumulative, signature FROM deliveries_received WHERE sender = ? AND recipient = ?').get(s, r)
    if (row == null) return undefined
    return { node: this.self, sender: s, recipient: r, cumulativeAmount: big(row.cumulative), signature: row.signature as Hex }
  }

  /**
   * The claims worth sending: per sender, its cheque with the receipts not yet claimed, when the
   * expected payment (min(receipts, cheque) − paid, before the contract's deposit and epoch caps) is
   * positive. At most `maxReceipts` receipts in all (one transaction's worth).
   */
  claimable (maxReceipts = MAX_CLAIM_RECEIPTS): PendingClaim[] {
    const out: PendingClaim[] = []
    let receipts = 0
    const cheques = this.statement('SELECT sender, cumulative, signature, paid FROM cheques_received ORDER BY sender').all()
    for (const c of cheques) {
      if (receipts >= maxReceipts) break
      const sender = c.sender as Address
      const rows = this.statement('SELECT recipient, cumulative, signature, claimed FROM deliveries_received WHERE sender = ? ORDER BY recipient').all(sender)
      let proven = 0n
      const fresh: ClaimItem['deliveries'] = []
      for (const r of rows) {
        const cumulative = big(r.cumulative)
        proven += cumulative
        if (cumulative > big(r.claimed) && receipts + fresh.length < maxReceipts) {
          fresh.push({ recipient: r.recipient as Address, cumulativeAmount: cumulative, signature: r.signature as Hex })
        }
      }
      const expected = min(proven, big(c.cumulative)) - big(c.paid)
      if (expected <= 0n) continue
      receipts += fresh.length
      out.push({
        item: { sender, node: this.self, chequeAmount: big(c.cumulative), chequeSignature: c.signature as Hex, deliveries: fresh },
        expected
      })
    }
    return out
  }

  /**
   * Records a mined claim: the receipts it carried are claimed, each sender's `paid` becomes what the
   * chain reported (its `Claimed` events), and the paid total is added to this epoch's 'claimed'.
   */
  recordClaim (items: ClaimItem[], result: { txHash: Hex, gasUsed: bigint, settlements: Settlement[] }): void {
    this.tx(() => {
      let total = 0n
      let receipts = 0
      for (const item of items) {
        for (const d of item.deliveries) {
          receipts++
          const row = this.statement('SELECT claimed FROM deliveries_received WHERE sender = ? AND recipient = ?').get(item.sender, d.recipient)
          if (row != null && big(row.claimed) < d.cumulativeAmount) {
            this.statement('UPDATE deliveries_received SET claimed = ? WHERE sender = ? AND recipient = ?')
              .run(d.cumulativeAmount.toString(), item.sender, d.recipient)
          }
        }
      }
      for (const s of result.settlements) {
        if (s.node !== this.self) continue
        total += s.amount
        const row = this.statement('SELECT paid FROM cheques_received WHERE sender = ?').get(s.sender)
        if (row != null && big(row.paid) < s.paid) {
          this.statement('UPDATE cheques_received SET paid = ? WHERE sender = ?').run(s.paid.toString(), s.sender)
        }
      }
      this.statement('INSERT INTO claims (tx_hash, paid, receipts, gas_used, claimed_at_ms) VALUES (?, ?, ?, ?, ?)')
        .run(result.txHash, total.toString(), receipts, result.gasUsed.toString(), this.clock())
      if (total > 0n) this.addTotal('claimed', total)
    })
  }

  /** The node's earnings: see LedgerSummary. */
  summary (): LedgerSummary {
    let earned = 0n
    let claimed = 0n
    for (const c of this.statement('SELECT sender, cumulative, paid FROM cheques_received').all()) {
      const proven = this.statement('SELECT cumulative FROM deliveries_received WHERE sender = ?').all(c.sender)
        .reduce((sum, r) => sum + big(r.cumulative), 0n)
      const covered = min(proven, big(c.cumulative))
      earned += covered
      claimed += big(c.paid)
    }
    return { earned, claimed, claimable: earned > claimed ? earned - claimed : 0n }
  }

  /** The claims sent, newest first. */
  claims (limit = 100): Array<{ txHash: Hex, paid: bigint, receipts: number, gasUsed: bigint, claimedAtMs: number }> {
    return this.statement('SELECT tx_hash, paid, receipts, gas_used, claimed_at_ms FROM claims ORDER BY id DESC LIMIT ?').all(limit)
      .map((r) => ({ txHash: r.tx_hash as Hex, paid: big(r.paid), receipts: Number(r.receipts), gasUsed: big(r.gas_used), claimedAtMs: Number(r.claimed_at_ms) }))
  }

  // ---- postage per parcel (mailbox and sender) -----------------------------------------------

  /**
   * Mailbox: takes the postage of one parcel put by `sender` for `recipient`. A parcel already held
   * is accepted again without new postage (a resent put). Otherwise the cheque (if any) is kept when
   * newer (an older one, e.g. of a put that overtook another, is not an error), and the parcel is
   * accepted only if the latest cheque covers everything credited to the sender so far plus
   * `postage`, and `postage` ≥ `price`. Throws PostageRequiredError, the cheque's errors, LedgerFullError.
   */
  acceptPostage (input: { sender: string, recipient: string, parcelId: string, price: bigint, postage?: bigint, cheque?: SignedCheque }): { postage: bigint, held: boolean } {
    const sender = toEvmAddress(input.sender, 'sender')
    const cheque = input.cheque == null ? undefined : verifyCheque(this.domain, input.cheque)
    if (cheque != null && (cheque.node !== this.self || cheque.sender !== sender)) {
      throw new WrongNodeError(`the cheque is from ${cheque.sender} to ${cheque.node}, not from ${sender} to this node ${this.self}`)
    }
    return this.tx(() => {
      const held = this.statement('SELECT postage FROM postage_held WHERE recipient = ? AND parcel_id = ?').get(input.recipient, input.parcelId)
      if (held != null) return { postage: big(held.postage), held: true }
      const postage = input.postage ?? 0n
      if (cheque == null || postage < input.price) {
        throw new PostageRequiredError(`this mailbox takes parcels for a postage of ${input.price}${cheque == null ? '' : `, the put carried ${postage}`}`, input.price)
      }
      const row = this.statement('SELECT cumulative FROM cheques_received WHERE sender = ?').get(sender)
      const was = row == null ? undefined : big(row.cumulative)
      if (was == null && this.count('SELECT count(*) AS n FROM cheques_received') >= this.limits.maxSenders) {
        throw new LedgerFullError(`the ledger holds cheques from ${this.limits.maxSenders} senders`)
      }
      if (this.count('SELECT count(*) AS n FROM postage_held') >= this.limits.maxDeliveries) {
        throw new LedgerFullError(`the ledger holds postage of ${this.limits.maxDeliveries} parcels`)
      }
      const cumulative = was == null || cheque.cumulativeAmount > was ? cheque.cumulativeAmount : was
      const creditRow = this.statement('SELECT credited FROM postage_credit WHERE sender = ?').get(sender)
      const credited = creditRow == null ? 0n : big(creditRow.credited)
      if (credited + postage > cumulative) {
        throw new PostageRequiredError(`the cheque covers ${cumulative} but ${credited + postage} is due (postage ${postage})`, input.price)
      }
      if (was == null || cheque.cumulativeAmount > was) {
        this.statement(`INSERT INTO cheques_received (sender, cumulative, signature, updated_at_ms) VALUES (?, ?, ?, ?)
          ON CONFLICT (sender) DO UPDATE SET cumulative = excluded.cumulative, signature = excluded.signature, updated_at_ms = excluded.updated_at_ms`)
          .run(sender, cheque.cumulativeAmount.toString(), cheque.signature, this.clock())
        this.addTotal('cheque_received', cheque.cumulativeAmount - (was ?? 0n))
      }
      this.statement(`INSERT INTO postage_credit (sender, credited) VALUES (?, ?)
        ON CONFLICT (sender) DO UPDATE SET credited = excluded.credited`).run(sender, (credited + postage).toString())
      this.statement('INSERT INTO postage_held (recipient, parcel_id, sender, postage, at_ms) VALUES (?, ?, ?, ?, ?)')
        .run(input.recipient, input.parcelId, sender, postage.toString(), this.clock())
      return { postage, held: false }
    })
  }

  /** Mailbox: the postage of these parcels (acknowledged by `recipient`), removed from the ledger: reported once. */
  takePostage (recipient: string, parcelIds: string[]): Array<{ parcelId: string, sender: Address, postage: bigint }> {
    return this.tx(() => {
      const out: Array<{ parcelId: string, sender: Address, postage: bigint }> = []
      for (const id of parcelIds) {
        const row = this.statement('SELECT sender, postage FROM postage_held WHERE recipient = ? AND parcel_id = ?').get(recipient, id)
        if (row == null) continue
        this.statement('DELETE FROM postage_held WHERE recipient = ? AND parcel_id = ?').run(recipient, id)
        out.push({ parcelId: id, sender: row.sender as Address, postage: big(row.postage) })
      }
      return out
    })
  }

  /**
   * Sender: the postage and cheque for putting parcel `parcelId` at `node` for `price`. The first
   * time it raises the cheque by `price`; a resend of the same parcel to the same node carries the
   * postage paid before and the current cheque (re-signed: deterministic), paying nothing twice.
   */
  payParcel (node: string, parcelId: string, price: bigint): { postage: bigint, cheque: SignedCheque, raised: boolean } {
    const n = toEvmAddress(node, 'node')
    const p = toAmount(price, 'price')
    const paid = this.statement('SELECT postage FROM postage_paid WHERE node = ? AND parcel_id = ?').get(n, parcelId)
    if (paid != null) {
      return { postage: big(paid.postage), cheque: signCheque(this.rootKey, this.domain, { node: n, cumulativeAmount: this.issuedTo(n) }), raised: false }
    }
    if (this.count('SELECT count(*) AS n FROM postage_paid') >= this.limits.maxDeliveries) {
      throw new LedgerFullError(`the ledger holds postage of ${this.limits.maxDeliveries} parcels`)
    }
    const cheque = this.issueCheque(n, p)
    this.statement('INSERT OR IGNORE INTO postage_paid (node, parcel_id, postage, at_ms) VALUES (?, ?, ?, ?)').run(n, parcelId, p.toString(), this.clock())
    return { postage: p, cheque, raised: true }
  }

  /** Forgets per-parcel postage older than `beforeMs` (mail expired at the mailbox; resends long over). */
  expirePostage (beforeMs: number): number {
    const a = this.statement('DELETE FROM postage_held WHERE at_ms < ?').run(beforeMs).changes
    const b = this.statement('DELETE FROM postage_paid WHERE at_ms < ?').run(beforeMs).changes
    return Number(a) + Number(b)
  }

  /** Recipient: the cumulative amounts receipted, per (node, sender) (to resend a receipt that was lost). */
  reissueDelivery (node: string, sender: string): SignedDelivery | undefined {
    const amount = this.receiptedTo(node, sender)
    if (amount === 0n) return undefined
    return signDelivery(this.rootKey, this.domain, { node: toEvmAddress(node, 'node'), sender: toEvmAddress(sender, 'sender'), cumulativeAmount: amount })
  }

  /** Sender: the cumulative amount signed to every node, and the number of nodes. */
  issuedTotal (): bigint {
    return this.statement('SELECT cumulative FROM cheques_issued').all().reduce((sum, r) => sum + big(r.cumulative), 0n)
  }

  // ---- sender role --------------------------------------------------------------------------

  /** Raises the cumulative amount signed to `node` by `amount` and returns the new signed cheque. */
  issueCheque (node: string, amount: bigint): SignedCheque {
    const n = toEvmAddress(node, 'node')
    const inc = toAmount(amount, 'amount')
    return this.tx(() => {
      const row = this.statement('SELECT cumulative FROM cheques_issued WHERE node = ?').get(n)
      if (row == null && this.count('SELECT count(*) AS n FROM cheques_issued') >= this.limits.maxCounterparties) {
        throw new LedgerFullError(`the ledger holds cheques to ${this.limits.maxCounterparties} nodes`)
      }
      const next = (row == null ? 0n : big(row.cumulative)) + inc
      if (next > MAX_AMOUNT) throw new InvalidAmountError('the cumulative cheque amount would pass 2^128 - 1')
      const signed = signCheque(this.rootKey, this.domain, { node: n, cumulativeAmount: next })
      this.statement(`INSERT INTO cheques_issued (node, cumulative, updated_at_ms) VALUES (?, ?, ?)
        ON CONFLICT (node) DO UPDATE SET cumulative = excluded.cumulative, updated_at_ms = excluded.updated_at_ms`)
        .run(n, next.toString(), this.clock())
      this.addTotal('cheque_issued', inc)
      return signed
    })
  }

  /** The cumulative amount signed to `node` so far. */
  issuedTo (node: string): bigint {
    const row = this.statement('SELECT cumulative FROM cheques_issued WHERE node = ?').get(toEvmAddress(node, 'node'))
    return row == null ? 0n : big(row.cumulative)
  }

  // ---- recipient role -----------------------------------------------------------------------

  /** Raises the cumulative amount receipted to (`node`, `sender`) by `amount`; returns the new signed receipt. */
  issueDelivery (node: string, sender: string, amount: bigint): SignedDelivery {
    const n = toEvmAddress(node, 'node')
    const s = toEvmAddress(sender, 'sender')
    const inc = toAmount(amount, 'amount')
    return this.tx(() => {
      const row = this.statement('SELECT cumulative FROM deliveries_issued WHERE node = ? AND sender = ?').get(n, s)
      if (row == null && this.count('SELECT count(*) AS n FROM deliveries_issued') >= this.limits.maxCounterparties) {
        throw new LedgerFullError(`the ledger holds receipts for ${this.limits.maxCounterparties} (node, sender) pairs`)
      }
      const next = (row == null ? 0n : big(row.cumulative)) + inc
      if (next > MAX_AMOUNT) throw new InvalidAmountError('the cumulative receipt amount would pass 2^128 - 1')
      const signed = signDelivery(this.rootKey, this.domain, { node: n, sender: s, cumulativeAmount: next })
      this.statement(`INSERT INTO deliveries_issued (node, sender, cumulative, updated_at_ms) VALUES (?, ?, ?, ?)
        ON CONFLICT (node, sender) DO UPDATE SET cumulative = excluded.cumulative, updated_at_ms = excluded.updated_at_ms`)
        .run(n, s, next.toString(), this.clock())
      this.addTotal('delivery_issued', inc)
      return signed
    })
  }

  /** The cumulative amount receipted to (`node`, `sender`) so far. */
  receiptedTo (node: string, sender: string): bigint {
    const row = this.statement('SELECT cumulative FROM deliveries_issued WHERE node = ? AND sender = ?')
      .get(toEvmAddress(node, 'node'), toEvmAddress(sender, 'sender'))
    return row == null ? 0n : big(row.cumulative)
  }

  // ---- totals -------------------------------------------------------------------------------

  /** The totals of one epoch (default: the current one), per kind. */
  totals (epoch = this.epochOf()): Record<TotalKind, EpochTotal> {
    const out = Object.fromEntries(TOTAL_KINDS.map((k) => [k, { amount: 0n, count: 0 }])) as Record<TotalKind, EpochTotal>
    for (const r of this.statement('SELECT kind, amount, count FROM epoch_totals WHERE epoch = ?').all(epoch)) {
      out[r.kind as TotalKind] = { amount: big(r.amount), count: Number(r.count) }
    }
    return out
  }

  // ---- internals ----------------------------------------------------------------------------

  private addTotal (kind: TotalKind, amount: bigint): void {
    const epoch = this.epochOf()
    const row = this.statement('SELECT amount FROM epoch_totals WHERE epoch = ? AND kind = ?').get(epoch, kind)
    // a total only saturates (2^128 − 1 per kind per epoch is far past any real volume)
    const next = min((row == null ? 0n : big(row.amount)) + amount, MAX_AMOUNT)
    this.statement(`INSERT INTO epoch_totals (epoch, kind, amount, count) VALUES (?, ?, ?, 1)
      ON CONFLICT (epoch, kind) DO UPDATE SET amount = excluded.amount, count = count + 1`).run(epoch, kind, next.toString())
  }

  private count (sql: string, ...params: string[]): number {
    return Number(this.statement(sql).get(...params)?.n ?? 0)
  }

  private statement (sql: string): StatementSync {
    let st = this.statements.get(sql)
    if (st == null) {
      st = this.db.prepare(sql)
      this.statements.set(sql, st)
    }
    return st
  }

  private tx<T> (fn: () => T): T {
    return transaction(this.db, fn)
  }


  private migrate (): void {
    migrate(this.db, MIGRATIONS, (version, known) => new LedgerCorruptError(`the ledger has schema version ${version}; this code knows up to ${known}`))
  }


  /** Binds a new file to this domain and identity; refuses a file written for another. */
  private bindDomain (): void {
    const want: Record<string, string> = {
      chain_id: String(this.domain.chainId),
      contract: this.domain.verifyingContract,
      self: this.self
    }
    this.tx(() => {
      for (const [key, value] of Object.entries(want)) {
        const row = this.statement('SELECT value FROM meta WHERE key = ?').get(key)
        if (row == null) this.statement('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value)
        else if (row.value !== value) {
          throw new LedgerDomainMismatchError(`the ledger ${this.path} was written for ${key} ${String(row.value)}, not ${value}`)
        }
      }
    })
  }
}
