import assert from 'node:assert/strict'
import { decodeInfo, encodeInfo } from '../../../src/rpc/index.js'
import { Info } from '../../../src/rpc/pb/rpc.js'
import { advertisedPrice, isAdvertisedPrice } from '../../../src/utils/price.js'

const BASE = { version: '0.1.0', address: 'att:b', methods: ['attn.info'], protocols: ['/attn/1.0.0'], carriers: [] }
const MAX = ((1n << 128n) - 1n).toString()

describe('rpc/attn.info mailbox_price (issue 12: the advertised mailbox price)', () => {
  it('round-trips a price; a missing price (an older or free node) decodes as not advertised', () => {
    assert.deepEqual(decodeInfo(encodeInfo({ ...BASE, mailboxPrice: '7' })), { ...BASE, mailboxPrice: '7' })
    assert.deepEqual(decodeInfo(encodeInfo({ ...BASE, mailboxPrice: MAX })), { ...BASE, mailboxPrice: MAX })
    const old = decodeInfo(encodeInfo(BASE))
    assert.equal(old.mailboxPrice, undefined)
    assert.equal('mailboxPrice' in old, false)
    // the bytes of a node with no price are those of an older node (field 6 is absent)
    assert.deepEqual(encodeInfo(BASE), Info.encode({ ...BASE, mailboxPrice: '' }))
  })

  it('rejects a price that is not a decimal amount 1 … 2^128-1 without a leading zero', () => {
    for (const bad of ['0', '07', '-1', '+1', '1.5', '1e3', ' 1', 'ten', (1n << 128n).toString(), '1'.repeat(40)]) {
      assert.throws(() => decodeInfo(Info.encode({ ...BASE, mailboxPrice: bad })), (e: any) => e.code === 'ERR_RPC_INVALID_FIELD', bad)
    }
  })

  it('advertisedPrice: 0 is not advertised, the rest as decimal strings', () => {
    assert.equal(advertisedPrice(0n), undefined)
    assert.equal(advertisedPrice(100n), '100')
    assert.equal(advertisedPrice((1n << 128n) - 1n), MAX)
    assert.throws(() => advertisedPrice(1n << 128n), RangeError)
    assert.equal(isAdvertisedPrice(''), false)
    assert.equal(isAdvertisedPrice('1'), true)
  })
})
