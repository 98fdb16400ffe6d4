/**
 * Wire formats of postage on the mailbox protocol (protocols/rewards.md §6): the mailbox's terms,
 * the postage trailer of a paid `mailbox.put`, the `mailbox.ack` reply that reports the postage of
 * the acknowledged parcels, and the delivery receipts a recipient returns with `mailbox.receipt`.
 * Amounts are u128 big-endian (16 bytes), EVM addresses 20 raw bytes, signatures 65 bytes r‖s‖v.
 * Every decoder is total (MalformedMessageError) and rejects trailing bytes.
 */
import { Reader, Writer } from './codec.js'
import { MAX_ADDRESS_LENGTH, MAX_ENVELOPE_BYTES } from '../constants.js'
import { MalformedMessageError } from '../errors.js'

export const METHOD_MAILBOX_TERMS = 'mailbox.terms'
export const METHOD_MAILBOX_RECEIPT = 'mailbox.receipt'

/** mailbox.terms result version. */
export const TERMS_VERSION = 1
/** First byte of the postage trailer of a paid mailbox.put ('P'). */
export const POSTAGE_TAG = 0x50
/** mailbox.ack results: 0x01 = acknowledged (nothing paid); 0x02 = acknowledged, with the postage of paid parcels. */
export const ACK_PLAIN = 0x01
export const ACK_POSTAGE = 0x02
/** Most receipts in one mailbox.receipt call, and most postage entries in one ack reply (= MAX_ACK_IDS). */
export const MAX_RECEIPTS_PER_CALL = 64
export const MAX_ACK_POSTAGE = 1024

const AMOUNT_BYTES = 16
const EVM_ADDRESS_BYTES = 20
const SIGNATURE_BYTES = 65
const MAX_U128 = (1n << 128n) - 1n

/** What a mailbox asks per parcel and under which contract its cheques are signed; price 0 = free. */
export interface MailboxTerms {
  price: bigint
  chainId: bigint
  /** AttRewards contract, 0x-hex (the zero address when free). */
  contract: string
  /** The mailbox identity's EVM address (the cheque's `node`). */
  node: string
}

/** The postage of one paid put: the amount and the sender's new cumulative cheque to this node. */
export interface PutPostage {
  postage: bigint
  cumulativeAmount: bigint
  signature: string
}

/** Postage of one acknowledged parcel, as the mailbox reports it. */
export interface AckedPostage {
  parcelId: Uint8Array
  /** The paying sender's EVM address. */
  sender: string
  postage: bigint
}

export interface AckReply {
  /** Absent in a plain (0x01) reply. */
  domain?: { chainId: bigint, contract: string, node: string }
  paid: AckedPostage[]
}

/** A delivery receipt on the wire: node and recipient are implied (the callee and the caller). */
export interface WireReceipt {
  sender: string
  cumulativeAmount: bigint
  signature: string
}

// ---- helpers ------------------------------------------------------------------------------------

function u128 (w: Writer, v: bigint): Writer {
  if (v < 0n || v > MAX_U128) throw new RangeError(`u128 out of range: ${v}`)
  return w.bytes(hexToBytes(v.toString(16).padStart(32, '0')))
}

function readU128 (r: Reader): bigint {
  return BigInt('0x' + Buffer.from(r.bytes(AMOUNT_BYTES)).toString('hex'))
}

function evm (w: Writer, address: string): Writer {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new RangeError(`not an EVM address: ${address}`)
  return w.bytes(hexToBytes(address.slice(2)))
}

function readEvm (r: Reader): string {
  return '0x' + Buffer.from(r.bytes(EVM_ADDRESS_BYTES)).toString('hex')
}

function sig (w: Writer, signature: string): Writer {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) throw new RangeError('a signature is 65 bytes of 0x-hex')
  return w.bytes(hexToBytes(signature.slice(2)))
}

function readSig (r: Reader): string {
  return '0x' + Buffer.from(r.bytes(SIGNATURE_BYTES)).toString('hex')
}

