/**
 * 1:1 end-to-end envelopes (protocols/messaging.md §3): HPKE-style sealing to the recipient's
 * X25519 prekey, with the sender's identity proven inside the ciphertext by a key chain and a
 * node-key signature. Relays see only the header: version, recipient address, prekey id,
 * ephemeral public key, envelope id.
 */
import {
  ENVELOPE_ID_LENGTH, ENVELOPE_INFO, ENVELOPE_VERSION, AES_KEY_LENGTH, GCM_IV_LENGTH, GCM_TAG_LENGTH,
  MAX_ADDRESS_LENGTH, MAX_ENVELOPE_BYTES, X25519_KEY_LENGTH
} from '../constants.js'
import { Reader, Writer, concat, utf8 } from './codec.js'
import {
  DecryptFailedError, MalformedMessageError, MessageTooLargeError,
  UnknownPrekeyError, UnsupportedVersionError, WrongRecipientError
} from '../errors.js'
import { OCTET_STREAM, checkBodySize, encodeMessage } from './message.js'
import type { Message, MessageInput } from './message.js'
import { aesGcmOpen, aesGcmSeal, hkdf, randomId, x25519KeyPair, x25519Shared } from '../primitives.js'
import { nowSeconds } from './proof.js'
import { openInner, sealInner } from './inner.js'
import { parseAttAddress } from '../../keys/index.js'
import type { Identity } from '../../keys/index.js'
import type { PublicKey } from '@libp2p/interface'

/** The relay-visible part of an envelope. */
export interface EnvelopeHeader {
  version: number
  recipientAddress: string
  prekeyId: number
  ephemeralPublicKey: Uint8Array
  /** 16 random bytes: dedup key, receipt subject, outbox/mailbox primary key. */
  envelopeId: Uint8Array
  /** The exact header bytes (the AEAD associated data). */
  bytes: Uint8Array
}

export interface SealEnvelopeOptions {
  sender: Identity
  recipientAddress: string
  recipientPrekey: { id: number, publicKey: Uint8Array }
  message: MessageInput
  /** FOR TEST VECTORS ONLY: fixed ephemeral X25519 private key. */
  ephemeralPrivateKey?: Uint8Array
  /** FOR TEST VECTORS ONLY (or a deliberate resend): fixed 16-byte envelope id. */
  envelopeId?: Uint8Array
}

export interface EnvelopeRecipient {
  /** The recipient's ATT address (an Identity works). */
  address: string
  /** Returns the X25519 private key of prekey `id`, or undefined when unknown/expired. */
  prekey: (id: number) => Uint8Array | undefined
}

export interface OpenEnvelopeOptions {
  recipient: EnvelopeRecipient
  envelope: Uint8Array
  /** Unix seconds for checking the sender's certificate. Default: the system clock. */
  now?: number
}

export interface OpenedEnvelope {
  header: EnvelopeHeader
  envelopeId: Uint8Array
  message: Message
  senderAddress: string
  /** The node key that signed (certified for senderAddress by senderChain). */
  senderNodePublicKey: PublicKey
  senderChain: Uint8Array
}

/** A new X25519 prekey pair for the directory record (public) and the store (private). */
export function generatePrekey (id: number, expiresAt: number, privateKey?: Uint8Array): { id: number, publicKey: Uint8Array, privateKey: Uint8Array, expiresAt: number } {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError('a prekey id is a uint32')
  return { id, expiresAt, ...x25519KeyPair(privateKey) }
}

function encodeHeader (recipientAddress: string, prekeyId: number, eph: Uint8Array, envelopeId: Uint8Array): Uint8Array {
  const addr = utf8(recipientAddress)
  if (addr.byteLength === 0 || addr.byteLength > MAX_ADDRESS_LENGTH) throw new RangeError('bad recipient address length')
  return new Writer().u8(ENVELOPE_VERSION).bytes8(addr).u32(prekeyId).bytes(eph).bytes(envelopeId).finish()
}

/** Parses the header of an envelope (what a relay or mailbox may read). Total. */
export function readEnvelopeHeader (envelope: Uint8Array): EnvelopeHeader & { ciphertext: Uint8Array } {
  if (!(envelope instanceof Uint8Array)) throw new MalformedMessageError('envelope is not bytes')
  if (envelope.byteLength > MAX_ENVELOPE_BYTES) throw new MessageTooLargeError(`an envelope is at most ${MAX_ENVELOPE_BYTES} bytes`)
  const r = new Reader(envelope, 'envelope')
  const version = r.u8()
  if (version !== ENVELOPE_VERSION) throw new UnsupportedVersionError(`unsupported envelope version ${version}`)
  const recipientAddress = r.string8()
  if (recipientAddress.length === 0) throw new MalformedMessageError('envelope has an empty recipient')
  const prekeyId = r.u32()
  const ephemeralPublicKey = r.bytes(X25519_KEY_LENGTH)
  const envelopeId = r.bytes(ENVELOPE_ID_LENGTH)
  const headerLength = r.offset
  const ciphertext = r.rest()
  if (ciphertext.byteLength < GCM_TAG_LENGTH) throw new MalformedMessageError('envelope ciphertext shorter than the GCM tag')
  return { version, recipientAddress, prekeyId, ephemeralPublicKey, envelopeId, bytes: envelope.subarray(0, headerLength), ciphertext }
}

