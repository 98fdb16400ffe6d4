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
/** Most node ids in a directory record's revocation list (messaging.md §2.2). */
export const MAX_REVOKED_DEVICES = 64

/** Signature domains, key and signature lengths and the clock skew are defined once, by the layers that own them. */
export {
  DOMAIN_DIRECTORY, DOMAIN_DIRECTORY_REVOCATIONS, DOMAIN_ENVELOPE, DOMAIN_RECEIPT, DOMAIN_GROUP, DOMAIN_GROUP_MESSAGE, DOMAIN_PREKEY, SIGNATURE_LENGTH, PUBLIC_KEY_LENGTH,
  CLOCK_SKEW_SECONDS
} from '../keys/constants.js'
export { AES_KEY_LENGTH, GCM_IV_LENGTH, GCM_TAG_LENGTH, X25519_KEY_LENGTH } from '../crypto/constants.js'

/** Envelope format version (first byte of an envelope). */
export const ENVELOPE_VERSION = 1
/** HKDF info prefix of an envelope; the recipient address (UTF-8) follows. */
export const ENVELOPE_INFO = 'attn/1 envelope'
export const ENVELOPE_ID_LENGTH = 16
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
export const MESSAGE_KINDS = ['message', 'receipt', 'sender-key', 'group-update', 'sync', 'session-reset', 'devices'] as const
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

/** Prekeys (messaging.md §9): one per period of PREKEY_PERIOD_SECONDS (one week), derived from the root key. */
export const PREKEY_PERIOD_SECONDS = 7 * 86400
/** HKDF info prefix of a prekey; u32be(id) follows. */
export const PREKEY_INFO = 'attn/1 prekey'
/** A receiver accepts prekey ids from current − PREKEY_ACCEPT_PAST … */
export const PREKEY_ACCEPT_PAST = 3
/** … to current + PREKEY_ACCEPT_FUTURE (current = floor(now / PREKEY_PERIOD_SECONDS)). */
export const PREKEY_ACCEPT_FUTURE = 2

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
/** How long one such lookup may take, ms. */
export const MAILBOX_RECORD_LOOKUP_TIMEOUT_MS = 10_000

/** Parcels fetched from a mailbox that cannot be opened yet (group message before its sender key): kept this long, at most this many. */
export const QUARANTINE_TTL_MS = 7 * 24 * 60 * 60 * 1000
export const QUARANTINE_MAX = 1_000
/** Quarantined parcels kept per group (of QUARANTINE_MAX). */
export const QUARANTINE_MAX_PER_GROUP = 250
/** Quarantined parcels kept per (group, claimed sender). */
export const QUARANTINE_MAX_PER_SENDER = 100
/**
 * Parcels a caller may have quarantined through `msg.deliver` (a group message or sender key that
 * arrived before its group state or sender key), per second and burst, per caller address; past
 * it the parcel is refused as before and the sender falls back to the recipient's mailboxes.
 */
export const DIRECT_QUARANTINE_RATE = 20
export const DIRECT_QUARANTINE_BURST = 400

// ---- defaults of MessagingServiceInit (messaging.md §9) ----

/** Devices fetch their mailboxes at start and this often (ms). */
export const DEFAULT_FETCH_INTERVAL_MS = 30_000
/** Outbox retry backoff: first delay (ms), doubling … */
export const DEFAULT_RETRY_INITIAL_MS = 2_000
/** … up to this delay (ms). */
export const DEFAULT_RETRY_MAX_MS = 300_000
/** An outbox entry not delivered or stored after this long becomes `failed` (ms; 7 days). */
export const DEFAULT_GIVE_UP_AFTER_MS = 7 * 86_400_000
/** Timeout of one msg.deliver / mailbox.* RPC call (ms). */
export const DEFAULT_DELIVERY_CALL_TIMEOUT_MS = 10_000
/** When direct delivery has not reached every device within this (ms), the parcel also goes to the mailboxes. */
export const DEFAULT_MAILBOX_GRACE_MS = 1_500
/** Mailboxes chosen (DHT-closest peers) when none are configured. */
export const DEFAULT_MAILBOX_COUNT = 3
/** Lifetime of a published directory record (seconds; 1 day); it is republished at half of it. */
export const DEFAULT_RECORD_TTL_SECONDS = 86_400
/** A delivered-but-unacknowledged message is re-probed (redelivered) after this, doubling up to the max. */
export const DEFAULT_PROBE_INITIAL_MS = 30_000
export const DEFAULT_PROBE_MAX_MS = 30 * 60_000

