/** Lengths of the crypto primitives (each defined here once; other layers import them). */

/** AES-256 key length in bytes. */
export const AES_KEY_LENGTH = 32
/** AES-GCM IV (nonce) length in bytes. */
export const GCM_IV_LENGTH = 12
/** AES-GCM tag length in bytes (appended to the ciphertext). */
export const GCM_TAG_LENGTH = 16
/** X25519 private key, public key and shared-secret length. */
export const X25519_KEY_LENGTH = 32
