import { Reader, Writer } from './codec.js'

/**
 * The body of a 'sync' message: a copy of a message we sent, for our other devices
 * (messaging.md §Multi-device): `to(u8 len | utf8) | content_type(u8 len | utf8) | body`.
 */
export interface SyncBody {
  to: string
  contentType: string
  body: Uint8Array
}

export function encodeSync (s: SyncBody): Uint8Array {
  return new Writer().string8(s.to).string8(s.contentType).bytes(s.body).finish()
}

/** Total: throws MalformedMessageError. */
export function decodeSync (bytes: Uint8Array): SyncBody {
  const r = new Reader(bytes, 'sync body')
  return { to: r.string8(), contentType: r.string8(), body: r.rest() }
}
