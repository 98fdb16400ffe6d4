import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Key } from 'interface-datastore'
import { Record as Libp2pRecord } from '@libp2p/kad-dht'
import { SqliteDatastore } from '../../../src/node/sqlite-datastore.js'
import { DhtRecordGuard } from '../../../src/node/dht-record-guard.js'
import { loadConfig } from '../../../src/node/config.js'
import { createDirectoryRecord, createRevocations, directoryKey, encodeDirectoryRecord } from '../../../src/messaging/protocol/directory-record.js'
import { attAddress } from '../../../src/keys/index.js'
import { deviceIdentity, rootIdentity } from '../../helpers/identities.js'

function recordKey (key: Uint8Array): Key {
  return new Key('/dht/record/' + Buffer.from(key).toString('base64url'))
}

describe('node: SqliteDatastore and DhtRecordGuard', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'attn-ds-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('SqliteDatastore: put/get/has/delete, prefix queries, batches, and values survive reopening', async () => {
    const path = join(dir, 'dht.db')
    const ds = new SqliteDatastore(path)
    ds.put(new Key('/dht/record/a'), Uint8Array.of(1))
    ds.put(new Key('/dht/record/b'), Uint8Array.of(2))
    ds.put(new Key('/dht/provider/c'), Uint8Array.of(3))
    const batch = ds.batch()
    batch.put(new Key('/dht/record/d'), Uint8Array.of(4))
    batch.delete(new Key('/dht/record/a'))
    await batch.commit()
    assert.deepEqual([...ds.queryKeys({ prefix: '/dht/record/' })].map(String), ['/dht/record/b', '/dht/record/d'])
    assert.deepEqual([...ds.query({ prefix: '/dht/', limit: 1, offset: 1 })].map(p => p.key.toString()), ['/dht/record/b'])
    assert.equal(ds.has(new Key('/dht/record/a')), false)
    assert.throws(() => ds.get(new Key('/dht/record/a')), { name: 'NotFoundError' })
    ds.close()
    const again = new SqliteDatastore(path)
    assert.deepEqual(again.get(new Key('/dht/record/d')), Uint8Array.of(4))
    again.close()
  })

  it('SqliteDatastore: a file that is not a database fails with ERR_STORE_OPEN naming it', async () => {
    const path = join(dir, 'dht.db')
    await writeFile(path, 'garbage '.repeat(1000))
    assert.throws(() => new SqliteDatastore(path), (err: any) => err.code === 'ERR_STORE_OPEN' && err.message.includes(path))
  })

  it('DhtRecordGuard: own puts keep the newer directory record; the index is rebuilt from the file', async () => {
    const path = join(dir, 'dht.db')
    const identity = await rootIdentity()
    const key = directoryKey(identity.address)
    const exp = Math.floor(Date.now() / 1000) + 3600
    const rec = (seq: number): Uint8Array => new Libp2pRecord(key, encodeDirectoryRecord(createDirectoryRecord(identity, { seq, expiresAt: exp })), new Date()).serialize()
    const guard = new DhtRecordGuard(new SqliteDatastore(path))
    await guard.start()
    await guard.put(recordKey(key), rec(5))
    await guard.put(recordKey(key), rec(4)) // own put of an older record: kept the newer one, no error
    assert.equal(guard.stats().rejected.ERR_DHT_RECORD_ROLLBACK, 1)
    await guard.stop()

    const reopened = new DhtRecordGuard(new SqliteDatastore(path))
    await reopened.start()
    assert.equal(reopened.stats().records, 1)
    const stored = Libp2pRecord.deserialize(await reopened.get(recordKey(key)))
    assert.deepEqual(stored.value, Libp2pRecord.deserialize(rec(5)).value)
    // from a peer, the older one is an error
    await assert.rejects(reopened.withSource('12D3KooWpeer', async () => await reopened.put(recordKey(key), rec(4))), { code: 'ERR_DHT_RECORD_ROLLBACK' })
    await reopened.withSource('12D3KooWpeer', async () => await reopened.put(recordKey(key), rec(6)))
    assert.equal(reopened.stats().accepted, 1)
    await reopened.stop()
  })

  it('DhtRecordGuard: no rollback follows the selector: a higher seq with an older revocation list is refused (messaging.md §2.2)', async () => {
    const root = await rootIdentity()
    const { rootKey: _r, ...phone } = await deviceIdentity(root.rootKey, { label: 'phone' })
    const key = directoryKey(root.address)
    const exp = Math.floor(Date.now() / 1000) + 3600
    const devices = [{ chain: root.chain, nodeId: attAddress(root.nodeKey.publicKey) }]
    const phoneEntry = { chain: phone.chain, nodeId: attAddress(phone.nodeKey.publicKey) }
    const wrap = (value: Uint8Array): Uint8Array => new Libp2pRecord(key, value, new Date()).serialize()
    const revoking = wrap(encodeDirectoryRecord(createDirectoryRecord(root, { seq: 5, expiresAt: exp, devices, revocations: createRevocations(root.rootKey, 2, [phoneEntry.nodeId]) })))
    const byRevokedPhone = wrap(encodeDirectoryRecord(createDirectoryRecord(phone, { seq: 50, expiresAt: exp, devices: [...devices, phoneEntry], revocations: createRevocations(root.rootKey, 1, []) })))
    const guard = new DhtRecordGuard(new SqliteDatastore(join(dir, 'dht.db')))
    await guard.start()
    await guard.withSource('12D3KooWpeer', async () => await guard.put(recordKey(key), revoking))
    await assert.rejects(guard.withSource('12D3KooWpeer', async () => await guard.put(recordKey(key), byRevokedPhone)), { code: 'ERR_DHT_RECORD_ROLLBACK' })
    assert.deepEqual(Libp2pRecord.deserialize(await guard.get(recordKey(key))).value, Libp2pRecord.deserialize(revoking).value)
    await guard.stop()
  })

  it('config: dht limits default, load from config.json, and reject bad values and unknown keys', async () => {
    const defaults = await loadConfig(dir)
    assert.equal(defaults.dht.maxRecords, 10_000)
    assert.equal(defaults.dht.maxRecordBytes, 16 * 1024)
    await writeFile(join(dir, 'config.json'), JSON.stringify({ dht: { maxRecordsPerPeer: 5 } }))
    const loaded = await loadConfig(dir)
    assert.equal(loaded.dht.maxRecordsPerPeer, 5)
    assert.equal(loaded.dht.allowPrivateAddresses, true)
    await writeFile(join(dir, 'config.json'), JSON.stringify({ dht: { maxBytes: 0 } }))
    await assert.rejects(loadConfig(dir), { code: 'ERR_INVALID_CONFIG' })
    await writeFile(join(dir, 'config.json'), JSON.stringify({ dht: { maxRecrods: 5 } }))
    await assert.rejects(loadConfig(dir), /dht\.maxRecrods/)
  })
})
