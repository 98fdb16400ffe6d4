/**
 * The signed inner plaintext that v1 envelopes (messaging.md §3) and v2 bundle bodies (§10.4)
 * share: `str8 sender_address | bytes16 sender_chain | bytes32 message | signature`. Only the
 * signed bytes differ between the two, so the caller passes them in.
 */
import { DOMAIN_ENVELOPE, MAX_BODY_BYTES, SIGNATURE_LENGTH } from '../constants.js'
import { BadSignatureError, InvalidSenderChainError, MalformedMessageError } from '../errors.js'
import { sign, verify } from '../../keys/index.js'
import { Reader, Writer, equalBytes } from './codec.js'
import { decodeMessage } from './message.js'
import { nodeKeyOf } from './proof.js'
import type { Message } from './message.js'
import type { Identity } from '../../keys/index.js'
import type { PublicKey } from '@libp2p/interface'

export interface OpenedInner {
  message: Message
  senderAddress: string
  senderNodePublicKey: PublicKey
  senderChain: Uint8Array
}

/** Signs `signed` with the sender's node key (domain "envelope") and lays out the inner plaintext. */
export function sealInner (sender: Identity, message: Uint8Array, signed: Uint8Array): Uint8Array {
  const signature = sign(sender.nodeKey, DOMAIN_ENVELOPE, signed)
  return new Writer().string8(sender.address).bytes16(sender.chain).bytes32(message).bytes(signature).finish()
}

/**
 * Parses a decrypted inner plaintext and checks it, in order: inner parse and message id =
 * `envelopeId` (ERR_MESSAGE_MALFORMED), sender chain (ERR_INVALID_SENDER_CHAIN), signature over
 * `signed(messageBytes)` (ERR_BAD_SIGNATURE). `what` names the container in errors.
 */
export function openInner (inner: Uint8Array, envelopeId: Uint8Array, signed: (message: Uint8Array) => Uint8Array, now: number, what: 'envelope' | 'bundle'): OpenedInner {
  const r = new Reader(inner, `${what} plaintext`)
  const senderAddress = r.string8()
  const senderChain = r.bytes16()
  const msgBytes = r.bytes32(MAX_BODY_BYTES + 1024)
  const signature = r.bytes(SIGNATURE_LENGTH)
  r.end()
  const message = decodeMessage(msgBytes)
  if (!equalBytes(message.id, envelopeId)) throw new MalformedMessageError('the message id differs from the envelope id')
  let senderNodePublicKey: PublicKey
  try {
    senderNodePublicKey = nodeKeyOf(senderAddress, senderChain, now)
  } catch (err) {
    throw new InvalidSenderChainError(`the sender's key chain does not prove ${senderAddress}: ${(err as Error).message}`, { cause: err })
  }
  if (!verify(senderNodePublicKey, DOMAIN_ENVELOPE, signed(msgBytes), signature)) {
    throw new BadSignatureError(`the sender signature over the ${what} does not verify`)
  }
  return { message, senderAddress, senderNodePublicKey, senderChain: senderChain.slice() }
}
