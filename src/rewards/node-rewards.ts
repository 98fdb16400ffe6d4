/**
 * The rewards side of a running node (protocols/rewards.md §6–7): its ledger (always, once a
 * contract is configured), and a chain client made when first needed, so a chain that is down
 * costs nothing until the user asks for a balance, a deposit or a claim; then it is a clear
 * ERR_CHAIN_UNAVAILABLE, and the ledger keeps every cheque and receipt for a later claim.
 */
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { existsSync } from 'node:fs'
import { RewardsChainClient } from './chain-client.js'
import { DEFAULT_CHAIN_RETRIES, REWARDS_LEDGER_FILE, START_CHAIN_TIMEOUT_MS } from './constants.js'
import { RewardsLedger } from './ledger.js'
import { NoChainError, NoRewardsSignerError } from './errors.js'
import { evmAddressOf, toAmount, toEvmAddress } from './typed-data.js'
import type { Address, Hex, RewardsDomain } from './typed-data.js'
import type { Identity, RootIdentity } from '../keys/index.js'
import type { AbortOptions } from '@libp2p/interface'

/** The rewards keys of config.json (and `attn start` flags). */
export interface RewardsConfig {
  /** JSON-RPC URL of the chain; '' = none (ledger only: cheques and receipts are kept, claims wait). */
  chainRpc: string
  /** Chain id; 0 = ask chainRpc at start (or take the one the ledger was written for). */
  chainId: number
  /** The AttRewards contract; '' = no rewards (free mailbox, pays nobody, signs no receipts). */
  rewardsContract: string
  /** Price per parcel as a mailbox, base units (decimal string); "0" = free. */
  price: string
  /** Most postage paid per parcel as a sender, base units (decimal string). */
  maxPostage: string
}

export interface RewardsStatus {
  evmAddress: Address
  chainId: number
  contract: Address
  price: string
  maxPostage: string
  /** null when the chain cannot be asked (no chainRpc, or down: see chainError). */
  tokenBalance: string | null
  deposit: string | null
  withdrawal: { amount: string, unlockAt: number } | null
  /** What delivered mail has earned (receipts held, capped by cheques), claimed, and the difference. */
  earned: string
  claimable: string
  claimed: string
  /** Sender role: postage of the parcels it paid mailboxes for, in all (paid out only against receipts). */
  postage: string
  /** Sender role: the cheques' cumulative amounts in all (they run a few prices ahead of `postage`). */
  signed: string
  chainError?: string
}

export interface ClaimOutcome {
  paid: string
  tx?: Hex
  receipts: number
  gasUsed?: string
}

export class NodeRewards {
  private chainClient?: Promise<RewardsChainClient>

  private constructor (
    readonly ledger: RewardsLedger,
    private readonly identity: RootIdentity,
    private readonly config: RewardsConfig
  ) {}

  /**
   * Opens the rewards of a node: undefined without a contract. The chain id comes from config,
   * else from chainRpc (a short wait), else from the ledger file of an earlier run; without any,
   * rewards stay off for this run (`onWarning` says why) and the node runs free.
   */
  static async open (home: string, identity: Identity, config: RewardsConfig, onWarning: (message: string) => void): Promise<NodeRewards | undefined> {
    if (config.rewardsContract === '') return undefined
    const { rootKey } = identity
    if (rootKey == null) {
      // cheques and delivery receipts are signed by the root key (rewards.md), which a linked device lacks
      onWarning('rewards are off on this linked device: it holds no root key (run rewards on a device that does)')
      return undefined
    }
    const contract = toEvmAddress(config.rewardsContract, 'rewardsContract')
    const path = join(home, REWARDS_LEDGER_FILE)
    let chainId = config.chainId
    if (chainId === 0 && config.chainRpc !== '') {
      try {
        const client = await RewardsChainClient.connect({ rpcUrl: config.chainRpc, rootKey, timeoutMs: START_CHAIN_TIMEOUT_MS, retries: 0 })
        chainId = client.chainId
      } catch (err: any) {
        onWarning(`the chain at ${config.chainRpc} does not answer (${err.message as string}); using the chain id of the ledger, if any`)
      }
    }
    if (chainId === 0) chainId = storedChainId(path) ?? 0
    if (chainId === 0) {
      onWarning('rewards are off for this run: no chain id (set "chainId" in config.json, or start with the chain reachable)')
      return undefined
    }
    const ledger = new RewardsLedger(path, { domain: { chainId, verifyingContract: contract }, rootKey })
    return new NodeRewards(ledger, { ...identity, rootKey }, config)
  }

  get domain (): RewardsDomain {
    return this.ledger.domain
  }

  /** MessagingServiceInit.postage. */
  postageInit (): { ledger: RewardsLedger, price: bigint, maxPostage: bigint } {
    return { ledger: this.ledger, price: toAmount(this.config.price, 'price'), maxPostage: toAmount(this.config.maxPostage, 'maxPostage') }
  }

