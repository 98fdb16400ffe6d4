/**
 * Constants of the messaging layer (protocols/messaging.md). Values that appear on the wire or in
 * signatures are part of the protocol: changing one is a protocol version change.
 */

/** DHT namespace of directory records: validators/selectors are keyed by the 2nd path segment. */
export const DIRECTORY_NAMESPACE = 'attn'
/** DHT key prefix of a directory record: `/attn/id/<address>` (UTF-8). */
export const DIRECTORY_KEY_PREFIX = '/attn/id/'
export const DIRECTORY_RECORD_VERSION = 1
/** Largest encoded directory record accepted (validator rejects larger values before decoding). */
export const MAX_DIRECTORY_RECORD_BYTES = 16 * 1024
export const MAX_DIRECTORY_DEVICES = 16
export const MAX_DIRECTORY_PREKEYS = 32
export const MAX_DIRECTORY_MAILBOXES = 16
export const MAX_MAILBOX_MULTIADDRS = 8
export const MAX_MULTIADDR_LENGTH = 512

/** Signature domains (keys' sign/verify: sha256("attn/1 " | domain | 0x00 | message)). */
export const DOMAIN_DIRECTORY = 'directory'
export const DOMAIN_ENVELOPE = 'envelope'
export const DOMAIN_RECEIPT = 'receipt'
export const DOMAIN_GROUP = 'group'
export const DOMAIN_GROUP_MESSAGE = 'group-message'

/** Envelope format version (first byte of an envelope). */
export const ENVELOPE_VERSION = 1
/** HKDF info prefix of an envelope; the recipient address (UTF-8) follows. */
export const ENVELOPE_INFO = 'attn/1 envelope'
export const ENVELOPE_ID_LENGTH = 16
export const X25519_KEY_LENGTH = 32
export const AES_KEY_LENGTH = 32
export const GCM_NONCE_LENGTH = 12
export const GCM_TAG_LENGTH = 16
export const SIGNATURE_LENGTH = 64
export const COMPRESSED_PUBLIC_KEY_LENGTH = 33
/** Longest ATT address / peer id string accepted anywhere in this layer (UTF-8 bytes). */
export const MAX_ADDRESS_LENGTH = 128

/** Inner message format version. */
export const MESSAGE_VERSION = 1
/** Largest message body: 256 KiB. */
export const MAX_BODY_BYTES = 256 * 1024
export const MAX_CONTENT_TYPE_LENGTH = 255
export const GROUP_ID_LENGTH = 16
/** Largest envelope accepted by openEnvelope (body + headers + chain + signature, generous). */
export const MAX_ENVELOPE_BYTES = MAX_BODY_BYTES + 4096

/** Message kinds: wire byte ↔ name. */
export const MESSAGE_KINDS = ['message', 'receipt', 'sender-key', 'group-update', 'sync'] as const
export type MessageKind = typeof MESSAGE_KINDS[number]

/** Receipt format version. */
export const RECEIPT_VERSION = 1

/** Group state / sender key / group message format versions. */
export const GROUP_STATE_VERSION = 1
export const SENDER_KEY_VERSION = 1
export const GROUP_MESSAGE_VERSION = 1
export const MAX_GROUP_NAME_BYTES = 256
export const MAX_GROUP_MEMBERS = 1000
/** HKDF info deriving the AES key and nonce of a group message from its message key. */
export const GROUP_MESSAGE_INFO = 'attn/1 group message'
/** At most this many skipped message keys are kept per sender key, and a message may jump at most this far ahead. */
export const MAX_SKIPPED_MESSAGE_KEYS = 1000

/** Mailbox defaults (the relay role). */
export const MAILBOX_TTL_SECONDS = 7 * 24 * 60 * 60
export const MAILBOX_MAX_PER_RECIPIENT = 10_000
export const MAILBOX_MAX_BYTES_PER_RECIPIENT = 64 * 1024 * 1024
export const MAILBOX_MAX_PER_SENDER = 1_000
export const MAILBOX_MAX_BYTES_PER_SENDER = 16 * 1024 * 1024
export const MAILBOX_FETCH_LIMIT = 100
/** All parcels a mailbox holds for everyone (ERR_MAILBOX_FULL past it). */
export const MAILBOX_MAX_BYTES_TOTAL = 1024 * 1024 * 1024
/** mailbox.put rate per sending identity: tokens per second and burst. */
export const MAILBOX_PUT_RATE_PER_SENDER = 20
export const MAILBOX_PUT_BURST_PER_SENDER = 200
/** mailbox.put rate per network source (libp2p peer / remote IP), whatever identities it uses. */
export const MAILBOX_PUT_RATE_PER_SOURCE = 50
export const MAILBOX_PUT_BURST_PER_SOURCE = 500
/** Rate-limit buckets kept at once (oldest dropped past it): bounds the limiter's own memory. */
export const MAX_RATE_BUCKETS = 10_000
/** Directory lookups a mailbox makes to check puts for unknown recipients, per second and burst. */
export const MAILBOX_LOOKUP_RATE = 5
export const MAILBOX_LOOKUP_BURST = 20

/** Parcels fetched from a mailbox that cannot be opened yet (group message before its sender key): kept this long, at most this many. */
export const QUARANTINE_TTL_MS = 7 * 24 * 60 * 60 * 1000
export const QUARANTINE_MAX = 1_000

/** Messaging service defaults (MessagingServiceInit). */
export const DEFAULT_FETCH_INTERVAL_MS = 30_000
export const DEFAULT_RETRY_INITIAL_MS = 2_000
export const DEFAULT_RETRY_MAX_MS = 5 * 60_000
export const DEFAULT_GIVE_UP_AFTER_MS = 7 * 24 * 60 * 60 * 1000
export const DEFAULT_CALL_TIMEOUT_MS = 10_000
/**
 * Deadline of one directory lookup. kad-dht holds a query until its routing table has a peer, so
 * without one a node that knows nobody (its bootstrap peers were down at start) would wait
 * forever: every outbox pass, mailbox poll and publish would hang behind it.
 */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 15_000
export const DEFAULT_MAILBOX_GRACE_MS = 1_500
export const DEFAULT_MAILBOX_COUNT = 3
export const DEFAULT_RECORD_TTL_SECONDS = 24 * 60 * 60
/** A delivered-but-unacknowledged message is re-probed (redelivered) after this, doubling up to the max. */
export const DEFAULT_PROBE_INITIAL_MS = 30_000
export const DEFAULT_PROBE_MAX_MS = 30 * 60_000

/** Clock-skew tolerance for expiry checks (seconds). */
export const CLOCK_SKEW_SECONDS = 60

/** A receiver opens envelopes sealed to prekey ids current − BEFORE … current + AFTER (messaging.md §9); a mailbox applies the same window around the listed ids. */
export const PREKEY_WINDOW_BEFORE = 3
export const PREKEY_WINDOW_AFTER = 2
