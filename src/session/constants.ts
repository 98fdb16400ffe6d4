/** Record layer and session constants (protocols/attnproto.md Part 4 §Constants). */

/** Length of a session id, the first bytes of every frame. */
export const SESSION_ID_LENGTH = 8
/** Length of the truncated msg_key that follows the session id. */
export const MSG_KEY_LENGTH = 16
/** session_id | msg_key. */
export const FRAME_HEADER_LENGTH = SESSION_ID_LENGTH + MSG_KEY_LENGTH
/** salt(8) | msg_id(8) | seq_no(4) | data_len(4). */
export const PLAINTEXT_HEADER_LENGTH = 24
export const SALT_LENGTH = 8
/** Plaintext length is a multiple of this (the AES block size). */
export const RECORD_ALIGN = 16
export const MIN_PADDING = 12
export const MAX_PADDING = 1024
/** A sender pads with p0 + 16k bytes, k uniform in 0..PADDING_STEPS-1 (protocols/attnproto.md Part 4 §2). */
export const PADDING_STEPS = 4
/** Largest `data` one record carries. */
export const MAX_RECORD_DATA = 1024 * 1024
/** Smallest plaintext: 24-byte header, no data, 24 bytes padding (12 rounded up to the 16-byte grid). */
export const MIN_PLAINTEXT = 48
/** Largest plaintext: header + MAX_RECORD_DATA + MAX_PADDING, rounded down to the grid. */
export const MAX_PLAINTEXT = Math.floor((PLAINTEXT_HEADER_LENGTH + MAX_RECORD_DATA + MAX_PADDING) / RECORD_ALIGN) * RECORD_ALIGN
/** Smallest valid frame (72 bytes). */
export const MIN_FRAME = FRAME_HEADER_LENGTH + MIN_PLAINTEXT
/** Largest valid frame (1 MiB + 1072 bytes). */
export const MAX_FRAME = FRAME_HEADER_LENGTH + MAX_PLAINTEXT

/** msg_id = (unix_ms << MSG_ID_COUNTER_BITS) | counter. */
export const MSG_ID_COUNTER_BITS = 16

/** Frames whose msg_id time is older than now − this are rejected (ERR_MSG_TOO_OLD). */
export const MAX_MSG_AGE_MS = 300_000
/** Frames whose msg_id time is newer than now + this are rejected (ERR_MSG_TOO_NEW). */
export const MAX_MSG_FUTURE_MS = 30_000

/** Width in seq_no of the receive-side sliding replay window. */
export const REPLAY_WINDOW_SIZE = 1024

/** The responder rotates the salt this often. */
export const SALT_ROTATE_MS = 30 * 60_000
/** A replaced salt is still accepted for this long. */
export const SALT_GRACE_MS = 5 * 60_000

/** `needsRekey()` turns true after this many frames sent … */
export const REKEY_AFTER_FRAMES = 2 ** 24
/** … or this session age. */
export const REKEY_AFTER_MS = 24 * 3600_000
/** `seal()` refuses (ERR_SESSION_EXPIRED) once this many frames were sent … */
export const HARD_LIMIT_FRAMES = 2 ** 26
/** … or the session is this old. */
export const HARD_LIMIT_MS = 48 * 3600_000

/** Default idle time after which `SessionTable.expireIdle` drops a session. */
export const DEFAULT_IDLE_MS = 30 * 60_000
/** Default cap on concurrent sessions per remote identity (`remote.address`). */
export const DEFAULT_MAX_SESSIONS_PER_IDENTITY = 8
/** Default cap on all sessions in a table. */
export const DEFAULT_MAX_SESSIONS = 100_000

/** How long a handshake may take end to end before it is abandoned (both roles). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000
/** Responder handshake states held at once, node-wide and per channel (HELLO floods). */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 256
export const DEFAULT_MAX_PENDING_HANDSHAKES_PER_CHANNEL = 8
/** At most one SESSION_UNKNOWN notice per session id per interval. */
export const SESSION_UNKNOWN_NOTICE_INTERVAL_MS = 1_000

// ---- handshake admission (HELLO floods, attnproto.md Part 3 §7) ----

/** Pending responder handshakes per libp2p peer and per remote IP (IPv6: per /64). */
export const DEFAULT_MAX_PENDING_HANDSHAKES_PER_PEER = 8
export const DEFAULT_MAX_PENDING_HANDSHAKES_PER_IP = 32
/**
 * RESPONSEs (one signature each, ~1.5 ms of a core) per libp2p peer, per remote IP and node-wide,
 * as token buckets {burst, perSecond}: at most ~5 % of a core per IP and ~20 % node-wide. Peers
 * with an established session are exempt from the node-wide bucket. RESPONSEs are signed one per
 * event-loop turn, so a burst delays other work by one signature at a time, not by the burst.
 */
export const DEFAULT_RESPONSE_RATE_PER_PEER = { burst: 8, perSecond: 4 }
export const DEFAULT_RESPONSE_RATE_PER_IP = { burst: 64, perSecond: 32 }
export const DEFAULT_RESPONSE_RATE = { burst: 256, perSecond: 128 }
/**
 * REJECTs answering refused HELLOs, per libp2p peer: beyond this budget a refused HELLO is
 * dropped silently (a flood does not get one encrypted reply per HELLO; a real initiator still
 * hears "busy" or times out and retries).
 */
export const DEFAULT_REFUSAL_REJECT_RATE_PER_PEER = { burst: 4, perSecond: 1 }
/** Peers and IPs whose buckets are remembered (least recently used forgotten first). */
export const MAX_RATE_LIMIT_KEYS = 16_384

// ---- session admission (Sybil sessions, attnproto.md Part 4 §8) ----

/** Sessions per libp2p peer and per remote IP (IPv6: per /64); beyond it the least valuable is evicted. */
export const DEFAULT_MAX_SESSIONS_PER_PEER = 16
export const DEFAULT_MAX_SESSIONS_PER_IP = 1024
/** An initiator refused with a "busy" REJECT retries after this backoff (doubling, ±50 % jitter) within its handshake timeout. */
export const HANDSHAKE_RETRY_INITIAL_MS = 100
export const HANDSHAKE_RETRY_MAX_MS = 2_000
/**
 * Memory one responder session costs a node, RPC link state included once it carried a call:
 * measured with bench/session-sybil.ts (sessions from fresh identities on a real node, gc'd
 * heapUsed + external deltas per session): 2 000 sessions: 3.0 + 1.0 KB idle, 5.6 + 1.0 KB after
 * one RPC call (600 sessions: 7.2 + 1.4 and 10.3 + 1.3 KB, fixed costs not yet amortised).
 * Rounded up; turns the memory budget into a count.
 */
export const SESSION_MEMORY_ESTIMATE_BYTES = 8 * 1024
/** Memory budget of the session table: 256 MiB = 32 768 sessions at the estimate above. */
export const DEFAULT_MAX_SESSION_BYTES = 256 * 1024 * 1024
