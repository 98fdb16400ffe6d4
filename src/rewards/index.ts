/**
 * Rewards (protocols/rewards.md): senders pay mailbox nodes postage with cumulative EIP-712 cheques,
 * recipients sign cumulative delivery receipts, and the AttRewards contract pays a node
 * min(receipts, cheque) − paid out of the sender's deposit. The root key of an ATT identity is its
 * EVM account (evmAddressOf).
 *
 * Integration, by role (each a synchronous call on the ledger of the identity playing it):
 * ```ts
 * const ledger = new RewardsLedger(`${home}/rewards.sqlite`, { domain, rootKey: identity.rootKey })
 * // sender, on mailbox.put: a cheque raised by the parcel's postage travels with the parcel
 * const cheque = ledger.issueCheque(mailboxEvmAddress, price)
 * // mailbox node, on put: verify + keep; refuse the parcel unless the cheque grew by the price
 * const { increment } = mailboxLedger.acceptCheque(cheque) // throws ERR_BAD_CHEQUE_SIGNATURE, ERR_STALE_CHEQUE, …
 * // recipient, on fetch/ack: receipt the postage of the parcels it got from that sender through that node
 * const receipt = recipientLedger.issueDelivery(mailboxEvmAddress, senderEvmAddress, postage)
 * // mailbox node, on ack: keep the receipt; later settle with one transaction
 * mailboxLedger.acceptDelivery(receipt)
 * const pending = mailboxLedger.claimable()
 * const result = await chain.claimBatch(pending.map((p) => p.item))
 * mailboxLedger.recordClaim(pending.map((p) => p.item), result)
 * ```
 */
export {
  evmAddressOf, toEvmAddress, toAmount, typedDataDomain, chequeTypedData, deliveryTypedData, hashCheque, hashDelivery,
  signCheque, signDelivery, verifyCheque, verifyDelivery, signDigest, recoverSigner, REWARDS_TYPES, typeString
} from './typed-data.js'
export type { Address, Hex, RewardsDomain, Cheque, Delivery, SignedCheque, SignedDelivery } from './typed-data.js'
export { RewardsLedger, LEDGER_SCHEMA_VERSION } from './ledger.js'
export type {
  RewardsLedgerOptions, LedgerLimits, Accepted, ClaimItem, PendingClaim, Settlement, EpochTotal, LedgerSummary, TotalKind
} from './ledger.js'
export { RewardsChainClient } from './chain-client.js'
export type { ChainClientOptions, DeployOptions, Deployment, TxResult, ClaimResult } from './chain-client.js'
export { AttRewardsAbi, AttRewardsBytecode, AttTokenAbi, AttTokenBytecode, SOLC_VERSION } from './artifacts.js'
export {
  EIP712_NAME, EIP712_VERSION, CHEQUE_TYPE, DELIVERY_TYPE, MAX_AMOUNT, EVM_SIGNATURE_LENGTH, DEFAULT_WITHDRAWAL_DELAY_SECONDS,
  DEFAULT_EPOCH_SECONDS, DEFAULT_EPOCH_CAP, DEFAULT_INITIAL_SUPPLY, MAX_LEDGER_SENDERS, MAX_RECIPIENTS_PER_SENDER,
  MAX_LEDGER_DELIVERIES, MAX_LEDGER_COUNTERPARTIES, MAX_CLAIM_RECEIPTS, DEFAULT_CHAIN_TIMEOUT_MS, DEFAULT_CHAIN_RETRIES,
  DEFAULT_CHAIN_POLL_MS
} from './constants.js'
export {
  InvalidAmountError, InvalidEvmAddressError, MalformedEvmSignatureError, BadChequeSignatureError, BadDeliverySignatureError,
  WrongNodeError, StaleChequeError, StaleDeliveryError, UnknownSenderError, LedgerFullError, LedgerDomainMismatchError,
  LedgerCorruptError, ChainUnavailableError, ChainTransactionError, WrongChainError, ClaimTooLargeError,
  ChainAbortedError, NoContractError, PostageRequiredError, NoRewardsSignerError, NoChainError
} from './errors.js'
export { NodeRewards } from './node-rewards.js'
export type { RewardsConfig, RewardsStatus, ClaimOutcome } from './node-rewards.js'
