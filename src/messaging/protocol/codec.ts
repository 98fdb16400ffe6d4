/**
 * Minimal big-endian byte writer/reader for the hand-laid formats of this layer (envelopes,
 * messages, receipts, group states, sender keys). Every length prefix is explicit; a Reader never
 * reads past the end and `end()` rejects trailing bytes, so every decoder is total.
 */
import { MalformedMessageError } from '../errors.js'

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export const utf8 = (s: string): Uint8Array => enc.encode(s)

export class Writer {
  private readonly parts: Uint8Array[] = []
  private length = 0

  bytes (b: Uint8Array): this { this.parts.push(b); this.length += b.byteLength; return this }
  u8 (n: number): this { return this.bytes(Uint8Array.of(n & 0xff)) }
  u16 (n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`u16 out of range: ${n}`)
    return this.bytes(Uint8Array.of(n >>> 8, n & 0xff))
  }

  u32 (n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`)
    const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return this.bytes(b)
  }

  u64 (n: number | bigint): this {
    const v = BigInt(n)
    if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`u64 out of range: ${n}`)
    const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v); return this.bytes(b)
  }

  /** u8 length | bytes. */
  bytes8 (b: Uint8Array): this {
    if (b.byteLength > 0xff) throw new RangeError('field longer than 255 bytes')
    return this.u8(b.byteLength).bytes(b)
  }

  /** u16 length | bytes. */
  bytes16 (b: Uint8Array): this { return this.u16(b.byteLength).bytes(b) }
  /** u32 length | bytes. */
  bytes32 (b: Uint8Array): this { return this.u32(b.byteLength).bytes(b) }
  string8 (s: string): this { return this.bytes8(utf8(s)) }
  string16 (s: string): this { return this.bytes16(utf8(s)) }

  finish (): Uint8Array {
    const out = new Uint8Array(this.length)
    let o = 0
    for (const p of this.parts) { out.set(p, o); o += p.byteLength }
    return out
  }
}

export class Reader {
  private o = 0
  private readonly view: DataView

  constructor (private readonly buf: Uint8Array, private readonly what: string) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  get offset (): number { return this.o }
  get remaining (): number { return this.buf.byteLength - this.o }

  private need (n: number): void {
    if (this.o + n > this.buf.byteLength) throw new MalformedMessageError(`${this.what} truncated`)
  }

  bytes (n: number): Uint8Array { this.need(n); const b = this.buf.subarray(this.o, this.o + n); this.o += n; return b }
  u8 (): number { this.need(1); return this.buf[this.o++] }
  u16 (): number { this.need(2); const v = this.view.getUint16(this.o); this.o += 2; return v }
  u32 (): number { this.need(4); const v = this.view.getUint32(this.o); this.o += 4; return v }
  u64 (): bigint { this.need(8); const v = this.view.getBigUint64(this.o); this.o += 8; return v }
  /** A u64 that must fit a JS safe integer (times). */
  u64n (): number {
    const v = this.u64()
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedMessageError(`${this.what}: integer too large`)
    return Number(v)
  }

  bytes8 (): Uint8Array { return this.bytes(this.u8()) }
  bytes16 (): Uint8Array { return this.bytes(this.u16()) }
  bytes32 (max: number): Uint8Array {
    const n = this.u32()
    if (n > max) throw new MalformedMessageError(`${this.what}: field of ${n} bytes exceeds ${max}`)
    return this.bytes(n)
  }

  string8 (): string { return this.text(this.bytes8()) }
  string16 (): string { return this.text(this.bytes16()) }
  rest (): Uint8Array { return this.bytes(this.remaining) }
  /** The bytes between two offsets already read (e.g. a header, for AEAD associated data). */
  slice (from: number, to: number): Uint8Array { return this.buf.subarray(from, to) }

  private text (b: Uint8Array): string {
    try { return dec.decode(b) } catch (err) { throw new MalformedMessageError(`${this.what}: invalid UTF-8`, { cause: err }) }
  }

  end (): void {
    if (this.o !== this.buf.byteLength) throw new MalformedMessageError(`${this.what} has ${this.buf.byteLength - this.o} trailing bytes`)
  }
}

export function concat (...parts: Uint8Array[]): Uint8Array {
  const w = new Writer()
  for (const p of parts) w.bytes(p)
  return w.finish()
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  let d = 0
  for (let i = 0; i < a.byteLength; i++) d |= a[i] ^ b[i]
  return d === 0
}

export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.byteLength - b.byteLength
}

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
