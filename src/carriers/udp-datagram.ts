import { MAX_UDP_RECEIVE_SIZE, UDP_COOKIE_LENGTH, UDP_TYPE_DATA, UDP_TYPE_DATA_COOKIE, UDP_TYPE_RETRY } from './constants.js'
import { MalformedDatagramError } from './errors.js'

/*
 * ATTN/UDP datagram layout (attnproto.md Part 2 §5):
 *   DATA         0x01 | frame
 *   DATA_COOKIE  0x02 | cookie(20) | frame     (a client echoing the cookie of a RETRY)
 *   RETRY        0x03 | cookie(20)             (server → client: "prove your address")
 * One frame per datagram; a frame is at least 8 bytes (session_id or the handshake marker).
 */

export type UdpDatagram =
  | { type: typeof UDP_TYPE_DATA, frame: Uint8Array }
  | { type: typeof UDP_TYPE_DATA_COOKIE, cookie: Uint8Array, frame: Uint8Array }
  | { type: typeof UDP_TYPE_RETRY, cookie: Uint8Array }

const MIN_FRAME = 8

export function encodeDatagram (d: UdpDatagram): Uint8Array {
  if (d.type === UDP_TYPE_RETRY) {
    const out = new Uint8Array(1 + UDP_COOKIE_LENGTH)
    out[0] = UDP_TYPE_RETRY
    out.set(d.cookie, 1)
    return out
  }
  const head = datagramHead(d.type === UDP_TYPE_DATA_COOKIE ? d.cookie : undefined)
  const out = new Uint8Array(head.byteLength + d.frame.byteLength)
  out.set(head)
  out.set(d.frame, head.byteLength)
  return out
}

const DATA_HEAD = Uint8Array.of(UDP_TYPE_DATA)

/**
 * The bytes before the frame of a DATA (no cookie) or DATA_COOKIE datagram. A sender passes
 * `[head, frame]` to the socket (one sendmsg with two parts), so a frame is never copied to be sent.
 * The DATA head is shared: callers must not write to it.
 */
export function datagramHead (cookie?: Uint8Array): Uint8Array {
  if (cookie == null) return DATA_HEAD
  const head = new Uint8Array(1 + UDP_COOKIE_LENGTH)
  head[0] = UDP_TYPE_DATA_COOKIE
  head.set(cookie, 1)
  return head
}

/** Decodes one datagram; throws MalformedDatagramError (ERR_UDP_MALFORMED). Views, no copies. */
export function decodeDatagram (b: Uint8Array): UdpDatagram {
  if (b.byteLength === 0) throw new MalformedDatagramError('empty')
  if (b.byteLength > MAX_UDP_RECEIVE_SIZE) throw new MalformedDatagramError(`${b.byteLength} bytes`)
  switch (b[0]) {
    case UDP_TYPE_DATA:
      if (b.byteLength < 1 + MIN_FRAME) throw new MalformedDatagramError('frame shorter than 8 bytes')
      return { type: UDP_TYPE_DATA, frame: b.subarray(1) }
    case UDP_TYPE_DATA_COOKIE:
      if (b.byteLength < 1 + UDP_COOKIE_LENGTH + MIN_FRAME) throw new MalformedDatagramError('cookie datagram too short')
      return { type: UDP_TYPE_DATA_COOKIE, cookie: b.subarray(1, 1 + UDP_COOKIE_LENGTH), frame: b.subarray(1 + UDP_COOKIE_LENGTH) }
    case UDP_TYPE_RETRY:
      if (b.byteLength !== 1 + UDP_COOKIE_LENGTH) throw new MalformedDatagramError('RETRY must be 21 bytes')
      return { type: UDP_TYPE_RETRY, cookie: b.subarray(1) }
    default:
      throw new MalformedDatagramError(`unknown type 0x${b[0].toString(16)}`)
  }
}
