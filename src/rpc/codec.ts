/**
 * Total codec of the RPC wire format (protocols/attnproto.md Part 5). `decodeRpcMessage` either returns
 * a fully validated message or throws one RpcDecodeError subclass; it never throws anything else.
 */
import { isAdvertisedPrice } from '../utils/price.js'
import { MaxLengthError } from 'protons-runtime'
import {
  CONTAINER_ITEM_OVERHEAD, CONTAINER_OVERHEAD, ERROR_CODE_PATTERN, MAX_ACK_IDS, MAX_CONTAINER_ITEMS,
  MAX_ERROR_CODE_LENGTH, MAX_ERROR_MESSAGE_LENGTH, MAX_INFO_LIST, MAX_INFO_STRING, MAX_MESSAGE_BYTES,
  MAX_METHOD_LENGTH, MAX_PAYLOAD_BYTES, MAX_STATUS_IDS, SALT_LENGTH, STATUS_FAILED
} from './constants.js'
import {
  RpcDecodeError, RpcFieldTooLargeError, RpcInvalidFieldError, RpcMalformedError, RpcMultipleKindsError,
  RpcNestedContainerError, RpcTooManyItemsError, RpcUnknownKindError
} from './errors.js'
import { encodeAckFast, encodeCallFast, encodeContainerFast, encodeReplyResultFast } from './fast-encode.js'
import * as pb from './pb/rpc.js'
import '../utils/protons-uint64.js' // protons-runtime writes 2^31..2^32-1 wrongly

/** A Reply outcome carried on the wire when the call failed. */
export interface RpcWireError { code: string, message: string }

/** Every kind except Container (what a Container item may hold). */
export type RpcBody =
  | { kind: 'call', method: string, params: Uint8Array }
  | { kind: 'reply', reqMsgId: bigint, result: Uint8Array, error?: undefined }
  | { kind: 'reply', reqMsgId: bigint, result?: undefined, error: RpcWireError }
  | { kind: 'ack', msgIds: bigint[] }
  | { kind: 'statusQuery', msgIds: bigint[] }
  | { kind: 'statusInfo', reqMsgId: bigint, msgIds: bigint[], states: Uint8Array }
  | { kind: 'newSalt', salt: Uint8Array, validSince: bigint, badMsgId: bigint }
  | { kind: 'ping', pingId: bigint }
  | { kind: 'pong', pingId: bigint, reqMsgId: bigint }

export interface RpcContainerItem { msgId: bigint, message: RpcBody }

/** One decoded RpcMessage: the `data` of one record. */
export type RpcMessage = RpcBody | { kind: 'container', messages: RpcContainerItem[] }

export type RpcKind = RpcMessage['kind']

/** Kinds that are content messages: identified by a msg_id, acknowledged, deduplicated. */
export function isContentKind (kind: RpcKind): boolean {
  return kind === 'call' || kind === 'reply'
}

/** The info record returned by the built-in method `attn.info`. */
/** `carriers`: the node's UDP/HTTP carrier endpoints as URLs (attnproto.md Part 2); absent in older nodes' answers. */
export interface RpcInfo {
  version: string
  address: string
  methods: string[]
  protocols: string[]
  carriers?: string[]
  /** The node's mailbox price per parcel, a decimal base-unit amount (rewards.md §6); absent = not advertised. */
  mailboxPrice?: string
}

const KINDS = ['call', 'reply', 'ack', 'statusQuery', 'statusInfo', 'container', 'newSalt', 'ping', 'pong'] as const

const DECODE_LIMITS = {
  limits: {
    ack: { msgIds: MAX_ACK_IDS },
    statusQuery: { msgIds: MAX_STATUS_IDS },
    statusInfo: { msgIds: MAX_STATUS_IDS },
    container: { messages: MAX_CONTAINER_ITEMS }
  }
}

/** protons types bytes as Uint8Array<ArrayBuffer>; any Uint8Array encodes the same. */
const ab = (u: Uint8Array): Uint8Array<ArrayBuffer> => u as Uint8Array<ArrayBuffer>

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8')

