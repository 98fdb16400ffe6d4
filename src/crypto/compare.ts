import { timingSafeEqual } from 'node:crypto'

/** Constant-time equality of two byte strings; different lengths compare unequal (length is not secret). */
export function constantTimeEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  return timingSafeEqual(a, b)
}
