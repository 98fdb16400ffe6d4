import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { verifyTypedData } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { PrivateKey } from '@libp2p/interface'
import {
  CHEQUE_TYPE, DELIVERY_TYPE, MAX_AMOUNT, chequeTypedData, deliveryTypedData, evmAddressOf, hashCheque, recoverSigner,
  signCheque, signDelivery, toAmount, toEvmAddress, typeString, verifyCheque, verifyDelivery
} from '../../../src/rewards/index.js'
import type { RewardsDomain } from '../../../src/rewards/index.js'
import { keccak256, toBytes } from 'viem'

const key = (name: string): PrivateKey => privateKeyFromRaw(new Uint8Array(createHash('sha256').update(`attn rewards unit: ${name}`).digest()))
const account = (k: PrivateKey): ReturnType<typeof privateKeyToAccount> => privateKeyToAccount(`0x${Buffer.from(k.raw).toString('hex')}`)
const domain: RewardsDomain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }
const alice = key('alice')
const bob = key('bob')
const node = key('node')
const NODE = evmAddressOf(node.publicKey)
const ALICE = evmAddressOf(alice.publicKey)

describe('rewards/typed-data (EIP-712 cheques and receipts)', () => {
  it('evmAddressOf an ATT root key is the EVM account of the same private key (viem)', () => {
    for (const k of [alice, bob, node]) assert.equal(evmAddressOf(k.publicKey), account(k).address)
  })

  it('type strings are the contract\'s', () => {
    assert.equal(CHEQUE_TYPE, 'Cheque(address sender,address node,uint256 cumulativeAmount)')
    assert.equal(DELIVERY_TYPE, 'Delivery(address node,address sender,address recipient,uint256 cumulativeAmount)')
    assert.equal(typeString('Cheque'), CHEQUE_TYPE)
    assert.equal(typeString('Delivery'), DELIVERY_TYPE)
  })

  it('signCheque / signDelivery are byte-identical to viem signTypedData, and viem verifies them', async () => {
    const cheque = signCheque(alice, domain, { node: NODE, cumulativeAmount: 12345n })
    assert.equal(cheque.sender, ALICE)
    const { signature, ...fields } = cheque
    assert.equal(await account(alice).signTypedData(chequeTypedData(domain, fields)), signature)
    assert.ok(await verifyTypedData({ address: ALICE, ...chequeTypedData(domain, fields), signature }))
    const receipt = signDelivery(bob, domain, { node: NODE, sender: ALICE, cumulativeAmount: 7n })
    const { signature: rs, ...rf } = receipt
    assert.equal(await account(bob).signTypedData(deliveryTypedData(domain, rf)), rs)
    assert.ok(await verifyTypedData({ address: evmAddressOf(bob.publicKey), ...deliveryTypedData(domain, rf), signature: rs }))
  })

  it('verify* accept the signer and refuse another key, another domain, altered fields', () => {
    const cheque = signCheque(alice, domain, { node: NODE, cumulativeAmount: 100n })
    assert.equal(verifyCheque(domain, cheque).cumulativeAmount, 100n)
    assert.throws(() => verifyCheque(domain, { ...cheque, cumulativeAmount: 101n }), { code: 'ERR_BAD_CHEQUE_SIGNATURE' })
    assert.throws(() => verifyCheque({ ...domain, chainId: 1 }, cheque), { code: 'ERR_BAD_CHEQUE_SIGNATURE' })
    assert.throws(() => verifyCheque(domain, { ...signCheque(bob, domain, { node: NODE, cumulativeAmount: 100n }), sender: ALICE }), { code: 'ERR_BAD_CHEQUE_SIGNATURE' })
    const receipt = signDelivery(bob, domain, { node: NODE, sender: ALICE, cumulativeAmount: 5n })
    assert.equal(verifyDelivery(domain, receipt).recipient, evmAddressOf(bob.publicKey))
    assert.throws(() => verifyDelivery(domain, { ...receipt, sender: NODE }), { code: 'ERR_BAD_DELIVERY_SIGNATURE' })
    assert.throws(() => verifyDelivery({ ...domain, verifyingContract: NODE }, receipt), { code: 'ERR_BAD_DELIVERY_SIGNATURE' })
  })

  it('refuses malformed signatures: length, v, high s, odd hex', () => {
    const digest = hashCheque(domain, { sender: ALICE, node: NODE, cumulativeAmount: 1n })
    const sig = signCheque(alice, domain, { node: NODE, cumulativeAmount: 1n }).signature
    assert.equal(recoverSigner(digest, sig), ALICE)
    const b = Buffer.from(sig.slice(2), 'hex')
    const bad = (f: (x: Buffer) => void): `0x${string}` => { const c = Buffer.from(b); f(c); return `0x${c.toString('hex')}` }
    assert.throws(() => recoverSigner(digest, sig.slice(0, -2) as `0x${string}`), { code: 'ERR_MALFORMED_EVM_SIGNATURE' })
    assert.throws(() => recoverSigner(digest, `${sig}0` as `0x${string}`), { code: 'ERR_MALFORMED_EVM_SIGNATURE' })
    assert.throws(() => recoverSigner(digest, bad((c) => { c[64] = 1 })), { code: 'ERR_MALFORMED_EVM_SIGNATURE' })
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    assert.throws(() => recoverSigner(digest, bad((c) => {
      const s = BigInt('0x' + c.subarray(32, 64).toString('hex'))
      Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex').copy(c, 32)
      c[64] = c[64] === 27 ? 28 : 27
    })), { code: 'ERR_MALFORMED_EVM_SIGNATURE' })
    assert.throws(() => verifyCheque(domain, { sender: ALICE, node: NODE, cumulativeAmount: 1n, signature: 'nope' as any }), { code: 'ERR_MALFORMED_EVM_SIGNATURE' })
  })

  it('checks addresses and amounts', () => {
    assert.equal(toEvmAddress(NODE.toLowerCase()), NODE)
    assert.throws(() => toEvmAddress('0x1234'), { code: 'ERR_INVALID_EVM_ADDRESS' })
    assert.throws(() => toEvmAddress(42), { code: 'ERR_INVALID_EVM_ADDRESS' })
    assert.equal(toAmount('340282366920938463463374607431768211455'), MAX_AMOUNT)
    assert.throws(() => toAmount(MAX_AMOUNT + 1n), { code: 'ERR_INVALID_AMOUNT' })
    assert.throws(() => toAmount(-1n), { code: 'ERR_INVALID_AMOUNT' })
    assert.throws(() => toAmount('01'), { code: 'ERR_INVALID_AMOUNT' })
    assert.throws(() => toAmount(1 as any), { code: 'ERR_INVALID_AMOUNT' })
    assert.throws(() => signCheque(alice, domain, { node: NODE, cumulativeAmount: MAX_AMOUNT + 1n }), { code: 'ERR_INVALID_AMOUNT' })
  })

  it('the cheque digest is keccak256(0x1901 ‖ domainSeparator ‖ hashStruct) computed by hand', () => {
    const enc = (hex: string): string => hex.slice(2).padStart(64, '0')
    const domainSep = keccak256(`0x${[
      keccak256(toBytes('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)')),
      keccak256(toBytes('ATT Rewards')), keccak256(toBytes('1')), `0x${(31337).toString(16)}`, domain.verifyingContract
    ].map(enc).join('')}`)
    const structHash = keccak256(`0x${[keccak256(toBytes(CHEQUE_TYPE)), ALICE, NODE, '0x64'].map(enc).join('')}`)
    assert.equal(hashCheque(domain, { sender: ALICE, node: NODE, cumulativeAmount: 100n }), keccak256(`0x1901${domainSep.slice(2)}${structHash.slice(2)}`))
  })
})
