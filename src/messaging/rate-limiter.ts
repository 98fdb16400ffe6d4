/**
 * Token buckets by key (sender identity, network source …): `rate` tokens per second up to
 * `burst`. At most `maxKeys` buckets are kept; past it the least recently used one is dropped
 * (a dropped key starts again with a full bucket, which only errs toward serving).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (private readonly rate: number, private readonly burst: number, private readonly maxKeys: number, private readonly clock: () => number = Date.now) {}

  /** Takes one token for `key`; false when its bucket is empty. */
  take (key: string): boolean {
    const now = this.clock()
    let b = this.buckets.get(key)
    if (b == null) {
      b = { tokens: this.burst, at: now }
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value
        if (oldest != null) this.buckets.delete(oldest)
      }
    } else {
      // re-insert: Map order is the LRU order
      this.buckets.delete(key)
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.rate / 1000)
      b.at = now
    }
    this.buckets.set(key, b)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  get size (): number {
    return this.buckets.size
  }
}
