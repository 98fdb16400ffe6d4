import assert from 'node:assert/strict'
import fc from 'fast-check'
import { attAddress } from '../../../src/keys/index.js'
import {
  createDirectoryRecord, decodeDirectoryRecord, directoryKey, directoryRecordSignedBytes, encodeDirectoryRecord,
  generatePrekey, pickPrekey, selectDirectoryRecord, validateDirectoryRecord
} from '../../../src/messaging/index.js'
import type { DirectoryRecord } from '../../../src/messaging/index.js'
import type { SelectFn, ValidateFn } from '@libp2p/kad-dht'
import { sign } from '../../../src/keys/index.js'
import { NOW, identity, seedBytes } from './fixtures.js'

const bob = identity('bob')
const mallory = identity('mallory')
const pk1 = generatePrekey(1, NOW + 7 * 86400, seedBytes('bob prekey 1'))
const mailbox = { peerId: attAddress(identity('relay').nodeKey.publicKey), multiaddrs: ['/ip4/127.0.0.1/tcp/4001'] }
const KEY = directoryKey(bob.address)

function rec (seq: number, expiresAt = NOW + 86400, id = bob): DirectoryRecord {
  return createDirectoryRecord(id, { seq, expiresAt, prekeys: [pk1], mailboxes: [mailbox] })
}
const enc = (r: DirectoryRecord): Uint8Array => encodeDirectoryRecord(r)
const resign = (r: DirectoryRecord, signer = bob): Uint8Array =>
  enc({ ...r, signature: sign(signer.rootKey, 'directory', directoryRecordSignedBytes(r)) })

async function rejects (value: Uint8Array, c: string, key = KEY): Promise<void> {
  await assert.rejects(validateDirectoryRecord(key, value, NOW), (err: any) => { assert.equal(err.code, c, String(err)); return true })
}

