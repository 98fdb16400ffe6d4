/**
 * The EVM side of rewards (viem): deploys AttToken + AttRewards from the committed artifacts, moves
 * deposits, sends claims (single and batched) and reads balances. Transactions are signed locally
 * with the identity's root key (its EVM account); the RPC endpoint only relays them. A chain that
 * does not answer raises ChainUnavailableError after the transport's retries, a contract revert
 * raises ChainTransactionError with the Solidity error name: the caller keeps its ledger and retries
 * later.
 */
import {
  BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, defineChain, http, parseEventLogs
} from 'viem'
import type { Account, Chain, Hex, PublicClient, TransactionReceipt, Transport, WalletClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { AbortOptions, PrivateKey } from '@libp2p/interface'
import { AttRewardsAbi, AttRewardsBytecode, AttTokenAbi, AttTokenBytecode } from './artifacts.js'
import {
  DEFAULT_CHAIN_POLL_MS, DEFAULT_CHAIN_RETRIES, DEFAULT_CHAIN_TIMEOUT_MS, DEFAULT_EPOCH_CAP, DEFAULT_EPOCH_SECONDS, DEFAULT_INITIAL_SUPPLY,
  DEFAULT_WITHDRAWAL_DELAY_SECONDS, MAX_CLAIM_RECEIPTS
} from './constants.js'
import { ChainAbortedError, ChainTransactionError, ChainUnavailableError, ClaimTooLargeError, NoContractError, WrongChainError } from './errors.js'
import type { ClaimItem, Settlement } from './ledger.js'
import { toAmount, toEvmAddress } from './typed-data.js'
import type { Address, RewardsDomain } from './typed-data.js'

export interface ChainClientOptions {
  /** JSON-RPC endpoint (http/https). */
  rpcUrl: string
  /** The identity's root key: its EVM account sends the transactions. */
  rootKey: PrivateKey
  /** Refuse an endpoint serving another chain. */
  chainId?: number
  timeoutMs?: number
  retries?: number
  /** How often to poll for a transaction's receipt (default DEFAULT_CHAIN_POLL_MS). */
  pollingIntervalMs?: number
}

export interface DeployOptions {
  /** Tokens minted to the deployer (base units). */
  supply?: bigint
  withdrawalDelaySeconds?: number
  epochSeconds?: number
  /** Most one sender's deposit pays per epoch; 0n = no cap. */
  epochCap?: bigint
}

export interface Deployment {
  chainId: number
  token: Address
  contract: Address
  gasUsed: { token: bigint, contract: bigint }
}

/** What a mined transaction did. */
export interface TxResult {
  txHash: Hex
  gasUsed: bigint
}

export interface ClaimResult extends TxResult {
  /** Total paid by this transaction (sum of its Claimed events). */
  paid: bigint
  settlements: Settlement[]
}

export class RewardsChainClient {
  readonly account: Account
  readonly address: Address
  private readonly publicClient: PublicClient<Transport, Chain>
  private readonly walletClient: WalletClient<Transport, Chain, Account>
  private contract?: Address
  private token?: Address

  private constructor (readonly chainId: number, readonly rpcUrl: string, rootKey: PrivateKey, transport: Transport, pollingInterval: number) {
    this.account = privateKeyToAccount(`0x${Buffer.from(rootKey.raw).toString('hex')}`)
    this.address = this.account.address
    const chain = defineChain({
      id: chainId,
      name: `chain ${chainId}`,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl] } }
    })
    this.publicClient = createPublicClient({ chain, transport, pollingInterval }) as PublicClient<Transport, Chain>
    this.walletClient = createWalletClient({ chain, transport, account: this.account, pollingInterval })
  }

  /** Connects to `rpcUrl` (reads its chain id; throws ChainUnavailableError or WrongChainError). */
  static async connect (options: ChainClientOptions & AbortOptions): Promise<RewardsChainClient> {
    const transport = http(options.rpcUrl, {
      timeout: options.timeoutMs ?? DEFAULT_CHAIN_TIMEOUT_MS,
      retryCount: options.retries ?? DEFAULT_CHAIN_RETRIES
    })
    const probe = createPublicClient({ transport })
    const chainId = await guard(async () => await probe.getChainId(), options.signal)
    if (options.chainId != null && options.chainId !== chainId) {
      throw new WrongChainError(`${options.rpcUrl} serves chain ${chainId}, not ${options.chainId}`)
    }
    return new RewardsChainClient(chainId, options.rpcUrl, options.rootKey, transport, options.pollingIntervalMs ?? DEFAULT_CHAIN_POLL_MS)
  }

  /** Deploys AttToken (supply minted to this account) and AttRewards, and uses them. */
  async deploy (options: DeployOptions & AbortOptions = {}): Promise<Deployment> {
    const supply = toAmount(options.supply ?? DEFAULT_INITIAL_SUPPLY, 'supply')
    const delay = BigInt(options.withdrawalDelaySeconds ?? DEFAULT_WITHDRAWAL_DELAY_SECONDS)
    const epoch = BigInt(options.epochSeconds ?? DEFAULT_EPOCH_SECONDS)
    const cap = toAmount(options.epochCap ?? DEFAULT_EPOCH_CAP, 'epochCap')
    const tokenReceipt = await this.mined(async () => await this.walletClient.deployContract({
      abi: AttTokenAbi, bytecode: AttTokenBytecode, args: [supply]
    }), options)
    const token = toEvmAddress(tokenReceipt.contractAddress, 'token address')
    const rewardsReceipt = await this.mined(async () => await this.walletClient.deployContract({
      abi: AttRewardsAbi, bytecode: AttRewardsBytecode, args: [token, delay, epoch, cap]
    }), options)
    const contract = toEvmAddress(rewardsReceipt.contractAddress, 'contract address')
    this.contract = contract
    this.token = token
    return { chainId: this.chainId, token, contract, gasUsed: { token: tokenReceipt.gasUsed, contract: rewardsReceipt.gasUsed } }
  }

  /** Uses an already deployed AttRewards contract (reads its token). */
  async use (contract: string, options: AbortOptions = {}): Promise<void> {
    const c = toEvmAddress(contract, 'contract')
    const token = await guard(async () => await this.publicClient.readContract({ address: c, abi: AttRewardsAbi, functionName: 'token' }), options.signal)
    this.contract = c
    this.token = toEvmAddress(token, 'token address')
  }

  /** The EIP-712 domain of the contract in use. */
  domain (): RewardsDomain {
    return { chainId: this.chainId, verifyingContract: this.rewardsAddress() }
  }

  tokenAddress (): Address {
    if (this.token == null) throw new NoContractError()
    return this.token
  }

  rewardsAddress (): Address {
    if (this.contract == null) throw new NoContractError()
    return this.contract
  }

  // ---- transactions -------------------------------------------------------------------------

  /** Sends tokens from this account (e.g. to fund another identity). */
  async transfer (to: string, amount: bigint, options: AbortOptions = {}): Promise<TxResult> {
    return this.result(await this.mined(async () => await this.walletClient.writeContract({
      address: this.tokenAddress(), abi: AttTokenAbi, functionName: 'transfer', args: [toEvmAddress(to, 'to'), toAmount(amount)]
    }), options))
  }

  /** Mints tokens (the token owner only: local and test networks). */
  async mint (to: string, amount: bigint, options: AbortOptions = {}): Promise<TxResult> {
    return this.result(await this.mined(async () => await this.walletClient.writeContract({
      address: this.tokenAddress(), abi: AttTokenAbi, functionName: 'mint', args: [toEvmAddress(to, 'to'), toAmount(amount)]
    }), options))
  }

  /** Approves the contract for `amount` and deposits it (two transactions). */
  async deposit (amount: bigint, options: AbortOptions = {}): Promise<TxResult> {
    const value = toAmount(amount)
    await this.mined(async () => await this.walletClient.writeContract({
      address: this.tokenAddress(), abi: AttTokenAbi, functionName: 'approve', args: [this.rewardsAddress(), value]
    }), options)
    return this.result(await this.mined(async () => await this.walletClient.writeContract({
      address: this.rewardsAddress(), abi: AttRewardsAbi, functionName: 'deposit', args: [value]
    }), options))
  }

  async requestWithdrawal (amount: bigint, options: AbortOptions = {}): Promise<TxResult> {
    return this.result(await this.mined(async () => await this.walletClient.writeContract({
      address: this.rewardsAddress(), abi: AttRewardsAbi, functionName: 'requestWithdrawal', args: [toAmount(amount)]
    }), options))
  }

  async withdraw (options: AbortOptions = {}): Promise<TxResult> {
    return this.result(await this.mined(async () => await this.walletClient.writeContract({
      address: this.rewardsAddress(), abi: AttRewardsAbi, functionName: 'withdraw', args: []
    }), options))
  }

  /** Settles one cheque and its receipts (AttRewards.claim). */
  async claim (item: ClaimItem, options: AbortOptions = {}): Promise<ClaimResult> {
    checkReceipts([item])
    return this.claimResult(await this.mined(async () => await this.walletClient.writeContract({
      address: this.rewardsAddress(), abi: AttRewardsAbi, functionName: 'claim', args: [item]
    }), options))
  }

  /** Settles many cheques in one transaction (AttRewards.claimBatch). */
  async claimBatch (items: ClaimItem[], options: AbortOptions = {}): Promise<ClaimResult> {
    checkReceipts(items)
    return this.claimResult(await this.mined(async () => await this.walletClient.writeContract({
      address: this.rewardsAddress(), abi: AttRewardsAbi, functionName: 'claimBatch', args: [items]
    }), options))
  }

  // ---- reads --------------------------------------------------------------------------------

  async tokenBalance (owner: string = this.address, options: AbortOptions = {}): Promise<bigint> {
    return await this.read(this.tokenAddress(), AttTokenAbi, 'balanceOf', [toEvmAddress(owner, 'owner')], options) as bigint
  }

  async depositOf (sender: string = this.address, options: AbortOptions = {}): Promise<bigint> {
    return await this.read(this.rewardsAddress(), AttRewardsAbi, 'depositOf', [toEvmAddress(sender, 'sender')], options) as bigint
  }

  async epochPaidOf (sender: string, options: AbortOptions = {}): Promise<bigint> {
    return await this.read(this.rewardsAddress(), AttRewardsAbi, 'epochPaidOf', [toEvmAddress(sender, 'sender')], options) as bigint
  }

  async withdrawalOf (sender: string = this.address, options: AbortOptions = {}): Promise<{ amount: bigint, unlockAt: bigint }> {
    const [amount, unlockAt] = await this.read(this.rewardsAddress(), AttRewardsAbi, 'withdrawalOf', [toEvmAddress(sender, 'sender')], options) as [bigint, bigint]
    return { amount, unlockAt }
  }

  /** Per (sender, node): receipts proven on chain and what was paid for them. */
  async channelOf (sender: string, node: string, options: AbortOptions = {}): Promise<{ proven: bigint, paid: bigint }> {
    const [proven, paid] = await this.read(this.rewardsAddress(), AttRewardsAbi, 'channelOf',
      [toEvmAddress(sender, 'sender'), toEvmAddress(node, 'node')], options) as [bigint, bigint]
    return { proven, paid }
  }

  async claimedOf (sender: string, node: string, recipient: string, options: AbortOptions = {}): Promise<bigint> {
    return await this.read(this.rewardsAddress(), AttRewardsAbi, 'claimedOf',
      [toEvmAddress(sender, 'sender'), toEvmAddress(node, 'node'), toEvmAddress(recipient, 'recipient')], options) as bigint
  }

  /** The contract's EIP-712 domain separator (for cross-checks with the local computation). */
  async domainSeparator (options: AbortOptions = {}): Promise<Hex> {
    return await this.read(this.rewardsAddress(), AttRewardsAbi, 'domainSeparator', [], options) as Hex
  }

  // ---- internals ----------------------------------------------------------------------------

  private async read (address: Address, abi: readonly unknown[], functionName: string, args: unknown[], options: AbortOptions): Promise<unknown> {
    return await guard(async () => await this.publicClient.readContract({ address, abi, functionName, args } as any), options.signal)
  }

  /**
   * Sends a transaction and waits for its receipt; a reverted receipt is a ChainTransactionError.
   * An abort stops the wait, not a transaction already sent (it may still be mined: claims are idempotent).
   */
  private async mined (send: () => Promise<Hex>, options: AbortOptions): Promise<TransactionReceipt> {
    const hash = await guard(send, options.signal)
    const receipt = await guard(async () => await this.publicClient.waitForTransactionReceipt({ hash }), options.signal)
    if (receipt.status !== 'success') throw new ChainTransactionError(`transaction ${hash} reverted`)
    return receipt
  }

  private result (receipt: TransactionReceipt): TxResult {
    return { txHash: receipt.transactionHash, gasUsed: receipt.gasUsed }
  }

  private claimResult (receipt: TransactionReceipt): ClaimResult {
    const events = parseEventLogs({ abi: AttRewardsAbi, eventName: 'Claimed', logs: receipt.logs })
    const settlements: Settlement[] = events.map((e) => ({
      sender: e.args.sender, node: e.args.node, amount: e.args.amount, proven: e.args.proven, paid: e.args.paid
    }))
    return { ...this.result(receipt), paid: settlements.reduce((sum, s) => sum + s.amount, 0n), settlements }
  }
}

