/** One figure of `npm run bench`: our number beside a baseline measured in the same run. */
export interface BenchResult {
  /** Stable name, tracked over time (see bench/README.md). */
  name: string
  ours: number
  /** Baseline measured in the same run; null for absolute figures. */
  baseline: number | null
  unit: string
  /** ours / baseline (or the figure itself for absolute ones). */
  ratio: number | null
  /** Human-readable goal, e.g. "<= 1.3" or ">= 0.4". */
  goal: string
  /** Whether the goal is met in this run. */
  met: boolean
  /** Optional remark printed under the table (why a goal is missed, etc.). */
  note?: string
}

export interface BenchOptions {
  quick: boolean
}

export type BenchSuite = (opts: BenchOptions) => Promise<BenchResult[]>

/** Builds a result and evaluates its goal. `goal` is "<= x" or ">= x". */
export function result (name: string, ours: number, baseline: number | null, unit: string, goal: string, note?: string): BenchResult {
  const ratio = baseline == null ? ours : ours / baseline
  const m = /^(<=|>=)\s*([0-9.]+)$/.exec(goal.trim())
  let met = true
  if (m != null) {
    const limit = Number(m[2])
    met = m[1] === '<=' ? ratio <= limit : ratio >= limit
  }
  return { name, ours, baseline, unit, ratio, goal, met, note }
}
