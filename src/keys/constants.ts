/**
 * Constants of the identities layer (protocols/attnproto.md Part 1). Values that appear on the
 * wire or in signatures are part of the protocol: changing one is a protocol version change.
 */

/** Prefix of every signed message: `sha256("attn/1 " + domain + 0x00 + message)`. */
export const SIGNATURE_PREFIX = 'attn/1 '

/**
 * Signature domains: the one table of protocols/attnproto.md Part 1 "Signature scheme". Every
 * signature any layer makes uses one of these, so a signature made for one purpose is never
 * accepted for another.
 */
/** Node certificates (Part 1). */
export const DOMAIN_CERT = 'cert'
/** Handshake transcript signatures (Part 3). */
export const DOMAIN_HANDSHAKE = 'handshake'
/** Signed directory (DHT) identity records (messaging.md §2). */
export const DOMAIN_DIRECTORY = 'directory'
/** Root-signed revocation list inside a directory record (messaging.md §2.2). */
export const DOMAIN_DIRECTORY_REVOCATIONS = 'directory-revocations'
/** End-to-end envelopes (messaging.md §3). */
export const DOMAIN_ENVELOPE = 'envelope'
/** Delivery receipts (messaging.md §5). */
export const DOMAIN_RECEIPT = 'receipt'
/** Group states (messaging.md §6). */
export const DOMAIN_GROUP = 'group'
/** Group (sender-key) messages (messaging.md §6). */
export const DOMAIN_GROUP_MESSAGE = 'group-message'
/** Reserved for relay reward receipts (rewards layer, not yet specified); never `receipt`. */
export const DOMAIN_REWARD = 'reward'
/** A device's signed prekey and one-time prekeys (messaging.md §10), signed by its node key. */
export const DOMAIN_PREKEY = 'prekey'

/** A domain is 1..64 printable ASCII bytes (0x21..0x7e): no space, no NUL, so the framing is unambiguous. */
export const MAX_DOMAIN_LENGTH = 64

/** Compact r||s ECDSA signature length. */
export const SIGNATURE_LENGTH = 64
/** Compressed secp256k1 public key length. */
export const PUBLIC_KEY_LENGTH = 33
/** Raw secp256k1 private key length. */
export const PRIVATE_KEY_LENGTH = 32

/** Certificate format version written and accepted by this implementation. */
export const CERT_VERSION = 1
/** Flags byte: no flag is defined in version 1, it must be 0. */
export const CERT_FLAGS = 0
/** Maximum UTF-8 byte length of a certificate label. */
export const MAX_LABEL_BYTES = 64
/** Byte length of the fixed part of a certificate before the label (version..label_len). */
export const CERT_FIXED_HEADER_LENGTH = 1 + 1 + PUBLIC_KEY_LENGTH + PUBLIC_KEY_LENGTH + 8 + 8 + 1
/** Smallest and largest encoded certificate. */
export const MIN_CERT_LENGTH = CERT_FIXED_HEADER_LENGTH + SIGNATURE_LENGTH
export const MAX_CERT_LENGTH = MIN_CERT_LENGTH + MAX_LABEL_BYTES

/** Maximum validity window (not_after - not_before) of a certificate: 30 days. */
export const MAX_CERT_VALIDITY_SECONDS = 30 * 24 * 60 * 60
/** Default validity window of a newly issued certificate, ending `now + DEFAULT_CERT_VALIDITY_SECONDS`. */
export const DEFAULT_CERT_VALIDITY_SECONDS = MAX_CERT_VALIDITY_SECONDS
/** A new certificate starts this long before "now", so a peer whose clock is a bit behind accepts it. */
export const DEFAULT_CERT_BACKDATE_SECONDS = 60
/**
 * Clock-skew tolerance when checking a validity window: a certificate is accepted while
 * `not_before - CLOCK_SKEW_SECONDS <= now <= not_after + CLOCK_SKEW_SECONDS`.
 */
export const CLOCK_SKEW_SECONDS = 60

/**
 * Maximum number of certificates in a chain in this version. Extension point: a later version may
 * raise it, each certificate i > 0 being issued by the node key of certificate i-1.
 * (Not to be confused with the handshake's MAX_CHAIN_BYTES, the byte limit of an encoded chain.)
 */
export const MAX_CHAIN_CERTIFICATES = 1

/** The keystore renews a device certificate on load when it expires within this many seconds. */
export const CERT_RENEW_BEFORE_SECONDS = 7 * 24 * 60 * 60

/** Keystore file name inside the home directory, and its format version. */
export const IDENTITY_FILE = 'identity.json'
export const KEYSTORE_VERSION = 1

/** scrypt cost of the keystore key-encryption key (N = 2^15, r = 8, p = 1: about 32 MiB). */
export const SCRYPT_N = 2 ** 15
export const SCRYPT_R = 8
export const SCRYPT_P = 1
/** Bounds accepted when loading a file, so a hostile file cannot make us allocate gigabytes. */
export const SCRYPT_MAX_N = 2 ** 20
export const SCRYPT_MAX_R = 32
export const SCRYPT_MAX_P = 16
export const SCRYPT_SALT_LENGTH = 16

/**
 * Parsed ATT addresses kept (address → root public key). Parsing a secp256k1 peer id decompresses
 * its point in pure JS (~1 ms): every directory record check parsed the same few addresses again.
 */
export const MAX_PARSED_ADDRESS_CACHE = 4096

/** Format tag and version of a device bundle file (`attn device export`). */
export const DEVICE_BUNDLE_FORMAT = 'attn-device-bundle'
export const DEVICE_BUNDLE_VERSION = 1
/** Largest device bundle file read, bytes (a real one is about 1 KiB). */
export const MAX_DEVICE_BUNDLE_BYTES = 16 * 1024
/** Length of the passphrase check value in a device bundle, bytes. */
export const DEVICE_BUNDLE_CHECK_LENGTH = 16
