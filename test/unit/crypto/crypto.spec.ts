import assert from 'node:assert/strict'
import { x25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import {
  aes256GcmOpen, aes256GcmSeal, constantTimeEqual, hkdfSha256, hmacSha256, hmacSha512, pooledRandom, pooledRandomInt,
  randomBytes, secretKey, sha256, x25519GenerateKeyPair, x25519PublicKey, x25519SharedSecret
} from '../../../src/crypto/index.js'
import { AttnError } from '../../../src/errors.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

function code (fn: () => unknown): string {
  try { fn() } catch (e) {
    assert.ok(e instanceof AttnError, `expected AttnError, got ${String(e)}`)
    return e.code
  }
  assert.fail('expected an error')
}

describe('crypto', () => {
  describe('hashes and MACs', () => {
    it('sha256 matches FIPS 180 "abc"', () => {
      assert.equal(hex(sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
      assert.equal(hex(sha256(utf8('a'), utf8('bc'))), hex(sha256(utf8('abc'))))
    })

    it('HMAC-SHA256/512 match RFC 4231 test case 2, parts concatenate', () => {
      const k = secretKey(utf8('Jefe'))
      assert.equal(hex(hmacSha256(k, utf8('what do ya want '), utf8('for nothing?'))), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
      assert.equal(hex(hmacSha512(k, utf8('what do ya want for nothing?'))),
        '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737')
    })

    it('HKDF-SHA256 matches RFC 5869 test case 1', () => {
      const okm = hkdfSha256(unhex('0b'.repeat(22)), unhex('000102030405060708090a0b0c'), unhex('f0f1f2f3f4f5f6f7f8f9'), 42)
      assert.equal(hex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865')
      assert.equal(code(() => hkdfSha256(new Uint8Array(1), new Uint8Array(0), 'x', 0)), 'ERR_INVALID_LENGTH')
    })
  })

  describe('AES-256-GCM', () => {
    const key = secretKey(randomBytes(32))
    const iv = randomBytes(12)
    it('round trips with and without aad', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }), (pt, aad) => {
        const sealed = aes256GcmSeal(key, iv, pt, aad)
        assert.equal(sealed.length, pt.length + 16)
        assert.deepEqual(aes256GcmOpen(key, iv, sealed, aad), pt)
      }), { seed: 1, numRuns: 100 })
    })

    it('rejects tampering, wrong aad, wrong key, short input with ERR_DECRYPT_FAILED', () => {
      const sealed = aes256GcmSeal(key, iv, utf8('hello'), utf8('aad'))
      for (let i = 0; i < sealed.length * 8; i++) {
        const t = Uint8Array.from(sealed)
        t[i >> 3] ^= 1 << (i & 7)
        assert.equal(code(() => aes256GcmOpen(key, iv, t, utf8('aad'))), 'ERR_DECRYPT_FAILED')
      }
      assert.equal(code(() => aes256GcmOpen(key, iv, sealed, utf8('aaD'))), 'ERR_DECRYPT_FAILED')
      assert.equal(code(() => aes256GcmOpen(secretKey(randomBytes(32)), iv, sealed, utf8('aad'))), 'ERR_DECRYPT_FAILED')
      assert.equal(code(() => aes256GcmOpen(key, iv, sealed.subarray(0, 15))), 'ERR_DECRYPT_FAILED')
      assert.equal(code(() => aes256GcmSeal(key, new Uint8Array(16), utf8('x'))), 'ERR_INVALID_KEY_LENGTH')
      assert.equal(code(() => aes256GcmSeal(secretKey(randomBytes(16)), iv, utf8('x'))), 'ERR_INVALID_KEY_LENGTH')
    })
  })

  describe('X25519', () => {
    it('matches RFC 7748 §6.1', () => {
      const a = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
      const bPub = unhex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
      assert.equal(hex(x25519PublicKey(a)), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
      assert.equal(hex(x25519SharedSecret(a, bPub)), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742')
    })

    it('agrees with @noble/curves for random keys', () => {
      for (let i = 0; i < 20; i++) {
        const a = x25519GenerateKeyPair()
        const b = x25519GenerateKeyPair()
        assert.equal(a.privateKey.length, 32)
        assert.deepEqual(a.publicKey, x25519.getPublicKey(a.privateKey))
        assert.deepEqual(x25519PublicKey(b.privateKey), b.publicKey)
        const s = x25519SharedSecret(a.privateKey, b.publicKey)
        assert.deepEqual(s, x25519SharedSecret(b.privateKey, a.publicKey))
        assert.deepEqual(s, x25519.getSharedSecret(a.privateKey, b.publicKey))
      }
    })

    it('rejects low-order public keys with ERR_X25519_LOW_ORDER', () => {
      const { privateKey } = x25519GenerateKeyPair()
      const lowOrder = [
        '0000000000000000000000000000000000000000000000000000000000000000',
        '0100000000000000000000000000000000000000000000000000000000000000',
        'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
        'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
      ]
      for (const p of lowOrder) assert.equal(code(() => x25519SharedSecret(privateKey, unhex(p))), 'ERR_X25519_LOW_ORDER')
      assert.equal(code(() => x25519SharedSecret(privateKey, new Uint8Array(31))), 'ERR_INVALID_KEY_LENGTH')
      assert.equal(code(() => x25519PublicKey(new Uint8Array(33))), 'ERR_INVALID_KEY_LENGTH')
    })
  })

  describe('randomness and comparison', () => {
    it('randomBytes / pooledRandom give the asked lengths and differ', () => {
      assert.equal(randomBytes(0).length, 0)
      assert.notDeepEqual(randomBytes(32), randomBytes(32))
      const seen = new Set<string>()
      for (let i = 0; i < 3000; i++) seen.add(hex(pooledRandom(32))) // crosses pool refills
      assert.equal(seen.size, 3000)
      assert.equal(pooledRandom(100_000).length, 100_000)
      assert.equal(code(() => randomBytes(-1)), 'ERR_INVALID_LENGTH')
    })

    it('pooledRandomInt stays in range and hits every value', () => {
      const hits = new Set<number>()
      for (let i = 0; i < 2000; i++) {
        const v = pooledRandomInt(7)
        assert.ok(v >= 0 && v < 7)
        hits.add(v)
      }
      assert.equal(hits.size, 7)
      assert.equal(pooledRandomInt(1), 0)
    })

    it('constantTimeEqual', () => {
      assert.equal(constantTimeEqual(utf8('abc'), utf8('abc')), true)
      assert.equal(constantTimeEqual(utf8('abc'), utf8('abd')), false)
      assert.equal(constantTimeEqual(utf8('abc'), utf8('abcd')), false)
      assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true)
    })
  })
})
