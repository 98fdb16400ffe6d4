/** RPC layer limits and defaults (protocols/attnproto.md Part 5 §Limits, §Timers). */

/** Version of the RPC wire format described in protocols/attnproto.md Part 5. */
export const RPC_VERSION = 1

/** Largest encoded RpcMessage: the `data` of one record (equals the session's MAX_RECORD_DATA). */
export const MAX_MESSAGE_BYTES = 1024 * 1024
/** Room kept for framing (Call/Reply tags, a container item wrapper, a method name). */
export const MESSAGE_OVERHEAD = 1024
/** Largest `params` of a Call and `result` of a Reply (1 MiB − 1 KiB). */
export const MAX_PAYLOAD_BYTES = MAX_MESSAGE_BYTES - MESSAGE_OVERHEAD
/** Largest method name, in UTF-8 bytes. */
export const MAX_METHOD_LENGTH = 128
/** Method names accepted by `handle()` / `call()`. */
export const METHOD_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/
/** Largest error code (`[A-Z][A-Z0-9_]*`). */
export const MAX_ERROR_CODE_LENGTH = 64
export const ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9_]*$/
/** Largest error message, in UTF-8 bytes. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024
/** Most items in one Container. */
export const MAX_CONTAINER_ITEMS = 1024
/** Most msg_ids in one Ack. */
export const MAX_ACK_IDS = 8192
/** Most msg_ids in one StatusQuery / StatusInfo. */
export const MAX_STATUS_IDS = 1024
/** NewSalt.salt length: the record layer's salt (defined once, in src/session/constants.ts). */
export { SALT_LENGTH } from '../session/constants.js'
/** Most entries in Info.methods / Info.protocols, and longest string in Info. */
export const MAX_INFO_LIST = 1024
export const MAX_INFO_STRING = 256

/** Worst-case bytes a ContainerItem adds around its body: item tag+len, msg_id tag+varint, body tag+len. */
export const CONTAINER_ITEM_OVERHEAD = 1 + 5 + 1 + 10 + 1 + 5
/** Worst-case bytes of the RpcMessage{container} wrapper. */
export const CONTAINER_OVERHEAD = 1 + 5

/** Status byte values of StatusInfo.states. */
export const STATUS_UNKNOWN = 0
export const STATUS_RECEIVED = 1
export const STATUS_PROCESSING = 2
export const STATUS_DONE = 3
export const STATUS_FAILED = 4

// ---- defaults of RpcEngineInit ----

/** Default per-call timeout. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000
/** First resend of an unacknowledged Call after this … */
export const DEFAULT_RESEND_INITIAL_MS = 200
/** … doubling up to this. */
export const DEFAULT_RESEND_MAX_MS = 5_000
/** After an Ack, the caller re-sends the Call (as a probe for a lost Reply) after at least this, doubling to RESEND_MAX. */
export const DEFAULT_PROBE_INITIAL_MS = 1_000
/** Explicit Acks are held this long to be batched or piggybacked. */
export const DEFAULT_ACK_DELAY_MS = 5
/** Pending outgoing calls per link; further calls wait (FIFO) for a slot. */
export const DEFAULT_MAX_IN_FLIGHT = 1024
/** Calls received per link that are queued or running at once; beyond this → OVERLOADED. */
export const DEFAULT_MAX_INCOMING = 1024
/** Default handler timeout on the callee side. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 120_000
/** Received-call cache (dedup + reply replay), per link: entries, reply bytes, age. */
export const DEFAULT_RECEIVED_CACHE_ENTRIES = 10_000
export const DEFAULT_RECEIVED_CACHE_BYTES = 16 * 1024 * 1024
export const DEFAULT_RECEIVED_CACHE_TTL_MS = 300_000
/** Records remembered per link to map a NewSalt.bad_msg_id back to the calls it carried. */
export const SENT_RECORD_MEMORY = 4096

/** Built-in method names. */
export const METHOD_PING = 'attn.ping'
export const METHOD_INFO = 'attn.info'
