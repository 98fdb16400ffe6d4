/*
 * What a carrier may read of an ATTN frame without any key (attnproto.md Part 2 §4): a handshake
 * frame starts with 8 zero bytes, then type (1), version (1), hs_id (8); any other frame starts
 * with its session_id (8). The HTTP and UDP carriers use this to route queues and suppress
 * duplicate handshake messages; they never parse further (ACCEPT's session_id excepted).
 */

export const FRAME_ID_LENGTH = 8
export const HS_HEADER_LENGTH = 18
export const HS_TYPE_HELLO = 0x01
export const HS_TYPE_RESPONSE = 0x02
export const HS_TYPE_FINISH = 0x03
export const HS_TYPE_ACCEPT = 0x04
export const HS_TYPE_SESSION_UNKNOWN = 0x7e
export const HS_TYPE_REJECT = 0x7f

export type FrameKey =
  | { handshake: true, type: number, hsId: string }
  | { handshake: false, sessionId: string }

/** The routing key of a frame, or undefined when it is too short to be any frame. */
export function frameKey (frame: Uint8Array): FrameKey | undefined {
  if (frame.byteLength < FRAME_ID_LENGTH) return undefined
  if (!hasHandshakeMarker(frame)) return { handshake: false, sessionId: hex(frame, 0, FRAME_ID_LENGTH) }
  if (frame.byteLength < HS_HEADER_LENGTH) return undefined
  return { handshake: true, type: frame[8], hsId: hex(frame, 10, HS_HEADER_LENGTH) }
}

/**
 * Whether the frame starts with the 8 zero bytes of a handshake frame. Cheap (no strings): the
 * per-record path of a carrier asks this before it needs a {@link frameKey}.
 */
export function hasHandshakeMarker (frame: Uint8Array): boolean {
  if (frame.byteLength < FRAME_ID_LENGTH) return false
  for (let i = 0; i < FRAME_ID_LENGTH; i++) if (frame[i] !== 0) return false
  return true
}

/** The session_id an ACCEPT frame carries (bytes 18..26), hex. */
export function acceptedSessionId (frame: Uint8Array): string | undefined {
  if (frame.byteLength < HS_HEADER_LENGTH + FRAME_ID_LENGTH || frame[8] !== HS_TYPE_ACCEPT) return undefined
  return hex(frame, HS_HEADER_LENGTH, HS_HEADER_LENGTH + FRAME_ID_LENGTH)
}

function hex (b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('hex')
}
