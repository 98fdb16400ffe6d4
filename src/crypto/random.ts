import { randomBytes as nodeRandomBytes, randomFillSync } from 'node:crypto'
import { InvalidLengthError } from './errors.js'

/** Fresh crypto-grade random bytes (one CSPRNG call); use for keys, salts and nonces. */
export function randomBytes (n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidLengthError(`randomBytes: bad length ${n}`)
  const b = nodeRandomBytes(n)
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}

/** Size of the pool behind `pooledRandom`; refilled with one `randomFillSync` when used up. */
export const RANDOM_POOL_SIZE = 64 * 1024

const pool = new Uint8Array(RANDOM_POOL_SIZE)
let poolPos = RANDOM_POOL_SIZE

/**
 * Copies `n` bytes of CSPRNG output into `dst` at `offset`, taken from a pooled buffer.
 * Each pool byte is handed out once. Meant for non-secret randomness (padding): one
 * syscall per 64 KiB rather than one per frame.
 */
export function pooledRandomInto (dst: Uint8Array, offset: number, n: number): void {
  if (n > RANDOM_POOL_SIZE) {
    randomFillSync(dst, offset, n)
    return
  }
  if (poolPos + n > RANDOM_POOL_SIZE) {
    randomFillSync(pool)
    poolPos = 0
  }
  dst.set(pool.subarray(poolPos, poolPos + n), offset)
  poolPos += n
}

/** `n` non-secret random bytes (e.g. padding) from the pool; a fresh array the caller owns. */
export function pooledRandom (n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidLengthError(`pooledRandom: bad length ${n}`)
  const out = new Uint8Array(n)
  pooledRandomInto(out, 0, n)
  return out
}

/** A uniformly random integer in [0, bound) (bound ≤ 2^16) from the pool, without modulo bias. */
export function pooledRandomInt (bound: number): number {
  if (!Number.isInteger(bound) || bound <= 0 || bound > 0x10000) throw new InvalidLengthError(`pooledRandomInt: bad bound ${bound}`)
  if (bound === 1) return 0
  const limit = 0x10000 - (0x10000 % bound)
  for (;;) {
    // two pool bytes read in place (a sender draws one per record: no array per draw)
    if (poolPos + 2 > RANDOM_POOL_SIZE) {
      randomFillSync(pool)
      poolPos = 0
    }
    const v = (pool[poolPos] << 8) | pool[poolPos + 1]
    poolPos += 2
    if (v < limit) return v % bound
  }
}
