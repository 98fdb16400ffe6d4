import assert from 'node:assert/strict'
import { createReceipt, decodeReceipt, verifyReceipt } from '../../../src/messaging/index.js'
import { NOW, NOW_MS, identity } from './fixtures.js'

const alice = identity('alice')
const bob = identity('bob')
const mallory = identity('mallory')
const envelopeId = new Uint8Array(16).fill(0xab)
const forged = (err: any): boolean => { assert.equal(err.code, 'ERR_RECEIPT_FORGED', String(err)); return true }

describe('messaging/receipt', () => {
  it('verifies a receipt signed by the recipient (device key and root key)', () => {
    for (const recipient of [bob, identity('dave', false)]) {
      const r = createReceipt(recipient, { envelopeId, senderAddress: alice.address, deliveredAt: NOW_MS })
      const v = verifyReceipt(r, recipient.address, envelopeId, NOW)
      assert.equal(v.senderAddress, alice.address)
      assert.equal(v.deliveredAt, NOW_MS)
      assert.deepEqual(decodeReceipt(r).envelopeId, envelopeId)
    }
  })

  it('rejects forged receipts: other signer, other envelope, other recipient, tampered bytes', () => {
    const r = createReceipt(bob, { envelopeId, senderAddress: alice.address, deliveredAt: NOW_MS })
    assert.throws(() => verifyReceipt(r, bob.address, new Uint8Array(16), NOW), forged)
    assert.throws(() => verifyReceipt(r, mallory.address, envelopeId, NOW), forged)
    // Mallory signs a receipt claiming to be Bob: with her own chain ...
    const m1 = createReceipt({ ...mallory, address: bob.address }, { envelopeId, senderAddress: alice.address, deliveredAt: NOW_MS })
    assert.throws(() => verifyReceipt(m1, bob.address, envelopeId, NOW), forged)
    // ... or with Bob's chain and her key.
    const m2 = createReceipt({ ...bob, nodeKey: mallory.nodeKey }, { envelopeId, senderAddress: alice.address, deliveredAt: NOW_MS })
    assert.throws(() => verifyReceipt(m2, bob.address, envelopeId, NOW), forged)
    // Tampered delivered_at.
    const t = r.slice(); t[1 + 1 + bob.address.length + 1 + alice.address.length + 16 + 7] ^= 1
    assert.throws(() => verifyReceipt(t, bob.address, envelopeId, NOW), forged)
    // Garbage.
    assert.throws(() => verifyReceipt(r.subarray(0, 10), bob.address, envelopeId, NOW), (err: any) => err.code === 'ERR_MESSAGE_MALFORMED')
  })
})
