/**
 * `npm run sim [-- --nodes N] [-- --json]`: N simulated ATT nodes (default 1000) on a lossy
 * network with churn (bench/README.md §Simulation). Prints a table, writes
 * bench/results/sim-<N>.svg and .md; with --json the LAST line of stdout is one JSON object.
 *   --nodes N  --seed S  --minutes M (traffic with churn)  --drain M  --rate R (msgs/node/min)
 *   --churn F (fraction/min)  --out DIR (default bench/results)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_SIM, runSim, type SimOptions } from './run.js'
import { svg, table } from './report.js'

function parse (argv: string[]): { opts: SimOptions, json: boolean, out: string } {
  const opts = { ...DEFAULT_SIM }
  let json = false
  let out = 'bench/results'
  const num = (v: string | undefined, name: string): number => {
    const x = Number(v)
    if (v == null || !Number.isFinite(x) || x < 0) throw new Error(`${name} needs a number`)
    return x
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--json') json = true
    else if (a === '--nodes') opts.nodes = Math.max(3, Math.floor(num(argv[++i], a)))
    else if (a === '--seed') opts.seed = num(argv[++i], a)
    else if (a === '--minutes') opts.minutes = num(argv[++i], a)
    else if (a === '--drain') opts.drainMinutes = num(argv[++i], a)
    else if (a === '--rate') opts.rate = num(argv[++i], a)
    else if (a === '--churn') opts.churn = num(argv[++i], a)
    else if (a === '--out') out = argv[++i] ?? out
    else throw new Error(`unknown argument ${a} (use --nodes N, --json, --seed, --minutes, --drain, --rate, --churn, --out)`)
  }
  return { opts, json, out }
}

async function main (): Promise<void> {
  let args
  try {
    args = parse(process.argv.slice(2))
  } catch (err: any) {
    console.error(err.message)
    process.exit(2)
  }
  const { opts, json, out } = args
  console.log(`ATT sim — ${new Date().toISOString()}, node ${process.version}, load average ${loadavg().map(x => x.toFixed(2)).join(' ')}`)
  const r = await runSim({ ...opts, log: (line) => { process.stderr.write(line + '\n') } })
  const t = table(r)
  console.log(t)
  mkdirSync(out, { recursive: true })
  const base = join(out, `sim-${r.nodes}`)
  writeFileSync(`${base}.svg`, svg(r))
  writeFileSync(`${base}.md`, `# ATT simulation, ${r.nodes} nodes (${new Date().toISOString()}, load average ${loadavg().map(x => x.toFixed(2)).join(' ')})\n\n${t}\n\n![plot](sim-${r.nodes}.svg)\n`)
  console.log(`wrote ${base}.svg and ${base}.md`)
  if (json) {
    const { latencies, timeline, ...rest } = r
    const clean = JSON.parse(JSON.stringify(rest, (_k, v) => typeof v === 'number' && !Number.isFinite(v) ? null : v))
    console.log(JSON.stringify(clean))
  }
  process.exit(0)
}

await main()
