/**
 * The one passphrase KDF of the keys layer: scrypt over the NFC-normalised passphrase. The keystore
 * (32-byte key-encryption key per key blob) and device bundles (64 bytes: AEAD key + check key)
 * both derive through it, and both seal with AES-256-GCM from src/crypto.
 */
import { scrypt as scryptCb } from 'node:crypto'

const HEX = /^(?:[0-9a-f]{2})*$/

/** scrypt(NFC(passphrase), salt, N, r, p) → `length` bytes. */
export async function passphraseKey (passphrase: string, salt: Uint8Array, N: number, r: number, p: number, length: number): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    // Node refuses when 128·N·r·p exceeds maxmem (32 MiB by default, exactly what N=2^15, r=8 needs).
    scryptCb(passphrase.normalize('NFC'), salt, length, { N, r, p, maxmem: 256 * N * r * p + (1 << 20) }, (err, key) => {
      if (err != null) reject(err)
      else resolve(key)
    })
  })
}

/** Lowercase hex of whole bytes (of exactly `bytes` bytes when given). */
export function isHex (value: unknown, bytes?: number): value is string {
  return typeof value === 'string' && HEX.test(value) && (bytes === undefined || value.length === bytes * 2)
}

/** A scrypt cost N the keys layer accepts: a power of two, 2 … max. */
export function isScryptN (n: unknown, max: number): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 2 && (n & (n - 1)) === 0 && n <= max
}
