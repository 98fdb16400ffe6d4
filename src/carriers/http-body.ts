import * as varint from 'uint8-varint'
import { encodeFrame, readLengthPrefix } from './framing.js'
import { TruncatedFrameError } from './errors.js'
import { MAX_FRAME_SIZE } from './constants.js'

/**
 * HTTP carrier bodies (attnproto.md Part 2 §6): zero or more frames, each `varint(length) | frame`
 * exactly as on a stream. Requests and responses use the same layout.
 */
export function encodeBody (frames: Uint8Array[]): Uint8Array {
  if (frames.length === 1) return encodeFrame(frames[0])
  let n = 0
  for (const f of frames) n += varint.encodingLength(f.byteLength) + f.byteLength
  // each frame copied once, straight into the body
  const out = new Uint8Array(n)
  let o = 0
  for (const f of frames) {
    varint.encodeUint8Array(f.byteLength, out, o)
    o += varint.encodingLength(f.byteLength)
    out.set(f, o)
    o += f.byteLength
  }
  return out
}

/**
 * Decodes a whole body; throws the framing errors (ERR_FRAME_TOO_LARGE, _TRUNCATED, _EMPTY, _LENGTH_PREFIX).
 * The frames are views into `body` (a body is whole: no incremental decoder, no copies).
 */
export function decodeBody (body: Uint8Array, maxFrameSize = MAX_FRAME_SIZE): Uint8Array[] {
  const frames: Uint8Array[] = []
  let o = 0
  while (o < body.byteLength) {
    const at = o
    const prefix = readLengthPrefix(i => body[at + i], body.byteLength - at, maxFrameSize)
    const end = at + (prefix?.prefixLength ?? 0) + (prefix?.length ?? 0)
    if (prefix === undefined || end > body.byteLength) throw new TruncatedFrameError(body.byteLength - at)
    frames.push(body.subarray(at + prefix.prefixLength, end))
    o = end
  }
  return frames
}
