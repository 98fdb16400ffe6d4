import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { MAX_FRAME_SIZE, MAX_LENGTH_PREFIX_BYTES } from './constants.js'
import { EmptyFrameError, FrameTooLargeError, InvalidLengthPrefixError, TruncatedFrameError } from './errors.js'

/**
 * Carrier framing for stream carriers: `varint(length) | frame`
 * (protocols/attnproto.md §Carriers). The length is an unsigned LEB128 varint,
 * minimally encoded, 1..maxFrameSize.
 */
export function encodeFrame (frame: Uint8Array): Uint8Array {
  // one contiguous buffer: a two-part list becomes two yamux/noise chunks (two socket writes)
  const n = frame.byteLength
  const prefix = varint.encodingLength(n)
  // every byte is written below: no zero fill (a 64 KiB record paid one before its copy); not from
  // Buffer's shared pool, and a plain Uint8Array (a Buffer is not deep-equal to one)
  const mem = Buffer.allocUnsafeSlow(prefix + n)
  const out = new Uint8Array(mem.buffer, mem.byteOffset, mem.byteLength)
  varint.encodeUint8Array(n, out, 0)
  out.set(frame, prefix)
  return out
}

/**
 * Incremental decoder of length-prefixed frames. Unlike @libp2p/utils'
 * LengthPrefixedDecoder it rejects an oversize prefix before buffering the body,
 * rejects empty and non-minimal prefixes, reports each condition as its own typed
 * error, and exposes how many bytes are pending so a stream ending mid-frame is
 * detected.
 */
export class FrameDecoder {
  private readonly buffer = new Uint8ArrayList()
  private readonly maxFrameSize: number
  private expected = -1
  private prefixLength = 0

  constructor (maxFrameSize = MAX_FRAME_SIZE) {
    if (!Number.isInteger(maxFrameSize) || maxFrameSize < 1 || maxFrameSize >= 2 ** (7 * MAX_LENGTH_PREFIX_BYTES)) {
      throw new RangeError(`maxFrameSize must be an integer in 1..${2 ** (7 * MAX_LENGTH_PREFIX_BYTES) - 1}`)
    }
    this.maxFrameSize = maxFrameSize
  }

  /** Bytes received that do not yet form a complete frame. */
  get pending (): number {
    return this.buffer.byteLength
  }

  /** Feeds bytes; yields every frame they complete. Throws a typed error on malformed input. */
  * decode (chunk: Uint8Array | Uint8ArrayList): Generator<Uint8Array> {
    this.buffer.append(chunk)
    while (true) {
      if (this.expected < 0 && !this.readPrefix()) return
      if (this.buffer.byteLength < this.prefixLength + this.expected) return
      const frame = this.buffer.subarray(this.prefixLength, this.prefixLength + this.expected)
      this.buffer.consume(this.prefixLength + this.expected)
      this.expected = -1
      yield frame
    }
  }

  /** Call when the remote ended its side of the stream. */
  end (): void {
    if (this.buffer.byteLength > 0) throw new TruncatedFrameError(this.buffer.byteLength)
  }

  private readPrefix (): boolean {
    const prefix = readLengthPrefix(i => this.buffer.get(i), this.buffer.byteLength, this.maxFrameSize)
    if (prefix === undefined) return false
    this.expected = prefix.length
    this.prefixLength = prefix.prefixLength
    return true
  }
}

/**
 * Reads a frame's length prefix from `available` bytes (`byte(i)` is the i-th): the frame length
 * and the prefix's own length, or undefined when more bytes are needed. Throws the typed errors
 * for a non-minimal, empty or oversize prefix. The one place these rules live (streams, bodies).
 */
export function readLengthPrefix (byte: (i: number) => number, available: number, maxFrameSize: number): { length: number, prefixLength: number } | undefined {
  const n = Math.min(available, MAX_LENGTH_PREFIX_BYTES)
  let length = 0
  for (let i = 0; i < n; i++) {
    const b = byte(i)
    length += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw new InvalidLengthPrefixError('not minimally encoded')
      if (length === 0) throw new EmptyFrameError()
      if (length > maxFrameSize) throw new FrameTooLargeError(length, maxFrameSize)
      return { length, prefixLength: i + 1 }
    }
  }
  if (n === MAX_LENGTH_PREFIX_BYTES) {
    // three continuation bytes already announce at least 2^21 bytes
    throw new FrameTooLargeError(length + 2 ** 21, maxFrameSize)
  }
  return undefined
}
