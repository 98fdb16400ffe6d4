/**
 * Carrier-independent crypto wrappers over node:crypto. Long-lived symmetric keys are
 * `KeyObject`s (measured: raw-Buffer keys cost ~10 µs more per call on Node 24, as node:crypto imports the key each time).
 */
export { secretKey, hmacSha256, hmacSha512, sha256 } from './hmac.js'
export { hkdfSha256 } from './hkdf.js'
export { aes256GcmSeal, aes256GcmOpen } from './aes.js'
export { x25519GenerateKeyPair, x25519PublicKey, x25519SharedSecret } from './x25519.js'
export { AES_KEY_LENGTH, GCM_IV_LENGTH, GCM_TAG_LENGTH, X25519_KEY_LENGTH } from './constants.js'
export { randomBytes, pooledRandom, pooledRandomInto, pooledRandomInt, RANDOM_POOL_SIZE } from './random.js'
export { constantTimeEqual } from './compare.js'
export { DecryptFailedError, X25519LowOrderError, InvalidKeyLengthError, InvalidLengthError } from './errors.js'
export type { KeyObject } from 'node:crypto'
