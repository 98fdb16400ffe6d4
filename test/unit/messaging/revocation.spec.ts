/**
 * Device-signed directory records and revocation (protocols/messaging.md §2 rules 4–7, §2.2):
 * validation, selection by revocation seq, and the RevocationState a publisher carries forward.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { attAddress, encodeCertificate, encodeChain, issueCertificate } from '../../../src/keys/index.js'
import {
  checkDirectoryRecord, compareDirectoryRecords, createDirectoryRecord, createRevocations, directoryKey, encodeDirectoryRecord,
  MAX_REVOKED_DEVICES, selectDirectoryRecord
} from '../../../src/messaging/index.js'
import { REVOCATIONS_FILE, RevocationState, extendRevocations, readRevocationsFile } from '../../../src/messaging/revocations.js'
import type { Identity } from '../../../src/keys/index.js'
import { NOW, identity, keyFrom } from './fixtures.js'

const bob = identity('bob')
const KEY = directoryKey(bob.address)
const log = logger('attn:test:revocation')

/** A linked device of bob: its own node key and certificate, no root key. */
function linked (name: string): Identity {
  const nodeKey = keyFrom(`revocation spec: bob ${name}`)
  const certificate = encodeCertificate(issueCertificate(bob.rootKey, nodeKey.publicKey, { now: NOW, label: name }))
  return { address: bob.address, nodeKey, certificate, chain: encodeChain([certificate]) }
}
const phone = linked('phone')
const tablet = linked('tablet')
const entry = (id: Identity): { chain: Uint8Array, nodeId: string } => ({ chain: id.chain, nodeId: attAddress(id.nodeKey.publicKey) })
const code = (fn: () => unknown): string => { try { fn(); return 'OK' } catch (err: any) { return err.code } }

