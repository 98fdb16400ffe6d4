/**
 * protocols/vectors/rewards.json: this file both generates the vectors and checks them. JSON form
 * (protocols/README.md "Vector conventions"): snake_case names, bytes (hashes, signatures, private
 * keys) as lowercase hex without 0x, EVM addresses as EIP-55 text, amounts (uint256) as decimal
 * strings. Regenerate with `ATTN_WRITE_VECTORS=1 npx mocha --no-config dist/test/unit/rewards/vectors.spec.js`.
 * Keys come from sha256 seeds and ECDSA is RFC 6979 deterministic, so the file is reproducible byte
 * for byte. The domain's contract is where the vector deployer's second transaction (nonce 1, after
 * the token at nonce 0) creates AttRewards on chain 31337, so test/net/rewards-chain.spec.ts replays
 * these very signatures against the contract. Hashes are recomputed here by hand (keccak256 over the
 * ABI encoding), independently of viem's hashTypedData used by src/rewards.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { getContractAddress, keccak256, toBytes } from 'viem'
import type { PrivateKey } from '@libp2p/interface'
import {
  CHEQUE_TYPE, DELIVERY_TYPE, EIP712_NAME, EIP712_VERSION, evmAddressOf, hashCheque, hashDelivery, signCheque, signDelivery,
  verifyCheque, verifyDelivery
} from '../../../src/rewards/index.js'
import { vectorKey, VECTOR_CHAIN_ID } from './vector-keys.js'
import type { Address, RewardsDomain, SignedCheque, SignedDelivery } from '../../../src/rewards/index.js'

const FILE = fileURLToPath(new URL('../../../../protocols/vectors/rewards.json', import.meta.url))
const WRITE = process.env.ATTN_WRITE_VECTORS === '1'
const DOMAIN_TYPE = 'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'

const hex = (b: Uint8Array | string): string => typeof b === 'string' ? b.replace(/^0x/, '').toLowerCase() : Buffer.from(b).toString('hex')
const word = (h: string): string => h.replace(/^0x/, '').toLowerCase().padStart(64, '0')
const num = (n: bigint): string => n.toString(16)

function codeOf (fn: () => unknown): string {
  try { fn() } catch (err: any) { return err.code ?? `untyped: ${String(err)}` }
  return 'OK'
}

export function rewardsVectors (): any {
  const names = ['deployer', 'alice', 'bob', 'carol', 'mailbox', 'mallory']
  const keys = Object.fromEntries(names.map((n) => [n, vectorKey(n)]))
  const addr = (n: string): Address => evmAddressOf(keys[n].publicKey)
  const contract = getContractAddress({ from: addr('deployer'), nonce: 1n })
  const domain: RewardsDomain = { chainId: VECTOR_CHAIN_ID, verifyingContract: contract }
  const domainTypeHash = keccak256(toBytes(DOMAIN_TYPE))
  const separator = keccak256(`0x${[domainTypeHash, keccak256(toBytes(EIP712_NAME)), keccak256(toBytes(EIP712_VERSION)), num(BigInt(VECTOR_CHAIN_ID)), contract].map(word).join('')}`)
  const chequeTypeHash = keccak256(toBytes(CHEQUE_TYPE))
  const deliveryTypeHash = keccak256(toBytes(DELIVERY_TYPE))
  const digest = (structHash: string): string => keccak256(`0x1901${word(separator)}${word(structHash)}`)

  const chequeCase = (sender: string, amount: bigint): unknown => {
    const signed = signCheque(keys[sender], domain, { node: addr('mailbox'), cumulativeAmount: amount })
    const structHash = keccak256(`0x${[chequeTypeHash, signed.sender, signed.node, num(amount)].map(word).join('')}`)
    assert.equal(hashCheque(domain, signed), digest(structHash))
    return {
      signer: sender, sender: signed.sender, node: signed.node, cumulative_amount: amount.toString(),
      struct_hash: hex(structHash), digest: hex(digest(structHash)), signature: hex(signed.signature)
    }
  }
  const deliveryCase = (recipient: string, sender: string, amount: bigint): unknown => {
    const signed = signDelivery(keys[recipient], domain, { node: addr('mailbox'), sender: addr(sender), cumulativeAmount: amount })
    const structHash = keccak256(`0x${[deliveryTypeHash, signed.node, signed.sender, signed.recipient, num(amount)].map(word).join('')}`)
    assert.equal(hashDelivery(domain, signed), digest(structHash))
    return {
      signer: recipient, node: signed.node, sender: signed.sender, recipient: signed.recipient, cumulative_amount: amount.toString(),
      struct_hash: hex(structHash), digest: hex(digest(structHash)), signature: hex(signed.signature)
    }
  }

  const good = signCheque(keys.alice, domain, { node: addr('mailbox'), cumulativeAmount: 300n })
  const goodReceipt = signDelivery(keys.bob, domain, { node: addr('mailbox'), sender: addr('alice'), cumulativeAmount: 200n })
  const sigBytes = Buffer.from(hex(good.signature), 'hex')
  const highS = Buffer.from(sigBytes)
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
  Buffer.from((n - BigInt('0x' + highS.subarray(32, 64).toString('hex'))).toString(16).padStart(64, '0'), 'hex').copy(highS, 32)
  highS[64] = highS[64] === 27 ? 28 : 27
  const v01 = Buffer.from(sigBytes); v01[64] -= 27
  const invalidCheques: Array<{ name: string, cheque: SignedCheque }> = [
    { name: 'signed by another key (mallory) in the sender\'s name', cheque: { ...signCheque(keys.mallory, domain, { node: addr('mailbox'), cumulativeAmount: 300n }), sender: addr('alice') } },
    { name: 'amount altered after signing', cheque: { ...good, cumulativeAmount: 301n } },
    { name: 'signed under another chain id (1)', cheque: signCheque(keys.alice, { ...domain, chainId: 1 }, { node: addr('mailbox'), cumulativeAmount: 300n }) },
    { name: 'high s (s > n/2, v flipped): refused so each signature has one encoding', cheque: { ...good, signature: `0x${highS.toString('hex')}` } },
    { name: 'v = 0/1 instead of 27/28', cheque: { ...good, signature: `0x${v01.toString('hex')}` } },
    { name: '64 bytes (EIP-2098 compact form is not accepted)', cheque: { ...good, signature: `0x${sigBytes.subarray(0, 64).toString('hex')}` } }
  ]
  const invalidDeliveries: Array<{ name: string, delivery: SignedDelivery }> = [
    { name: 'signed by another key (mallory) in the recipient\'s name', delivery: { ...signDelivery(keys.mallory, domain, { node: addr('mailbox'), sender: addr('alice'), cumulativeAmount: 200n }), recipient: addr('bob') } },
    { name: 'signed for another contract', delivery: signDelivery(keys.bob, { ...domain, verifyingContract: addr('deployer') }, { node: addr('mailbox'), sender: addr('alice'), cumulativeAmount: 200n }) },
    { name: 'sender altered after signing', delivery: { ...goodReceipt, sender: addr('carol') } }
  ]

  return {
    description: 'EIP-712 postage cheques and delivery receipts (protocols/rewards.md §2). Keys are sha256("attn/1 rewards vectors: <name>"). ' +
      'domain.separator = keccak256(typeHash(EIP712Domain) ‖ keccak256(name) ‖ keccak256(version) ‖ chainId ‖ verifyingContract); ' +
      'struct_hash = keccak256(typeHash ‖ each field as a 32-byte word); digest = keccak256(0x1901 ‖ separator ‖ struct_hash); ' +
      'signature = r ‖ s ‖ v (65 bytes, v ∈ {27,28}, low s, RFC 6979). verifying_contract is the address AttRewards gets when the deployer ' +
      'deploys AttToken (nonce 0) then AttRewards (nonce 1) on chain 31337. Each invalid case fails with its error.',
    domain: {
      type_string: DOMAIN_TYPE,
      type_hash: hex(domainTypeHash),
      name: EIP712_NAME,
      version: EIP712_VERSION,
      chain_id: String(VECTOR_CHAIN_ID),
      verifying_contract: contract,
      deployer: addr('deployer'),
      deployer_nonce: 1,
      separator: hex(separator)
    },
    types: {
      cheque: { type_string: CHEQUE_TYPE, type_hash: hex(chequeTypeHash) },
      delivery: { type_string: DELIVERY_TYPE, type_hash: hex(deliveryTypeHash) }
    },
    keys: names.map((name) => ({ name, private_key: hex(keys[name].raw), evm_address: addr(name) })),
    cheques: [chequeCase('alice', 0n), chequeCase('alice', 300n), chequeCase('carol', 1000000000000000000n), chequeCase('alice', (1n << 128n) - 1n)],
    deliveries: [deliveryCase('bob', 'alice', 200n), deliveryCase('carol', 'alice', 100n), deliveryCase('bob', 'carol', 7n)],
    invalid_cheques: invalidCheques.map(({ name, cheque }) => ({
      name, sender: cheque.sender, node: cheque.node, cumulative_amount: cheque.cumulativeAmount.toString(), signature: hex(cheque.signature),
      error: codeOf(() => verifyCheque(domain, cheque))
    })),
    invalid_deliveries: invalidDeliveries.map(({ name, delivery }) => ({
      name, node: delivery.node, sender: delivery.sender, recipient: delivery.recipient, cumulative_amount: delivery.cumulativeAmount.toString(),
      signature: hex(delivery.signature), error: codeOf(() => verifyDelivery(domain, delivery))
    }))
  }
}

describe('rewards/vectors (protocols/vectors/rewards.json)', () => {
  it('rewards.json is reproduced byte for byte; every case verifies or fails as recorded', async () => {
    const v = rewardsVectors()
    const text = JSON.stringify(v, null, 2) + '\n'
    if (WRITE) await writeFile(FILE, text)
    assert.equal(await readFile(FILE, 'utf8'), text, 'rewards.json differs from the generator output')
    const domain: RewardsDomain = { chainId: Number(v.domain.chain_id), verifyingContract: v.domain.verifying_contract }
    for (const c of v.cheques) {
      verifyCheque(domain, { sender: c.sender, node: c.node, cumulativeAmount: BigInt(c.cumulative_amount), signature: `0x${c.signature as string}` })
    }
    for (const d of v.deliveries) {
      verifyDelivery(domain, { node: d.node, sender: d.sender, recipient: d.recipient, cumulativeAmount: BigInt(d.cumulative_amount), signature: `0x${d.signature as string}` })
    }
    assert.deepEqual(v.invalid_cheques.map((c: any) => c.error), [
      'ERR_BAD_CHEQUE_SIGNATURE', 'ERR_BAD_CHEQUE_SIGNATURE', 'ERR_BAD_CHEQUE_SIGNATURE', 'ERR_MALFORMED_EVM_SIGNATURE',
      'ERR_MALFORMED_EVM_SIGNATURE', 'ERR_MALFORMED_EVM_SIGNATURE'
    ])
    assert.deepEqual(v.invalid_deliveries.map((c: any) => c.error), ['ERR_BAD_DELIVERY_SIGNATURE', 'ERR_BAD_DELIVERY_SIGNATURE', 'ERR_BAD_DELIVERY_SIGNATURE'])
  })
})
