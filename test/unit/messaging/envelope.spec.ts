import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  MAX_BODY_BYTES, TEXT_PLAIN, decodeMessage, encodeMessage, generatePrekey, openEnvelope, readEnvelopeHeader,
  sealEnvelope, utf8
} from '../../../src/messaging/index.js'
import type { Identity } from '../../../src/keys/index.js'
import { NOW, NOW_MS, identity, indexOf, seedBytes } from './fixtures.js'

const alice = identity('alice')
const bob = identity('bob')
const carol = identity('carol', false)
const prekey = generatePrekey(7, NOW + 86400, seedBytes('bob prekey 7'))
const bobRecipient = { address: bob.address, prekey: (id: number) => id === prekey.id ? prekey.privateKey : undefined }
const secret = utf8('the eagle lands at midnight — 秘密')

function seal (sender: Identity = alice, body = secret): Uint8Array {
  return sealEnvelope({
    sender, recipientAddress: bob.address, recipientPrekey: prekey,
    message: { contentType: TEXT_PLAIN, body, sentAt: NOW_MS }
  })
}

const code = (c: string) => (err: unknown): boolean => { assert.equal((err as { code?: string }).code, c, String(err)); return true }

describe('messaging/envelope', () => {
  it('round-trips a message and reports the authenticated sender', () => {
    const env = seal()
    const opened = openEnvelope({ recipient: bobRecipient, envelope: env, now: NOW })
    assert.equal(opened.senderAddress, alice.address)
    assert.deepEqual(opened.message.body, secret)
    assert.equal(opened.message.contentType, TEXT_PLAIN)
    assert.equal(opened.message.kind, 'message')
    assert.equal(opened.message.sentAt, NOW_MS)
    assert.deepEqual(opened.message.id, opened.envelopeId)
    assert.ok(opened.senderNodePublicKey.equals(alice.nodeKey.publicKey))
    assert.deepEqual(readEnvelopeHeader(env).envelopeId, opened.envelopeId)
  })

  it('works for a sender running on its root key (empty chain)', () => {
    const opened = openEnvelope({ recipient: bobRecipient, envelope: seal(carol), now: NOW })
    assert.equal(opened.senderAddress, carol.address)
  })

  it('carries every kind and a group id', () => {
    for (const kind of ['message', 'receipt', 'sender-key', 'group-update', 'sync'] as const) {
      const groupId = seedBytes('g').subarray(0, 16)
      const env = sealEnvelope({ sender: alice, recipientAddress: bob.address, recipientPrekey: prekey, message: { kind, body: new Uint8Array([1]), groupId } })
      const m = openEnvelope({ recipient: bobRecipient, envelope: env, now: NOW }).message
      assert.equal(m.kind, kind)
      assert.deepEqual(m.groupId, groupId)
    }
  })

  it('relay-visible bytes do not contain the plaintext, the sender address or its chain', () => {
    const env = seal()
    assert.equal(indexOf(env, secret), -1)
    assert.equal(indexOf(env, utf8(alice.address)), -1)
    assert.equal(indexOf(env, alice.chain.subarray(1, 40)), -1)
    const h = readEnvelopeHeader(env)
    assert.equal(h.recipientAddress, bob.address)
    assert.equal(h.prekeyId, 7)
  })

  it('two seals of the same message differ (fresh ephemeral and id)', () => {
    assert.notDeepEqual(seal(), seal())
  })

  it('rejects bodies over 256 KiB with TOO_LARGE; accepts exactly 256 KiB', () => {
    assert.throws(() => seal(alice, new Uint8Array(MAX_BODY_BYTES + 1)), code('ERR_MESSAGE_TOO_LARGE'))
    const env = seal(alice, new Uint8Array(MAX_BODY_BYTES))
    assert.equal(openEnvelope({ recipient: bobRecipient, envelope: env, now: NOW }).message.body.byteLength, MAX_BODY_BYTES)
  })

  it('wrong recipient → ERR_WRONG_RECIPIENT', () => {
    assert.throws(() => openEnvelope({ recipient: { address: carol.address, prekey: bobRecipient.prekey }, envelope: seal(), now: NOW }), code('ERR_WRONG_RECIPIENT'))
  })

  it('unknown prekey → ERR_UNKNOWN_PREKEY', () => {
    assert.throws(() => openEnvelope({ recipient: { address: bob.address, prekey: () => undefined }, envelope: seal(), now: NOW }), code('ERR_UNKNOWN_PREKEY'))
  })

  it('a different private key under the same id → ERR_DECRYPT_FAILED', () => {
    const other = generatePrekey(7, NOW + 10)
    assert.throws(() => openEnvelope({ recipient: { address: bob.address, prekey: () => other.privateKey }, envelope: seal(), now: NOW }), code('ERR_DECRYPT_FAILED'))
  })

  it('bad version → ERR_UNSUPPORTED_VERSION; truncation → ERR_MESSAGE_MALFORMED', () => {
    const env = seal()
    const v2 = env.slice(); v2[0] = 2
    assert.throws(() => openEnvelope({ recipient: bobRecipient, envelope: v2, now: NOW }), code('ERR_UNSUPPORTED_VERSION'))
    const h = readEnvelopeHeader(env)
    assert.throws(() => openEnvelope({ recipient: bobRecipient, envelope: env.subarray(0, h.bytes.byteLength + 15), now: NOW }), code('ERR_MESSAGE_MALFORMED'))
    assert.throws(() => openEnvelope({ recipient: bobRecipient, envelope: new Uint8Array(0), now: NOW }), code('ERR_MESSAGE_MALFORMED'))
  })

  it('every flipped byte is rejected with a typed error (header → recipient/prekey/AEAD, ciphertext → AEAD)', () => {
    const env = seal(alice, utf8('short'))
    const headerLength = readEnvelopeHeader(env).bytes.byteLength
    for (let i = 0; i < env.byteLength; i++) {
      const t = env.slice(); t[i] ^= 0x01
      assert.throws(() => openEnvelope({ recipient: bobRecipient, envelope: t, now: NOW }), (err: any) => {
        assert.ok(typeof err.code === 'string', `byte ${i}: untyped ${String(err)}`)
        if (i >= headerLength) assert.equal(err.code, 'ERR_DECRYPT_FAILED', `byte ${i}`)
        return true
      })
    }
  })

  it('property: any mutation or truncation throws a typed error, never opens to other content', () => {
    const env = seal(alice, utf8('property'))
    fc.assert(fc.property(fc.nat(env.byteLength - 1), fc.integer({ min: 1, max: 255 }), fc.nat(env.byteLength), (i, x, cut) => {
      const t = env.slice(); t[i] ^= x
      for (const candidate of [t, env.subarray(0, cut)]) {
        try {
          openEnvelope({ recipient: bobRecipient, envelope: candidate, now: NOW })
          assert.fail('opened a mutated envelope')
        } catch (err: any) {
          assert.equal(typeof err.code, 'string', String(err))
        }
      }
    }), { seed: 42, numRuns: 200 })
  })

  it('a sender signature by another key → ERR_BAD_SIGNATURE; a chain of another identity → ERR_INVALID_SENDER_CHAIN', () => {
    // Mallory claims to be Alice: her node key with Alice's chain fails the signature check ...
    const mallory = identity('mallory')
    const forged = seal({ ...alice, nodeKey: mallory.nodeKey })
    assert.throws(() => openEnvelope({ recipient: bobRecipient, envelope: forged, now: NOW }), code('ERR_BAD_SIGNATURE'))
    // ... and Alice's address with Mallory's chain fails the chain check.
    const badChain = seal({ ...alice, nodeKey: mallory.nodeKey, chain: mallory.chain })
    assert.throws(() => openEnvelope({ recipient: bobRecipient, envelope: badChain, now: NOW }), code('ERR_INVALID_SENDER_CHAIN'))
  })

  it('an expired sender certificate → ERR_INVALID_SENDER_CHAIN', () => {
    assert.throws(() => openEnvelope({ recipient: bobRecipient, envelope: seal(), now: NOW + 40 * 86400 }), code('ERR_INVALID_SENDER_CHAIN'))
  })

  it('a low-order ephemeral key is rejected', () => {
    const env = seal()
    const h = readEnvelopeHeader(env)
    const t = env.slice()
    t.fill(0, h.bytes.byteLength - 48, h.bytes.byteLength - 16) // eph = 0 (low order)
    assert.throws(() => openEnvelope({ recipient: bobRecipient, envelope: t, now: NOW }), code('ERR_DECRYPT_FAILED'))
  })

  it('message encoding is total and round-trips', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      try { decodeMessage(b) } catch (err: any) { assert.equal(typeof err.code, 'string') }
    }), { seed: 1, numRuns: 300 })
    const m = { id: new Uint8Array(16).fill(3), sentAt: 5, contentType: 'x/y', body: utf8('z'), kind: 'sync' as const }
    assert.deepEqual(decodeMessage(encodeMessage(m)), m)
  })
})