function toPb (msg: RpcBody): pb.RpcMessage {
  switch (msg.kind) {
    case 'call': return { call: { method: msg.method, params: ab(msg.params) } }
    case 'reply': return msg.error != null
      ? { reply: { reqMsgId: msg.reqMsgId, error: { code: msg.error.code, message: msg.error.message } } }
      : { reply: { reqMsgId: msg.reqMsgId, result: ab(msg.result) } }
    case 'ack': return { ack: { msgIds: msg.msgIds } }
    case 'statusQuery': return { statusQuery: { msgIds: msg.msgIds } }
    case 'statusInfo': return { statusInfo: { reqMsgId: msg.reqMsgId, msgIds: msg.msgIds, states: ab(msg.states) } }
    case 'newSalt': return { newSalt: { salt: ab(msg.salt), validSince: msg.validSince, badMsgId: msg.badMsgId } }
    case 'ping': return { ping: { pingId: msg.pingId } }
    case 'pong': return { pong: { pingId: msg.pingId, reqMsgId: msg.reqMsgId } }
    default: throw new RpcNestedContainerError()
  }
}

/**
 * Encodes one message. Container items are encoded recursively (an item holding a Container
 * throws RpcNestedContainerError). Limits are not checked here: the engine checks what it sends.
 */
export function encodeRpcMessage (msg: RpcMessage): Uint8Array {
  switch (msg.kind) {
    case 'container':
      return encodeContainer(msg.messages.map(item => ({ msgId: item.msgId, body: encodeRpcMessage(assertNotContainer(item.message)) })))
    // the messages of every round trip: same bytes as protons, without its writer (fast-encode.ts)
    // a decoded method may hold any string (a lone surrogate from bad UTF-8): the fast path writes
    // ASCII names only, which is every valid method name (isValidMethodName); the rest goes to protons
    case 'call': if (Buffer.byteLength(msg.method, 'utf8') === msg.method.length) return encodeCallFast(msg.method, msg.params); break
    case 'ack': return encodeAckFast(msg.msgIds)
    case 'reply': if (msg.error == null) return encodeReplyResultFast(msg.reqMsgId, msg.result); break
  }
  return pb.RpcMessage.encode(toPb(msg))
}

function assertNotContainer (m: RpcMessage): RpcBody {
  if (m.kind === 'container') throw new RpcNestedContainerError()
  return m
}

/** Encodes a Container from already encoded item bodies (used by the engine to batch and resend). */
export function encodeContainer (items: Array<{ msgId: bigint, body: Uint8Array }>): Uint8Array {
  return encodeContainerFast(items)
}

/** Upper bound of the encoded size of a Container holding bodies of these lengths. */
export function containerSize (bodyBytes: number, items: number): number {
  return CONTAINER_OVERHEAD + bodyBytes + items * CONTAINER_ITEM_OVERHEAD
}

/** Decodes and validates one RpcMessage. Throws only RpcDecodeError subclasses. */
export function decodeRpcMessage (data: Uint8Array): RpcMessage {
  try {
    return decode(data, false)
  } catch (err) {
    if (err instanceof RpcDecodeError) throw err
    // protons and its reader throw RangeError/Error on truncated or ill-typed input
    throw new RpcMalformedError(err instanceof Error ? err.message : String(err))
  }
}

