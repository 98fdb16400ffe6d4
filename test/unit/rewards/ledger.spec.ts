import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import fc from 'fast-check'
import type { PrivateKey } from '@libp2p/interface'
import { LEDGER_SCHEMA_VERSION, RewardsLedger, evmAddressOf, signCheque, signDelivery } from '../../../src/rewards/index.js'
import type { RewardsDomain, RewardsLedgerOptions } from '../../../src/rewards/index.js'

const key = (name: string): PrivateKey => privateKeyFromRaw(new Uint8Array(createHash('sha256').update(`attn rewards ledger: ${name}`).digest()))
const domain: RewardsDomain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }
const DAY_MS = 86_400_000
const T0 = 1_767_225_600_000

const aliceKey = key('alice')
const bobKey = key('bob')
const carolKey = key('carol')
const nodeKey = key('node')
const otherNodeKey = key('other node')
const ALICE = evmAddressOf(aliceKey.publicKey)
const BOB = evmAddressOf(bobKey.publicKey)
const NODE = evmAddressOf(nodeKey.publicKey)

describe('rewards/ledger (SQLite)', () => {
  let dir: string
  let clock: number
  const open: RewardsLedger[] = []
  const ledger = (name: string, rootKey: PrivateKey, options: Partial<RewardsLedgerOptions> = {}): RewardsLedger => {
    const l = new RewardsLedger(join(dir, `${name}.sqlite`), { domain, rootKey, now: () => clock, ...options })
    open.push(l)
    return l
  }
  const cheque = (amount: bigint, signer = aliceKey, node = NODE): ReturnType<typeof signCheque> => signCheque(signer, domain, { node, cumulativeAmount: amount })
  const receipt = (amount: bigint, recipient = bobKey, sender = ALICE): ReturnType<typeof signDelivery> => signDelivery(recipient, domain, { node: NODE, sender, cumulativeAmount: amount })

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'attn-rewards-')); clock = T0 })
  afterEach(async () => {
    for (const l of open.splice(0)) l.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('opens in WAL mode at the current schema version', () => {
    const l = ledger('node', nodeKey)
    assert.equal(l.pragma('journal_mode'), 'wal')
    assert.equal(l.self, NODE)
    l.close()
    const db = new DatabaseSync(join(dir, 'node.sqlite'))
    assert.equal(db.prepare('SELECT version FROM schema_version').get()?.version, LEDGER_SCHEMA_VERSION)
    db.close()
  })

  it('keeps the latest cheque per sender: cumulative increments, an equal resend adds 0, an older one is refused', () => {
    const l = ledger('node', nodeKey)
    assert.deepEqual(l.acceptCheque(cheque(100n)), { cumulative: 100n, increment: 100n })
    assert.deepEqual(l.acceptCheque(cheque(250n)), { cumulative: 250n, increment: 150n })
    assert.deepEqual(l.acceptCheque(cheque(250n)), { cumulative: 250n, increment: 0n })
    assert.throws(() => l.acceptCheque(cheque(200n)), { code: 'ERR_STALE_CHEQUE' })
    assert.equal(l.latestCheque(ALICE)?.cumulativeAmount, 250n)
    assert.deepEqual(l.totals().cheque_received, { amount: 250n, count: 2 })
  })

  it('refuses cheques for another node, forged or under another domain, without storing them', () => {
    const l = ledger('node', nodeKey)
    assert.throws(() => l.acceptCheque(cheque(100n, aliceKey, evmAddressOf(otherNodeKey.publicKey))), { code: 'ERR_WRONG_NODE' })
    assert.throws(() => l.acceptCheque({ ...cheque(100n, carolKey), sender: ALICE }), { code: 'ERR_BAD_CHEQUE_SIGNATURE' })
    assert.throws(() => l.acceptCheque(signCheque(aliceKey, { ...domain, chainId: 1 }, { node: NODE, cumulativeAmount: 1n })), { code: 'ERR_BAD_CHEQUE_SIGNATURE' })
    assert.equal(l.latestCheque(ALICE), undefined)
  })

  it('keeps the latest receipt per (sender, recipient); refuses older ones, unknown senders and self-receipts', () => {
    const l = ledger('node', nodeKey)
    assert.throws(() => l.acceptDelivery(receipt(10n)), { code: 'ERR_UNKNOWN_SENDER' })
    l.acceptCheque(cheque(100n))
    assert.deepEqual(l.acceptDelivery(receipt(30n)), { cumulative: 30n, increment: 30n })
    assert.deepEqual(l.acceptDelivery(receipt(50n)), { cumulative: 50n, increment: 20n })
    assert.deepEqual(l.acceptDelivery(receipt(50n)), { cumulative: 50n, increment: 0n })
    assert.throws(() => l.acceptDelivery(receipt(40n)), { code: 'ERR_STALE_DELIVERY' })
    assert.deepEqual(l.acceptDelivery(receipt(5n, carolKey)), { cumulative: 5n, increment: 5n })
    assert.throws(() => l.acceptDelivery({ ...receipt(60n, carolKey), recipient: BOB }), { code: 'ERR_BAD_DELIVERY_SIGNATURE' })
    assert.throws(() => l.acceptDelivery(signDelivery(nodeKey, domain, { node: NODE, sender: ALICE, cumulativeAmount: 1n })), { code: 'ERR_WRONG_NODE' })
    assert.equal(l.latestDelivery(ALICE, BOB)?.cumulativeAmount, 50n)
    assert.deepEqual(l.summary(), { earned: 55n, claimed: 0n, claimable: 55n })
  })

  it('persists across reopen, and refuses a file written for another domain or identity', () => {
    const l = ledger('node', nodeKey)
    l.acceptCheque(cheque(100n))
    l.acceptDelivery(receipt(80n))
    l.close()
    const again = ledger('node', nodeKey)
    assert.equal(again.latestCheque(ALICE)?.cumulativeAmount, 100n)
    assert.equal(again.latestDelivery(ALICE, BOB)?.cumulativeAmount, 80n)
    assert.throws(() => again.acceptCheque(cheque(90n)), { code: 'ERR_STALE_CHEQUE' })
    again.close()
    assert.throws(() => ledger('node', nodeKey, { domain: { ...domain, chainId: 1 } }), { code: 'ERR_LEDGER_DOMAIN_MISMATCH' })
    assert.throws(() => ledger('node', otherNodeKey), { code: 'ERR_LEDGER_DOMAIN_MISMATCH' })
  })

  it('issues cumulative cheques and receipts that the counterpart ledger accepts', () => {
    const sender = ledger('alice', aliceKey)
    const recipient = ledger('bob', bobKey)
    const node = ledger('node', nodeKey)
    assert.deepEqual(node.acceptCheque(sender.issueCheque(NODE, 10n)), { cumulative: 10n, increment: 10n })
    assert.deepEqual(node.acceptCheque(sender.issueCheque(NODE, 15n)), { cumulative: 25n, increment: 15n })
    assert.equal(sender.issuedTo(NODE), 25n)
    assert.deepEqual(node.acceptDelivery(recipient.issueDelivery(NODE, ALICE, 10n)), { cumulative: 10n, increment: 10n })
    assert.equal(recipient.receiptedTo(NODE, ALICE), 10n)
    assert.deepEqual(sender.totals().cheque_issued, { amount: 25n, count: 2 })
    assert.deepEqual(recipient.totals().delivery_issued, { amount: 10n, count: 1 })
    assert.throws(() => sender.issueCheque('0x12', 1n), { code: 'ERR_INVALID_EVM_ADDRESS' })
    assert.throws(() => sender.issueCheque(NODE, -1n), { code: 'ERR_INVALID_AMOUNT' })
    assert.equal(sender.issuedTo(NODE), 25n)
  })

  it('claimable: per sender the cheque and the unclaimed receipts; recordClaim marks them; totals per epoch', () => {
    const l = ledger('node', nodeKey)
    l.acceptCheque(cheque(100n))
    l.acceptDelivery(receipt(60n))
    l.acceptDelivery(receipt(70n, carolKey))
    let pending = l.claimable()
    assert.equal(pending.length, 1)
    assert.equal(pending[0].expected, 100n) // capped by the cheque
    assert.equal(pending[0].item.deliveries.length, 2)
    l.recordClaim(pending.map((p) => p.item), {
      txHash: `0x${'ab'.repeat(32)}`, gasUsed: 90_000n, settlements: [{ sender: ALICE, node: NODE, amount: 100n, proven: 130n, paid: 100n }]
    })
    assert.deepEqual(l.claimable(), [])
    assert.deepEqual(l.summary(), { earned: 100n, claimed: 100n, claimable: 0n })
    assert.deepEqual(l.totals().claimed, { amount: 100n, count: 1 })
    assert.equal(l.claims()[0].paid, 100n)
    // a higher cheque makes the rest claimable with no new receipt, in the next epoch
    clock += DAY_MS
    l.acceptCheque(cheque(200n))
    pending = l.claimable()
    assert.equal(pending[0].expected, 30n)
    assert.deepEqual(pending[0].item.deliveries, [])
    assert.deepEqual(l.totals().cheque_received, { amount: 100n, count: 1 })
    assert.deepEqual(l.totals(l.epochOf(T0)).cheque_received, { amount: 100n, count: 1 })
  })

  it('claimable holds at most maxReceipts receipts', () => {
    const l = ledger('node', nodeKey)
    l.acceptCheque(cheque(1000n))
    for (const name of ['r1', 'r2', 'r3']) l.acceptDelivery(receipt(10n, key(name)))
    assert.equal(l.claimable(2)[0].item.deliveries.length, 2)
  })

  it('property: whatever order cheques and receipts arrive in, the ledger holds the highest and the increments sum to it', () => {
    // signatures cost ~1 ms each: pre-sign a small pool of amounts and shuffle the arrival order
    const amounts = [0n, 1n, 5n, 17n, 100n, 101n, 4096n]
    const cheques = amounts.map((a) => cheque(a))
    const receipts = amounts.map((a) => receipt(a))
    let run = 0
    fc.assert(fc.property(fc.array(fc.nat({ max: amounts.length - 1 }), { minLength: 1, maxLength: 12 }), (order) => {
      const l = ledger(`prop-${run++}`, nodeKey)
      let chequeSum = 0n
      let receiptSum = 0n
      for (const i of order) {
        try { chequeSum += l.acceptCheque(cheques[i]).increment } catch (err: any) { assert.equal(err.code, 'ERR_STALE_CHEQUE') }
        try { receiptSum += l.acceptDelivery(receipts[i]).increment } catch (err: any) { assert.equal(err.code, 'ERR_STALE_DELIVERY') }
      }
      const highest = amounts[Math.max(...order)]
      assert.equal(l.latestCheque(ALICE)?.cumulativeAmount, highest)
      assert.equal(l.latestDelivery(ALICE, BOB)?.cumulativeAmount, highest)
      assert.equal(chequeSum, highest)
      assert.equal(receiptSum, highest)
      l.close()
    }), { numRuns: 25 })
  })

  it('enforces its limits: senders, recipients per sender, counterparties', () => {
    const l = ledger('node', nodeKey, { limits: { maxSenders: 1, maxRecipientsPerSender: 1, maxCounterparties: 1 } })
    l.acceptCheque(cheque(10n))
    assert.throws(() => l.acceptCheque(cheque(10n, carolKey)), { code: 'ERR_LEDGER_FULL' })
    l.acceptDelivery(receipt(5n))
    assert.throws(() => l.acceptDelivery(receipt(5n, carolKey)), { code: 'ERR_LEDGER_FULL' })
    l.acceptDelivery(receipt(6n)) // an existing row still advances
    const s = ledger('alice', aliceKey, { limits: { maxCounterparties: 1 } })
    s.issueCheque(NODE, 1n)
    assert.throws(() => s.issueCheque(BOB, 1n), { code: 'ERR_LEDGER_FULL' })
  })
})
