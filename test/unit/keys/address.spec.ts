import assert from 'node:assert/strict'
import { generateKeyPair, privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { attAddress, evmAddress, parseAttAddress } from '../../../src/keys/index.js'
import { AttnError } from '../../../src/errors.js'

const scalar = (n: number): Uint8Array => {
  const out = new Uint8Array(32)
  new DataView(out.buffer).setUint32(28, n)
  return out
}

describe('keys/address', () => {
  it('is the libp2p PeerId string of the root key and round-trips', async () => {
    const key = await generateKeyPair('secp256k1')
    const address = attAddress(key.publicKey)
    assert.match(address, /^16Uiu2HA[km]/)
    assert.equal(address, peerIdFromPrivateKey(key).toString())
    assert.ok(parseAttAddress(address).equals(key.publicKey))
  })

  it('round-trips for arbitrary secp256k1 keys (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (n) => {
      const key = privateKeyFromRaw(scalar(n))
      const address = attAddress(key.publicKey)
      assert.ok(parseAttAddress(address).equals(key.publicKey))
    }), { seed: 42, numRuns: 50 })
  })

  it('rejects anything that is not a canonical secp256k1 identity peer id', async () => {
    const ed = await generateKeyPair('Ed25519')
    const secp = await generateKeyPair('secp256k1')
    const address = attAddress(secp.publicKey)
    const bad = [
      '', 'hello', '16Uiu2HAm', address.slice(0, -1), address + '1', '0' + address.slice(1), address.slice(0, 10) + 'l' + address.slice(11), // base58 has no 0 or l
      peerIdFromPrivateKey(ed).toString(), // an Ed25519 peer id
      'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', // sha256 peer id (RSA style, no embedded key)
      peerIdFromPrivateKey(secp).toCID().toString(), // CID form of the same peer: not canonical
      'x'.repeat(200)
    ]
    for (const s of bad) {
      assert.throws(() => parseAttAddress(s), (err: unknown) => err instanceof AttnError && err.code === 'ERR_INVALID_ADDRESS', s)
    }
    assert.throws(() => parseAttAddress(42 as unknown as string), { code: 'ERR_INVALID_ADDRESS' })
  })

  it('parseAttAddress never throws anything but ERR_INVALID_ADDRESS on random strings (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => {
      try {
        parseAttAddress(s)
      } catch (err) {
        assert.ok(err instanceof AttnError && err.code === 'ERR_INVALID_ADDRESS')
      }
    }), { seed: 7, numRuns: 300 })
  })

  it('derives the EIP-55 EVM address', () => {
    // Well-known: private keys 1 and 2.
    assert.equal(evmAddress(privateKeyFromRaw(scalar(1)).publicKey), '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf')
    assert.equal(evmAddress(privateKeyFromRaw(scalar(2)).publicKey), '0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF')
    const raw = privateKeyFromRaw(scalar(1)).publicKey.raw
    assert.equal(evmAddress(raw), evmAddress(publicKeyFromRaw(raw)))
  })

  it('refuses non-secp256k1 keys', async () => {
    const ed = await generateKeyPair('Ed25519')
    assert.throws(() => attAddress(ed.publicKey), { code: 'ERR_INVALID_KEY' })
    assert.throws(() => evmAddress(new Uint8Array(33)), { code: 'ERR_INVALID_KEY' })
  })
})