function keySchedule (shared: Uint8Array, eph: Uint8Array, prekey: Uint8Array, recipientAddress: string): { key: Uint8Array, nonce: Uint8Array } {
  const okm = hkdf(shared, concat(eph, prekey), concat(utf8(ENVELOPE_INFO), utf8(recipientAddress)), AES_KEY_LENGTH + GCM_IV_LENGTH)
  return { key: okm.subarray(0, AES_KEY_LENGTH), nonce: okm.subarray(AES_KEY_LENGTH) }
}

function signedBytes (header: Uint8Array, recipientAddress: string, message: Uint8Array): Uint8Array {
  return new Writer().bytes(header).string8(recipientAddress).bytes(message).finish()
}

/** Seals `message` to `recipientAddress`'s prekey. Returns the envelope bytes (header | ciphertext). */
export function sealEnvelope (options: SealEnvelopeOptions): Uint8Array {
  const { sender, recipientAddress, recipientPrekey, message } = options
  parseAttAddress(recipientAddress) // throws InvalidAddressError
  checkBodySize(message.body)
  if (!Number.isInteger(recipientPrekey.id) || recipientPrekey.id < 0 || recipientPrekey.id > 0xffffffff) throw new RangeError('a prekey id is a uint32')
  if (recipientPrekey.publicKey.byteLength !== X25519_KEY_LENGTH) throw new RangeError('a prekey is a 32-byte X25519 public key')
  const envelopeId = options.envelopeId ?? randomId(ENVELOPE_ID_LENGTH)
  if (envelopeId.byteLength !== ENVELOPE_ID_LENGTH) throw new RangeError('an envelope id is 16 bytes')
  const eph = x25519KeyPair(options.ephemeralPrivateKey)
  const header = encodeHeader(recipientAddress, recipientPrekey.id, eph.publicKey, envelopeId)
  const msg = encodeMessage({
    id: envelopeId,
    kind: message.kind ?? 'message',
    sentAt: message.sentAt ?? Date.now(),
    contentType: message.contentType ?? OCTET_STREAM,
    body: message.body,
    groupId: message.groupId
  })
  const inner = sealInner(sender, msg, signedBytes(header, recipientAddress, msg))
  const shared = x25519Shared(eph.privateKey, recipientPrekey.publicKey)
  const { key, nonce } = keySchedule(shared, eph.publicKey, recipientPrekey.publicKey, recipientAddress)
  return concat(header, aesGcmSeal(key, nonce, inner, header))
}

/**
 * Opens an envelope. Checks, in order (first failure wins): header parse (ERR_MESSAGE_MALFORMED,
 * ERR_UNSUPPORTED_VERSION, TOO_LARGE), recipient (ERR_WRONG_RECIPIENT), prekey (ERR_UNKNOWN_PREKEY),
 * AEAD (ERR_DECRYPTION_FAILED), inner parse (ERR_MESSAGE_MALFORMED), message id = envelope id
 * (ERR_MESSAGE_MALFORMED), sender chain (ERR_INVALID_SENDER_CHAIN), signature (ERR_BAD_SIGNATURE).
 */
export function openEnvelope (options: OpenEnvelopeOptions): OpenedEnvelope {
  const { recipient, envelope } = options
  const h = readEnvelopeHeader(envelope)
  if (h.recipientAddress !== recipient.address) {
    throw new WrongRecipientError(`envelope is for ${h.recipientAddress}, not ${recipient.address}`)
  }
  const prekeyPrivate = recipient.prekey(h.prekeyId)
  if (prekeyPrivate == null) throw new UnknownPrekeyError(`no prekey with id ${h.prekeyId}`)
  let key: Uint8Array, nonce: Uint8Array
  try {
    const prekeyPublic = x25519KeyPair(prekeyPrivate).publicKey
    const shared = x25519Shared(prekeyPrivate, h.ephemeralPublicKey)
    ;({ key, nonce } = keySchedule(shared, h.ephemeralPublicKey, prekeyPublic, h.recipientAddress))
  } catch (err) {
    throw new DecryptFailedError('key agreement failed (low-order ephemeral key?)', { cause: err })
  }
  const inner = aesGcmOpen(key, nonce, h.ciphertext, h.bytes)

  const opened = openInner(inner, h.envelopeId, (msgBytes) => signedBytes(h.bytes, h.recipientAddress, msgBytes), options.now ?? nowSeconds(), 'envelope')
  const { ciphertext: _c, ...header } = h
  return { header, envelopeId: h.envelopeId.slice(), ...opened }
}

