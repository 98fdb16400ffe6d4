/**
 * protocols/vectors/postage.json: the bytes of the postage messages of the mailbox protocol
 * (protocols/rewards.md §6), generated and checked by this file. Regenerate with
 * `ATTN_WRITE_VECTORS=1 npx mocha --no-config dist/test/unit/messaging/postage-vectors.spec.js`.
 * Keys and the domain are those of vectors/rewards.json (the cheque and receipt signatures are
 * its deterministic RFC 6979 ones).
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { getContractAddress } from 'viem'
import { evmAddressOf, signCheque, signDelivery } from '../../../src/rewards/index.js'
import {
  decodeAckReply, decodePut, decodeReceipts, decodeTerms, encodeAckReply, encodePut, encodeReceipts, encodeTerms
} from '../../../src/messaging/protocol/postage.js'
import { vectorKey, VECTOR_CHAIN_ID } from '../rewards/vector-keys.js'

const FILE = fileURLToPath(new URL('../../../../protocols/vectors/postage.json', import.meta.url))
const WRITE = process.env.ATTN_WRITE_VECTORS === '1'
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

function codeOf (fn: () => unknown): string {
  try { fn() } catch (err: any) { return err.code ?? `untyped: ${String(err)}` }
  return 'OK'
}

function postageVectors (): any {
  const addr = (n: string): `0x${string}` => evmAddressOf(vectorKey(n).publicKey)
  const contract = getContractAddress({ from: addr('deployer'), nonce: 1n })
  const domain = { chainId: VECTOR_CHAIN_ID, verifyingContract: contract }
  const mailbox = addr('mailbox')
  const terms = { price: 10n, chainId: BigInt(VECTOR_CHAIN_ID), contract, node: mailbox }
  // a minimal parcel (messaging.md): version 1, kind 1, recipient "att1example", 4 payload bytes
  const parcel = Uint8Array.from([1, 1, 11, ...Buffer.from('att1example'), 0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef])
  const cheque = signCheque(vectorKey('alice'), domain, { node: mailbox, cumulativeAmount: 30n })
  const put = encodePut(parcel, { postage: 10n, cumulativeAmount: cheque.cumulativeAmount, signature: cheque.signature })
  const parcelId = new Uint8Array(16).fill(0x11)
  const ack = encodeAckReply({ domain: { chainId: BigInt(VECTOR_CHAIN_ID), contract, node: mailbox }, paid: [{ parcelId, sender: addr('alice'), postage: 10n }] })
  const delivery = signDelivery(vectorKey('bob'), domain, { node: mailbox, sender: addr('alice'), cumulativeAmount: 20n })
  const receipts = encodeReceipts([{ sender: delivery.sender, cumulativeAmount: delivery.cumulativeAmount, signature: delivery.signature }])
  const invalid = [
    { name: 'terms version 2', method: 'mailbox.terms', bytes: '02' + hex(encodeTerms(terms)).slice(2) },
    { name: 'terms with a trailing byte', method: 'mailbox.terms', bytes: hex(encodeTerms(terms)) + '00' },
    { name: 'put trailer with an unknown tag', method: 'mailbox.put', bytes: hex(parcel) + '51' + hex(put).slice(hex(parcel).length + 2) },
    { name: 'put trailer one byte short', method: 'mailbox.put', bytes: hex(put).slice(0, -2) },
    { name: 'ack result kind 3', method: 'mailbox.ack', bytes: '03' },
    { name: 'receipt call with 0 receipts', method: 'mailbox.receipt', bytes: '0000' },
    { name: 'receipt call with a trailing byte', method: 'mailbox.receipt', bytes: hex(receipts) + '00' }
  ].map(v => {
    const b = Uint8Array.from(Buffer.from(v.bytes, 'hex'))
    const decode = { 'mailbox.terms': decodeTerms, 'mailbox.put': decodePut, 'mailbox.ack': decodeAckReply, 'mailbox.receipt': decodeReceipts }[v.method] as (b: Uint8Array) => unknown
    return { ...v, error: codeOf(() => decode(b)) }
  })
  return {
    description: 'Postage messages of the mailbox protocol (protocols/rewards.md §6). Bytes as lowercase hex; amounts as decimal strings; keys and domain as in rewards.json.',
    domain: { chain_id: VECTOR_CHAIN_ID, verifying_contract: contract },
    terms: { price: '10', chain_id: VECTOR_CHAIN_ID, contract, node: mailbox, bytes: hex(encodeTerms(terms)) },
    free_terms: { bytes: hex(encodeTerms({ price: 0n, chainId: 0n, contract: '0x' + '00'.repeat(20), node: '0x' + '00'.repeat(20) })) },
    put: {
      parcel: hex(parcel), sender: addr('alice'), node: mailbox, postage: '10', cumulative_amount: '30',
      cheque_signature: cheque.signature.slice(2), bytes: hex(put)
    },
    ack_plain: { bytes: hex(encodeAckReply({ paid: [] })) },
    ack_postage: { parcel_id: hex(parcelId), sender: addr('alice'), postage: '10', bytes: hex(ack) },
    receipt: {
      recipient: addr('bob'), node: mailbox, sender: addr('alice'), cumulative_amount: '20',
      signature: delivery.signature.slice(2), bytes: hex(receipts)
    },
    invalid
  }
}

describe('messaging/postage vectors (protocols/vectors/postage.json)', () => {
  it('postage.json is reproduced byte for byte; its invalid cases fail as recorded', async () => {
    const fresh = postageVectors()
    const text = JSON.stringify(fresh, null, 2) + '\n'
    if (WRITE) await writeFile(FILE, text)
    assert.equal(await readFile(FILE, 'utf8'), text)
    for (const v of fresh.invalid) assert.equal(v.error, 'ERR_MESSAGE_MALFORMED', v.name)
    const put = decodePut(Uint8Array.from(Buffer.from(fresh.put.bytes, 'hex')))
    assert.equal(hex(put.parcel), fresh.put.parcel)
    assert.equal(put.postage?.signature, '0x' + fresh.put.cheque_signature)
  })
})
