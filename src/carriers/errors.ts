import { AttnError } from '../errors.js'

/** A length prefix announced a frame larger than the negotiated maximum. */
export class FrameTooLargeError extends AttnError {
  constructor (readonly length: number, readonly max: number) {
    super(`frame of ${length} bytes exceeds the maximum of ${max} bytes`, 'ERR_FRAME_TOO_LARGE')
  }
}

/** The stream ended in the middle of a frame. */
export class TruncatedFrameError extends AttnError {
  constructor (readonly buffered: number) {
    super(`stream ended with ${buffered} bytes of an incomplete frame`, 'ERR_FRAME_TRUNCATED')
  }
}

/** A zero-length frame; the protocol never sends one. */
export class EmptyFrameError extends AttnError {
  constructor () { super('zero-length frame', 'ERR_FRAME_EMPTY') }
}

/** The varint length prefix is longer than any valid frame needs, or not minimally encoded. */
export class InvalidLengthPrefixError extends AttnError {
  constructor (reason: string) { super(`invalid frame length prefix: ${reason}`, 'ERR_FRAME_LENGTH_PREFIX') }
}

/** Sending on a channel that is closed or closing. */
export class ChannelClosedError extends AttnError {
  constructor (reason = 'channel closed') { super(reason, 'ERR_CHANNEL_CLOSED') }
}

/** A partially received frame did not complete within the partial-frame timeout (a stalled sender). */
export class FrameStalledError extends AttnError {
  constructor (readonly buffered: number, readonly timeoutMs: number) {
    super(`${buffered} bytes of a frame not completed within ${timeoutMs} ms`, 'ERR_FRAME_STALLED')
  }
}

/** Partially received frames exceed the per-connection or node-wide buffer budget. */
export class FrameBufferFullError extends AttnError {
  constructor (readonly scope: 'connection' | 'node', readonly limit: number) {
    super(`partial frames exceed the ${scope} limit of ${limit} bytes`, 'ERR_FRAME_BUFFER_FULL')
  }
}
