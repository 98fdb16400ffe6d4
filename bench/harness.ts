/**
 * Shared bench helpers: statistics, CPU-bound timing loops, environment report, the figure
 * registry type, and "not available" results. Every figure of `npm run bench` is one
 * {@link Figure}: a name and a function returning one {@link BenchResult}.
 */
import { cpus, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { result, type BenchOptions, type BenchResult } from './types.js'

/** Options every figure receives. `smoke` = tiny iteration counts (schema test only; figures are meaningless). */
export interface HarnessOptions extends BenchOptions {
  smoke: boolean
}

/** One figure of the bench: adding a figure = one function + one entry in bench/index.ts. */
export interface Figure {
  name: string
  /** Unit and goal, used to report the figure when it fails or times out. */
  unit: string
  goal: string
  /** A floor for the run's per-figure time limit outside smoke mode, ms (a figure with a long set-up; may depend on the options). */
  minLimitMs?: number | ((opts: HarnessOptions) => number)
  run: (opts: HarnessOptions, ctx: BenchContext) => Promise<BenchResult>
}

/** Resources shared by figures of one run (e.g. a pair of nodes), released by `close()`. */
export class BenchContext {
  private readonly shared = new Map<string, Promise<unknown>>()
  private readonly closers: Array<() => Promise<void>> = []

  /** Builds the resource under `key` once per run; `close` is called at the end of the run. */
  async get<T> (key: string, make: () => Promise<T>, close: (t: T) => Promise<void>): Promise<T> {
    let p = this.shared.get(key) as Promise<T> | undefined
    if (p == null) {
      p = make()
      this.shared.set(key, p)
      this.closers.push(async () => { await close(await p as T) })
    }
    return await p
  }

  /** Registers a cleanup for the end of the run. */
  defer (fn: () => Promise<void>): void { this.closers.push(fn) }

  async close (): Promise<void> {
    for (const fn of this.closers.splice(0).reverse()) {
      await fn().catch((err: any) => { console.error(`bench cleanup: ${String(err?.message ?? err)}`) })
    }
    this.shared.clear()
  }
}

export function median (xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Nearest-rank percentile, p in 0..100. */
export function percentile (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))
  return s[i]
}

export function mean (xs: number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length
}

export const now = (): number => performance.now()

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Polls `check` until it is true; throws after `timeoutMs` (errors count as "not yet" and the last one is reported). */
export async function until (what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, interval = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (err) {
      last = err
    }
    await sleep(interval)
  }
  throw new Error(`timed out waiting for ${what}${last != null ? `: ${String((last as Error).message ?? last)}` : ''}`)
}

/** Rejects after `ms` (so that no figure can hang the run). */
export async function withTimeout<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const t = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`${what} timed out after ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([p, t])
  } finally {
    clearTimeout(timer)
  }
}

export type Op = () => void

/** Runs `op` for ~`ms`, returns MB/s of `bytes` per op. */
export function timeOp (op: Op, bytes: number, ms: number): number {
  let iters = 0
  const start = now()
  const deadline = start + ms
  let t = start
  while (t < deadline) {
    for (let i = 0; i < 16; i++) op()
    iters += 16
    t = now()
  }
  return (iters * bytes) / ((t - start) / 1000) / 1e6
}

/** Interleaved rounds of each CPU-bound op after a warm-up; medians in MB/s. */
export function compare (ops: Op[], bytes: number, rounds: number, ms: number): number[] {
  for (const op of ops) timeOp(op, bytes, ms)
  const samples: number[][] = ops.map(() => [])
  for (let r = 0; r < rounds; r++) {
    ops.forEach((op, i) => { samples[i].push(timeOp(op, bytes, ms)) })
  }
  return samples.map(median)
}

/**
 * Interleaved asynchronous batches: `warmup` batches of each, then `rounds` rounds of
 * [ours, baseline] (order alternating per round); returns every batch's figure for each.
 */
export async function interleave (batches: Array<() => Promise<number>>, rounds: number, warmup = 1): Promise<number[][]> {
  for (let w = 0; w < warmup; w++) for (const b of batches) await b()
  const out: number[][] = batches.map(() => [])
  for (let r = 0; r < rounds; r++) {
    const order = batches.map((_, i) => i)
    if (r % 2 === 1) order.reverse()
    for (const i of order) out[i].push(await batches[i]())
  }
  return out
}

/** A figure that cannot be measured in this run (layer missing, error, timeout): ours = NaN. */
export function unavailable (f: Pick<Figure, 'name' | 'unit' | 'goal'>, note: string, absolute = false): BenchResult {
  const r = result(f.name, NaN, absolute ? null : NaN, f.unit, f.goal, note)
  r.met = false
  return r
}

export interface BenchEnvironment {
  node: string
  cpu: string
  cpus: number
  loadavg: number[]
  platform: string
  date: string
}

export function environment (): BenchEnvironment {
  const c = cpus()
  return {
    node: process.version,
    cpu: c[0]?.model.trim() ?? 'unknown',
    cpus: c.length,
    loadavg: loadavg().map(x => Math.round(x * 100) / 100),
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString()
  }
}

export function fmt (x: number | null | undefined, digits = 3): string {
  if (x == null) return '-'
  if (Number.isNaN(x)) return 'NaN'
  const a = Math.abs(x)
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(2)
  if (a >= 100) return x.toFixed(1)
  return x.toPrecision(digits)
}
