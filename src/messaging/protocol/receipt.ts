/**
 * Delivery receipts (protocols/messaging.md §5): the recipient's node key signs "envelope X from S
 * was delivered to me at T". They travel back E2E in an envelope of kind 'receipt', and verify
 * standalone (the key chain is inside), so a mailbox can relay them.
 *
 * Layout: `body | chain_len(u16) | chain | signature(64)`,
 * body = `version(1)=1 | recipient(u8 len | utf8) | sender(u8 len | utf8) | envelope_id(16) | delivered_at(u64 ms)`,
 * signature = sign(recipient node key, "receipt", body).
 */
import { sign, verify } from '../../keys/index.js'
import type { Identity } from '../../keys/index.js'
import { Reader, Writer, equalBytes } from './codec.js'
import { DOMAIN_RECEIPT, ENVELOPE_ID_LENGTH, RECEIPT_VERSION, SIGNATURE_LENGTH } from '../constants.js'
import { ForgedReceiptError, UnsupportedVersionError } from '../errors.js'
import { nodeKeyOf, nowSeconds } from './proof.js'

export interface Receipt {
  recipientAddress: string
  senderAddress: string
  envelopeId: Uint8Array
  /** Unix milliseconds. */
  deliveredAt: number
  chain: Uint8Array
  signature: Uint8Array
  /** The signed bytes. */
  body: Uint8Array
}

export interface ReceiptFields {
  envelopeId: Uint8Array
  senderAddress: string
  /** Unix milliseconds. Default: now. */
  deliveredAt?: number
}

function body (recipient: string, sender: string, envelopeId: Uint8Array, deliveredAt: number): Uint8Array {
  if (envelopeId.byteLength !== ENVELOPE_ID_LENGTH) throw new RangeError('an envelope id is 16 bytes')
  return new Writer().u8(RECEIPT_VERSION).string8(recipient).string8(sender).bytes(envelopeId).u64(deliveredAt).finish()
}

/** Creates a receipt signed by `recipient`'s node key; returns its bytes. */
export function createReceipt (recipient: Identity, fields: ReceiptFields): Uint8Array {
  const b = body(recipient.address, fields.senderAddress, fields.envelopeId, fields.deliveredAt ?? Date.now())
  return new Writer().bytes(b).bytes16(recipient.chain).bytes(sign(recipient.nodeKey, DOMAIN_RECEIPT, b)).finish()
}

/** Parses a receipt without checking it. Throws MalformedMessageError / UnsupportedVersionError. */
export function decodeReceipt (bytes: Uint8Array): Receipt {
  const r = new Reader(bytes, 'receipt')
  const version = r.u8()
  if (version !== RECEIPT_VERSION) throw new UnsupportedVersionError(`unsupported receipt version ${version}`)
  const recipientAddress = r.string8()
  const senderAddress = r.string8()
  const envelopeId = r.bytes(ENVELOPE_ID_LENGTH).slice()
  const deliveredAt = r.u64n()
  const bodyBytes = bytes.slice(0, r.offset)
  const chain = r.bytes16().slice()
  const signature = r.bytes(SIGNATURE_LENGTH).slice()
  r.end()
  return { recipientAddress, senderAddress, envelopeId, deliveredAt, chain, signature, body: bodyBytes }
}

/**
 * Verifies a receipt for `expectedEnvelopeId` from `expectedRecipientAddress`. Throws
 * ERR_MESSAGE_MALFORMED / ERR_UNSUPPORTED_VERSION when unparsable, ERR_RECEIPT_FORGED when it is for
 * another recipient or envelope, the chain does not prove the recipient, or the signature fails.
 * `now` (unix seconds) is used for the certificate check.
 */
export function verifyReceipt (receipt: Uint8Array, expectedRecipientAddress: string, expectedEnvelopeId: Uint8Array, now: number = nowSeconds()): Receipt {
  const r = decodeReceipt(receipt)
  if (r.recipientAddress !== expectedRecipientAddress) throw new ForgedReceiptError(`receipt names ${r.recipientAddress}, expected ${expectedRecipientAddress}`)
  if (!equalBytes(r.envelopeId, expectedEnvelopeId)) throw new ForgedReceiptError('receipt is for another envelope')
  let nodeKey
  try {
    nodeKey = nodeKeyOf(r.recipientAddress, r.chain, now)
  } catch (err) {
    throw new ForgedReceiptError(`the receipt's key chain does not prove ${r.recipientAddress}: ${(err as Error).message}`, { cause: err })
  }
  if (!verify(nodeKey, DOMAIN_RECEIPT, r.body, r.signature)) throw new ForgedReceiptError('the receipt signature does not verify')
  return r
}

export { nowSeconds }
