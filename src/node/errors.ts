import { AttnError } from '../errors.js'

// DHT record storage (dht-record-guard.ts): a refused PUT_VALUE aborts the kad-dht stream, so the
// sender sees an error, not an echo.

/** A directory record older (lower seq, per the selector) than the stored one. */
export class DhtRecordRollbackError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DHT_RECORD_ROLLBACK') }
}

/** A record value over the configured size. */
export class DhtRecordTooLargeError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DHT_RECORD_TOO_LARGE') }
}

/** The node holds its maximum count or bytes of DHT records. */
export class DhtStoreFullError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DHT_STORE_FULL') }
}

/** The sending peer has stored its maximum count or bytes of records on this node. */
export class DhtPeerQuotaError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DHT_PEER_QUOTA') }
}

/** A record outside the `/attn/` namespace, or a provider record: the ATT DHT does not store them. */
export class DhtNamespaceRefusedError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DHT_NAMESPACE_REFUSED') }
}

/** A record that cannot be decoded as a libp2p record. */
export class DhtRecordMalformedError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_DHT_RECORD_MALFORMED', options) }
}

/** A database file of the home cannot be opened (corrupt, not SQLite, unreadable). */
export class StoreOpenError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_STORE_OPEN', options) }
}

// The home directory (home.ts).

/** The home holds data (databases, marker) but no identity.json. */
export class HomeIdentityMissingError extends AttnError {
  constructor (message: string) { super(message, 'ERR_HOME_IDENTITY_MISSING') }
}

/** The home's data belongs to another identity than identity.json. */
export class HomeIdentityMismatchError extends AttnError {
  constructor (message: string) { super(message, 'ERR_HOME_IDENTITY_MISMATCH') }
}

/** A data file the home marker lists is missing (e.g. messages.db deleted). */
export class HomeDataMissingError extends AttnError {
  constructor (message: string) { super(message, 'ERR_HOME_DATA_MISSING') }
}

/** The home marker (home.json) is not what this code writes. */
export class HomeMarkerCorruptError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_HOME_MARKER_CORRUPT', options) }
}
