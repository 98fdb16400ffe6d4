import { Reader, Writer } from './codec.js'
import { MalformedMessageError } from '../errors.js'

/** RPC methods of the messaging layer (messaging.md §RPC methods). */
export const METHOD_DELIVER = 'msg.deliver'
export const METHOD_MAILBOX_PUT = 'mailbox.put'
export const METHOD_MAILBOX_FETCH = 'mailbox.fetch'
export const METHOD_MAILBOX_ACK = 'mailbox.ack'

/** Most parcels returned by one mailbox.fetch. */
export const MAX_FETCH_ITEMS = 64
/** Most parcel bytes returned by one mailbox.fetch (stays under the RPC payload cap). */
export const MAX_FETCH_BYTES = 768 * 1024
export const MAX_ACK_IDS = 1024

/** mailbox.fetch params: `limit(u16)`. */
export function encodeFetchRequest (limit: number): Uint8Array {
  return new Writer().u16(limit).finish()
}

export function decodeFetchRequest (bytes: Uint8Array): { limit: number } {
  const r = new Reader(bytes, 'mailbox.fetch request')
  const limit = r.u16()
  r.end()
  if (limit < 1 || limit > MAX_FETCH_ITEMS) throw new MalformedMessageError(`limit must be 1..${MAX_FETCH_ITEMS}`)
  return { limit }
}

/** mailbox.fetch result: `count(u16) | (parcel(u32 len | bytes))* | more(u8)`. */
export function encodeFetchResponse (parcels: Uint8Array[], more: boolean): Uint8Array {
  const w = new Writer().u16(parcels.length)
  for (const p of parcels) w.bytes32(p)
  return w.u8(more ? 1 : 0).finish()
}

export function decodeFetchResponse (bytes: Uint8Array): { parcels: Uint8Array[], more: boolean } {
  const r = new Reader(bytes, 'mailbox.fetch response')
  const count = r.u16()
  if (count > MAX_FETCH_ITEMS) throw new MalformedMessageError('too many parcels')
  const parcels: Uint8Array[] = []
  for (let i = 0; i < count; i++) parcels.push(r.bytes32(MAX_FETCH_BYTES))
  // 0 or 1 only: a lenient flag would decode two encodings to one value
  const more = r.u8()
  if (more > 1) throw new MalformedMessageError(`more must be 0 or 1, got ${more}`)
  r.end()
  return { parcels, more: more === 1 }
}

/** mailbox.ack params: `count(u16) | id(16)*`. */
export function encodeAck (ids: Uint8Array[]): Uint8Array {
  const w = new Writer().u16(ids.length)
  for (const id of ids) w.bytes(id)
  return w.finish()
}

export function decodeAck (bytes: Uint8Array): Uint8Array[] {
  const r = new Reader(bytes, 'mailbox.ack request')
  const count = r.u16()
  if (count > MAX_ACK_IDS) throw new MalformedMessageError('too many ids')
  const ids: Uint8Array[] = []
  for (let i = 0; i < count; i++) ids.push(r.bytes(16))
  r.end()
  return ids
}
