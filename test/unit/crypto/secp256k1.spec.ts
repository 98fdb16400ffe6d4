/**
 * The two secp256k1 backends (native libsecp256k1 addon, and @noble/curves + node:crypto) must give
 * the same signature bytes and the same accept/reject answers (attnproto.md Part 1, signatures).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { generateKeyPair, privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { secp256k1 as secp256k1Noble } from '@noble/curves/secp256k1.js'
import fc from 'fast-check'
import { base58btc } from 'multiformats/bases/base58'
import {
  ecdsaRecover, ecdsaSignRecoverable, ecdsaSignSha256, ecdsaVerifySha256, isValidCompressedPublicKey, publicKeyConvert, publicKeyCreate,
  secp256k1Backend, setSecp256k1Backend
} from '../../../src/crypto/secp256k1.js'
import { Secp256k1InvalidKeyError } from '../../../src/crypto/errors.js'
import { evmAddress, parseAttAddress, sign, verify } from '../../../src/keys/index.js'
import { installLibp2pSecp256k1, peerIdFromStringFast, secp256k1PublicKeyFromRaw } from '../../../src/keys/libp2p-key.js'
import type { Secp256k1Backend } from '../../../src/crypto/secp256k1.js'

const VECTORS = fileURLToPath(new URL('../../../../protocols/vectors/certificates.json', import.meta.url))
const MODULE = fileURLToPath(new URL('../../../src/crypto/secp256k1.js', import.meta.url))
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const be32 = (n: bigint): Uint8Array => unhex(n.toString(16).padStart(64, '0'))
const scalar = (b: Uint8Array): bigint => BigInt('0x' + Buffer.from(b).toString('hex'))
const cat = (a: Uint8Array, b: Uint8Array): Uint8Array => new Uint8Array(Buffer.concat([a, b]))
const BACKENDS: Secp256k1Backend[] = ['native', 'js']

/** Runs `fn` once per backend and returns the answers, which must all be equal. */
function both<T> (fn: () => T): T {
  const out = BACKENDS.map(b => {
    setSecp256k1Backend(b)
    try { return fn() } finally { setSecp256k1Backend(undefined) }
  })
  assert.deepEqual(out[1], out[0])
  return out[0]
}

interface SignatureVector { domain: string, message: string, private_key: string, public_key: string, signature: string }

