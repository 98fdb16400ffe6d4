/** The libp2p protocol id of the ATTN carrier (protocols/attnproto.md §Carriers). */
export const PROTOCOL_NAME = 'attn'
export const PROTOCOL_VERSION = '1.0.0'
export const PROTOCOL = `/${PROTOCOL_NAME}/${PROTOCOL_VERSION}`

/**
 * Largest carrier frame accepted: the largest sealed record (1 MiB of data plus
 * header, maximum padding and alignment) with room to spare. A length prefix
 * announcing more resets the stream before any of it is buffered.
 */
export const MAX_FRAME_SIZE = 1024 * 1024 + 4096

/** A varint length prefix for MAX_FRAME_SIZE needs 3 bytes; anything longer is malformed. */
export const MAX_LENGTH_PREFIX_BYTES = 3

/** Streams per connection: one is enough (both sides share it); a few allow a racing open. */
export const MAX_INBOUND_STREAMS = 4
export const MAX_OUTBOUND_STREAMS = 4

/** Frames handed to an asynchronous frame handler before the stream is paused (read backpressure). */
export const MAX_PENDING_FRAMES = 64

/** How long opening a stream to a peer may take by default. */
export const DEFAULT_OPEN_TIMEOUT_MS = 10_000

/**
 * Bytes of partially received frames (started, not complete) held per connection, over all its
 * streams: two maximum frames. Beyond it the stream that pushed over is reset (ERR_FRAME_BUFFER_FULL).
 */
export const DEFAULT_MAX_PARTIAL_BYTES_PER_CONNECTION = 2 * MAX_FRAME_SIZE
/** Bytes of partially received frames held node-wide; beyond it the oldest partial frames' streams are reset. */
export const DEFAULT_MAX_PARTIAL_BYTES = 64 * 1024 * 1024
/** A frame must complete within this time of its first byte, else its stream is reset (ERR_FRAME_STALLED). */
export const DEFAULT_PARTIAL_FRAME_TIMEOUT_MS = 30_000
