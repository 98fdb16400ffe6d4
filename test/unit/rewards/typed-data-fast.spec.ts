import assert from 'node:assert/strict'
import fc from 'fast-check'
import { getAddress } from 'viem'
import { hashCheque, hashChequeViem, hashDelivery, hashDeliveryViem } from '../../../src/rewards/index.js'

const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(b => getAddress('0x' + Buffer.from(b).toString('hex')))
const amount = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n })
const domain = fc.record({ chainId: fc.integer({ min: 1, max: 2 ** 40 }), verifyingContract: address })

describe('rewards/typed-data fast digests', () => {
  it('property: hashCheque / hashDelivery (by hand) equal viem\'s hashTypedData', () => {
    fc.assert(fc.property(domain, address, address, address, amount, (d, a, b, c, v) => {
      assert.equal(hashCheque(d, { sender: a, node: b, cumulativeAmount: v }), hashChequeViem(d, { sender: a, node: b, cumulativeAmount: v }))
      assert.equal(hashDelivery(d, { node: a, sender: b, recipient: c, cumulativeAmount: v }), hashDeliveryViem(d, { node: a, sender: b, recipient: c, cumulativeAmount: v }))
    }), { numRuns: 200 })
  })
})
