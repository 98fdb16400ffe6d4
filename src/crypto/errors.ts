import { AttnError } from '../errors.js'

/**
 * AES-GCM authentication failed: wrong key, wrong AAD, or tampered ciphertext/tag. The one
 * decryption error of the code base (`ERR_DECRYPT_FAILED`): the messaging layer raises it too.
 */
export class DecryptFailedError extends AttnError {
  constructor (message = 'decryption failed: authentication tag mismatch', options?: ErrorOptions) { super(message, 'ERR_DECRYPT_FAILED', options) }
}

/** X25519 produced the all-zero shared secret: the peer key is a low-order point. */
export class X25519LowOrderError extends AttnError {
  constructor (message = 'X25519 shared secret is all zero (low-order public key)') { super(message, 'ERR_X25519_LOW_ORDER') }
}

/** A key, IV or other fixed-size crypto input has the wrong length. */
export class InvalidKeyLengthError extends AttnError {
  constructor (what: string, expected: number | string, got: number) {
    super(`${what} must be ${expected} bytes, got ${got}`, 'ERR_INVALID_KEY_LENGTH')
  }
}

/** A crypto primitive was asked for an output length it cannot produce. */
export class InvalidLengthError extends AttnError {
  constructor (message: string) { super(message, 'ERR_INVALID_LENGTH') }
}

/** A secp256k1 private or public key is not a valid scalar / curve point (`ERR_SECP256K1_INVALID_KEY`). */
export class Secp256k1InvalidKeyError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_SECP256K1_INVALID_KEY', options) }
}
