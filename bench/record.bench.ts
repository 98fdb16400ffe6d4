/**
 * Record layer throughput: our ATTNProto record construction (seal+open) against node:crypto
 * AES-256-GCM (KeyObject key) and a pure-JS MTProto-style AES-256-IGE + SHA-256, same run.
 * Run alone: `npx tsc -p tsconfig.json && node dist/bench/record.bench.js [--quick]`.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { IGE } from '@cryptography/aes'
import { openRecord, recordKeys, sealRecord } from '../src/session/record.js'
import { result, type BenchOptions, type BenchResult, type BenchSuite } from './types.js'

type Op = () => void

/** Runs `op` for ~`ms`, returns MB/s of `bytes` per op. */
function timeOp (op: Op, bytes: number, ms: number): number {
  let iters = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(Math.round(ms * 1e6))
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 16; i++) op()
    iters += 16
    now = process.hrtime.bigint()
  }
  const secs = Number(now - start) / 1e9
  return (iters * bytes) / secs / 1e6
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Interleaved rounds of each op after a warm-up; medians in MB/s. */
function compare (ops: Op[], bytes: number, rounds: number, ms: number): number[] {
  for (const op of ops) timeOp(op, bytes, ms)
  const samples: number[][] = ops.map(() => [])
  for (let r = 0; r < rounds; r++) {
    ops.forEach((op, i) => { samples[i].push(timeOp(op, bytes, ms)) })
  }
  return samples.map(median)
}

function ours (size: number): Op {
  const keys = recordKeys(randomBytes(8), randomBytes(32), randomBytes(32))
  const salt = randomBytes(8)
  const data = randomBytes(size)
  let msgId = 1n << 40n
  let seq = 0
  return () => {
    const frame = sealRecord(keys, { salt, msgId: msgId++, seqNo: seq++, data })
    const r = openRecord(keys, frame)
    if (r.data.length !== size) throw new Error('bench: bad round trip')
  }
}

function gcm (size: number): Op {
  const key: KeyObject = createSecretKey(randomBytes(32))
  const data = randomBytes(size)
  const iv = randomBytes(12)
  return () => {
    iv.writeUInt32BE((iv.readUInt32BE(0) + 1) >>> 0, 0)
    const c = createCipheriv('aes-256-gcm', key, iv)
    const ct = Buffer.concat([c.update(data), c.final()])
    const tag = c.getAuthTag()
    const d = createDecipheriv('aes-256-gcm', key, iv)
    d.setAuthTag(tag)
    const pt = d.update(ct)
    d.final()
    if (pt.length !== size) throw new Error('bench: bad round trip')
  }
}

/**
 * MTProto 2.0-style pure-JS record: msg_key = SHA-256(auth_key part | plaintext)[8..24],
 * aes key/iv from two SHA-256 of msg_key and auth_key, AES-256-IGE in JS (@cryptography/aes).
 */
function ige (size: number): Op {
  const authKey = randomBytes(256)
  const pad = 16 - ((32 + size) % 16) + 16
  const pt = Buffer.concat([randomBytes(32), randomBytes(size), randomBytes(pad)])
  const derive = (msgKey: Buffer): { key: Buffer; iv: Buffer } => {
    const a = createHash('sha256').update(msgKey).update(authKey.subarray(0, 36)).digest()
    const b = createHash('sha256').update(authKey.subarray(40, 76)).update(msgKey).digest()
    return {
      key: Buffer.concat([a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)]),
      iv: Buffer.concat([b.subarray(0, 8), a.subarray(8, 24), b.subarray(24, 32)])
    }
  }
  return () => {
    const msgKey = createHash('sha256').update(authKey.subarray(88, 120)).update(pt).digest().subarray(8, 24)
    const k = derive(msgKey)
    const ct = new IGE(k.key, k.iv).encrypt(pt)
    const k2 = derive(msgKey)
    const back = new IGE(k2.key, k2.iv).decrypt(ct)
    const out = new Uint8Array(back.buffer, back.byteOffset, back.byteLength)
    const check = createHash('sha256').update(authKey.subarray(88, 120)).update(out).digest().subarray(8, 24)
    if (out.length !== pt.length || check.length !== 16) throw new Error('bench: bad round trip')
  }
}

export const recordBench: BenchSuite = async (opts: BenchOptions): Promise<BenchResult[]> => {
  const rounds = opts.quick ? 5 : 11
  const ms = opts.quick ? 150 : 400
  const [o1, g1] = compare([ours(1024), gcm(1024)], 1024, rounds, ms)
  const [o64, g64] = compare([ours(65536), gcm(65536)], 65536, rounds, ms)
  const [oi, ii] = compare([ours(1024), ige(1024)], 1024, opts.quick ? 3 : 7, ms)
  return [
    result('record_1k', o1, g1, 'MB/s', '>= 0.4', 'seal+open of 1 KiB data; baseline AES-256-GCM seal+open (KeyObject key)'),
    result('record_64k', o64, g64, 'MB/s', '>= 0.25', 'seal+open of 64 KiB data; baseline AES-256-GCM seal+open (KeyObject key)'),
    result('record_vs_ige', oi, ii, 'MB/s', '>= 10', '1 KiB; baseline pure-JS MTProto-style AES-256-IGE + SHA-256 (@cryptography/aes)')
  ]
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick')
  const res = await recordBench({ quick })
  for (const r of res) {
    console.log(`${r.name.padEnd(16)} ours ${r.ours.toFixed(1).padStart(8)} ${r.unit}  baseline ${(r.baseline ?? 0).toFixed(1).padStart(8)} ${r.unit}  ratio ${(r.ratio ?? 0).toFixed(3)}  goal ${r.goal}  ${r.met ? 'met' : 'MISSED'}`)
  }
}
