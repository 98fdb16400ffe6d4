/**
 * Record layer throughput: our ATTNProto record construction (seal+open) against node:crypto
 * AES-256-GCM (KeyObject key) and a pure-JS MTProto-style AES-256-IGE + SHA-256, same run.
 * Run alone: `npx tsc -p tsconfig.json && node dist/bench/record.bench.js [--quick]`.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { IGE } from '@cryptography/aes'
import { openRecord, recordKeys, sealRecord } from '../src/session/record.js'
import { compare, type Figure, type HarnessOptions, type Op } from './harness.js'
import { result, type BenchOptions, type BenchResult, type BenchSuite } from './types.js'

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

function params (opts: BenchOptions): { rounds: number, ms: number } {
  if ((opts as Partial<HarnessOptions>).smoke === true) return { rounds: 1, ms: 5 }
  return { rounds: opts.quick ? 5 : 11, ms: opts.quick ? 150 : 400 }
}

const NOTE_GCM = 'baseline AES-256-GCM seal+open (KeyObject key)'

export const record1k: Figure = {
  name: 'record_1k',
  unit: 'MB/s',
  goal: '>= 0.4',
  async run (opts) {
    const { rounds, ms } = params(opts)
    const [o, g] = compare([ours(1024), gcm(1024)], 1024, rounds, ms)
    return result(this.name, o, g, this.unit, this.goal, `seal+open of 1 KiB data; ${NOTE_GCM}`)
  }
}

export const record64k: Figure = {
  name: 'record_64k',
  unit: 'MB/s',
  goal: '>= 0.25',
  async run (opts) {
    const { rounds, ms } = params(opts)
    const [o, g] = compare([ours(65536), gcm(65536)], 65536, rounds, ms)
    return result(this.name, o, g, this.unit, this.goal, `seal+open of 64 KiB data; ${NOTE_GCM}`)
  }
}

export const recordVsIge: Figure = {
  name: 'record_vs_ige',
  unit: 'MB/s',
  goal: '>= 10',
  async run (opts) {
    const { rounds, ms } = params(opts)
    const [o, i] = compare([ours(1024), ige(1024)], 1024, Math.max(1, Math.ceil(rounds * 0.6)), ms)
    return result(this.name, o, i, this.unit, this.goal, '1 KiB; baseline pure-JS MTProto-style AES-256-IGE + SHA-256 (@cryptography/aes)')
  }
}

export const recordFigures: Figure[] = [record1k, record64k, recordVsIge]

export const recordBench: BenchSuite = async (opts: BenchOptions): Promise<BenchResult[]> => {
  const o: HarnessOptions = { smoke: false, ...opts }
  const out: BenchResult[] = []
  for (const f of recordFigures) out.push(await f.run(o, undefined as never))
  return out
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick')
  const res = await recordBench({ quick })
  for (const r of res) {
    console.log(`${r.name.padEnd(16)} ours ${r.ours.toFixed(1).padStart(8)} ${r.unit}  baseline ${(r.baseline ?? 0).toFixed(1).padStart(8)} ${r.unit}  ratio ${(r.ratio ?? 0).toFixed(3)}  goal ${r.goal}  ${r.met ? 'met' : 'MISSED'}`)
  }
}
