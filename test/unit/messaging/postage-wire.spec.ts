import assert from 'node:assert/strict'
import {
  decodeAckReply, decodePut, decodeReceipts, decodeTerms, encodeAckReply, encodePut, encodeReceipts, encodeTerms
} from '../../../src/messaging/protocol/postage.js'

const A = '0x' + '11'.repeat(20)
const B = '0x' + '22'.repeat(20)
const SIG = '0x' + 'ab'.repeat(65)
const parcel = Uint8Array.from([1, 1, 3, 0x61, 0x62, 0x63, 0, 0, 0, 2, 9, 9])

describe('messaging/postage wire formats', () => {
  it('terms round-trip; exact bytes', () => {
    const t = { price: 7n, chainId: 31337n, contract: A, node: B }
    const bytes = encodeTerms(t)
    assert.equal(bytes.byteLength, 1 + 16 + 8 + 20 + 20)
    assert.equal(Buffer.from(bytes).toString('hex'), '01' + '0'.repeat(30) + '07' + '0000000000007a69' + '11'.repeat(20) + '22'.repeat(20))
    assert.deepEqual(decodeTerms(bytes), t)
    assert.throws(() => decodeTerms(Uint8Array.of(...bytes, 0)), { code: 'ERR_MESSAGE_MALFORMED' })
    assert.throws(() => decodeTerms(Uint8Array.of(2, ...bytes.subarray(1))), { code: 'ERR_MESSAGE_MALFORMED' })
  })

  it('a put is the parcel, optionally followed by a 98-byte postage trailer', () => {
    assert.deepEqual(decodePut(encodePut(parcel)), { parcel })
    const paid = encodePut(parcel, { postage: 10n, cumulativeAmount: 30n, signature: SIG })
    assert.equal(paid.byteLength, parcel.byteLength + 98)
    assert.deepEqual(decodePut(paid), { parcel, postage: { postage: 10n, cumulativeAmount: 30n, signature: SIG } })
    assert.throws(() => decodePut(Uint8Array.of(...parcel, 0x51)), { code: 'ERR_MESSAGE_MALFORMED' })
    assert.throws(() => decodePut(paid.subarray(0, paid.byteLength - 1)), { code: 'ERR_MESSAGE_MALFORMED' })
    assert.throws(() => decodePut(Uint8Array.of(...paid, 0)), { code: 'ERR_MESSAGE_MALFORMED' })
  })

  it('ack results: 0x01 plain, 0x02 with the postage of paid parcels', () => {
    assert.deepEqual(Array.from(encodeAckReply({ paid: [] })), [1])
    assert.deepEqual(decodeAckReply(Uint8Array.of(1)), { paid: [] })
    const reply = { domain: { chainId: 1n, contract: A, node: B }, paid: [{ parcelId: new Uint8Array(16).fill(5), sender: A, postage: 3n }] }
    const bytes = encodeAckReply(reply)
    assert.equal(bytes.byteLength, 1 + 8 + 20 + 20 + 2 + 16 + 20 + 16)
    assert.deepEqual(decodeAckReply(bytes), reply)
    assert.throws(() => decodeAckReply(Uint8Array.of(3)), { code: 'ERR_MESSAGE_MALFORMED' })
  })

  it('receipts: 1..64 per call', () => {
    const r = [{ sender: A, cumulativeAmount: 21n, signature: SIG }]
    const bytes = encodeReceipts(r)
    assert.equal(bytes.byteLength, 2 + 20 + 16 + 65)
    assert.deepEqual(decodeReceipts(bytes), r)
    assert.throws(() => decodeReceipts(Uint8Array.of(0, 0)), { code: 'ERR_MESSAGE_MALFORMED' })
    assert.throws(() => decodeReceipts(encodeReceipts(Array(65).fill(r[0]))), { code: 'ERR_MESSAGE_MALFORMED' })
  })
})
