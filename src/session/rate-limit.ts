/** A token-bucket rate: up to `burst` at once, refilled at `perSecond`. */
export interface Rate {
  burst: number
  perSecond: number
}

interface Bucket { tokens: number, at: number }

/**
 * Token buckets by key (peer id, IP prefix, or one key for the node), with a bounded number of
 * keys: the least recently used bucket is forgotten first. A forgotten key starts again with a
 * full burst, so the key cap must be well above the number of active peers; a node-wide bucket
 * bounds the total regardless.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, Bucket>()

  constructor (readonly rate: Rate, private readonly maxKeys: number, private readonly now: () => number = Date.now) {}

  get size (): number { return this.buckets.size }

  /** Whether `key` has a whole token now (refilling first); takes nothing. */
  has (key: string): boolean {
    return this.refill(key).tokens >= 1
  }

  /** Takes one token of `key` (call after `has`). */
  take (key: string): void {
    const b = this.refill(key)
    b.tokens -= 1
  }

  private refill (key: string): Bucket {
    const now = this.now()
    let b = this.buckets.get(key)
    if (b == null) {
      b = { tokens: this.rate.burst, at: now }
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value
        if (oldest != null) this.buckets.delete(oldest)
      }
    } else {
      b.tokens = Math.min(this.rate.burst, b.tokens + (now - b.at) * this.rate.perSecond / 1000)
      b.at = now
      this.buckets.delete(key) // re-inserted below: Map order is the LRU order
    }
    this.buckets.set(key, b)
    return b
  }
}

/**
 * The key of a remote IP for per-IP limits: the IPv4 address, or the /64 prefix of an IPv6
 * address (one subscriber usually holds a whole /64). Undefined when the address has no IP.
 */
export function ipKey (components: Array<{ name: string, value?: string }> | undefined): string | undefined {
  for (const c of components ?? []) {
    if (c.name === 'ip4' && c.value != null) return c.value
    if (c.name === 'ip6' && c.value != null) return `${ipv6Prefix64(c.value)}::/64`
  }
  return undefined
}

function ipv6Prefix64 (addr: string): string {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined]
  const left = head === '' ? [] : head.split(':')
  const right = tail == null || tail === '' ? [] : tail.split(':')
  const groups = tail == null ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return groups.slice(0, 4).map(g => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':')
}