function hexToBytes (hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

// ---- mailbox.terms ------------------------------------------------------------------------------

/** mailbox.terms result: `version(1)=1 | price(u128) | chainId(u64) | contract(20) | node(20)`; params are empty. */
export function encodeTerms (t: MailboxTerms): Uint8Array {
  return evm(evm(u128(new Writer().u8(TERMS_VERSION), t.price).u64(t.chainId), t.contract), t.node).finish()
}

export function decodeTerms (bytes: Uint8Array): MailboxTerms {
  const r = new Reader(bytes, 'mailbox.terms result')
  const version = r.u8()
  if (version !== TERMS_VERSION) throw new MalformedMessageError(`unsupported mailbox.terms version ${version}`)
  const price = readU128(r)
  const chainId = r.u64()
  const contract = readEvm(r)
  const node = readEvm(r)
  r.end()
  return { price, chainId, contract, node }
}

// ---- mailbox.put --------------------------------------------------------------------------------

/**
 * mailbox.put params: `parcel | [postage trailer]`, the trailer being
 * `tag(1)=0x50 | postage(u128) | cumulativeAmount(u128) | signature(65)` (98 bytes). The cheque's
 * sender is the caller's identity and its node the callee's, so neither is sent.
 */
export function encodePut (parcel: Uint8Array, postage?: PutPostage): Uint8Array {
  const w = new Writer().bytes(parcel)
  if (postage != null) sig(u128(u128(w.u8(POSTAGE_TAG), postage.postage), postage.cumulativeAmount), postage.signature)
  return w.finish()
}

/** Splits mailbox.put params into the parcel bytes (decoded later by decodeParcel) and the trailer, if any. */
export function decodePut (bytes: Uint8Array): { parcel: Uint8Array, postage?: PutPostage } {
  // the parcel is self-delimiting: version(1) | kind(1) | recipient(u8 len) | payload(u32 len)
  const r = new Reader(bytes, 'mailbox.put')
  r.bytes(2)
  const recipientLength = r.u8()
  if (recipientLength > MAX_ADDRESS_LENGTH) throw new MalformedMessageError('bad parcel recipient')
  r.bytes(recipientLength)
  const payloadLength = r.u32()
  if (payloadLength > MAX_ENVELOPE_BYTES) throw new MalformedMessageError(`mailbox.put: payload of ${payloadLength} bytes exceeds ${MAX_ENVELOPE_BYTES}`)
  r.bytes(payloadLength)
  const parcel = bytes.subarray(0, r.offset)
  if (r.remaining === 0) return { parcel }
  const tag = r.u8()
  if (tag !== POSTAGE_TAG) throw new MalformedMessageError(`mailbox.put: unknown trailer tag ${tag}`)
  const postage = readU128(r)
  const cumulativeAmount = readU128(r)
  const signature = readSig(r)
  r.end()
  return { parcel, postage: { postage, cumulativeAmount, signature } }
}

// ---- mailbox.ack result -------------------------------------------------------------------------

/**
 * mailbox.ack result: `0x01`, or
 * `0x02 | chainId(u64) | contract(20) | node(20) | count(u16) | (parcelId(16) | sender(20) | postage(u128))*`.
 */
export function encodeAckReply (reply: AckReply): Uint8Array {
  if (reply.domain == null || reply.paid.length === 0) return Uint8Array.of(ACK_PLAIN)
  const w = evm(evm(new Writer().u8(ACK_POSTAGE).u64(reply.domain.chainId), reply.domain.contract), reply.domain.node).u16(reply.paid.length)
  for (const p of reply.paid) u128(evm(w.bytes(p.parcelId), p.sender), p.postage)
  return w.finish()
}

export function decodeAckReply (bytes: Uint8Array): AckReply {
  const r = new Reader(bytes, 'mailbox.ack result')
  const kind = r.u8()
  if (kind === ACK_PLAIN) {
    r.end()
    return { paid: [] }
  }
  if (kind !== ACK_POSTAGE) throw new MalformedMessageError(`unknown mailbox.ack result ${kind}`)
  const chainId = r.u64()
  const contract = readEvm(r)
  const node = readEvm(r)
  const count = r.u16()
  if (count > MAX_ACK_POSTAGE) throw new MalformedMessageError('too many postage entries')
  const paid: AckedPostage[] = []
  for (let i = 0; i < count; i++) paid.push({ parcelId: r.bytes(16), sender: readEvm(r), postage: readU128(r) })
  r.end()
  return { domain: { chainId, contract, node }, paid }
}

// ---- mailbox.receipt ----------------------------------------------------------------------------

/** mailbox.receipt params: `count(u16) | (sender(20) | cumulativeAmount(u128) | signature(65))*`, count 1..64; result `0x01`. */
export function encodeReceipts (receipts: WireReceipt[]): Uint8Array {
  const w = new Writer().u16(receipts.length)
  for (const x of receipts) sig(u128(evm(w, x.sender), x.cumulativeAmount), x.signature)
  return w.finish()
}

export function decodeReceipts (bytes: Uint8Array): WireReceipt[] {
  const r = new Reader(bytes, 'mailbox.receipt request')
  const count = r.u16()
  if (count < 1 || count > MAX_RECEIPTS_PER_CALL) throw new MalformedMessageError(`a mailbox.receipt call holds 1..${MAX_RECEIPTS_PER_CALL} receipts`)
  const out: WireReceipt[] = []
  for (let i = 0; i < count; i++) out.push({ sender: readEvm(r), cumulativeAmount: readU128(r), signature: readSig(r) })
  r.end()
  return out
}