  async status (options: AbortOptions = {}): Promise<RewardsStatus> {
    const s = this.ledger.summary()
    const out: RewardsStatus = {
      evmAddress: this.ledger.self,
      chainId: this.domain.chainId,
      contract: this.domain.verifyingContract,
      price: this.config.price,
      maxPostage: this.config.maxPostage,
      tokenBalance: null,
      deposit: null,
      withdrawal: null,
      earned: s.earned.toString(),
      claimable: s.claimable.toString(),
      claimed: s.claimed.toString(),
      postage: this.ledger.committedTotal().toString(),
      signed: this.ledger.issuedTotal().toString()
    }
    try {
      const chain = await this.chain(options)
      out.tokenBalance = (await chain.tokenBalance(chain.address, options)).toString()
      out.deposit = (await chain.depositOf(chain.address, options)).toString()
      const w = await chain.withdrawalOf(chain.address, options)
      out.withdrawal = w.unlockAt === 0n ? null : { amount: w.amount.toString(), unlockAt: Number(w.unlockAt) }
    } catch (err: any) {
      out.chainError = `${err.code as string ?? 'ERR_CHAIN'}: ${err.message as string}`
    }
    return out
  }

  /** Sends one batched claim of everything claimable; `paid` "0" and no transaction when there is nothing. */
  async claim (options: AbortOptions = {}): Promise<ClaimOutcome> {
    const pending = this.ledger.claimable()
    if (pending.length === 0) return { paid: '0', receipts: 0 }
    const chain = await this.chain(options)
    const items = pending.map(p => p.item)
    const result = await chain.claimBatch(items, options)
    this.ledger.recordClaim(items, result)
    return { paid: result.paid.toString(), tx: result.txHash, receipts: items.reduce((n, i) => n + i.deliveries.length, 0), gasUsed: result.gasUsed.toString() }
  }

  async deposit (amount: bigint, options: AbortOptions = {}): Promise<{ deposited: string, deposit: string, tx: Hex }> {
    const chain = await this.chain(options)
    const r = await chain.deposit(amount, options)
    return { deposited: amount.toString(), deposit: (await chain.depositOf(chain.address, options)).toString(), tx: r.txHash }
  }

  /** Announces a withdrawal (the notice period starts; claims keep drawing on the deposit until it ends). */
  async requestWithdrawal (amount: bigint, options: AbortOptions = {}): Promise<{ requested: string, unlockAt: number, tx: Hex }> {
    const chain = await this.chain(options)
    const r = await chain.requestWithdrawal(amount, options)
    const w = await chain.withdrawalOf(chain.address, options)
    return { requested: amount.toString(), unlockAt: Number(w.unlockAt), tx: r.txHash }
  }

  /** Completes the pending withdrawal after its notice period. */
  async withdraw (options: AbortOptions = {}): Promise<{ withdrawn: string, deposit: string, tx: Hex }> {
    const chain = await this.chain(options)
    const before = await chain.tokenBalance(chain.address, options)
    const r = await chain.withdraw(options)
    const after = await chain.tokenBalance(chain.address, options)
    return { withdrawn: (after - before).toString(), deposit: (await chain.depositOf(chain.address, options)).toString(), tx: r.txHash }
  }

  /** Sends tokens to another account (e.g. to fund a sender's deposit). */
  async transfer (to: string, amount: bigint, options: AbortOptions = {}): Promise<{ to: Address, amount: string, tx: Hex }> {
    const chain = await this.chain(options)
    const r = await chain.transfer(to, amount, options)
    return { to: toEvmAddress(to, 'to'), amount: amount.toString(), tx: r.txHash }
  }

  close (): void {
    this.ledger.close()
  }

  /** The chain client, connected on first use; a failed connect is retried on the next call. */
  private async chain (options: AbortOptions): Promise<RewardsChainClient> {
    if (this.config.chainRpc === '') throw new NoChainError()
    if (evmAddressOf(this.identity.rootKey.publicKey) !== this.ledger.self) throw new NoRewardsSignerError('the ledger belongs to another identity')
    this.chainClient ??= (async () => {
      const client = await RewardsChainClient.connect({ rpcUrl: this.config.chainRpc, rootKey: this.identity.rootKey, chainId: this.domain.chainId, retries: DEFAULT_CHAIN_RETRIES, signal: options.signal })
      await client.use(this.domain.verifyingContract, options)
      return client
    })()
    try {
      return await this.chainClient
    } catch (err) {
      this.chainClient = undefined
      throw err
    }
  }
}

/** The chain id a ledger file was written for (read-only peek), if the file exists. */
function storedChainId (path: string): number | undefined {
  if (!existsSync(path)) return undefined
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'chain_id'").get()
    const n = Number(row?.value)
    return Number.isSafeInteger(n) && n > 0 ? n : undefined
  } catch (err) {
    // not a ledger we can read: the caller goes on without its chain id (and says so)
    process.emitWarning(`cannot read the chain id of ${path}: ${(err as Error).message}`)
    return undefined
  } finally {
    db.close()
  }
}