/**
 * Deadline of one directory lookup. kad-dht holds a query until its routing table has a peer, so
 * without one a node that knows nobody (its bootstrap peers were down at start) would wait
 * forever: every outbox pass, mailbox poll and publish would hang behind it.
 */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 15_000
/** Directory lookups are cached this long (ms). */
export const DIRECTORY_CACHE_MS = 30_000
/** At most this many addresses' records are cached (least recently stored dropped). */
export const DIRECTORY_CACHE_MAX_ENTRIES = 10_000
/** How long one directory publication may take when the caller gives no signal (ms). */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 30_000
/** Inbox listing: default page size, and the largest page a caller may ask for. */
export const DEFAULT_INBOX_PAGE = 1_000
export const MAX_INBOX_PAGE = 10_000

// ---- forward secrecy (messaging.md §10): per-device keys, X3DH-style start, double ratchet ----

/** Version byte of a v2 (ratchet) envelope bundle and of its device headers. */
export const BUNDLE_VERSION = 2
/** HKDF info of the session-start key agreement (X3DH-style); IK_A | IK_B follow. */
export const X3DH_INFO = 'attn/2 x3dh'
/** HKDF info of the key that hides the sender's device identity key in a session-start header. */
export const START_IDENTITY_INFO = 'attn/2 start identity'
/** Prefix hashed with the initiator's ephemeral key into the 16-byte session id. */
export const SESSION_ID_LABEL = 'attn/2 session id'
/** HKDF info of the root chain: (root key, DH output) → (root key, chain key). */
export const RATCHET_ROOT_INFO = 'attn/2 ratchet root'
/** HKDF info turning a ratchet message key into an AES-256-GCM key and nonce. */
export const RATCHET_MESSAGE_INFO = 'attn/2 message key'
/** A receiving chain may skip at most this many message keys in one step (a message at most this far ahead). */
export const RATCHET_MAX_SKIP = 1000
/** At most this many skipped message keys are kept per session (oldest evicted). */
export const RATCHET_MAX_SKIPPED_KEYS = 2000
/** A skipped message key is deleted this long after it was derived (ms; 30 days: mailbox TTL 7 d + sender give-up 7 d, with margin). */
export const RATCHET_SKIPPED_KEY_MAX_AGE_MS = 30 * 86_400_000
/** No one-time prekey: the u32 written in a start header's opk_id. */
export const NO_ONE_TIME_PREKEY = 0xffffffff
/** A device's signed prekey is replaced after this long (s; one week) … */
export const SIGNED_PREKEY_ROTATE_SECONDS = 7 * 86400
/** … and its private key kept this long after it was replaced, for mail in flight (s; two weeks). */
export const SIGNED_PREKEY_GRACE_SECONDS = 14 * 86400
/** Sessions kept per peer device (a simultaneous start makes two; the oldest beyond this are dropped). */
export const MAX_SESSIONS_PER_DEVICE = 4
/** Envelope ids of opened bundles and parcel ids of opened group copies are remembered this long (ms) to tell a duplicate from an unreadable message. */
export const SEEN_ENVELOPE_TTL_MS = 30 * 86_400_000
/** Largest bundle payload: a full message body plus a device envelope per listed device. */
export const MAX_BUNDLE_BYTES = MAX_ENVELOPE_BYTES + 16 * 1024
/** Signed-prekey / one-time-prekey statement version. */
export const PREKEY_STATEMENT_VERSION = 1
/** A device resets its session with one peer device at most this often (ms). */
export const SESSION_RESET_MIN_INTERVAL_MS = 60_000