function decode (data: Uint8Array, inContainer: boolean): RpcMessage {
  if (data.byteLength > MAX_MESSAGE_BYTES) throw new RpcFieldTooLargeError('message', data.byteLength, MAX_MESSAGE_BYTES)
  let m: pb.RpcMessage
  try {
    m = pb.RpcMessage.decode(data, DECODE_LIMITS)
  } catch (err) {
    if (err instanceof MaxLengthError) throw new RpcTooManyItemsError(/"(\w+)"/.exec(err.message)?.[1] ?? 'repeated field')
    throw new RpcMalformedError(err instanceof Error ? err.message : String(err))
  }
  const present = KINDS.filter(k => m[k] != null)
  if (present.length === 0) throw new RpcUnknownKindError()
  if (present.length > 1) throw new RpcMultipleKindsError(present)

  if (m.call != null) {
    const len = utf8Length(m.call.method)
    if (len > MAX_METHOD_LENGTH) throw new RpcFieldTooLargeError('Call.method', len, MAX_METHOD_LENGTH)
    if (m.call.params.byteLength > MAX_PAYLOAD_BYTES) throw new RpcFieldTooLargeError('Call.params', m.call.params.byteLength, MAX_PAYLOAD_BYTES)
    return { kind: 'call', method: m.call.method, params: m.call.params }
  }
  if (m.reply != null) {
    const r = m.reply
    if ((r.result == null) === (r.error == null)) throw new RpcInvalidFieldError('Reply must carry exactly one of result and error')
    if (r.result != null) {
      if (r.result.byteLength > MAX_PAYLOAD_BYTES) throw new RpcFieldTooLargeError('Reply.result', r.result.byteLength, MAX_PAYLOAD_BYTES)
      return { kind: 'reply', reqMsgId: r.reqMsgId, result: r.result }
    }
    const e = r.error as pb.RpcError
    if (e.code.length > MAX_ERROR_CODE_LENGTH) throw new RpcFieldTooLargeError('RpcError.code', e.code.length, MAX_ERROR_CODE_LENGTH)
    if (!ERROR_CODE_PATTERN.test(e.code)) throw new RpcInvalidFieldError('RpcError.code must match [A-Z][A-Z0-9_]*')
    const ml = utf8Length(e.message)
    if (ml > MAX_ERROR_MESSAGE_LENGTH) throw new RpcFieldTooLargeError('RpcError.message', ml, MAX_ERROR_MESSAGE_LENGTH)
    return { kind: 'reply', reqMsgId: r.reqMsgId, error: { code: e.code, message: e.message } }
  }
  if (m.ack != null) return { kind: 'ack', msgIds: m.ack.msgIds }
  if (m.statusQuery != null) return { kind: 'statusQuery', msgIds: m.statusQuery.msgIds }
  if (m.statusInfo != null) {
    const s = m.statusInfo
    if (s.states.byteLength !== s.msgIds.length) throw new RpcInvalidFieldError('StatusInfo.states must hold one byte per msg_id')
    for (const b of s.states) if (b > STATUS_FAILED) throw new RpcInvalidFieldError(`StatusInfo state ${b} is not defined`)
    return { kind: 'statusInfo', reqMsgId: s.reqMsgId, msgIds: s.msgIds, states: s.states }
  }
  if (m.newSalt != null) {
    const n = m.newSalt
    if (n.salt.byteLength !== SALT_LENGTH) throw new RpcInvalidFieldError(`NewSalt.salt must be ${SALT_LENGTH} bytes`)
    return { kind: 'newSalt', salt: n.salt, validSince: n.validSince, badMsgId: n.badMsgId }
  }
  if (m.ping != null) return { kind: 'ping', pingId: m.ping.pingId }
  if (m.pong != null) return { kind: 'pong', pingId: m.pong.pingId, reqMsgId: m.pong.reqMsgId }

  // container
  if (inContainer) throw new RpcNestedContainerError()
  const items = (m.container as pb.Container).messages
  if (items.length === 0) throw new RpcInvalidFieldError('Container is empty')
  const seen = new Set<bigint>()
  const messages: RpcContainerItem[] = []
  for (const item of items) {
    if (item.msgId === 0n) throw new RpcInvalidFieldError('Container item msg_id is 0')
    if (seen.has(item.msgId)) throw new RpcInvalidFieldError('Container holds a msg_id twice')
    seen.add(item.msgId)
    messages.push({ msgId: item.msgId, message: decode(item.body, true) as RpcBody })
  }
  return { kind: 'container', messages }
}

/** Encodes the result of `attn.info`. */
export function encodeInfo (info: RpcInfo): Uint8Array {
  return pb.Info.encode({ ...info, carriers: info.carriers ?? [], mailboxPrice: info.mailboxPrice ?? '' })
}

/** Decodes the result of `attn.info`; throws RpcDecodeError subclasses only. */
export function decodeInfo (data: Uint8Array): RpcInfo {
  let info: pb.Info
  try {
    info = pb.Info.decode(data, { limits: { methods: MAX_INFO_LIST, protocols: MAX_INFO_LIST, carriers: MAX_INFO_LIST } })
  } catch (err) {
    if (err instanceof MaxLengthError) throw new RpcTooManyItemsError("Info list")
    throw new RpcMalformedError(err instanceof Error ? err.message : String(err))
  }
  for (const s of [info.version, info.address, ...info.methods, ...info.protocols, ...info.carriers]) {
    if (utf8Length(s) > MAX_INFO_STRING) throw new RpcFieldTooLargeError('Info string', utf8Length(s), MAX_INFO_STRING)
  }
  // an older node sends no price: not advertised
  if (info.mailboxPrice !== '' && !isAdvertisedPrice(info.mailboxPrice)) throw new RpcInvalidFieldError('Info mailbox_price is not a decimal amount 1 … 2^128-1')
  const out: RpcInfo = { version: info.version, address: info.address, methods: info.methods, protocols: info.protocols, carriers: info.carriers }
  if (info.mailboxPrice !== '') out.mailboxPrice = info.mailboxPrice
  return out
}
