/**
 * Long-mode decoder fuzzing: `npm run fuzz -- --runs 1000000 [--target name[,name…]] [--seed n]`.
 * Each target runs in its own worker thread under a watchdog (a decoder stuck in a loop cannot be
 * interrupted from inside): no progress for --stall-ms counts as a hang. Prints runs, accepted
 * inputs, crashes and time per target, the first crashes with their inputs, and exits 1 on any crash.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { TARGETS, runTarget } from './targets.js'
import type { TargetResult } from './targets.js'

interface Args { runs: number, targets: string[], seed?: number, hangMs: number, stallMs: number, codes: boolean }

const USAGE = `usage: npm run fuzz -- [--runs N] [--target name[,name…]] [--seed N] [--hang-ms MS] [--stall-ms MS] [--codes] [--list]
  --runs N       inputs per target (default 10000)
  --target       only these targets (see --list)
  --seed N       fast-check seed (default: random, printed)
  --hang-ms MS   a single input slower than this is a crash (default 5000)
  --stall-ms MS  a target with no progress for this long is killed and counted as a hang (default 60000)
  --codes        also print, per target, how often each documented error code was raised`

function parseArgs (argv: string[]): Args | undefined {
  const args: Args = { runs: 10_000, targets: [], hangMs: 5_000, stallMs: 60_000, codes: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v == null) throw new Error(`${a} needs a value`)
      return v
    }
    const int = (): number => {
      const v = value()
      if (!/^\d+$/.test(v)) throw new Error(`${a} needs a non-negative integer, got ${v}`)
      return Number(v)
    }
    switch (a) {
      case '--runs': args.runs = int(); break
      case '--target': args.targets.push(...value().split(',').filter(s => s !== '')); break
      case '--seed': args.seed = int(); break
      case '--hang-ms': args.hangMs = int(); break
      case '--stall-ms': args.stallMs = int(); break
      case '--codes': args.codes = true; break
      case '--list':
        for (const t of TARGETS) console.log(`${t.name.padEnd(26)} ${t.decoder}`)
        return undefined
      case '--help': case '-h':
        console.log(USAGE)
        return undefined
      default: throw new Error(`unknown argument ${a}\n${USAGE}`)
    }
  }
  const unknown = args.targets.filter(n => !TARGETS.some(t => t.name === n))
  if (unknown.length > 0) throw new Error(`unknown target(s): ${unknown.join(', ')} (see --list)`)
  return args
}

type WorkerMessage = { progress: number } | { slow: string } | { result: TargetResult } | { error: string }

/** Runs one target in a worker; a stall (no progress message for stallMs) terminates it and is reported as a hang. */
async function runInWorker (name: string, args: Args, seed: number): Promise<TargetResult> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { name, runs: args.runs, seed, hangMs: args.hangMs } })
  let runs = 0
  let slowInput = ''
  return await new Promise((resolve) => {
    let timer: NodeJS.Timeout
    const stall = (): void => {
      void worker.terminate()
      resolve({ name, runs, crashes: 1, accepted: 0, ms: 0, slowestMs: args.stallMs, codes: {}, examples: [{ input: slowInput, kind: 'hang', error: `no progress for ${args.stallMs} ms after ${runs} runs` }] })
    }
    const arm = (): void => { clearTimeout(timer); timer = setTimeout(stall, args.stallMs) }
    arm()
    worker.on('message', (m: WorkerMessage) => {
      if ('progress' in m) { runs = m.progress; arm(); return }
      if ('slow' in m) { slowInput = m.slow; return }
      clearTimeout(timer)
      if ('result' in m) resolve(m.result)
      else resolve({ name, runs, crashes: 1, accepted: 0, ms: 0, slowestMs: 0, codes: {}, examples: [{ input: '', kind: 'untyped', error: m.error }] })
      void worker.terminate()
    })
    worker.on('error', (err) => {
      clearTimeout(timer)
      resolve({ name, runs, crashes: 1, accepted: 0, ms: 0, slowestMs: 0, codes: {}, examples: [{ input: '', kind: 'untyped', error: `worker died: ${err.stack ?? err.message}` }] })
    })
  })
}

async function workerMain (): Promise<void> {
  const { name, runs, seed, hangMs } = workerData as { name: string, runs: number, seed: number, hangMs: number }
  const target = TARGETS.find(t => t.name === name)
  try {
    if (target == null) throw new Error(`no target ${name}`)
    const result = await runTarget(target, { runs, seed, hangMs, progressEvery: 50, onProgress: (n) => parentPort?.postMessage({ progress: n }), onSlowInput: (slow) => parentPort?.postMessage({ slow }) })
    parentPort?.postMessage({ result })
  } catch (err) {
    parentPort?.postMessage({ error: err instanceof Error ? err.stack ?? err.message : String(err) })
  }
}

async function main (): Promise<number> {
  let args: Args | undefined
  try {
    args = parseArgs(process.argv.slice(2))
  } catch (err) {
    console.error((err as Error).message)
    return 2
  }
  if (args == null) return 0
  const seed = args.seed ?? Math.floor(Math.random() * 2 ** 31)
  const selected = args.targets.length > 0 ? TARGETS.filter(t => args.targets.includes(t.name)) : TARGETS
  console.log(`decoder fuzzing: ${args.runs} runs per target, ${selected.length} targets, seed ${seed}`)
  const header = `${'target'.padEnd(26)} ${'runs'.padStart(9)} ${'accepted'.padStart(9)} ${'crashes'.padStart(8)} ${'ms'.padStart(9)} ${'slowest'.padStart(8)}`
  console.log(header)
  console.log('-'.repeat(header.length))
  const results: TargetResult[] = []
  for (const t of selected) {
    const r = await runInWorker(t.name, args, seed)
    results.push(r)
    console.log(`${r.name.padEnd(26)} ${String(r.runs).padStart(9)} ${String(r.accepted).padStart(9)} ${String(r.crashes).padStart(8)} ${String(r.ms).padStart(9)} ${r.slowestMs.toFixed(1).padStart(8)}`)
  }
  const runs = results.reduce((n, r) => n + r.runs, 0)
  const crashes = results.reduce((n, r) => n + r.crashes, 0)
  console.log('-'.repeat(header.length))
  console.log(`${'total'.padEnd(26)} ${String(runs).padStart(9)} ${''.padStart(9)} ${String(crashes).padStart(8)} ${String(results.reduce((n, r) => n + r.ms, 0)).padStart(9)}`)
  if (args.codes) {
    for (const r of results) {
      const codes = Object.entries(r.codes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`)
      console.log(`\n${r.name}: ${codes.join(', ')}`)
    }
  }
  for (const r of results) {
    for (const c of r.examples) console.log(`\n${r.name}: ${c.kind} crash: ${c.error}\n  input (hex, first 512 bytes): ${c.input}`)
  }
  return crashes > 0 ? 1 : 0
}

if (isMainThread) {
  main().then(code => { process.exitCode = code }, (err) => { console.error(err); process.exitCode = 1 })
} else {
  await workerMain()
}
