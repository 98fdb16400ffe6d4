/**
 * v2 envelope bundles (protocols/messaging.md §10.4): one message for every device of a recipient
 * identity. The inner message is encrypted once under a fresh content key K; each device gets K in
 * its own ratchet envelope (per device pair, forward secret). Relays see the recipient address,
 * the envelope id, the device ids and each device's ratchet header.
 */
import {
  AES_KEY_LENGTH, BUNDLE_VERSION, ENVELOPE_ID_LENGTH, GCM_IV_LENGTH, GCM_TAG_LENGTH, MAX_ADDRESS_LENGTH,
  MAX_BUNDLE_BYTES, MAX_DIRECTORY_DEVICES
} from '../constants.js'
import { MalformedMessageError, MessageTooLargeError, UnsupportedVersionError } from '../errors.js'
import { sha256 } from '../../crypto/index.js'
import { aesGcmOpen, aesGcmSeal, randomId } from '../primitives.js'
import { Reader, Writer } from './codec.js'
import { nowSeconds } from './proof.js'
import { readRatchetHeader } from './ratchet.js'
import { openInner, sealInner } from './inner.js'
import type { Message } from './message.js'
import type { RatchetHeader } from './ratchet.js'
import type { Identity } from '../../keys/index.js'
import type { PublicKey } from '@libp2p/interface'

const ZERO_NONCE = new Uint8Array(GCM_IV_LENGTH)

export interface DeviceEnvelope {
  /** The recipient device's node id (libp2p peer id string). */
  deviceId: string
  /** header | AES-256-GCM(message key, K) */
  envelope: Uint8Array
}

export interface Bundle {
  recipientAddress: string
  envelopeId: Uint8Array
  devices: DeviceEnvelope[]
  /** AES-256-GCM(K, 0^12, inner, aad = bundle prefix). */
  body: Uint8Array
}

/** `u8 2 | str8 recipient_address | envelope_id(16)`: the AEAD associated data of the body. */
export function bundlePrefix (recipientAddress: string, envelopeId: Uint8Array): Uint8Array {
  return new Writer().u8(BUNDLE_VERSION).string8(recipientAddress).bytes(envelopeId).finish()
}

/** What a device's ratchet envelope binds beyond its header: `prefix | str8 device_id | SHA-256(body)`. */
export function deviceContext (recipientAddress: string, envelopeId: Uint8Array, deviceId: string, body: Uint8Array): Uint8Array {
  return new Writer().bytes(bundlePrefix(recipientAddress, envelopeId)).string8(deviceId).bytes(sha256(body)).finish()
}

/** `u8 2 | str8 recipient | envelope_id | u8 n | (str8 device_id | bytes16 envelope)* | bytes32 body`. */
export function encodeBundle (b: Bundle): Uint8Array {
  if (b.devices.length > MAX_DIRECTORY_DEVICES) throw new RangeError(`a bundle has at most ${MAX_DIRECTORY_DEVICES} devices`)
  const w = new Writer().bytes(bundlePrefix(b.recipientAddress, b.envelopeId)).u8(b.devices.length)
  for (const d of b.devices) w.string8(d.deviceId).bytes16(d.envelope)
  return w.bytes32(b.body).finish()
}

