/**
 * The inner message: what an envelope (or a group message) carries end to end.
 *
 * Layout (protocols/messaging.md §4):
 * `version(1)=1 | kind(1) | id(16) | sent_at(u64 ms) | group_len(1: 0|16) | group_id | ct_len(1) | content_type | body_len(u32) | body`
 */
import { Reader, Writer, utf8 } from './codec.js'
import {
  ENVELOPE_ID_LENGTH, GROUP_ID_LENGTH, MAX_BODY_BYTES, MAX_CONTENT_TYPE_LENGTH, MESSAGE_KINDS, MESSAGE_VERSION
} from '../constants.js'
import type { MessageKind } from '../constants.js'
import { MalformedMessageError, MessageTooLargeError, UnsupportedVersionError } from '../errors.js'

export type { MessageKind }

export interface Message {
  /** 16 bytes; equals the envelope id for 1:1 messages, a random id for group messages. */
  id: Uint8Array
  /** Sender's clock, unix milliseconds. */
  sentAt: number
  /** MIME type, e.g. `text/plain;charset=utf-8` or `application/octet-stream`. At most 255 bytes. */
  contentType: string
  /** At most 256 KiB. */
  body: Uint8Array
  /** 16-byte group id for group messages (and sender-key / group-update / sync copies of them). */
  groupId?: Uint8Array
  kind: MessageKind
}

/** What a sender provides: the id is filled in by sealEnvelope (= the envelope id). */
export interface MessageInput {
  kind?: MessageKind
  sentAt?: number
  contentType?: string
  body: Uint8Array
  groupId?: Uint8Array
}

export const TEXT_PLAIN = 'text/plain;charset=utf-8'
export const OCTET_STREAM = 'application/octet-stream'

export function checkBodySize (body: Uint8Array): void {
  if (body.byteLength > MAX_BODY_BYTES) {
    throw new MessageTooLargeError(`a message body is at most ${MAX_BODY_BYTES} bytes, got ${body.byteLength}`)
  }
}

export function encodeMessage (m: Message): Uint8Array {
  checkBodySize(m.body)
  if (!(m.id instanceof Uint8Array) || m.id.byteLength !== ENVELOPE_ID_LENGTH) throw new RangeError('a message id is 16 bytes')
  const kind = MESSAGE_KINDS.indexOf(m.kind)
  if (kind < 0) throw new RangeError(`unknown message kind ${String(m.kind)}`)
  if (!Number.isSafeInteger(m.sentAt) || m.sentAt < 0) throw new RangeError('sentAt must be non-negative unix milliseconds')
  if (m.groupId != null && m.groupId.byteLength !== GROUP_ID_LENGTH) throw new RangeError('a group id is 16 bytes')
  const ct = utf8(m.contentType)
  if (ct.byteLength > MAX_CONTENT_TYPE_LENGTH) throw new RangeError('content type longer than 255 bytes')
  return new Writer()
    .u8(MESSAGE_VERSION).u8(kind).bytes(m.id).u64(m.sentAt)
    .bytes8(m.groupId ?? new Uint8Array(0))
    .bytes8(ct)
    .u32(m.body.byteLength).bytes(m.body)
    .finish()
}

/** Total: throws MalformedMessageError, UnsupportedVersionError or MessageTooLargeError. */
export function decodeMessage (bytes: Uint8Array): Message {
  if (!(bytes instanceof Uint8Array)) throw new MalformedMessageError('message is not bytes')
  const r = new Reader(bytes, 'message')
  const version = r.u8()
  if (version !== MESSAGE_VERSION) throw new UnsupportedVersionError(`unsupported message version ${version}`)
  const k = r.u8()
  if (k >= MESSAGE_KINDS.length) throw new MalformedMessageError(`unknown message kind ${k}`)
  const id = r.bytes(ENVELOPE_ID_LENGTH)
  const sentAt = r.u64n()
  const group = r.bytes8()
  if (group.byteLength !== 0 && group.byteLength !== GROUP_ID_LENGTH) throw new MalformedMessageError('a group id is 16 bytes')
  const contentType = r.string8()
  const bodyLength = r.u32()
  if (bodyLength > MAX_BODY_BYTES) throw new MessageTooLargeError(`a message body is at most ${MAX_BODY_BYTES} bytes, got ${bodyLength}`)
  const body = r.bytes(bodyLength)
  r.end()
  const m: Message = { id: id.slice(), sentAt, contentType, body: body.slice(), kind: MESSAGE_KINDS[k] }
  if (group.byteLength > 0) m.groupId = group.slice()
  return m
}
