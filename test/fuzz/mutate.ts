/**
 * Input generators of the decoder fuzzer: random bytes, and mutations of valid encodings (bit
 * flips, byte overwrites with boundary values, truncations, extensions, insertions, deletions,
 * length-field tampering). Mutations are described as data and applied in `.map`, so fast-check
 * can shrink them like any other value.
 */
import fc from 'fast-check'

type Width = 1 | 2 | 4 | 'varint'

type Op =
  | { k: 'flip', pos: number, bit: number }
  | { k: 'set', pos: number, v: number }
  | { k: 'truncate', pos: number }
  | { k: 'extend', bytes: Uint8Array }
  | { k: 'insert', pos: number, bytes: Uint8Array }
  | { k: 'delete', pos: number, n: number }
  | { k: 'length', pos: number, width: Width, v: number }
  | { k: 'nudge', pos: number, width: 1 | 2 | 4, delta: number }
  | { k: 'duplicate', pos: number, n: number }

/** Values a length or count field is worth testing with. */
const BOUNDARY = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff]

const boundaryByte = fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff)
const lengthValue = fc.oneof(fc.constantFrom(...BOUNDARY), fc.nat({ max: 0xffffffff }), fc.nat({ max: 300 }))
const pos = fc.nat()

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('flip' as const), pos, bit: fc.nat({ max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('set' as const), pos, v: fc.oneof(boundaryByte, fc.nat({ max: 255 })) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('truncate' as const), pos }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('insert' as const), pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), pos, n: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('length' as const), pos, width: fc.constantFrom<Width>(1, 2, 4, 'varint'), v: lengthValue }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('nudge' as const), pos, width: fc.constantFrom<1 | 2 | 4>(1, 2, 4), delta: fc.integer({ min: -3, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('duplicate' as const), pos, n: fc.integer({ min: 1, max: 64 }) }) }
)

function varint (v: number): number[] {
  const out: number[] = []
  let n = v
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return out
}

function splice (b: Uint8Array, at: number, remove: number, insert: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length)
  out.set(b.subarray(0, at), 0)
  out.set(insert, at)
  out.set(b.subarray(at + remove), at + insert.length)
  return out
}

/** Big-endian bytes of `v` in `width` bytes (truncated to the width). */
function be (v: number, width: 1 | 2 | 4): number[] {
  const out: number[] = []
  for (let i = width - 1; i >= 0; i--) out.push(Math.floor(v / 2 ** (8 * i)) & 0xff)
  return out
}

function readBe (b: Uint8Array, at: number, width: 1 | 2 | 4): number {
  let v = 0
  for (let i = 0; i < width; i++) v = v * 256 + (b[at + i] ?? 0)
  return v
}

export function applyOp (input: Uint8Array, o: Op): Uint8Array {
  const n = input.length
  const at = (p: number): number => n === 0 ? 0 : p % n
  switch (o.k) {
    case 'flip': {
      if (n === 0) return input
      const out = input.slice(); out[at(o.pos)] ^= 1 << o.bit; return out
    }
    case 'set': {
      if (n === 0) return input
      const out = input.slice(); out[at(o.pos)] = o.v; return out
    }
    case 'truncate': return input.slice(0, at(o.pos))
    case 'extend': return splice(input, n, 0, o.bytes)
    case 'insert': return splice(input, n === 0 ? 0 : o.pos % (n + 1), 0, o.bytes)
    case 'delete': { const p = at(o.pos); return splice(input, p, Math.min(o.n, n - p), []) }
    case 'length': {
      const p = at(o.pos)
      if (o.width === 'varint') {
        // replace the varint starting at p (or one byte) by an encoding of v
        let end = p
        while (end < n && end - p < 9 && (input[end] & 0x80) !== 0) end++
        return splice(input, p, Math.min(end + 1, n) - p, varint(o.v))
      }
      const w = Math.min(o.width, n - p) as 1 | 2 | 4
      if (w <= 0) return input
      return splice(input, p, w, be(o.v, o.width).slice(o.width - w))
    }
    case 'nudge': {
      const p = at(o.pos)
      if (p + o.width > n) return input
      const v = (readBe(input, p, o.width) + o.delta + 2 ** (8 * o.width)) % 2 ** (8 * o.width)
      return splice(input, p, o.width, be(v, o.width))
    }
    case 'duplicate': {
      const p = at(o.pos)
      return splice(input, p, 0, input.subarray(p, Math.min(n, p + o.n)))
    }
  }
}

/** Mutations (1–4 operations) of one of `seeds`. */
export function mutated (seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error('mutated() needs at least one seed')
  return fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(op, { minLength: 1, maxLength: 4 }))
    .map(([i, ops]) => ops.reduce((b, o) => applyOp(b, o), seeds[i]))
}

export interface InputSpace {
  /** Valid encodings: mutated, and also fed as they are. */
  seeds: Uint8Array[]
  /** Longest random input (default 512 bytes). */
  maxLength?: number
  /** Grammar-aware inputs of the target (e.g. random plaintext sealed under the right key). */
  extra?: fc.Arbitrary<Uint8Array>
}

/** What a target is fed: random bytes, the seeds, their mutations, and its own generators. */
export function inputsOf (space: InputSpace): fc.Arbitrary<Uint8Array> {
  const arbs: Array<fc.WeightedArbitrary<Uint8Array>> = [
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: space.maxLength ?? 512 }) }
  ]
  if (space.seeds.length > 0) {
    arbs.push({ weight: 6, arbitrary: mutated(space.seeds) })
    arbs.push({ weight: 1, arbitrary: fc.constantFrom(...space.seeds).map(s => s.slice()) })
  }
  if (space.extra != null) arbs.push({ weight: 4, arbitrary: space.extra })
  return fc.oneof(...arbs)
}
