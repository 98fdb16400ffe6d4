/** Limits and file names of the node layer (kad-dht record storage, the home directory). */
import { MAX_DIRECTORY_RECORD_BYTES } from '../messaging/constants.js'

/** Records (of any key) one node holds for the DHT; over it, puts from peers are refused. */
export const DEFAULT_DHT_MAX_RECORDS = 10_000
/** Bytes of record values one node holds for the DHT (sum of the stored values). */
export const DEFAULT_DHT_MAX_BYTES = 64 * 1024 * 1024
/** Records one source peer may have stored on this node (the peer that sent the PUT_VALUE). */
export const DEFAULT_DHT_MAX_RECORDS_PER_PEER = 256
/** Bytes one source peer may have stored on this node. */
export const DEFAULT_DHT_MAX_BYTES_PER_PEER = 4 * 1024 * 1024
/** Largest record value accepted into the DHT store (a directory record is at most 16 KiB). */
export const DEFAULT_DHT_MAX_RECORD_BYTES = MAX_DIRECTORY_RECORD_BYTES
/** kad-dht serves a received record for 48 h (PROVIDERS_VALIDITY); older ones may be pruned. */
export const DHT_RECORD_VALIDITY_MS = 48 * 60 * 60 * 1000
/** The only record namespace the ATT DHT stores (`/attn/...`). */
export const DHT_STORED_NAMESPACE = 'attn'
/** kad-dht's datastore prefix for records (`<datastorePrefix>/record/<base32 key>`). */
export const DHT_RECORD_PREFIX = '/dht/record/'

/** Files of a node home. */
export const IDENTITY_FILE_NAME = 'identity.json'
export const MESSAGES_DB = 'messages.db'
export const SESSIONS_DB = 'sessions.db'
export const DHT_DB = 'dht.db'
/** Marker written at start: which identity the data of this home belongs to, and which files it holds. */
export const HOME_MARKER = 'home.json'
export const HOME_MARKER_VERSION = 1

// Reach (issue 14): the public Amino DHT, rendezvous, NAT traversal, circuit relay limits.

/** The public IPFS/libp2p DHT protocol ("Amino"). */
export const AMINO_DHT_PROTOCOL = '/ipfs/kad/1.0.0'
/** The public bootstrap peers js-libp2p and kubo ship (used when `amino.bootstrap` is unset). */
export const DEFAULT_AMINO_BOOTSTRAP = [
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN',
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa',
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb',
  '/dnsaddr/bootstrap.libp2p.io/p2p/QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt',
  '/ip4/104.131.131.82/tcp/4001/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ'
]
/** Most Amino bootstrap multiaddrs a config may list. */
export const MAX_AMINO_BOOTSTRAP = 64
/** No Amino DHT peer this long after start: warn (the bootstrap list is dead or blocked), ms. */
export const DEFAULT_AMINO_WARN_AFTER_MS = 30_000
/** While no Amino peer is connected, re-dial the Amino bootstrap list this often (doubling to 10 min), ms. */
export const DEFAULT_AMINO_REDIAL_MS = 10_000
export const MAX_AMINO_REDIAL_MS = 600_000
/** One Amino bootstrap dial may take this long, ms. */
export const AMINO_DIAL_TIMEOUT_MS = 15_000

/** The rendezvous key: the CIDv1 (raw, sha2-256) of these UTF-8 bytes (attnproto.md §Rendezvous). */
export const RENDEZVOUS_STRING = 'attn/1 network'
/** Re-announce ourselves as a provider of the rendezvous CID this often (Amino servers keep a provider record 48 h), ms. */
export const DEFAULT_RENDEZVOUS_ANNOUNCE_MS = 22 * 60 * 60 * 1000
/** After a failed announcement, retry this soon (doubling up to the announce interval), ms. */
export const DEFAULT_RENDEZVOUS_RETRY_MS = 30_000
/** Look for ATT peers through the rendezvous this often while we know fewer than the target, ms. */
export const DEFAULT_RENDEZVOUS_LOOKUP_MS = 5 * 60 * 1000
/** Never start two provider lookups closer together than this (rate limit), ms. */
export const DEFAULT_RENDEZVOUS_MIN_LOOKUP_GAP_MS = 30_000
/** Stop looking once this many ATT peers are connected. */
export const DEFAULT_RENDEZVOUS_TARGET_PEERS = 8
/** Providers taken from one lookup (the rest are ignored) and dialled at once. */
export const MAX_RENDEZVOUS_PROVIDERS_PER_LOOKUP = 20
/** One provider lookup or announcement may take this long, ms. */
export const RENDEZVOUS_QUERY_TIMEOUT_MS = 60_000

/** Circuit relay v2 server limits (attnproto.md §Relay limits). */
export const DEFAULT_RELAY_MAX_RESERVATIONS = 128
export const DEFAULT_RELAY_RESERVATION_TTL_MS = 60 * 60 * 1000
/** Bytes one relayed connection may carry (both directions together) before the relay resets it. */
export const DEFAULT_RELAY_CIRCUIT_DATA_BYTES = 1024 * 1024
/** How long one relayed connection may stay open before the relay closes it, ms. */
export const DEFAULT_RELAY_CIRCUIT_DURATION_MS = 2 * 60 * 1000
/** Relayed connections one source peer may open through us per minute. */
export const DEFAULT_RELAY_CIRCUITS_PER_PEER_PER_MINUTE = 30
/** Reservation requests (new or refresh) one peer may make per hour. */
export const DEFAULT_RELAY_RESERVATIONS_PER_PEER_PER_HOUR = 10
/** Relayed connections open through us at once (HOP and STOP streams). */
export const DEFAULT_RELAY_MAX_CIRCUITS = 256
/** Peers tracked by the per-peer relay rate limits; over it the oldest entry is forgotten. */
export const MAX_RELAY_TRACKED_PEERS = 10_000
/** Debounce of the directory-record republish after our addresses changed (e.g. a new relay reservation), ms. */
export const ADDRESS_REPUBLISH_DEBOUNCE_MS = 1_000
