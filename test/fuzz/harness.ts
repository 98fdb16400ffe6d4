/**
 * Runs one fuzz target: feeds it inputs from its input space and classifies every outcome.
 * A decoder may return or throw one of the errors it documents; anything else is a crash:
 * an untyped Error, a TypeError/RangeError escaping, a run slower than the hang limit, or a
 * decode that "succeeds" with output inconsistent with its input (InconsistentOutputError,
 * thrown by the target's own round-trip checks).
 */
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { AttnError } from '../../src/errors.js'
import { inputsOf } from './mutate.js'
import type { InputSpace } from './mutate.js'

/** A decode succeeded but its output does not match its input (round trip, forgery accepted …). */
export class InconsistentOutputError extends Error {
  constructor (message: string) { super(message); this.name = 'InconsistentOutputError' }
}

/** Every error raised on purpose: a named AttnError subclass with a stable upper-case code. */
export function isTypedError (err: unknown): boolean {
  return err instanceof AttnError && err.constructor !== AttnError && typeof err.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(err.code)
}

export interface Fixture extends InputSpace {
  /** Decodes one input: returns, or throws an error `expected` accepts. Round-trip checks throw InconsistentOutputError. */
  decode: (input: Uint8Array) => unknown
  /** The errors this decoder documents (default: isTypedError). */
  expected?: (err: unknown) => boolean
  close?: () => Promise<void>
}

export interface FuzzTarget {
  name: string
  /** The function(s) under test, for the report. */
  decoder: string
  /** Builds keys and valid encodings once per run of the target. */
  setup: () => Promise<Fixture>
}

export interface Crash { input: string, kind: 'untyped' | 'inconsistent' | 'hang', error: string }

export interface TargetResult {
  name: string
  runs: number
  crashes: number
  /** Decodes that returned (valid input, or a mutation that kept it valid). */
  accepted: number
  ms: number
  /** Slowest single run, ms. */
  slowestMs: number
  /** The first few crashes (input hex, cut to 512 bytes). */
  examples: Crash[]
  /** How often each documented error code was raised (shows how deep the inputs got). */
  codes: Record<string, number>
}

export interface RunOptions {
  runs: number
  seed?: number
  /** A single run slower than this is a hang (default 5 000 ms). */
  hangMs?: number
  /** Throw at the first crash (fast-check shrinks it and reports the counterexample); default false: count them. */
  stopOnCrash?: boolean
  /** Called every `progressEvery` runs (the CLI's watchdog heartbeat). */
  onProgress?: (runs: number) => void
  progressEvery?: number
  /** Called with the input of a run still going after hangMs (an async run; a synchronous hang cannot be observed from inside). */
  onSlowInput?: (inputHex: string) => void
}

export function assertSame (actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) throw new InconsistentOutputError(`${what}: round trip differs`)
}

export function sameBytes (a: Uint8Array, b: Uint8Array, what: string): void {
  if (Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) !== 0) {
    throw new InconsistentOutputError(`${what}: re-encoding differs from the input`)
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, Math.min(b.byteLength, 512)).toString('hex')

/** Runs `target` for `options.runs` inputs; returns counts (or throws at the first crash with stopOnCrash). */
export async function runTarget (target: FuzzTarget, options: RunOptions): Promise<TargetResult> {
  const fixture = await target.setup()
  const expected = fixture.expected ?? isTypedError
  const hangMs = options.hangMs ?? 5_000
  const result: TargetResult = { name: target.name, runs: 0, crashes: 0, accepted: 0, ms: 0, slowestMs: 0, examples: [], codes: {} }
  const started = performance.now()
  const every = options.progressEvery ?? 1000

  const classify = async (input: Uint8Array): Promise<Crash | undefined> => {
    const t0 = performance.now()
    let crash: Crash | undefined
    const slow = options.onSlowInput == null ? undefined : setTimeout(() => options.onSlowInput?.(hex(input)), hangMs)
    try {
      await fixture.decode(input)
      result.accepted++
    } catch (err) {
      if (err instanceof InconsistentOutputError) crash = { input: hex(input), kind: 'inconsistent', error: err.message }
      else if (!expected(err)) crash = { input: hex(input), kind: 'untyped', error: describe(err) }
      else {
        const code = String((err as { code?: unknown }).code)
        result.codes[code] = (result.codes[code] ?? 0) + 1
      }
    }
    clearTimeout(slow)
    const ms = performance.now() - t0
    if (ms > result.slowestMs) result.slowestMs = ms
    if (crash == null && ms > hangMs) crash = { input: hex(input), kind: 'hang', error: `one run took ${Math.round(ms)} ms` }
    return crash
  }

  try {
    await fc.assert(fc.asyncProperty(inputsOf(fixture), async (input) => {
      const crash = await classify(input)
      result.runs++
      if (options.onProgress != null && result.runs % every === 0) options.onProgress(result.runs)
      if (crash == null) return
      result.crashes++
      if (result.examples.length < 5) result.examples.push(crash)
      if (options.stopOnCrash === true) throw new Error(`${target.name}: ${crash.kind} crash: ${crash.error}`)
    }), { numRuns: options.runs, seed: options.seed })
  } finally {
    result.ms = Math.round(performance.now() - started)
    await fixture.close?.()
  }
  return result
}

function describe (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return `${err.constructor.name}${code != null ? ` [${String(code)}]` : ''}: ${err.message}\n${err.stack?.split('\n').slice(1, 4).join('\n') ?? ''}`
  }
  return `non-Error thrown: ${String(err)}`
}