describe('messaging/revocation (device-signed records, revocation lists)', () => {
  it('a linked device (no root key) signs its record with its node key and signer_chain; it validates', () => {
    const r = createDirectoryRecord(phone, { seq: 1, expiresAt: NOW + 3600, devices: [entry(bob), entry(phone)] })
    assert.deepEqual(r.signerChain, phone.chain)
    const back = checkDirectoryRecord(KEY, encodeDirectoryRecord(r), NOW)
    assert.equal(back.devices.length, 2)
    // a root-signed record has no signer_chain: the bytes of records before §2.2 are unchanged
    assert.equal(createDirectoryRecord(bob, { seq: 1, expiresAt: NOW + 3600 }).signerChain, undefined)
  })

  it('refuses a device-signed record whose certificate has expired at now (ERR_DIRECTORY_SIGNER_INVALID)', () => {
    const r = createDirectoryRecord(phone, { seq: 1, expiresAt: NOW + 3600 * 24 * 60, devices: [entry(phone)] })
    assert.equal(code(() => checkDirectoryRecord(KEY, encodeDirectoryRecord(r), NOW + 31 * 86400)), 'ERR_DIRECTORY_SIGNER_INVALID')
  })

  it('selection: the higher revocation seq wins before seq; compareDirectoryRecords agrees with the selector', () => {
    const list1 = createRevocations(bob.rootKey, 1, [])
    const list2 = createRevocations(bob.rootKey, 2, [entry(tablet).nodeId])
    const rooted = createDirectoryRecord(bob, { seq: 2, expiresAt: NOW + 3600, devices: [entry(bob), entry(phone)], revocations: list2 })
    const tabletAgain = createDirectoryRecord(tablet, { seq: 50, expiresAt: NOW + 3600, devices: [entry(bob), entry(tablet)], revocations: list1 })
    const unlisted = createDirectoryRecord(bob, { seq: 99, expiresAt: NOW + 3600, devices: [entry(bob)] })
    const values = [tabletAgain, unlisted, rooted].map(encodeDirectoryRecord)
    assert.equal(selectDirectoryRecord(KEY, values, NOW), 2)
    assert.ok(compareDirectoryRecords(rooted, tabletAgain) > 0)
    assert.ok(compareDirectoryRecords(tabletAgain, unlisted) > 0)
    // with equal lists, seq decides again
    const later = createDirectoryRecord(phone, { seq: 3, expiresAt: NOW + 3600, devices: [entry(bob), entry(phone)], revocations: list2 })
    assert.equal(selectDirectoryRecord(KEY, [rooted, later].map(encodeDirectoryRecord), NOW), 1)
  })

  it('createRevocations sorts and deduplicates; at most MAX_REVOKED_DEVICES ids', () => {
    const ids = [entry(tablet).nodeId, entry(phone).nodeId, entry(tablet).nodeId]
    const r = createRevocations(bob.rootKey, 7, ids)
    assert.deepEqual(r.nodeIds, [...new Set(ids)].sort())
    const many = Array.from({ length: MAX_REVOKED_DEVICES }, (_, i) => attAddress(keyFrom(`revocation spec: many ${i}`).publicKey))
    assert.equal(createRevocations(bob.rootKey, 1, many).nodeIds.length, MAX_REVOKED_DEVICES)
    assert.throws(() => extendRevocations(bob.rootKey, createRevocations(bob.rootKey, 1, many), [entry(phone).nodeId]), (err: any) => err.code === 'ERR_INVALID_REVOCATION')
    assert.throws(() => extendRevocations(bob.rootKey, undefined, ['not a peer id']), (err: any) => err.code === 'ERR_INVALID_REVOCATION')
  })

  describe('RevocationState', () => {
    let dir: string
    beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'attn-revocation-')) })
    afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

    it('a root home revokes: the list is kept in revocations.json (seq + 1) and read back at the next start', async () => {
      const path = join(dir, REVOCATIONS_FILE)
      const self = attAddress(bob.nodeKey.publicKey)
      const state = new RevocationState({ identity: bob, self, log, path })
      assert.equal(state.current(), undefined)
      const first = await state.revoke(entry(phone).nodeId)
      const second = await state.revoke(entry(tablet).nodeId)
      assert.equal(first.seq, 1n)
      assert.equal(second.seq, 2n)
      assert.ok(state.isRevoked(entry(phone).nodeId) && state.isRevoked(entry(tablet).nodeId))
      assert.deepEqual(readRevocationsFile(path, bob.address)?.nodeIds, second.nodeIds)
      const restarted = new RevocationState({ identity: bob, self, log, path })
      assert.equal(restarted.current()?.seq, 2n)
      await assert.rejects(state.revoke(self), (err: any) => err.code === 'ERR_INVALID_REVOCATION')
    })

    it('a linked device cannot revoke; one that sees itself revoked stops publishing (ERR_DEVICE_REVOKED)', async () => {
      const state = new RevocationState({ identity: phone, self: entry(phone).nodeId, log })
      await assert.rejects(state.revoke(entry(tablet).nodeId), (err: any) => err.code === 'ERR_ROOT_KEY_REQUIRED')
      state.observe(createRevocations(bob.rootKey, 1, [entry(tablet).nodeId]))
      state.assertNotRevoked()
      assert.equal(state.revokedSelf(), undefined)
      // a lower list never replaces a higher one
      state.observe(createRevocations(bob.rootKey, 3, [entry(phone).nodeId]))
      state.observe(createRevocations(bob.rootKey, 2, []))
      assert.equal(state.current()?.seq, 3n)
      assert.equal(state.revokedSelf(), 3n)
      assert.throws(() => { state.assertNotRevoked() }, (err: any) => err.code === 'ERR_DEVICE_REVOKED')
    })

    it('a root home whose own list names an id missing from a higher list found elsewhere publishes the union, one seq higher', async () => {
      const path = join(dir, REVOCATIONS_FILE)
      const self = attAddress(bob.nodeKey.publicKey)
      const state = new RevocationState({ identity: bob, self, log, path })
      await state.revoke(entry(phone).nodeId)
      state.observe(createRevocations(bob.rootKey, 5, [entry(tablet).nodeId]))
      const published = state.forPublish()
      assert.equal(published?.seq, 6n)
      assert.deepEqual(published?.nodeIds, [entry(phone).nodeId, entry(tablet).nodeId].sort())
      assert.equal(checkDirectoryRecord(KEY, encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 1, expiresAt: NOW + 3600, devices: [entry(bob)], revocations: published })), NOW).revocations?.seq, 6n)
    })

    it('a tampered revocations.json is ignored (logged), not trusted', async () => {
      const path = join(dir, REVOCATIONS_FILE)
      const state = new RevocationState({ identity: bob, self: attAddress(bob.nodeKey.publicKey), log, path })
      await state.revoke(entry(phone).nodeId)
      const f = JSON.parse(await readFile(path, 'utf8'))
      await writeFile(path, JSON.stringify({ ...f, nodeIds: [entry(tablet).nodeId] }))
      assert.throws(() => readRevocationsFile(path, bob.address), (err: any) => err.code === 'ERR_DIRECTORY_BAD_REVOCATIONS')
      assert.equal(new RevocationState({ identity: bob, self: attAddress(bob.nodeKey.publicKey), log, path }).current(), undefined)
    })
  })
})