/** Postage (protocols/rewards.md §6). Most a sender pays per parcel unless configured (maxPostage), base units. */
export const DEFAULT_MAX_POSTAGE = 100n
/** mailbox.receipt calls per second and burst, per recipient identity (each receipt costs an ecrecover). */
export const MAILBOX_RECEIPT_RATE = 5
export const MAILBOX_RECEIPT_BURST = 20
/** How long a mailbox's terms (or its postage refusal) are trusted before asking again, ms. */
export const TERMS_CACHE_MS = 10 * 60_000
/** Mailboxes whose terms or refusals a sender remembers, and unsent receipts by mailbox. */
export const MAX_TERMS_CACHE = 1_000
/** Postage refusal reasons kept for the outbox (one per message until read). */
export const MAX_POSTAGE_REFUSALS = 10_000

/** Contacts: at most this many, names at most this many UTF-8 bytes. */
export const MAX_CONTACTS = 10_000
export const MAX_CONTACT_NAME_BYTES = 64

/**
 * Peer id strings remembered by the directory record check (isPeerIdString). Parsing a secp256k1
 * peer id decompresses its point in pure JS (~1 ms), and every check of a record parsed its
 * mailbox ids again (kad-dht's validator, its selector, the DHT guard and the directory client
 * check the same bytes).
 */
export const MAX_PEER_ID_CHECK_CACHE = 4096

/** Parsed peer ids remembered for the per-message paths (peer-ids.ts): one entry per device or mailbox we talk to. */
export const MAX_PEER_ID_CACHE = 4096

/** The start-up mailbox fetch asks an unreachable mailbox again after this (doubling), ms. */
export const STARTUP_FETCH_RETRY_MS = 1_000
/** Start-up fetch rounds in all (retries 1 s, 2 s, 4 s after the first: about 7 s). */
export const STARTUP_FETCH_TRIES = 4

/** Sent messages whose delivery path (direct / relayed / mailbox) is remembered in memory; the oldest go first. */
export const MAX_DELIVERY_PATHS = 10_000

// ---- one-time prekeys served by mailboxes (messaging.md §10.8) ----

/** A device uploads this many one-time prekeys to a mailbox at a time … */
export const ONE_TIME_PREKEY_BATCH = 50
/** … when the mailbox holds fewer than this many of its keys. */
export const ONE_TIME_PREKEY_LOW_WATER = 20
/** A mailbox holds at most this many one-time prekeys per device … */
export const MAX_ONE_TIME_PREKEYS_PER_DEVICE = 100
/** … and this many in all (ERR_MAILBOX_FULL past it). */
export const MAX_ONE_TIME_PREKEYS_TOTAL = 100_000
/** Most keys in one prekey.put. */
export const MAX_PREKEY_PUT_BATCH = 100
/** A one-time prekey expires this long after it was made (s; 30 days); its private key is deleted then. */
export const ONE_TIME_PREKEY_TTL_SECONDS = 30 * 86400
/** A device checks its mailboxes' one-time prekey stock at least this often (ms), and at every mailbox poll while the last check failed. */
export const ONE_TIME_PREKEY_CHECK_INTERVAL_MS = 10 * 60_000
/** A device keeps at most this many unused one-time prekey private keys (no upload past it, e.g. while a mailbox is drained). */
export const MAX_LOCAL_ONE_TIME_PREKEYS = 2_000
/** At most this many ratchet sessions per device in all (the least recently used beyond it are deleted). */
export const MAX_SESSIONS_TOTAL = 50_000
/** prekey.take per requester identity: tokens per second and burst. */
export const PREKEY_TAKE_RATE_PER_REQUESTER = 1
export const PREKEY_TAKE_BURST_PER_REQUESTER = 20
/** prekey.take of one owner's keys by one requester: at most this many an hour (burst the same: one per device of a record). */
export const PREKEY_TAKE_PER_OWNER_PER_HOUR = 16

/** A device tells one sender at most this often that its bundles leave out devices of ours (messaging.md §10.4.1), ms. */
export const STALE_DEVICES_HINT_INTERVAL_MS = 10_000
/** Senders remembered for that limit, at most. */
export const MAX_STALE_DEVICES_HINTED = 1_000
/** On such a hint, a sender seals again for the missing devices its messages of this age or younger, ms. */
export const STALE_DEVICES_WINDOW_MS = 10 * 60_000
/** ... and at most this many of them (newest first). */
export const MAX_STALE_DEVICES_MESSAGES = 64
