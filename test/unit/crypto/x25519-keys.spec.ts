/**
 * X25519 key objects are reused (generated private keys by array, public keys by value): the
 * reused objects must give exactly what a fresh import gives (issue 17: ratchet steps).
 */
import assert from 'node:assert/strict'
import { x25519 } from '@noble/curves/ed25519.js'
import { x25519GenerateKeyPair, x25519PublicKey, x25519SharedSecret } from '../../../src/crypto/index.js'
import { X25519_PUBLIC_KEY_CACHE_SIZE } from '../../../src/crypto/constants.js'

describe('crypto x25519 key reuse', () => {
  it('a generated pair: the raw public key is the private key\'s, and DH agrees with @noble through every path', () => {
    for (let i = 0; i < 20; i++) {
      const a = x25519GenerateKeyPair()
      const b = x25519GenerateKeyPair()
      assert.deepEqual(a.publicKey, x25519.getPublicKey(a.privateKey))
      assert.deepEqual(x25519PublicKey(a.privateKey), a.publicKey) // the generated array (kept object)
      assert.deepEqual(x25519PublicKey(a.privateKey.slice()), a.publicKey) // a copy (imported)
      const expected = x25519.getSharedSecret(a.privateKey, b.publicKey)
      assert.deepEqual(x25519SharedSecret(a.privateKey, b.publicKey), expected)
      assert.deepEqual(x25519SharedSecret(a.privateKey.slice(), b.publicKey.slice()), expected)
      assert.deepEqual(x25519SharedSecret(b.privateKey, a.publicKey), expected)
    }
  })

  it('more public keys than the cache holds still give the right secrets', () => {
    const me = x25519GenerateKeyPair()
    const peers = Array.from({ length: X25519_PUBLIC_KEY_CACHE_SIZE + 10 }, () => x25519GenerateKeyPair())
    for (const round of [0, 1]) {
      for (const p of peers) {
        assert.deepEqual(x25519SharedSecret(me.privateKey, p.publicKey), x25519.getSharedSecret(p.privateKey, me.publicKey), `round ${round}`)
      }
    }
  })
})