describe('crypto secp256k1 backends', () => {
  afterEach(() => { setSecp256k1Backend(undefined) })

  it('loads the native addon on linux-x64 and can be forced to the fallback', function () {
    // the prebuild exists for linux-x64; ATTN_SECP256K1=js (the whole run on the fallback) skips this
    if (process.platform !== 'linux' || process.arch !== 'x64' || process.env.ATTN_SECP256K1 === 'js') this.skip()
    assert.equal(secp256k1Backend(), 'native')
    assert.equal(setSecp256k1Backend('js'), 'js')
    assert.equal(setSecp256k1Backend(undefined), 'native')
  })

  it('ATTN_SECP256K1=js selects the fallback in a fresh process', () => {
    const script = `import(${JSON.stringify(MODULE)}).then(m => process.stdout.write(m.secp256k1Backend()))`
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ATTN_SECP256K1: 'js' } })
    assert.equal(out.toString(), 'js')
  })

  it('reproduces the signature vectors byte for byte, and accepts them, with both backends', async () => {
    const vectors = JSON.parse(await readFile(VECTORS, 'utf8')) as { signatures: SignatureVector[] }
    assert.ok(vectors.signatures.length > 0)
    for (const v of vectors.signatures) {
      const key = privateKeyFromRaw(unhex(v.private_key))
      both(() => {
        assert.equal(Buffer.from(sign(key, v.domain, unhex(v.message))).toString('hex'), v.signature)
        assert.equal(verify(unhex(v.public_key), v.domain, unhex(v.message), unhex(v.signature)), true)
        assert.equal(Buffer.from(publicKeyCreate(unhex(v.private_key))).toString('hex'), v.public_key)
        return true
      })
    }
  })

  it('gives the same signatures and answers for random keys and messages (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (sk, data) => {
      fc.pre(scalar(sk) > 0n && scalar(sk) < N)
      const results = both(() => {
        const sig = ecdsaSignSha256(sk, data)
        const pub = publicKeyCreate(sk)
        return { sig: Buffer.from(sig).toString('hex'), ok: ecdsaVerifySha256(pub, data, sig), pub: Buffer.from(pub).toString('hex') }
      })
      assert.equal(results.ok, true)
      assert.ok(scalar(unhex(results.sig).subarray(32)) <= N >> 1n)
    }), { seed: 17, numRuns: 60 })
  })

  it('rejects, without throwing, the same malformed signatures and keys with both backends', async () => {
    const key = await generateKeyPair('secp256k1')
    const other = await generateKeyPair('secp256k1')
    const msg = new TextEncoder().encode('receipt body')
    const sig = sign(key, 'receipt', msg)
    const r = sig.subarray(0, 32)
    const s = sig.subarray(32)
    const pub = key.publicKey.raw
    const notOnCurve = cat(Uint8Array.of(2), be32(5n)) // x = 5: x³ + 7 = 132 is not a square mod p
    assert.equal(isValidCompressedPublicKey(notOnCurve), false)
    const cases: Array<[string, Uint8Array, string, Uint8Array, Uint8Array]> = [
      ['high-S twin', pub, 'receipt', msg, cat(r, be32(N - scalar(s)))],
      ['r = 0', pub, 'receipt', msg, cat(be32(0n), s)],
      ['s = 0', pub, 'receipt', msg, cat(r, be32(0n))],
      ['r = n', pub, 'receipt', msg, cat(be32(N), s)],
      ['r = n + 1', pub, 'receipt', msg, cat(be32(N + 1n), s)],
      ['s = n', pub, 'receipt', msg, cat(r, be32(N))],
      ['s = n/2 + 1', pub, 'receipt', msg, cat(r, be32((N >> 1n) + 1n))],
      ['all ones', pub, 'receipt', msg, new Uint8Array(64).fill(0xff)],
      ['short signature', pub, 'receipt', msg, sig.subarray(0, 63)],
      ['long signature', pub, 'receipt', msg, cat(sig, Uint8Array.of(0))],
      ['wrong domain', pub, 'envelope', msg, sig],
      ['wrong message', pub, 'receipt', new TextEncoder().encode('receipt bodY'), sig],
      ['wrong key', other.publicKey.raw, 'receipt', msg, sig],
      ['key not on the curve', notOnCurve, 'receipt', msg, sig],
      ['key with prefix 04', cat(Uint8Array.of(4), pub.subarray(1)), 'receipt', msg, sig],
      ['key of 32 bytes', pub.subarray(1), 'receipt', msg, sig],
      ['key x ≥ p', cat(Uint8Array.of(2), new Uint8Array(32).fill(0xff)), 'receipt', msg, sig],
      ['bad domain', pub, 'has space', msg, sig]
    ]
    for (const [name, k, domain, m, signature] of cases) {
      const answer = both(() => verify(k, domain, m, signature))
      assert.equal(answer, false, name)
    }
    // the twin is a mathematically valid ECDSA signature: only the low-S rule rejects it
    assert.equal(both(() => verify(pub, 'receipt', msg, sig)), true)
  })

  it('parses and converts points the same way, and refuses invalid ones with ERR_SECP256K1_INVALID_KEY', async () => {
    const key = await generateKeyPair('secp256k1')
    const out = both(() => {
      const full = publicKeyConvert(key.publicKey.raw, false)
      return { full: Buffer.from(full).toString('hex'), back: Buffer.from(publicKeyConvert(full, true)).toString('hex') }
    })
    assert.equal(out.back, Buffer.from(key.publicKey.raw).toString('hex'))
    assert.equal(out.full.length, 130)
    for (const b of BACKENDS) {
      setSecp256k1Backend(b)
      assert.throws(() => publicKeyConvert(cat(Uint8Array.of(2), be32(5n)), false), (err: any) => err instanceof Secp256k1InvalidKeyError && err.code === 'ERR_SECP256K1_INVALID_KEY')
      assert.throws(() => publicKeyConvert(new Uint8Array(20), false), Secp256k1InvalidKeyError)
      assert.throws(() => publicKeyCreate(new Uint8Array(32)), Secp256k1InvalidKeyError)
      assert.throws(() => ecdsaSignSha256(be32(N), new Uint8Array(1)), Secp256k1InvalidKeyError)
    }
  })

  it('builds libp2p keys and peer ids equal to the library\'s own', async () => {
    for (let i = 0; i < 5; i++) {
      const key = await generateKeyPair('secp256k1')
      const id = peerIdFromPrivateKey(key).toString()
      for (const b of BACKENDS) {
        setSecp256k1Backend(b)
        const ours = secp256k1PublicKeyFromRaw(key.publicKey.raw)
        const theirs = publicKeyFromRaw(key.publicKey.raw)
        assert.equal(ours.toString(), theirs.toString())
        assert.ok(ours.equals(theirs) && theirs.equals(ours))
        assert.deepEqual(ours.toCID().bytes, theirs.toCID().bytes)
        // libp2p's own (DER) signature, checked by the built key's inherited verify
        const data = new TextEncoder().encode(`libp2p ${i}`)
        assert.equal(await ours.verify(data, await key.sign(data)), true)
        const peer = peerIdFromStringFast(id)
        assert.equal(peer.toString(), id)
        assert.ok(peer.equals(peerIdFromString(id)))
        assert.deepEqual(peer.publicKey?.raw, key.publicKey.raw)
        assert.equal(parseAttAddress(id).toString(), theirs.toString())
      }
    }
    // non-secp256k1 ids go to the library unchanged
    const ed = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    assert.equal(peerIdFromStringFast(ed).toString(), ed)
  })

  it('refuses an identity peer id whose embedded key is not a point, with both backends', () => {
    // "16Uiu2…" form of a secp256k1 key that is not on the curve (x = 5)
    const bytes = cat(Uint8Array.of(0x00, 0x25, 0x08, 0x02, 0x12, 0x21), cat(Uint8Array.of(2), be32(5n)))
    const id = base58btc.encode(bytes).substring(1)
    assert.ok(id.startsWith('16Uiu2'))
    for (const b of BACKENDS) {
      setSecp256k1Backend(b)
      assert.throws(() => peerIdFromStringFast(id))
      assert.throws(() => parseAttAddress(id))
      assert.throws(() => secp256k1PublicKeyFromRaw(bytes.subarray(6)))
    }
  })

  it('routes libp2p\'s own secp256k1 sign/verify natively: same DER bytes, same answers', async () => {
    assert.equal(installLibp2pSecp256k1(), true)
    assert.equal(installLibp2pSecp256k1(), true) // idempotent
    const key = await generateKeyPair('secp256k1')
    const other = await generateKeyPair('secp256k1')
    const data = new TextEncoder().encode('noise-libp2p-static-key:…')
    const list = [data.subarray(0, 5), data.subarray(5)] // libp2p also signs Uint8ArrayList-like iterables
    const out = both(() => {
      const der = key.sign(data) as Uint8Array
      const derList = key.sign(list as any) as Uint8Array
      const noble = secp256k1Noble.sign(createHash('sha256').update(data).digest(), key.raw, { prehash: false, format: 'der' })
      assert.deepEqual(derList, der)
      assert.deepEqual(der, noble) // the library's own bytes (RFC 6979, low-S)
      const compact = secp256k1Noble.Signature.fromBytes(der, 'der')
      const highS = new secp256k1Noble.Signature(compact.r, N - compact.s).toBytes('der')
      return {
        der: Buffer.from(der).toString('hex'),
        ok: key.publicKey.verify(data, der),
        okList: key.publicKey.verify(list as any, der),
        wrongKey: other.publicKey.verify(data, der),
        wrongData: key.publicKey.verify(data.subarray(1), der),
        highS: key.publicKey.verify(data, highS),
        compactNotDer: key.publicKey.verify(data, compact.toBytes('compact')),
        truncated: key.publicKey.verify(data, der.subarray(0, der.byteLength - 1)),
        empty: key.publicKey.verify(data, new Uint8Array(0))
      }
    })
    assert.deepEqual(out, { der: out.der, ok: true, okList: true, wrongKey: false, wrongData: false, highS: false, compactNotDer: false, truncated: false, empty: false })
    const aborted = AbortSignal.abort()
    assert.throws(() => key.sign(data, { signal: aborted }))
  })

  it('recoverable signatures (rewards, EVM): same bytes and recovered keys with both backends; bad ones throw', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (sk, digest) => {
      fc.pre(scalar(sk) > 0n && scalar(sk) < N)
      const out = both(() => {
        const { signature, recovery } = ecdsaSignRecoverable(sk, digest)
        const pub = ecdsaRecover(signature, recovery, digest)
        return { sig: Buffer.from(signature).toString('hex'), recovery, pub: Buffer.from(pub).toString('hex') }
      })
      assert.equal(out.pub, Buffer.from(publicKeyConvert(publicKeyCreate(sk), false)).toString('hex'))
      assert.ok(scalar(unhex(out.sig).subarray(32)) <= N >> 1n)
    }), { seed: 7, numRuns: 40 })
    const digest = new Uint8Array(32).fill(9)
    for (const b of BACKENDS) {
      setSecp256k1Backend(b)
      assert.throws(() => ecdsaRecover(new Uint8Array(64), 0, digest), Secp256k1InvalidKeyError, `${b}: r = s = 0`)
      assert.throws(() => ecdsaRecover(new Uint8Array(64).fill(0xff), 0, digest), Secp256k1InvalidKeyError, `${b}: r, s ≥ n`)
    }
  })

  it('computes the same EVM address with both backends', async () => {
    const key = privateKeyFromRaw(new Uint8Array(createHash('sha256').update('evm').digest()))
    both(() => evmAddress(key.publicKey))
  })
})
