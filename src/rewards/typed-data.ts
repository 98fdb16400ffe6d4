/**
 * EIP-712 postage cheques and delivery receipts (protocols/rewards.md §2): typed data, hashes,
 * signing with an ATT root key and verification (signer recovery). Signing is synchronous
 * (viem's hashTypedData, then RFC 6979 deterministic low-s ECDSA from @noble/curves), so a ledger can
 * raise a cumulative amount and sign it inside one SQLite transaction; the result is byte-identical to
 * viem's signTypedData (checked by test/unit/rewards/typed-data.spec.ts).
 */
import { ecdsaRecover, ecdsaSignRecoverable } from '../crypto/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { getAddress, hashTypedData, isAddress, toHex } from 'viem'
import { publicKeyToAddress } from 'viem/accounts'
import type { Address, Hex, TypedDataDomain } from 'viem'
import { evmAddress } from '../keys/index.js'
import {
  CHEQUE_TYPE, DELIVERY_TYPE, EIP712_NAME, EIP712_VERSION, EVM_SIGNATURE_LENGTH, MAX_AMOUNT, SECP256K1_HALF_ORDER
} from './constants.js'
import {
  BadChequeSignatureError, BadDeliverySignatureError, InvalidAmountError, InvalidEvmAddressError,
  MalformedEvmSignatureError
} from './errors.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

export type { Address, Hex }

/** What a signature is bound to: the chain and the AttRewards contract. */
export interface RewardsDomain {
  chainId: number
  verifyingContract: Address
}

/** Postage cheque: `sender` commits up to `cumulativeAmount` in all to `node`. */
export interface Cheque {
  sender: Address
  node: Address
  cumulativeAmount: bigint
}

/** Delivery receipt: `recipient` got `cumulativeAmount` worth of `sender`'s postage through `node`. */
export interface Delivery {
  node: Address
  sender: Address
  recipient: Address
  cumulativeAmount: bigint
}

export interface SignedCheque extends Cheque { signature: Hex }
export interface SignedDelivery extends Delivery { signature: Hex }

/** EIP-712 types (the EIP712Domain type is implied by the domain's fields). */
export const REWARDS_TYPES = {
  Cheque: [
    { name: 'sender', type: 'address' },
    { name: 'node', type: 'address' },
    { name: 'cumulativeAmount', type: 'uint256' }
  ],
  Delivery: [
    { name: 'node', type: 'address' },
    { name: 'sender', type: 'address' },
    { name: 'recipient', type: 'address' },
    { name: 'cumulativeAmount', type: 'uint256' }
  ]
} as const

/** The EIP-712 type string of a REWARDS_TYPES entry (test/unit/rewards checks it equals CHEQUE_TYPE / DELIVERY_TYPE, what the contract hashes). */
export function typeString (name: keyof typeof REWARDS_TYPES): string {
  return `${name}(${REWARDS_TYPES[name].map((f) => `${f.type} ${f.name}`).join(',')})`
}

/** The EVM address of an ATT identity's key (EIP-55 checksummed): the account its rewards use. */
export function evmAddressOf (publicKey: PublicKey | Uint8Array): Address {
  return evmAddress(publicKey) as Address
}

/** Checks and checksums an EVM address given as a string. */
export function toEvmAddress (value: unknown, what = 'address'): Address {
  if (typeof value !== 'string' || !isAddress(value, { strict: false })) {
    throw new InvalidEvmAddressError(`${what} is not a 20-byte hex EVM address`)
  }
  return getAddress(value)
}

/** Checks that an amount is an integer in [0, MAX_AMOUNT]; accepts a bigint or a decimal string. */
export function toAmount (value: unknown, what = 'amount'): bigint {
  let v: bigint
  if (typeof value === 'bigint') v = value
  else if (typeof value === 'string' && /^(0|[1-9][0-9]{0,38})$/.test(value)) v = BigInt(value)
  else throw new InvalidAmountError(`${what} must be a non-negative integer (bigint or decimal string)`)
  if (v < 0n || v > MAX_AMOUNT) throw new InvalidAmountError(`${what} must be in [0, 2^128 - 1]`)
  return v
}

/** The viem TypedDataDomain of a rewards domain. */
export function typedDataDomain (domain: RewardsDomain): TypedDataDomain {
  return { name: EIP712_NAME, version: EIP712_VERSION, chainId: domain.chainId, verifyingContract: domain.verifyingContract }
}