describe('messaging/directory-record', () => {
  it('has the kad-dht ValidateFn / SelectFn shapes and the /attn/id/<address> key', () => {
    const v: ValidateFn = validateDirectoryRecord
    const s: SelectFn = selectDirectoryRecord
    assert.equal(typeof v, 'function'); assert.equal(typeof s, 'function')
    assert.equal(new TextDecoder().decode(KEY), `/attn/id/${bob.address}`)
    assert.equal(new TextDecoder().decode(KEY).split('/')[1], 'attn')
  })

  it('creates, encodes canonically, decodes and validates', async () => {
    const r = rec(1)
    const bytes = enc(r)
    const d = decodeDirectoryRecord(bytes)
    assert.deepEqual(enc(d), bytes)
    assert.equal(d.address, bob.address)
    assert.equal(d.seq, 1n)
    assert.equal(d.devices.length, 1)
    assert.equal(d.devices[0].nodeId, attAddress(bob.nodeKey.publicKey))
    assert.deepEqual(d.prekeys[0].publicKey, pk1.publicKey)
    await validateDirectoryRecord(KEY, bytes, NOW)
    await validateDirectoryRecord(KEY, bytes, { nowSeconds: NOW })
    // The signed bytes are the encoding minus the trailing signature field (tag 15, 64 bytes).
    assert.deepEqual(bytes.subarray(0, bytes.byteLength - 66), directoryRecordSignedBytes(r))
    assert.equal(pickPrekey(d, NOW)?.id, 1)
    assert.equal(pickPrekey(d, NOW + 8 * 86400), undefined)
  })

  it('rejects a record signed by another key (forged)', async () => {
    await rejects(resign(rec(1), mallory), 'ERR_DIRECTORY_BAD_SIGNATURE')
  })

  it('rejects a record whose content was changed after signing', async () => {
    await rejects(enc({ ...rec(1), seq: 99n }), 'ERR_DIRECTORY_BAD_SIGNATURE')
    await rejects(enc({ ...rec(1), prekeys: [generatePrekey(1, NOW + 10)] }), 'ERR_DIRECTORY_BAD_SIGNATURE')
  })

  it('rejects a valid record stored under another identity\'s key, and a mismatched root key', async () => {
    await rejects(enc(rec(1)), 'ERR_DIRECTORY_KEY_MISMATCH', directoryKey(mallory.address))
    await rejects(enc(rec(1)), 'ERR_DIRECTORY_KEY_MISMATCH', new TextEncoder().encode(`/attn/xx/${bob.address}`))
    // Mallory's own valid record, claiming Bob's address with Mallory's root key.
    const m = rec(1, NOW + 86400, mallory)
    await rejects(resign({ ...m, address: bob.address }, mallory), 'ERR_DIRECTORY_KEY_MISMATCH')
  })

  it('rejects an expired record', async () => {
    await rejects(enc(rec(1, NOW - 3600)), 'ERR_DIRECTORY_EXPIRED')
  })

  it('rejects a device whose chain belongs to another identity or another node', async () => {
    const r = rec(1)
    await rejects(resign({ ...r, devices: [{ chain: mallory.chain, nodeId: attAddress(mallory.nodeKey.publicKey) }] }), 'ERR_DIRECTORY_DEVICE_INVALID')
    await rejects(resign({ ...r, devices: [{ chain: bob.chain, nodeId: attAddress(mallory.nodeKey.publicKey) }] }), 'ERR_DIRECTORY_DEVICE_INVALID')
  })

  it('rejects malformed bytes: garbage, non-canonical, oversize, trailing field, bad lengths', async () => {
    const bytes = enc(rec(1))
    await rejects(new Uint8Array([0xff, 0xff, 0xff]), 'ERR_DIRECTORY_MALFORMED')
    await rejects(new Uint8Array(20000), 'ERR_DIRECTORY_MALFORMED')
    const extra = new Uint8Array([...bytes, 0x80, 0x01, 0x00]) // unknown field 16 (varint 0)
    await rejects(extra, 'ERR_DIRECTORY_MALFORMED')
    await rejects(enc({ ...rec(1), rootPublicKey: new Uint8Array(32) }), 'ERR_DIRECTORY_MALFORMED')
    await rejects(enc({ ...rec(1), signature: new Uint8Array(63) }), 'ERR_DIRECTORY_MALFORMED')
    await rejects(enc({ ...rec(1), version: 2 }), 'ERR_DIRECTORY_UNSUPPORTED_VERSION')
  })

  it('property: decode and validate are total (typed errors only)', async () => {
    const good = enc(rec(1))
    await fc.assert(fc.asyncProperty(fc.nat(good.byteLength - 1), fc.integer({ min: 1, max: 255 }), async (i, x) => {
      const t = good.slice(); t[i] ^= x
      try {
        await validateDirectoryRecord(KEY, t, NOW)
        assert.fail('accepted a mutated record')
      } catch (err: any) { assert.equal(typeof err.code, 'string', String(err)) }
    }), { seed: 7, numRuns: 200 })
  })

  it('selector: highest seq wins; ties → later expiry, then greatest bytes; invalid never wins', () => {
    const r1 = enc(rec(1)); const r2 = enc(rec(2)); const r3 = enc(rec(3))
    assert.equal(selectDirectoryRecord(KEY, [r1, r3, r2], NOW), 1)
    const forgedHigh = resign(rec(50), mallory)
    const expiredHigh = enc(rec(40, NOW - 3600))
    const otherIdentity = enc(rec(60, NOW + 86400, mallory))
    assert.equal(selectDirectoryRecord(KEY, [forgedHigh, r2, expiredHigh, otherIdentity, new Uint8Array([1, 2])], NOW), 1)
    const early = enc(rec(5, NOW + 100)); const late = enc(rec(5, NOW + 200))
    assert.equal(selectDirectoryRecord(KEY, [late, early], NOW), 0)
    assert.equal(selectDirectoryRecord(KEY, [early, late], NOW), 1)
    // Equal seq and expiry, different content: the lexicographically greatest bytes.
    const a = enc(createDirectoryRecord(bob, { seq: 9, expiresAt: NOW + 300, prekeys: [pk1] }))
    const b = enc(createDirectoryRecord(bob, { seq: 9, expiresAt: NOW + 300, prekeys: [generatePrekey(2, NOW + 300, seedBytes('x'))] }))
    const greater = Buffer.compare(Buffer.from(a), Buffer.from(b)) > 0 ? 0 : 1
    assert.equal(selectDirectoryRecord(KEY, [a, b], NOW), greater)
    assert.throws(() => selectDirectoryRecord(KEY, [forgedHigh, expiredHigh], NOW), (err: any) => err.code === 'ERR_DIRECTORY_NONE_VALID')
  })
})