/** Total decoder (what a relay or mailbox may check): MalformedMessageError, UnsupportedVersionError, MessageTooLargeError. */
export function decodeBundle (bytes: Uint8Array): Bundle {
  if (!(bytes instanceof Uint8Array)) throw new MalformedMessageError('a bundle is bytes')
  if (bytes.byteLength > MAX_BUNDLE_BYTES) throw new MessageTooLargeError(`a bundle is at most ${MAX_BUNDLE_BYTES} bytes`)
  const r = new Reader(bytes, 'bundle')
  const version = r.u8()
  if (version !== BUNDLE_VERSION) throw new UnsupportedVersionError(`unsupported bundle version ${version}`)
  const recipientAddress = r.string8()
  if (recipientAddress.length === 0 || recipientAddress.length > MAX_ADDRESS_LENGTH) throw new MalformedMessageError('bad bundle recipient')
  const envelopeId = r.bytes(ENVELOPE_ID_LENGTH)
  const n = r.u8()
  if (n > MAX_DIRECTORY_DEVICES) throw new MalformedMessageError(`a bundle has at most ${MAX_DIRECTORY_DEVICES} devices`)
  const devices: DeviceEnvelope[] = []
  for (let i = 0; i < n; i++) {
    const deviceId = r.string8()
    const envelope = r.bytes16()
    if (deviceId.length === 0) throw new MalformedMessageError('a bundle device id is empty')
    if (devices.some(d => d.deviceId === deviceId)) throw new MalformedMessageError('a device appears twice in a bundle')
    // the device header must parse and be followed by the sealed content key
    const hr = new Reader(envelope, 'device envelope')
    readRatchetHeader(hr)
    if (hr.remaining !== AES_KEY_LENGTH + GCM_TAG_LENGTH) throw new MalformedMessageError('a device envelope seals exactly a 32-byte content key')
    devices.push({ deviceId, envelope })
  }
  const body = r.bytes32(MAX_BUNDLE_BYTES)
  r.end()
  if (body.byteLength < GCM_TAG_LENGTH) throw new MalformedMessageError('bundle body shorter than the GCM tag')
  return { recipientAddress, envelopeId, devices, body }
}

/** The device header and sealed content key of one device envelope. */
export function splitDeviceEnvelope (envelope: Uint8Array): { header: RatchetHeader, sealedKey: Uint8Array } {
  const r = new Reader(envelope, 'device envelope')
  const header = readRatchetHeader(r)
  return { header, sealedKey: r.rest() }
}

/** `u8 2 | str8 recipient_address | envelope_id | message`: what the sender's node key signs (domain "envelope"). */
function signedBytes (recipientAddress: string, envelopeId: Uint8Array, message: Uint8Array): Uint8Array {
  return new Writer().u8(BUNDLE_VERSION).string8(recipientAddress).bytes(envelopeId).bytes(message).finish()
}

/**
 * Seals the body of a bundle: `inner = str8 sender | bytes16 chain | bytes32 message | signature`,
 * encrypted under a fresh content key. Returns the key (for the device envelopes) and the body.
 */
export function sealBundleBody (sender: Identity, recipientAddress: string, envelopeId: Uint8Array, message: Uint8Array, contentKey?: Uint8Array): { contentKey: Uint8Array, body: Uint8Array } {
  if (envelopeId.byteLength !== ENVELOPE_ID_LENGTH) throw new RangeError('an envelope id is 16 bytes')
  const k = contentKey ?? randomId(AES_KEY_LENGTH)
  const inner = sealInner(sender, message, signedBytes(recipientAddress, envelopeId, message))
  return { contentKey: k, body: aesGcmSeal(k, ZERO_NONCE, inner, bundlePrefix(recipientAddress, envelopeId)) }
}

export interface OpenedBundleBody {
  message: Message
  senderAddress: string
  senderNodePublicKey: PublicKey
  senderChain: Uint8Array
}

/**
 * Opens a bundle body with the content key: GCM (ERR_DECRYPT_FAILED), inner parse and message id =
 * envelope id (ERR_MESSAGE_MALFORMED), sender chain (ERR_INVALID_SENDER_CHAIN), signature (ERR_BAD_SIGNATURE).
 */
export function openBundleBody (b: Bundle, contentKey: Uint8Array, now: number = nowSeconds()): OpenedBundleBody {
  const inner = aesGcmOpen(contentKey, ZERO_NONCE, b.body, bundlePrefix(b.recipientAddress, b.envelopeId))
  return openInner(inner, b.envelopeId, (msgBytes) => signedBytes(b.recipientAddress, b.envelopeId, msgBytes), now, 'bundle')
}

