import { AttnError } from '../errors.js'

/** An amount is negative, not an integer, or above MAX_AMOUNT (2^128 − 1). */
export class InvalidAmountError extends AttnError {
  constructor (message: string) { super(message, 'ERR_INVALID_AMOUNT') }
}

/** A string is not a 20-byte hex EVM address. */
export class InvalidEvmAddressError extends AttnError {
  constructor (message: string) { super(message, 'ERR_INVALID_EVM_ADDRESS') }
}

/** A signature is not 65 bytes r || s || v with v ∈ {27, 28} and a low s. */
export class MalformedEvmSignatureError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_MALFORMED_EVM_SIGNATURE', options) }
}

/** A cheque is not signed by its sender (under this domain). */
export class BadChequeSignatureError extends AttnError {
  constructor (message: string) { super(message, 'ERR_BAD_CHEQUE_SIGNATURE') }
}

/** A delivery receipt is not signed by its recipient (under this domain). */
export class BadDeliverySignatureError extends AttnError {
  constructor (message: string) { super(message, 'ERR_BAD_DELIVERY_SIGNATURE') }
}

/** A cheque or receipt names another node than this one, or a receipt names the node as its recipient. */
export class WrongNodeError extends AttnError {
  constructor (message: string) { super(message, 'ERR_WRONG_NODE') }
}

/** A cheque's cumulative amount is below the one already held from that sender. */
export class StaleChequeError extends AttnError {
  constructor (message: string) { super(message, 'ERR_STALE_CHEQUE') }
}

/** A receipt's cumulative amount is below the one already held for that (sender, recipient). */
export class StaleDeliveryError extends AttnError {
  constructor (message: string) { super(message, 'ERR_STALE_DELIVERY') }
}

/** A receipt names a sender this node holds no cheque from (it could never be paid). */
export class UnknownSenderError extends AttnError {
  constructor (message: string) { super(message, 'ERR_UNKNOWN_SENDER') }
}

/** A ledger limit (senders, recipients per sender, receipts in all, counterparties) is reached. */
export class LedgerFullError extends AttnError {
  constructor (message: string) { super(message, 'ERR_LEDGER_FULL') }
}

/** The ledger file was written for another EIP-712 domain (chain id or contract). */
export class LedgerDomainMismatchError extends AttnError {
  constructor (message: string) { super(message, 'ERR_LEDGER_DOMAIN_MISMATCH') }
}

/** The ledger file has a newer schema than this code, or its content is not what the schema allows. */
export class LedgerCorruptError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_LEDGER_CORRUPT', options) }
}

/** The chain RPC endpoint does not answer (after retries): the node keeps its ledger and settles later. */
export class ChainUnavailableError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_CHAIN_UNAVAILABLE', options) }
}

/** A transaction was rejected by the contract (revert) or failed on chain; `reason` is the Solidity error name when known. */
export class ChainTransactionError extends AttnError {
  readonly reason?: string
  constructor (message: string, reason?: string, options?: ErrorOptions) {
    super(message, 'ERR_CHAIN_TRANSACTION', options)
    this.reason = reason
  }
}

/** The node is configured for one chain but the RPC endpoint serves another (chain id mismatch). */
export class WrongChainError extends AttnError {
  constructor (message: string) { super(message, 'ERR_WRONG_CHAIN') }
}

/** A claim holds more receipts than MAX_CLAIM_RECEIPTS, or none. */
export class ClaimTooLargeError extends AttnError {
  constructor (message: string) { super(message, 'ERR_CLAIM_TOO_LARGE') }
}

/** A chain call was aborted by its caller's signal (a transaction already sent may still be mined). */
export class ChainAbortedError extends AttnError {
  constructor (message = 'the chain call was aborted') { super(message, 'ERR_ABORTED') }
}

/** A contract call was made before deploy() or use() named the AttRewards contract. */
export class NoContractError extends AttnError {
  constructor (message = 'no rewards contract: deploy one or configure its address') { super(message, 'ERR_NO_CONTRACT') }
}

/** A priced mailbox refuses a parcel whose put carries no postage, too little, or a cheque that does not cover it. */
export class PostageRequiredError extends AttnError {
  constructor (message: string, readonly price: bigint = 0n) { super(message, 'ERR_POSTAGE_REQUIRED') }
}

/** This identity cannot sign cheques or receipts: its root key is not on this node, or no rewards contract is configured. */
export class NoRewardsSignerError extends AttnError {
  constructor (message: string) { super(message, 'ERR_NO_REWARDS_SIGNER') }
}

/** A chain operation was asked of a node configured without a chain RPC endpoint (ledger only). */
export class NoChainError extends AttnError {
  constructor (message = 'no chain RPC configured (chainRpc / --chain-rpc): the ledger keeps cheques and receipts until one is') { super(message, 'ERR_NO_CHAIN') }
}