/** The full EIP-712 typed data of a cheque (as viem's signTypedData and wallets take it). */
export function chequeTypedData (domain: RewardsDomain, cheque: Cheque) {
  return {
    domain: typedDataDomain(domain),
    types: { Cheque: REWARDS_TYPES.Cheque },
    primaryType: 'Cheque' as const,
    message: { sender: cheque.sender, node: cheque.node, cumulativeAmount: cheque.cumulativeAmount }
  }
}

/** The full EIP-712 typed data of a delivery receipt. */
export function deliveryTypedData (domain: RewardsDomain, delivery: Delivery) {
  return {
    domain: typedDataDomain(domain),
    types: { Delivery: REWARDS_TYPES.Delivery },
    primaryType: 'Delivery' as const,
    message: {
      node: delivery.node, sender: delivery.sender, recipient: delivery.recipient, cumulativeAmount: delivery.cumulativeAmount
    }
  }
}

/**
 * keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(cheque)): the digest the sender signs.
 * Computed by hand from 32-byte words (a mailbox hashes one per put; viem's generic hashTypedData
 * is several times slower); test/unit/rewards checks it equals viem's for every vector.
 */
export function hashCheque (domain: RewardsDomain, cheque: Cheque): Hex {
  const c = checkCheque(cheque)
  return digestOf(domain, concatWords(CHEQUE_TYPEHASH, addressWord(c.sender), addressWord(c.node), uintWord(c.cumulativeAmount)))
}

/** The digest the recipient signs. */
export function hashDelivery (domain: RewardsDomain, delivery: Delivery): Hex {
  const d = checkDelivery(delivery)
  return digestOf(domain, concatWords(DELIVERY_TYPEHASH, addressWord(d.node), addressWord(d.sender), addressWord(d.recipient), uintWord(d.cumulativeAmount)))
}

/** viem's hashTypedData of a cheque (the reference the fast path is checked against). */
export function hashChequeViem (domain: RewardsDomain, cheque: Cheque): Hex {
  return hashTypedData(chequeTypedData(domain, checkCheque(cheque)))
}

/** viem's hashTypedData of a receipt. */
export function hashDeliveryViem (domain: RewardsDomain, delivery: Delivery): Hex {
  return hashTypedData(deliveryTypedData(domain, checkDelivery(delivery)))
}

const utf8 = new TextEncoder()
const CHEQUE_TYPEHASH = keccak_256(utf8.encode(CHEQUE_TYPE))
const DELIVERY_TYPEHASH = keccak_256(utf8.encode(DELIVERY_TYPE))
const DOMAIN_TYPEHASH = keccak_256(utf8.encode('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'))
/** Domain separators by chain id and contract (a node uses one or two). */
const separators = new Map<string, Uint8Array>()
const MAX_SEPARATORS = 64

function domainSeparator (domain: RewardsDomain): Uint8Array {
  const key = `${domain.chainId}:${domain.verifyingContract.toLowerCase()}`
  let sep = separators.get(key)
  if (sep == null) {
    sep = keccak_256(concatWords(DOMAIN_TYPEHASH, keccak_256(utf8.encode(EIP712_NAME)), keccak_256(utf8.encode(EIP712_VERSION)),
      uintWord(BigInt(domain.chainId)), addressWord(toEvmAddress(domain.verifyingContract, 'verifyingContract'))))
    if (separators.size >= MAX_SEPARATORS) separators.clear()
    separators.set(key, sep)
  }
  return sep
}

function digestOf (domain: RewardsDomain, encodedStruct: Uint8Array): Hex {
  const out = new Uint8Array(66)
  out[0] = 0x19
  out[1] = 0x01
  out.set(domainSeparator(domain), 2)
  out.set(keccak_256(encodedStruct), 34)
  return toHex(keccak_256(out))
}

function concatWords (...words: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(32 * words.length)
  words.forEach((w, i) => { out.set(w, 32 * i) })
  return out
}

function addressWord (address: string): Uint8Array {
  const w = new Uint8Array(32)
  w.set(hexBytes(address), 12)
  return w
}

function uintWord (v: bigint): Uint8Array {
  return hexBytes('0x' + v.toString(16).padStart(64, '0'))
}

