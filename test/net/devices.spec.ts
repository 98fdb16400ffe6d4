/**
 * Issue 15 item 3 between real libp2p nodes: a linked device (no root key) publishes the identity's
 * directory record itself (signer_chain, messaging.md §2.2), both devices receive and see each
 * other's sent messages; after `revoke` senders stop sealing for the revoked device, its parcels
 * are refused, it stops publishing, and a record it still manages to put into the DHT loses.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { waitFor } from '../helpers/nodes.js'
import { MessagingTestNet } from '../helpers/messaging.js'
import { deviceIdentity } from '../helpers/identities.js'
import {
  createDirectoryRecord, decodeBundle, decodeParcel, directoryKey, encodeDirectoryRecord, selectDirectoryRecord
} from '../../src/messaging/index.js'
import type { DirectoryRecord } from '../../src/messaging/index.js'
import type { Identity } from '../../src/keys/index.js'
import type { AttnNode } from '../../src/node/create-node.js'

describe('devices: a linked device publishes; revocation (issue 15 item 3)', function () {
  this.timeout(300_000)
  const net = new MessagingTestNet()
  afterEach(async () => { await net.cleanup() })

  /** A fresh DHT lookup through the node's own directory client (refreshes its cache, as its next send would). */
  const lookup = async (n: AttnNode, address: string): Promise<DirectoryRecord> =>
    await (n.services.messaging as any).directory.lookup(address, { fresh: true })
  const bodies = (n: AttnNode): string[] => net.inboxBodies(n)

  it('a linked device (no root key) publishes and receives; after revocation it is sealed for no more, refused, and its record loses', async () => {
    const relay = await net.node()
    const rootKey = await generateKeyPair('secp256k1')
    // the root home ("init --device-key": root key + a device key) and a linked home (no root key)
    const laptopDir = await net.tempDir()
    const laptop = await net.node({ via: relay, dir: laptopDir, identity: await deviceIdentity(rootKey, { label: 'laptop' }), messaging: { revocationsPath: join(laptopDir, 'revocations.json') } })
    const { rootKey: _dropped, ...phoneIdentity } = await deviceIdentity(rootKey, { label: 'phone' })
    const phone = await net.node({ via: relay, identity: phoneIdentity as Identity })
    const alice = await net.node({ via: relay })
    const me = laptop.services.messaging.address
    const phoneId = phone.peerId.toString()
    const laptopId = laptop.peerId.toString()

    await net.publish(alice)
    await net.publish(laptop)
    await net.publish(phone) // merges the laptop; signed by the phone's device key
    await waitFor(async () => {
      const r = await lookup(alice, me)
      return r.devices.length === 2 && r.signerChain != null
    }, { what: 'the record the linked device signed lists both devices', timeout: 60_000 })

    const toBoth = await alice.services.messaging.send(me, 'to both devices')
    await waitFor(() => bodies(laptop).includes('to both devices') && bodies(phone).includes('to both devices'), { timeout: 90_000, what: 'both devices receive' })
    await waitFor(async () => (await alice.services.messaging.status(toBoth.id)).state === 'delivered', { what: 'delivered', timeout: 60_000 })
    await phone.services.messaging.send(alice.services.messaging.address, 'from the phone')
    await laptop.services.messaging.send(alice.services.messaging.address, 'from the laptop')
    await waitFor(() => bodies(alice).includes('from the phone') && bodies(alice).includes('from the laptop'), { what: 'alice receives from both', timeout: 60_000 })
    const sentBy = (n: AttnNode, body: string): boolean => n.services.messaging.inbox().some(m => m.body === body && m.from === me && m.to === alice.services.messaging.address)
    await waitFor(() => sentBy(laptop, 'from the phone') && sentBy(phone, 'from the laptop'), { what: 'each device sees the other\'s sent message', timeout: 60_000 })

    // revoke the phone from the root home
    await assert.rejects(phone.services.messaging.revoke(laptopId), (err: any) => err.code === 'ERR_ROOT_KEY_REQUIRED')
    const revoked = await laptop.services.messaging.revoke(phoneId)
    assert.deepEqual(revoked.nodeIds, [phoneId])
    assert.ok((revoked.published?.accepted ?? 0) >= 1, JSON.stringify(revoked))
    await waitFor(async () => {
      const r = await lookup(alice, me)
      return r.revocations?.nodeIds.includes(phoneId) === true && !r.devices.some(d => d.nodeId === phoneId)
    }, { what: 'alice sees the record that revokes the phone', timeout: 60_000 })

    // the sender seals for the laptop only
    const after = await alice.services.messaging.send(me, 'after the revocation')
    await waitFor(() => bodies(laptop).includes('after the revocation'), { what: 'the laptop receives', timeout: 60_000 })
    const entry = (alice.services.messaging as any).running.store.getOutbox(new Uint8Array(Buffer.from(after.id, 'hex')))
    const sealedFor = decodeBundle(decodeParcel(entry.envelope).payload).devices.map(d => d.deviceId)
    assert.deepEqual(sealedFor, [laptopId])
    assert.ok(!bodies(phone).includes('after the revocation'))

    // the revoked phone's parcels are refused by a receiver whose record of our address revokes it
    await phone.services.messaging.send(alice.services.messaging.address, 'from the revoked phone')
    await waitFor(() => (alice.services.messaging.stats().rejected.ERR_SENDER_REVOKED ?? 0) >= 1, { what: 'alice refuses the revoked device\'s parcel (ERR_SENDER_REVOKED)', timeout: 60_000 })
    assert.ok(!bodies(alice).includes('from the revoked phone'))

    // the phone finds itself revoked: it stops publishing and says so
    await assert.rejects(phone.services.messaging.publish(), (err: any) => err.code === 'ERR_DEVICE_REVOKED')
    assert.equal(phone.services.messaging.revocationState().selfRevoked, true)

    // a record the phone still signs (older list, higher seq) loses everywhere: the guard and lookups use the selector
    const current = await lookup(alice, me)
    const stale = createDirectoryRecord(phoneIdentity as Identity, { seq: current.seq + 1000n, expiresAt: current.expiresAt, devices: [...current.devices, { chain: phoneIdentity.chain, nodeId: phoneId }] })
    const staleBytes = encodeDirectoryRecord(stale)
    assert.equal(selectDirectoryRecord(directoryKey(me), [staleBytes, encodeDirectoryRecord(current)]), 1)
    try {
      for await (const _ of phone.services.dht.put(directoryKey(me), staleBytes)) { /* drain */ }
    } catch (err: any) {
      // peers refuse it (ERR_DHT_RECORD_ROLLBACK aborts their PUT_VALUE stream)
      assert.ok(err != null)
    }
    const seen = await lookup(alice, me)
    assert.ok(seen.revocations?.nodeIds.includes(phoneId), 'the record with the revocation list still wins')
    assert.ok(!seen.devices.some(d => d.nodeId === phoneId))
  })
})
