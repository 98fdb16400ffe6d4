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

/** A datagram that is not a valid ATTN/UDP datagram (attnproto.md Part 2 §5): dropped and counted. */
export class MalformedDatagramError extends AttnError {
  constructor (reason: string) { super(`malformed datagram: ${reason}`, 'ERR_UDP_MALFORMED') }
}

/** A frame does not fit one datagram: the caller must send it over a stream carrier (or the HTTP carrier). */
export class DatagramTooLargeError extends AttnError {
  constructor (readonly length: number, readonly max: number) {
    super(`a ${length}-byte datagram exceeds the UDP limit of ${max} bytes; send this record over a stream carrier`, 'ERR_UDP_FRAME_TOO_LARGE')
  }
}

/** Sending would exceed the anti-amplification budget of an unvalidated address; a RETRY was sent instead. */
export class AmplificationLimitError extends AttnError {
  constructor (readonly address: string, readonly factor: number) {
    super(`${address} is not validated: sending more would exceed ${factor}x the bytes received from it`, 'ERR_UDP_AMPLIFICATION_LIMIT')
  }
}

/** The UDP or HTTP carrier was asked to do something before start or after stop. */
export class CarrierNotStartedError extends AttnError {
  constructor (kind: string) { super(`the ${kind} carrier is not running`, 'ERR_CARRIER_NOT_STARTED') }
}

/** A target URL or multiaddr this carrier cannot reach (bad scheme, no port). */
export class InvalidCarrierTargetError extends AttnError {
  constructor (target: string, reason: string) { super(`invalid carrier target ${target}: ${reason}`, 'ERR_CARRIER_TARGET') }
}

/** An HTTP request the carrier refuses (attnproto.md Part 2 §6); `status` is the HTTP status it answers with. */
export class HttpCarrierError extends AttnError {
  constructor (readonly status: number, code: string, message: string) { super(message, code) }
}

/** A session's HTTP queue is full: the frame is not queued (the RPC layer resends it later). */
export class HttpQueueFullError extends AttnError {
  constructor (id: string, limit: number) { super(`the HTTP queue of ${id} holds ${limit} frames already`, 'ERR_HTTP_QUEUE_FULL') }
}

/** An HTTP carrier request failed on the client side (network error, or a non-200 answer). */
export class HttpRequestFailedError extends AttnError {
  constructor (readonly status: number, readonly remoteCode: string, message: string, options?: ErrorOptions) {
    super(message, 'ERR_HTTP_REQUEST_FAILED', options)
  }
}
