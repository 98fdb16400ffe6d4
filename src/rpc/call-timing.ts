/**
 * Latency histograms of RPC calls by direction, method and outcome, for `/metrics`.
 *
 * Method names and error codes can come from a remote peer, so the number of series is capped:
 * received calls are labelled only with methods registered here (else `unknown`), and once
 * MAX_CALL_TIMING_SERIES series exist, new combinations fold into method `other`, outcome `other`;
 * a method's outcomes beyond MAX_OUTCOMES_PER_METHOD fold into outcome `other`.
 * A stranger can thus make us keep at most a fixed, small table.
 */

/** Upper bounds of the histogram buckets, in seconds (the last bucket is +Inf). */
export const CALL_TIMING_BUCKETS_S: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** Most (direction, method, outcome) series kept. */
export const MAX_CALL_TIMING_SERIES = 256

/** Most distinct outcomes per (direction, method): a peer choosing error codes cannot crowd out the rest. */
export const MAX_OUTCOMES_PER_METHOD = 16

export type CallDirection = 'out' | 'in'

/** One series: cumulative-free bucket counts (index i counts values ≤ bucket i; last = above all). */
export interface CallTimingSeries {
  readonly direction: CallDirection
  readonly method: string
  /** `ok` or the error code the call ended with. */
  readonly outcome: string
  readonly buckets: number[]
  count: number
  /** Sum of observed durations, in seconds. */
  sum: number
}

export class CallTiming {
  private readonly series = new Map<string, CallTimingSeries>()
  private readonly outcomes = new Map<string, number>()
  /** The series of the last observation per direction: a run of calls of one method and outcome skips the key. */
  private lastIn?: CallTimingSeries
  private lastOut?: CallTimingSeries

  /** Records one finished call that took `ms` milliseconds. */
  observe (direction: CallDirection, method: string, outcome: string, ms: number): void {
    const last = direction === 'in' ? this.lastIn : this.lastOut
    if (last !== undefined && last.method === method && last.outcome === outcome) {
      add(last, ms)
      return
    }
    let key = `${direction} ${method} ${outcome}`
    let s = this.series.get(key)
    if (s == null && outcome !== 'other' && (this.outcomes.get(`${direction} ${method}`) ?? 0) >= MAX_OUTCOMES_PER_METHOD - 1) {
      outcome = 'other'
      key = `${direction} ${method} other`
      s = this.series.get(key)
    }
    if (s == null) {
      if (this.series.size >= MAX_CALL_TIMING_SERIES) {
        method = 'other'
        outcome = 'other'
        key = `${direction} other other`
        s = this.series.get(key)
      }
      if (s == null) {
        s = { direction, method, outcome, buckets: new Array<number>(CALL_TIMING_BUCKETS_S.length + 1).fill(0), count: 0, sum: 0 }
        this.series.set(key, s)
        const m = `${direction} ${method}`
        this.outcomes.set(m, (this.outcomes.get(m) ?? 0) + 1)
      }
    }
    if (direction === 'in') this.lastIn = s
    else this.lastOut = s
    add(s, ms)
  }

  /** A snapshot of every series (copies: safe to keep). */
  snapshot (): CallTimingSeries[] {
    return [...this.series.values()].map(s => ({ ...s, buckets: [...s.buckets] }))
  }
}

function add (s: CallTimingSeries, ms: number): void {
  const seconds = Math.max(0, ms) / 1000
  let i = 0
  while (i < CALL_TIMING_BUCKETS_S.length && seconds > CALL_TIMING_BUCKETS_S[i]) i++
  s.buckets[i]++
  s.count++
  s.sum += seconds
}
