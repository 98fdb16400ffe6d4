import assert from 'node:assert/strict'
import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { generateKeyPair, privateKeyFromRaw } from '@libp2p/crypto/keys'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import fc from 'fast-check'
import { sign, signatureDigest, verify } from '../../../src/keys/index.js'

const domainArb = fc.constantFrom('cert', 'handshake', 'record', 'receipt', 'x', 'a-b.c/d')
// Keys from a fixed scalar range keep the property runs deterministic.
const keyArb = fc.integer({ min: 1, max: 2 ** 31 }).map(n => {
  const raw = new Uint8Array(32)
  new DataView(raw.buffer).setUint32(28, n)
  raw[0] = 0x5a
  return privateKeyFromRaw(raw)
})

function flipBit (bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice()
  out[Math.floor(bit / 8) % out.length] ^= 1 << (bit % 8)
  return out
}

describe('keys/signature', () => {
  it('round-trips, and any bit flip in signature or message fails (property)', () => {
    fc.assert(fc.property(keyArb, domainArb, fc.uint8Array({ maxLength: 200 }), fc.nat(), (key, domain, message, bit) => {
      const sig = sign(key, domain, message)
      assert.equal(sig.byteLength, 64)
      assert.equal(verify(key.publicKey, domain, message, sig), true)
      assert.equal(verify(key.publicKey.raw, domain, message, sig), true)
      assert.equal(verify(key.publicKey, domain, message, flipBit(sig, bit % 512)), false)
      if (message.byteLength > 0) {
        assert.equal(verify(key.publicKey, domain, flipBit(message, bit % (message.byteLength * 8)), sig), false)
      }
    }), { seed: 1, numRuns: 100 })
  })

  it('is deterministic (RFC 6979) and low-S', async () => {
    const key = await generateKeyPair('secp256k1')
    const msg = new TextEncoder().encode('hello')
    const a = sign(key, 'cert', msg)
    assert.deepEqual(sign(key, 'cert', msg), a)
    const sig = secp256k1.Signature.fromBytes(a, 'compact')
    assert.ok(sig.s <= secp256k1.Point.CURVE().n / 2n)
    // The high-S twin is a valid ECDSA signature mathematically but must be rejected.
    const high = new secp256k1.Signature(sig.r, secp256k1.Point.CURVE().n - sig.s).toBytes('compact')
    assert.equal(verify(key.publicKey, 'cert', msg, high), false)
  })

  it('separates domains', async () => {
    const key = await generateKeyPair('secp256k1')
    const msg = new Uint8Array([1, 2, 3])
    const sig = sign(key, 'handshake', msg)
    assert.equal(verify(key.publicKey, 'cert', msg, sig), false)
    // "cert" + 0x00 + message cannot collide with "cer" + 0x00 + "t..." because the domain ends at 0x00.
    assert.notDeepEqual(signatureDigest('cert', new Uint8Array([0, 1])), signatureDigest('cer', new Uint8Array([0x74, 0, 0, 1])))
  })

  it('matches the spec: ECDSA-SHA256 over "attn/1 " + domain + 0x00 + message (checked with node:crypto)', async () => {
    const key = await generateKeyPair('secp256k1')
    const msg = new TextEncoder().encode('spec check')
    const sig = sign(key, 'receipt', msg)
    const preimage = Buffer.concat([Buffer.from('attn/1 receipt\0', 'ascii'), msg])
    const point = secp256k1.Point.fromBytes(key.publicKey.raw).toBytes(false)
    const jwk = {
      kty: 'EC', crv: 'secp256k1',
      x: Buffer.from(point.subarray(1, 33)).toString('base64url'),
      y: Buffer.from(point.subarray(33)).toString('base64url')
    }
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' })
    assert.equal(nodeVerify('sha256', preimage, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig), true)
  })

  it('verify never throws on malformed input', async () => {
    const key = await generateKeyPair('secp256k1')
    const ed = await generateKeyPair('Ed25519')
    const msg = new Uint8Array(4)
    const sig = sign(key, 'cert', msg)
    assert.equal(verify(key.publicKey, 'cert', msg, new Uint8Array(0)), false)
    assert.equal(verify(key.publicKey, 'cert', msg, new Uint8Array(64)), false)
    assert.equal(verify(key.publicKey, 'cert', msg, new Uint8Array(64).fill(0xff)), false)
    assert.equal(verify(key.publicKey, 'cert', msg, sig.subarray(1)), false)
    assert.equal(verify(new Uint8Array(33), 'cert', msg, sig), false)
    assert.equal(verify(new Uint8Array(5), 'cert', msg, sig), false)
    assert.equal(verify(ed.publicKey, 'cert', msg, sig), false)
    assert.equal(verify(key.publicKey, '', msg, sig), false)
    assert.equal(verify(key.publicKey, 'bad domain', msg, sig), false)
    assert.equal(verify(null as any, 'cert', msg, sig), false)
    assert.equal(verify(key.publicKey, 'cert', null as any, sig), false)
    assert.equal(verify(key.publicKey, 'cert', msg, null as any), false)
    fc.assert(fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (s) => {
      assert.equal(verify(key.publicKey, 'cert', msg, s), false)
    }), { seed: 3, numRuns: 200 })
  })

  it('refuses bad domains and non-secp256k1 keys when signing', async () => {
    const key = await generateKeyPair('secp256k1')
    const ed = await generateKeyPair('Ed25519')
    assert.throws(() => sign(key, '', new Uint8Array()), { code: 'ERR_INVALID_SIGNATURE_DOMAIN' })
    assert.throws(() => sign(key, 'a b', new Uint8Array()), { code: 'ERR_INVALID_SIGNATURE_DOMAIN' })
    assert.throws(() => sign(key, 'a\0b', new Uint8Array()), { code: 'ERR_INVALID_SIGNATURE_DOMAIN' })
    assert.throws(() => sign(key, 'x'.repeat(65), new Uint8Array()), { code: 'ERR_INVALID_SIGNATURE_DOMAIN' })
    assert.throws(() => sign(ed, 'cert', new Uint8Array()), { code: 'ERR_INVALID_KEY' })
  })
})
