import assert from 'node:assert/strict'
import { join } from 'node:path'
import { waitFor } from '../helpers/nodes.js'
import { MessagingTestNet } from '../helpers/messaging.js'
import { rootIdentity } from '../helpers/identities.js'
import { RewardsLedger, evmAddressOf } from '../../src/rewards/index.js'
import { METHOD_MAILBOX_PUT } from '../../src/messaging/protocol/rpc-methods.js'
import { METHOD_MAILBOX_TERMS, decodeTerms } from '../../src/messaging/protocol/postage.js'
import { decodeInfo } from '../../src/rpc/index.js'
import { DirectoryClient } from '../../src/messaging/index.js'
import type { RewardsDomain } from '../../src/rewards/index.js'
import type { RootIdentity } from '../../src/keys/index.js'

const DOMAIN: RewardsDomain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }

describe('rewards/postage (paid mailbox between real nodes, ledger only)', function () {
  this.timeout(180_000)
  const net = new MessagingTestNet()
  const ledgers: RewardsLedger[] = []
  afterEach(async () => {
    await net.cleanup()
    for (const l of ledgers.splice(0)) l.close()
  })
  const ledgerFor = async (identity: RootIdentity): Promise<RewardsLedger> => {
    const l = new RewardsLedger(join(await net.tempDir(), 'rewards.sqlite'), { domain: DOMAIN, rootKey: identity.rootKey })
    ledgers.push(l)
    return l
  }

  it('a priced mailbox takes paid parcels, the recipient receipts what it fetched, the mailbox earns exactly the postage; unpaid puts get ERR_POSTAGE_REQUIRED', async () => {
    const mIdentity = await rootIdentity()
    const mLedger = await ledgerFor(mIdentity)
    const mailbox = await net.node({ identity: mIdentity, messaging: { postage: { ledger: mLedger, price: 7n } } })
    const aIdentity = await rootIdentity()
    const aLedger = await ledgerFor(aIdentity)
    const a = await net.node({ via: mailbox, identity: aIdentity, messaging: { postage: { ledger: aLedger } } })
    const bIdentity = await rootIdentity()
    const bLedger = await ledgerFor(bIdentity)
    const bDir = await net.tempDir()
    const bOpts = { via: mailbox, identity: bIdentity, dir: bDir, mailboxes: [mailbox.peerId.toString()], messaging: { postage: { ledger: bLedger } } }
    let b = await net.node(bOpts)
    await net.publish(a)
    await net.publish(b)
    await b.stop()

    // the terms say the price and the contract
    const terms = decodeTerms(await a.services.attn.call(mailbox.peerId, METHOD_MAILBOX_TERMS, new Uint8Array(0)))
    assert.equal(terms.price, 7n)
    assert.equal(terms.node.toLowerCase(), evmAddressOf(mIdentity.rootKey.publicKey).toLowerCase())

    const ids: string[] = []
    for (const text of ['one', 'two', 'three']) ids.push((await a.services.messaging.send(bIdentity.address, text)).id)
    for (const id of ids) await waitFor(async () => (await a.services.messaging.status(id)).state === 'stored', { what: `${id} stored`, timeout: 60_000 })
    const aEvm = evmAddressOf(aIdentity.rootKey.publicKey)
    // the cheque runs 8 prices ahead (one signature per 8 parcels); the parcels cost 21
    assert.equal(mLedger.latestCheque(aEvm)?.cumulativeAmount, 56n)
    assert.equal(aLedger.issuedTo(evmAddressOf(mIdentity.rootKey.publicKey)), 56n)
    assert.equal(aLedger.committedTotal(), 21n)
    assert.equal(mLedger.summary().earned, 0n, 'nothing earned before delivery')

    // a sender without a ledger cannot pay: its put is refused, its message says why
    const c = await net.node({ via: mailbox })
    await net.publish(c)
    const unpaid = await c.services.messaging.send(bIdentity.address, 'unpaid')
    const status = await waitFor(async () => {
      const s = await c.services.messaging.status(unpaid.id)
      return s.reason?.includes('ERR_POSTAGE_REQUIRED') === true ? s : undefined
    }, { what: 'ERR_POSTAGE_REQUIRED reason', timeout: 60_000 })
    assert.equal(status.state, 'queued')
    // a raw unpaid put is refused with the typed error (c's sealed parcel, straight over RPC)
    const parcel = (c.services.messaging as any).running.store.getOutbox(Uint8Array.from(Buffer.from(unpaid.id, 'hex'))).envelope
    await assert.rejects(c.services.attn.call(mailbox.peerId, METHOD_MAILBOX_PUT, parcel), { code: 'ERR_POSTAGE_REQUIRED' })

    b = await net.node(bOpts)
    await waitFor(() => ['one', 'two', 'three'].every(t => net.inboxBodies(b).includes(t)), { what: 'b fetches', timeout: 60_000 })
    await waitFor(() => mLedger.summary().earned === 21n, { what: 'receipts for 21 at the mailbox', timeout: 60_000 })
    const bEvm = evmAddressOf(bIdentity.rootKey.publicKey)
    assert.equal(mLedger.latestDelivery(aEvm, bEvm)?.cumulativeAmount, 21n)
    assert.equal(bLedger.receiptedTo(evmAddressOf(mIdentity.rootKey.publicKey), aEvm), 21n)
    const pending = mLedger.claimable()
    assert.equal(pending.length, 1)
    assert.equal(pending[0].expected, 21n)
    assert.equal(net.inboxBodies(b).includes('unpaid'), false)
  })

  it('price 0 and no ledgers: today\'s free behaviour, no cheques', async () => {
    const mIdentity = await rootIdentity()
    const mLedger = await ledgerFor(mIdentity)
    const mailbox = await net.node({ identity: mIdentity, messaging: { postage: { ledger: mLedger, price: 0n } } })
    const a = await net.node({ via: mailbox })
    const bIdentity = await rootIdentity()
    const bDir = await net.tempDir()
    const bOpts = { via: mailbox, identity: bIdentity, dir: bDir, mailboxes: [mailbox.peerId.toString()] }
    let b = await net.node(bOpts)
    await net.publish(a)
    await net.publish(b)
    await b.stop()
    const { id } = await a.services.messaging.send(bIdentity.address, 'free')
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'stored', { what: 'stored', timeout: 60_000 })
    b = await net.node(bOpts)
    await waitFor(() => net.inboxBodies(b).includes('free'), { what: 'b fetches', timeout: 60_000 })
    assert.equal(mLedger.summary().earned, 0n)
    assert.equal(mLedger.claimable().length, 0)
  })

  it('a priced mailbox advertises its price in attn.info and its directory record; a free one advertises none (issue 12)', async () => {
    const mIdentity = await rootIdentity()
    const mailbox = await net.node({ identity: mIdentity, messaging: { postage: { ledger: await ledgerFor(mIdentity), price: 7n } } })
    const free = await net.node({ via: mailbox })
    await net.publish(mailbox)
    await net.publish(free)
    const info = decodeInfo(await free.services.attn.call(mailbox.peerId, 'attn.info', new Uint8Array(0)))
    assert.equal(info.mailboxPrice, '7')
    const freeInfo = decodeInfo(await mailbox.services.attn.call(free.peerId, 'attn.info', new Uint8Array(0)))
    assert.equal(freeInfo.mailboxPrice, undefined)
    // the record in the DHT, as another node finds it
    const record = await new DirectoryClient(free.services.dht, free.logger.forComponent('test')).lookup(mIdentity.address, { fresh: true })
    const device = record.devices.find(d => d.nodeId === mailbox.peerId.toString()) ?? assert.fail('the mailbox device is not listed')
    assert.equal(device.mailboxPrice, '7')
    const freeRecord = await new DirectoryClient(mailbox.services.dht, mailbox.logger.forComponent('test')).lookup(free.services.messaging.address, { fresh: true })
    assert.equal(freeRecord.devices[0].mailboxPrice, undefined)
  })
})
