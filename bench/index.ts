/**
 * `npm run bench [-- --quick] [-- --json] [-- --only a,b]`: every figure beside a baseline
 * measured in the same run (bench/README.md).
 *   --quick   fewer/shorter batches (all of it in well under 2 minutes)
 *   --json    the LAST line of stdout is a JSON array of the results (NaN is written as null)
 *   --only    comma-separated figure names
 *   --smoke   tiny iteration counts: checks the plumbing only, the figures mean nothing
 *   --list    print the figure names and exit
 */
import { BenchContext, environment, fmt, unavailable, withTimeout, type Figure, type HarnessOptions } from './harness.js'
import { floodP99 } from './flood.bench.js'
import { groupFanout } from './group.bench.js'
import { mailboxStore } from './messaging.bench.js'
import { envelopeRatchet, envelopeRatchetPingpong } from './ratchet.bench.js'
import { loadFactor, networkFigures } from './network.bench.js'
import { messageThroughput } from './throughput.bench.js'
import { recordFigures } from './record.bench.js'
import { rpcFigures } from './rpc.bench.js'
import { carrierFigures } from './carriers.bench.js'
import { rewardsFigures } from './rewards.bench.js'
import { sessionFigures } from './session.bench.js'
import type { BenchResult } from './types.js'

/** Every figure, in run order. */
const FIGURES: Figure[] = [
  ...recordFigures,
  ...rpcFigures,
  ...carrierFigures,
  ...sessionFigures,
  floodP99,
  mailboxStore,
  envelopeRatchet,
  envelopeRatchetPingpong,
  ...networkFigures,
  groupFanout,
  ...rewardsFigures,
  messageThroughput
]

interface Args { opts: HarnessOptions, json: boolean, only?: string[], list: boolean }

function parseArgs (argv: string[]): Args {
  const args: Args = { opts: { quick: false, smoke: false }, json: false, list: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--quick') args.opts.quick = true
    else if (a === '--smoke') { args.opts.smoke = true; args.opts.quick = true } else if (a === '--json') args.json = true
    else if (a === '--list') args.list = true
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length)
      if (v == null || v === '') throw new Error('--only needs a comma-separated list of figure names')
      args.only = v.split(',').map(s => s.trim()).filter(s => s !== '')
    } else throw new Error(`unknown argument ${a} (use --quick, --json, --only a,b, --smoke, --list)`)
  }
  return args
}

function table (results: BenchResult[]): string {
  const head = ['name', 'ours', 'baseline', 'unit', 'ratio', 'goal', 'status']
  const rows = results.map(r => [
    r.name, fmt(r.ours), fmt(r.baseline), r.unit, fmt(r.ratio), r.goal,
    Number.isNaN(r.ours) ? 'n/a' : r.met ? 'met' : 'MISSED'
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 || i === 3 || i === 5 || i === 6 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ').trimEnd()
  return [line(head), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

function notes (results: BenchResult[]): string {
  const out: string[] = []
  for (const r of results) {
    if (r.note == null) continue
    const tag = Number.isNaN(r.ours) ? 'NOT MEASURED' : r.met ? 'note' : `MISSED goal ${r.goal} (ratio ${fmt(r.ratio)})`
    out.push(`- ${r.name} [${tag}]: ${r.note}`)
  }
  return out.join('\n')
}

/** Generous per-figure limit, so that nothing can hang the run. */
function limitMs (opts: HarnessOptions, f: Figure): number {
  // scaled by the load: a bench that dies under load measures nothing
  const scaled = (opts.smoke ? 60_000 : opts.quick ? 90_000 : 300_000) * loadFactor()
  const floor = typeof f.minLimitMs === 'function' ? f.minLimitMs(opts) : (f.minLimitMs ?? 0)
  return opts.smoke ? scaled : Math.max(scaled, floor)
}

async function runBench (args: Args): Promise<BenchResult[]> {
  const selected = args.only == null ? FIGURES : args.only.map(name => {
    const f = FIGURES.find(x => x.name === name)
    if (f == null) throw new Error(`unknown figure ${name}; known: ${FIGURES.map(x => x.name).join(', ')}`)
    return f
  })
  const ctx = new BenchContext()
  const results: BenchResult[] = []
  try {
    for (const f of selected) {
      const t0 = Date.now()
      process.stderr.write(`bench: ${f.name} …`)
      let r: BenchResult
      try {
        r = await withTimeout(f.run(args.opts, ctx), limitMs(args.opts, f), f.name)
      } catch (err: any) {
        r = unavailable(f, `error: ${String(err?.message ?? err)}`, f.name === 'session_memory')
      }
      process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
      results.push(r)
    }
  } finally {
    await withTimeout(ctx.close(), 30_000, 'stopping nodes').catch((err: any) => { console.error(String(err.message)) })
  }
  return results
}

async function main (): Promise<void> {
  let args: Args
  try {
    args = parseArgs(process.argv.slice(2))
  } catch (err: any) {
    console.error(err.message)
    process.exit(2)
  }
  if (args.list) {
    for (const f of FIGURES) console.log(f.name)
    return
  }
  const env = environment()
  const mode = args.opts.smoke ? 'smoke (tiny counts, figures meaningless)' : args.opts.quick ? 'quick' : 'full'
  console.log(`ATT bench — ${env.date}, mode ${mode}`)
  console.log(`node ${env.node} (${env.platform}), ${env.cpus} x ${env.cpu}, load average ${env.loadavg.join(' ')}`)
  console.log('')
  const started = Date.now()
  let results: BenchResult[]
  try {
    results = await runBench(args)
  } catch (err: any) {
    console.error(err.message)
    process.exit(2)
  }
  console.log(table(results))
  const n = notes(results)
  if (n !== '') console.log(`\n${n}`)
  const missed = results.filter(r => !Number.isNaN(r.ours) && !r.met).map(r => r.name)
  const na = results.filter(r => Number.isNaN(r.ours)).map(r => r.name)
  console.log(`\n${results.length} figures in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
    `missed: ${missed.length > 0 ? missed.join(', ') : 'none'}; not measured: ${na.length > 0 ? na.join(', ') : 'none'}; ` +
    `load average now ${environment().loadavg.join(' ')}`)
  if (args.json) {
    const json = results.map(r => ({
      name: r.name,
      ours: Number.isFinite(r.ours) ? r.ours : null,
      baseline: r.baseline != null && Number.isFinite(r.baseline) ? r.baseline : null,
      unit: r.unit,
      ratio: r.ratio != null && Number.isFinite(r.ratio) ? r.ratio : null,
      goal: r.goal,
      met: r.met,
      ...(r.note != null ? { note: r.note } : {})
    }))
    console.log(JSON.stringify(json))
  }
  // libp2p may leave timers behind after stop(): do not wait for them
  process.exit(0)
}

await main()