/** Signs `digest` with a secp256k1 private key: 65 bytes r ‖ s ‖ v (v = 27 + recovery bit), low s. */
export function signDigest (privateKey: PrivateKey, digest: Hex): Hex {
  // RFC 6979, s in the lower half (lowS); native libsecp256k1 when it loads (src/crypto/secp256k1.ts)
  const { signature, recovery } = ecdsaSignRecoverable(privateKey.raw, hexBytes(digest))
  const out = new Uint8Array(EVM_SIGNATURE_LENGTH)
  out.set(signature, 0)
  out[64] = 27 + recovery
  return toHex(out)
}

/**
 * The address whose key made `signature` over `digest`. Refuses what the contract refuses:
 * another length, v ∉ {27, 28}, high s (so every valid signature has exactly one encoding).
 */
export function recoverSigner (digest: Hex, signature: Hex): Address {
  const bytes = typeof signature === 'string' && /^0x[0-9a-fA-F]{130}$/.test(signature) ? hexBytes(signature) : undefined
  if (bytes == null) {
    throw new MalformedEvmSignatureError(`a signature is ${EVM_SIGNATURE_LENGTH} bytes of hex`)
  }
  const v = bytes[64]
  if (v !== 27 && v !== 28) throw new MalformedEvmSignatureError('signature v must be 27 or 28')
  const s = BigInt(toHex(bytes.subarray(32, 64)))
  if (s > SECP256K1_HALF_ORDER) throw new MalformedEvmSignatureError('signature s is in the upper half of the curve order')
  let point: Uint8Array
  try {
    point = ecdsaRecover(bytes.subarray(0, 64), v - 27, hexBytes(digest))
  } catch (err) {
    throw new MalformedEvmSignatureError('no public key recovers from this signature', { cause: err })
  }
  return publicKeyToAddress(toHex(point))
}

/** Signs a cheque from the identity of `rootKey` to `node` for `cumulativeAmount` in all. */
export function signCheque (rootKey: PrivateKey, domain: RewardsDomain, cheque: Omit<Cheque, 'sender'>): SignedCheque {
  const full = checkCheque({ sender: evmAddressOf(rootKey.publicKey), node: cheque.node, cumulativeAmount: cheque.cumulativeAmount })
  return { ...full, signature: signDigest(rootKey, hashCheque(domain, full)) }
}

/** Signs a delivery receipt as the recipient (the identity of `rootKey`). */
export function signDelivery (rootKey: PrivateKey, domain: RewardsDomain, delivery: Omit<Delivery, 'recipient'>): SignedDelivery {
  const full = checkDelivery({
    node: delivery.node, sender: delivery.sender, recipient: evmAddressOf(rootKey.publicKey), cumulativeAmount: delivery.cumulativeAmount
  })
  return { ...full, signature: signDigest(rootKey, hashDelivery(domain, full)) }
}

/** Checks a signed cheque (fields, then that its sender signed it); returns it normalised (checksummed addresses). */
export function verifyCheque (domain: RewardsDomain, signed: SignedCheque): SignedCheque {
  const cheque = checkCheque(signed)
  if (recoverSigner(hashCheque(domain, cheque), signed.signature) !== cheque.sender) {
    throw new BadChequeSignatureError(`the cheque is not signed by its sender ${cheque.sender}`)
  }
  return { ...cheque, signature: signed.signature.toLowerCase() as Hex }
}

/** Checks a signed delivery receipt (fields, then that its recipient signed it); returns it normalised. */
export function verifyDelivery (domain: RewardsDomain, signed: SignedDelivery): SignedDelivery {
  const delivery = checkDelivery(signed)
  if (recoverSigner(hashDelivery(domain, delivery), signed.signature) !== delivery.recipient) {
    throw new BadDeliverySignatureError(`the receipt is not signed by its recipient ${delivery.recipient}`)
  }
  return { ...delivery, signature: signed.signature.toLowerCase() as Hex }
}

function checkCheque (c: Cheque): Cheque {
  return {
    sender: toEvmAddress(c?.sender, 'cheque sender'),
    node: toEvmAddress(c?.node, 'cheque node'),
    cumulativeAmount: toAmount(c?.cumulativeAmount, 'cheque cumulativeAmount')
  }
}

function checkDelivery (d: Delivery): Delivery {
  return {
    node: toEvmAddress(d?.node, 'receipt node'),
    sender: toEvmAddress(d?.sender, 'receipt sender'),
    recipient: toEvmAddress(d?.recipient, 'receipt recipient'),
    cumulativeAmount: toAmount(d?.cumulativeAmount, 'receipt cumulativeAmount')
  }
}

function hexBytes (hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.slice(2), 'hex'))
}
