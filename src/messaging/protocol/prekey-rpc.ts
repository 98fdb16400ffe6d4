/**
 * `prekey.put` / `prekey.take` (messaging.md §10.8): one-time prekeys a device leaves at its
 * mailboxes, each handed out once to a sender that starts a session with that device.
 */
import { MAX_ADDRESS_LENGTH, MAX_PREKEY_PUT_BATCH, SIGNATURE_LENGTH, X25519_KEY_LENGTH } from '../constants.js'
import { MalformedMessageError } from '../errors.js'
import { Reader, Writer } from './codec.js'
import type { SignedPrekeyPublic } from './device-prekeys.js'

export const METHOD_PREKEY_PUT = 'prekey.put'
export const METHOD_PREKEY_TAKE = 'prekey.take'

function writeKey (w: Writer, k: SignedPrekeyPublic): void {
  w.u32(k.id).bytes(k.publicKey).u64(k.expiresAt).bytes(k.signature)
}

function readKey (r: Reader): SignedPrekeyPublic {
  return { id: r.u32(), publicKey: r.bytes(X25519_KEY_LENGTH).slice(), expiresAt: r.u64n(), signature: r.bytes(SIGNATURE_LENGTH).slice() }
}

function readDevice (r: Reader): string {
  const d = r.string8()
  if (d.length === 0 || d.length > MAX_ADDRESS_LENGTH) throw new MalformedMessageError('bad device id')
  return d
}

/** prekey.put params: `str8 device_id | u16 count | (u32 id | public_key(32) | u64 expires_at | signature(64))*` (count 0: only ask how many are held). */
export function encodePrekeyPut (deviceId: string, keys: SignedPrekeyPublic[]): Uint8Array {
  const w = new Writer().string8(deviceId).u16(keys.length)
  for (const k of keys) writeKey(w, k)
  return w.finish()
}

export function decodePrekeyPut (bytes: Uint8Array): { deviceId: string, keys: SignedPrekeyPublic[] } {
  const r = new Reader(bytes, 'prekey.put request')
  const deviceId = readDevice(r)
  const n = r.u16()
  if (n > MAX_PREKEY_PUT_BATCH) throw new MalformedMessageError(`at most ${MAX_PREKEY_PUT_BATCH} keys per prekey.put`)
  const keys: SignedPrekeyPublic[] = []
  for (let i = 0; i < n; i++) keys.push(readKey(r))
  r.end()
  if (new Set(keys.map(k => k.id)).size !== keys.length) throw new MalformedMessageError('duplicate one-time prekey id')
  return { deviceId, keys }
}

/** prekey.put result: `u16 held` (the device's keys the mailbox holds now). */
export function encodeHeld (n: number): Uint8Array { return new Writer().u16(Math.min(n, 0xffff)).finish() }
export function decodeHeld (bytes: Uint8Array): number {
  const r = new Reader(bytes, 'prekey.put response'); const n = r.u16(); r.end(); return n
}

/** prekey.take params: `str8 owner_address | str8 device_id`. */
export function encodePrekeyTake (owner: string, deviceId: string): Uint8Array {
  return new Writer().string8(owner).string8(deviceId).finish()
}

export function decodePrekeyTake (bytes: Uint8Array): { owner: string, deviceId: string } {
  const r = new Reader(bytes, 'prekey.take request')
  const owner = readDevice(r)
  const deviceId = readDevice(r)
  r.end()
  return { owner, deviceId }
}

/** prekey.take result: `u8 0` (none left) or `u8 1 | key`. */
export function encodeTaken (k?: SignedPrekeyPublic): Uint8Array {
  const w = new Writer()
  if (k == null) return w.u8(0).finish()
  w.u8(1); writeKey(w, k); return w.finish()
}

export function decodeTaken (bytes: Uint8Array): SignedPrekeyPublic | undefined {
  const r = new Reader(bytes, 'prekey.take response')
  const found = r.u8()
  if (found > 1) throw new MalformedMessageError('bad prekey.take flag')
  const k = found === 1 ? readKey(r) : undefined
  r.end()
  return k
}