function checkReceipts (items: ClaimItem[]): void {
  const n = items.reduce((sum, i) => sum + i.deliveries.length, 0)
  if (items.length === 0 || n > MAX_CLAIM_RECEIPTS) {
    throw new ClaimTooLargeError(`a claim holds 1..${MAX_CLAIM_RECEIPTS} receipts in at least one item, got ${items.length} items with ${n} receipts`)
  }
}

/** Runs a chain call, turning viem's errors into this layer's typed errors; `signal` ends the wait. */
async function guard<T> (fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await abortable(fn, signal)
  } catch (err) {
    if (err instanceof BaseError) {
      const revert = err.walk((e) => e instanceof ContractFunctionRevertedError)
      if (revert instanceof ContractFunctionRevertedError) {
        const reason = revert.data?.errorName ?? revert.reason
        throw new ChainTransactionError(`the contract refused: ${reason ?? revert.shortMessage}`, reason, { cause: err })
      }
      const name = err.walk((e) => e instanceof BaseError && /HttpRequestError|TimeoutError|WebSocketRequestError/.test(e.name))
      if (name != null) throw new ChainUnavailableError(`the chain RPC endpoint does not answer: ${err.shortMessage}`, { cause: err })
      throw new ChainTransactionError(err.shortMessage, undefined, { cause: err })
    }
    throw err
  }
}

async function abortable<T> (start: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted === true) throw new ChainAbortedError()
  const work = start()
  if (signal == null) return await work
  // work.then below keeps a handler on the work, so its late failure after an abort is not unhandled
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(new ChainAbortedError()) }
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}
