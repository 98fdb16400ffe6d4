import { sha256 } from '@noble/hashes/sha2.js'
import { Reader, Writer } from './codec.js'
import { MAX_ADDRESS_LENGTH, MAX_BUNDLE_BYTES, MAX_ENVELOPE_BYTES } from '../constants.js'
import { MalformedMessageError, MessageTooLargeError } from '../errors.js'
import { readEnvelopeHeader } from './envelope.js'
import { readGroupMessage } from './group.js'
import { decodeBundle } from './bundle.js'

/**
 * A parcel is what relays and mailboxes carry (messaging.md §Delivery):
 * `version(1)=1 | kind(1) | recipient(u8 len | utf8) | payload(u32 len | bytes)`.
 * kind 1: a 1:1 end-to-end envelope; kind 2: a group message (sender-key ciphertext) for
 * one member. The recipient and the parcel id are the only routing data a relay sees.
 */
export const PARCEL_VERSION = 1
export const PARCEL_ENVELOPE = 1
export const PARCEL_GROUP = 2
/** kind 3: a v2 bundle (messaging.md §10.4): one message for every device of the recipient, forward secret. */
export const PARCEL_BUNDLE = 3

export interface Parcel {
  kind: typeof PARCEL_ENVELOPE | typeof PARCEL_GROUP | typeof PARCEL_BUNDLE
  recipient: string
  payload: Uint8Array
}

export function encodeParcel (p: Parcel): Uint8Array {
  return new Writer().u8(PARCEL_VERSION).u8(p.kind).string8(p.recipient).bytes32(p.payload).finish()
}

/** Total decoder: malformed → MalformedMessageError, oversize → MessageTooLargeError. */
export function decodeParcel (bytes: Uint8Array): Parcel {
  if (bytes.byteLength > MAX_BUNDLE_BYTES + 512) throw new MessageTooLargeError(`a parcel is at most ${MAX_BUNDLE_BYTES + 512} bytes`)
  const r = new Reader(bytes, 'parcel')
  const version = r.u8()
  if (version !== PARCEL_VERSION) throw new MalformedMessageError(`unsupported parcel version ${version}`)
  const kind = r.u8()
  if (kind !== PARCEL_ENVELOPE && kind !== PARCEL_GROUP && kind !== PARCEL_BUNDLE) throw new MalformedMessageError(`unknown parcel kind ${kind}`)
  const recipient = r.string8()
  if (recipient.length === 0 || recipient.length > MAX_ADDRESS_LENGTH) throw new MalformedMessageError('bad parcel recipient')
  const payload = r.bytes32(kind === PARCEL_BUNDLE ? MAX_BUNDLE_BYTES : MAX_ENVELOPE_BYTES)
  r.end()
  // the payload's own header must parse, so relays never store garbage
  if (kind === PARCEL_ENVELOPE) {
    if (readEnvelopeHeader(payload).recipientAddress !== recipient) throw new MalformedMessageError('parcel and envelope recipients differ')
  } else if (kind === PARCEL_BUNDLE) {
    if (decodeBundle(payload).recipientAddress !== recipient) throw new MalformedMessageError('parcel and bundle recipients differ')
  } else {
    readGroupMessage(payload)
  }
  return { kind, recipient, payload }
}

/**
 * Parcel id (16 bytes): the envelope id for 1:1 envelopes; for group parcels
 * SHA-256(recipient | payload)[0..16], so each member's copy has its own id.
 */
export function parcelId (p: Parcel): Uint8Array {
  if (p.kind === PARCEL_ENVELOPE) return readEnvelopeHeader(p.payload).envelopeId
  if (p.kind === PARCEL_BUNDLE) return decodeBundle(p.payload).envelopeId
  return sha256(new Writer().string8(p.recipient).bytes(p.payload).finish()).slice(0, 16)
}
