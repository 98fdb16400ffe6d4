/**
 * Discrete-event core of the simulation (bench/README.md §Simulation): a virtual clock, a timer
 * heap, a seeded PRNG, and a lossy network with per-link latency that carries RPCs between
 * simulated nodes. Nothing here waits for wall-clock time: a virtual minute costs what its
 * events cost in CPU.
 */

/** mulberry32: small, fast, seeded (runs are reproducible for a seed). */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Timer { at: number, seq: number, fn: () => void }

/** Virtual time in ms; timers run in (time, insertion) order. */
export class Clock {
  now = 0
  private seq = 0
  private readonly heap: Timer[] = []
  events = 0

  at (t: number, fn: () => void): void {
    const timer = { at: Math.max(t, this.now), seq: this.seq++, fn }
    const h = this.heap
    h.push(timer)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (less(h[p], h[i])) break
      ;[h[p], h[i]] = [h[i], h[p]]
      i = p
    }
  }

  after (ms: number, fn: () => void): void { this.at(this.now + ms, fn) }

  sleep (ms: number): Promise<void> {
    return new Promise(resolve => { this.after(ms, resolve) })
  }

  private pop (): Timer | undefined {
    const h = this.heap
    if (h.length === 0) return undefined
    const top = h[0]
    const last = h.pop() as Timer
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && less(h[l], h[m])) m = l
        if (r < h.length && less(h[r], h[m])) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i], h[m]]
        i = m
      }
    }
    return top
  }

  /**
   * Runs timers up to virtual time `end`. After the timers of one instant, the promise jobs they
   * started run (setImmediate drains microtasks) before the clock moves on.
   */
  async runUntil (end: number): Promise<void> {
    for (;;) {
      const next = this.heap[0]
      if (next == null || next.at > end) break
      this.now = next.at
      while (this.heap.length > 0 && this.heap[0].at === this.now) {
        (this.pop() as Timer).fn()
        this.events++
      }
      await new Promise(resolve => setImmediate(resolve))
    }
    this.now = Math.max(this.now, end)
  }
}

function less (a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

/** Something that answers RPCs (a simulated node). */
export interface Endpoint {
  readonly index: number
  online: boolean
  handle (from: number, method: string, params: any): any
}

export interface NetworkOptions {
  /** One-way latency range per link, ms. */
  latencyMs: [number, number]
  /** Loss probability range per link (each request and each response). */
  loss: [number, number]
}

/** Links between endpoints: each link's latency and loss are fixed for the run (hashed from the pair). */
export class Network {
  readonly endpoints: Endpoint[] = []
  packets = 0
  lost = 0

  constructor (readonly clock: Clock, readonly opts: NetworkOptions, private readonly seed: number) {}

  private linkHash (a: number, b: number): number {
    const lo = Math.min(a, b)
    const hi = Math.max(a, b)
    let h = Math.imul(lo ^ 0x9E3779B9, 0x85EBCA6B) ^ Math.imul(hi + this.seed, 0xC2B2AE35)
    h ^= h >>> 13
    h = Math.imul(h, 0x27D4EB2F)
    return ((h ^ (h >>> 15)) >>> 0) / 4294967296
  }

  latency (a: number, b: number): number {
    const [lo, hi] = this.opts.latencyMs
    return lo + this.linkHash(a, b) * (hi - lo)
  }

  lossRate (a: number, b: number): number {
    const [lo, hi] = this.opts.loss
    return lo + this.linkHash(b + 7919, a + 104729) * (hi - lo)
  }

  /**
   * One RPC: the request and the answer each cross the link (latency, loss); an endpoint that is
   * offline, or a lost packet, shows as a timeout. The handler may return a promise.
   */
  async call (from: number, to: number, method: string, params: any, timeoutMs: number, rand: () => number): Promise<any> {
    const src = this.endpoints[from]
    const dst = this.endpoints[to]
    const oneWay = this.latency(from, to)
    const loss = this.lossRate(from, to)
    return await new Promise((resolve, reject) => {
      let done = false
      this.clock.after(timeoutMs, () => { if (!done) { done = true; reject(new SimTimeoutError(method)) } })
      this.packets++
      if (rand() < loss) { this.lost++; return }
      this.clock.after(oneWay, () => {
        if (!dst.online || !src.online) return
        Promise.resolve().then(() => dst.handle(from, method, params)).then((answer) => {
          this.packets++
          if (rand() < loss) { this.lost++; return }
          this.clock.after(oneWay, () => {
            if (done || !src.online) return
            done = true
            resolve(answer)
          })
        }, (err) => {
          this.clock.after(oneWay, () => { if (!done) { done = true; reject(err) } })
        })
      })
    })
  }
}

export class SimTimeoutError extends Error {
  readonly code = 'ERR_SIM_TIMEOUT'
  constructor (method: string) {
    super(`${method} timed out`)
    this.name = 'SimTimeoutError'
  }
}
