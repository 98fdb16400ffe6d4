/** Lengths of the crypto primitives (each defined here once; other layers import them). */

/** AES-256 key length in bytes. */
export const AES_KEY_LENGTH = 32
/** AES-GCM IV (nonce) length in bytes. */
export const GCM_IV_LENGTH = 12
/** AES-GCM tag length in bytes (appended to the ciphertext). */
export const GCM_TAG_LENGTH = 16
/** X25519 private key, public key and shared-secret length. */
export const X25519_KEY_LENGTH = 32
/** secp256k1 raw private key length. */
export const SECP256K1_PRIVATE_KEY_LENGTH = 32
/** secp256k1 compressed public key length (0x02/0x03 ‖ x). */
export const SECP256K1_PUBLIC_KEY_LENGTH = 33
/** secp256k1 uncompressed public key length (0x04 ‖ x ‖ y). */
export const SECP256K1_UNCOMPRESSED_LENGTH = 65
/** secp256k1 compact signature length (r ‖ s). */
export const SECP256K1_SIGNATURE_LENGTH = 64
/** OpenSSL public-key objects kept by the fallback verifier (bounded; oldest goes first). */
export const SECP256K1_KEY_CACHE_SIZE = 1024
/** Imported X25519 public keys kept (peers' identity, prekey and ratchet keys recur; bounded, oldest goes first). */
export const X25519_PUBLIC_KEY_CACHE_SIZE = 256
