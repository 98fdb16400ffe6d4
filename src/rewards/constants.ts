/**
 * Constants of the rewards layer (protocols/rewards.md). The EIP-712 names, version and type strings
 * decide the signed bytes: changing one is a protocol version change (and a new contract).
 */

/** EIP-712 domain name and version of AttRewards (contracts/AttRewards.sol). */
export const EIP712_NAME = 'ATT Rewards'
export const EIP712_VERSION = '1'
/** EIP-712 type strings, exactly as hashed into CHEQUE_TYPEHASH / DELIVERY_TYPEHASH. */
export const CHEQUE_TYPE = 'Cheque(address sender,address node,uint256 cumulativeAmount)'
export const DELIVERY_TYPE = 'Delivery(address node,address sender,address recipient,uint256 cumulativeAmount)'

/** Cumulative amounts are uint256 in the typed data but the contract keeps them in uint128. */
export const MAX_AMOUNT = (1n << 128n) - 1n
/** A signature is r (32) || s (32) || v (1), v ∈ {27, 28}, s ≤ n/2. */
export const EVM_SIGNATURE_LENGTH = 65
/** secp256k1 group order n / 2 (EIP-2 low-s bound). */
export const SECP256K1_HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/** Contract deployment defaults (`attn rewards deploy`). */
/** Seconds a sender waits between requestWithdrawal and withdraw: the nodes' window to claim. 7 days. */
export const DEFAULT_WITHDRAWAL_DELAY_SECONDS = 7 * 24 * 3600
/** Cap epoch, and the ledger's totals period: one day. */
export const DEFAULT_EPOCH_SECONDS = 24 * 3600
/** Most one sender's deposit pays out per epoch; 0 = no cap. Default: 10^24 base units (10^6 tokens). */
export const DEFAULT_EPOCH_CAP = 10n ** 24n
/** Initial token supply minted to the deployer: 10^27 base units (10^9 tokens of 18 decimals). */
export const DEFAULT_INITIAL_SUPPLY = 10n ** 27n

/** Ledger limits (per-peer and global), so a flood of signed paper cannot grow the file without bound. */
/** Senders whose cheques a node keeps. */
export const MAX_LEDGER_SENDERS = 100_000
/** Recipients per sender whose receipts a node keeps. */
export const MAX_RECIPIENTS_PER_SENDER = 10_000
/** Delivery receipts a node keeps in all. */
export const MAX_LEDGER_DELIVERIES = 1_000_000
/** Nodes a sender has cheques with, and (node, sender) pairs a recipient has receipted. */
export const MAX_LEDGER_COUNTERPARTIES = 100_000

/** Receipts in one claim transaction (keeps it far below a block's gas limit: ~30 k gas each). */
export const MAX_CLAIM_RECEIPTS = 200
/** Chain calls: per-request timeout and retries before ERR_CHAIN_UNAVAILABLE. */
export const DEFAULT_CHAIN_TIMEOUT_MS = 10_000
export const DEFAULT_CHAIN_RETRIES = 2
/** Receipt polling interval: a local chain mines at once, a public one every few seconds. */
export const DEFAULT_CHAIN_POLL_MS = 1_000

/** The ledger's file in the node's home. */
export const REWARDS_LEDGER_FILE = 'rewards.sqlite'
/** How long `attn start` waits for the chain to say its id (it starts anyway when the chain is down). */
export const START_CHAIN_TIMEOUT_MS = 3_000
