import { encodeFrame, FrameDecoder } from './framing.js'
import { MAX_FRAME_SIZE } from './constants.js'

/**
 * HTTP carrier bodies (attnproto.md Part 2 §6): zero or more frames, each `varint(length) | frame`
 * exactly as on a stream. Requests and responses use the same layout.
 */
export function encodeBody (frames: Uint8Array[]): Uint8Array {
  const parts = frames.map(encodeFrame)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}

/** Decodes a whole body; throws the framing errors (ERR_FRAME_TOO_LARGE, _TRUNCATED, _EMPTY, _LENGTH_PREFIX). */
export function decodeBody (body: Uint8Array, maxFrameSize = MAX_FRAME_SIZE): Uint8Array[] {
  const decoder = new FrameDecoder(maxFrameSize)
  const frames = [...decoder.decode(body)]
  decoder.end()
  return frames
}
