import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { RewardsLedger, evmAddressOf, signCheque } from '../../../src/rewards/index.js'
import type { RewardsDomain } from '../../../src/rewards/index.js'

const key = (name: string): PrivateKey => privateKeyFromRaw(new Uint8Array(createHash('sha256').update(`attn rewards postage: ${name}`).digest()))
const domain: RewardsDomain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }
const aliceKey = key('alice')
const nodeKey = key('node')
const ALICE = evmAddressOf(aliceKey.publicKey)
const NODE = evmAddressOf(nodeKey.publicKey)

describe('rewards/ledger postage per parcel', () => {
  let dir: string
  const open: RewardsLedger[] = []
  const ledger = (name: string, rootKey: PrivateKey): RewardsLedger => {
    const l = new RewardsLedger(join(dir, `${name}.sqlite`), { domain, rootKey })
    open.push(l)
    return l
  }
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'attn-postage-')) })
  afterEach(async () => {
    for (const l of open.splice(0)) l.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a sender pays each (node, parcel) once; a resend carries the same postage and the current cheque', () => {
    const alice = ledger('alice', aliceKey)
    const first = alice.payParcel(NODE, 'p1', 10n)
    assert.equal(first.raised, true)
    assert.equal(first.cheque.cumulativeAmount, 10n)
    const again = alice.payParcel(NODE, 'p1', 10n)
    assert.deepEqual({ postage: again.postage, raised: again.raised, amount: again.cheque.cumulativeAmount }, { postage: 10n, raised: false, amount: 10n })
    assert.equal(again.cheque.signature, first.cheque.signature, 'deterministic signature')
    assert.equal(alice.payParcel(NODE, 'p2', 10n).cheque.cumulativeAmount, 20n)
  })

  it('a mailbox accepts a parcel only when the cheque covers all credited postage; out-of-order cheques and resends are fine', () => {
    const alice = ledger('alice', aliceKey)
    const node = ledger('node', nodeKey)
    const p1 = alice.payParcel(NODE, 'p1', 10n)
    const p2 = alice.payParcel(NODE, 'p2', 10n)
    // p2's put (cheque 20) overtakes p1's (cheque 10): both are accepted
    assert.deepEqual(node.acceptPostage({ sender: ALICE, recipient: 'bob', parcelId: 'p2', price: 10n, postage: 10n, cheque: p2.cheque }), { postage: 10n, held: false })
    assert.deepEqual(node.acceptPostage({ sender: ALICE, recipient: 'bob', parcelId: 'p1', price: 10n, postage: 10n, cheque: p1.cheque }), { postage: 10n, held: false })
    // a resend of a held parcel needs no new postage
    assert.deepEqual(node.acceptPostage({ sender: ALICE, recipient: 'bob', parcelId: 'p1', price: 10n }), { postage: 10n, held: true })
    // a third parcel with the old cheque is not covered (20 credited + 10 > 20)
    assert.throws(() => node.acceptPostage({ sender: ALICE, recipient: 'bob', parcelId: 'p3', price: 10n, postage: 10n, cheque: p2.cheque }), { code: 'ERR_POSTAGE_REQUIRED' })
    // unpaid and underpaid
    assert.throws(() => node.acceptPostage({ sender: ALICE, recipient: 'bob', parcelId: 'p4', price: 10n }), { code: 'ERR_POSTAGE_REQUIRED' })
    const cheap = alice.payParcel(NODE, 'p5', 5n)
    assert.throws(() => node.acceptPostage({ sender: ALICE, recipient: 'bob', parcelId: 'p5', price: 10n, postage: 5n, cheque: cheap.cheque }), { code: 'ERR_POSTAGE_REQUIRED' })
    // a cheque signed by someone else for alice's puts, or for another node, is refused
    const forged = signCheque(nodeKey, domain, { node: NODE, cumulativeAmount: 1000n })
    assert.throws(() => node.acceptPostage({ sender: ALICE, recipient: 'bob', parcelId: 'p6', price: 10n, postage: 10n, cheque: { ...forged, sender: ALICE } }), { code: 'ERR_BAD_CHEQUE_SIGNATURE' })
    // the acked parcels' postage is reported once
    assert.deepEqual(node.takePostage('bob', ['p1', 'p2', 'nope']).map(p => [p.parcelId, p.postage]), [['p1', 10n], ['p2', 10n]])
    assert.deepEqual(node.takePostage('bob', ['p1']), [])
    // refused puts keep nothing (the underpaid p5 cheque of 25 included)
    assert.equal(node.latestCheque(ALICE)?.cumulativeAmount, 20n)
  })
})
