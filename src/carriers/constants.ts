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

// ---- UDP carrier (attnproto.md Part 2 §5)

/** Largest datagram the UDP carrier sends by default (IPv6 minimum MTU minus headers, as QUIC). */
export const DEFAULT_MAX_DATAGRAM_SIZE = 1200
/** Largest datagram read; anything longer cannot arrive over IPv4/UDP anyway. */
export const MAX_UDP_RECEIVE_SIZE = 65_507
/** Datagram types (first byte). */
export const UDP_TYPE_DATA = 0x01
export const UDP_TYPE_DATA_COOKIE = 0x02
export const UDP_TYPE_RETRY = 0x03
/** A cookie: issued_at (4 bytes, u32 BE seconds) | tag (16 bytes). */
export const UDP_COOKIE_LENGTH = 20
export const UDP_COOKIE_TAG_LENGTH = 16
/** A cookie is accepted this long after it was issued. */
export const UDP_COOKIE_LIFETIME_MS = 60_000
/** Until a source address is validated, the node sends it at most this many times the bytes it received from it. */
export const UDP_AMPLIFICATION_FACTOR = 3
/** Remote addresses with state (channels) held at once; the least recently heard unvalidated one goes first. */
export const DEFAULT_MAX_UDP_ADDRESSES = 4096
/** Handshake messages (HELLO, FINISH) are retransmitted after 250, 500, 1000 … ms, at most this many times. */
export const UDP_RETRANSMIT_INITIAL_MS = 250
export const UDP_RETRANSMIT_MAX_COUNT = 6
/** A handshake message (hs_id, type) seen within this time is a duplicate: dropped, its cached answer resent. */
export const UDP_DUPLICATE_WINDOW_MS = 30_000
/** Handshake messages remembered for duplicate suppression, node-wide. */
export const MAX_UDP_DUPLICATE_ENTRIES = 8192

// ---- HTTP carrier (attnproto.md Part 2 §6)

/** Path of the ATTN protocol on the HTTP listener (listed at /.well-known/libp2p/protocols). */
export const HTTP_PATH = `/${PROTOCOL_NAME}/${PROTOCOL_VERSION}/`
export const HTTP_WELL_KNOWN_PATH = '/.well-known/libp2p/protocols'
/** Request headers: the 8-byte id (hex) whose queue the POST collects, and how long it may wait (ms). */
export const HTTP_SESSION_HEADER = 'attn-session'
export const HTTP_WAIT_HEADER = 'attn-wait'
/** Longest wait of a long poll (as MTProto's http_wait). */
export const MAX_HTTP_WAIT_MS = 25_000
/** Largest request body: one maximum frame with its prefix, and then some. */
export const DEFAULT_HTTP_MAX_BODY = 2 * 1024 * 1024
/** Frames (and bytes) queued for one session id before new ones are refused (ERR_HTTP_QUEUE_FULL). */
export const DEFAULT_HTTP_MAX_QUEUE_FRAMES = 256
export const DEFAULT_HTTP_MAX_QUEUE_BYTES = 4 * 1024 * 1024
/** Bytes of frames in one response (the rest waits for the next POST). */
export const DEFAULT_HTTP_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
/** Concurrent waiting POSTs per session id, per client IP, node-wide. */
export const DEFAULT_HTTP_MAX_POLLS_PER_SESSION = 2
export const DEFAULT_HTTP_MAX_POLLS_PER_IP = 64
export const DEFAULT_HTTP_MAX_POLLS = 1024
/** Session queues (ids) held per client IP and node-wide; beyond them a POST gets 503. */
export const DEFAULT_HTTP_MAX_QUEUES_PER_IP = 256
export const DEFAULT_HTTP_MAX_QUEUES = 8192
/** A queue nobody POSTed to for this long is dropped (its frames with it). */
export const DEFAULT_HTTP_QUEUE_IDLE_MS = 120_000
/**
 * A POST with frames and Attn-Wait 0 is answered after this many event-loop turns (or as soon as a
 * frame is queued): enough for an RPC reply that needs no I/O to ride on the response.
 */
export const HTTP_ANSWER_TURNS = 3
/** A client's handshake POSTs wait this long for the answer (HELLO → RESPONSE, FINISH → ACCEPT). */
export const HTTP_HANDSHAKE_WAIT_MS = 10_000
