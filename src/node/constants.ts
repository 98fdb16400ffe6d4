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
