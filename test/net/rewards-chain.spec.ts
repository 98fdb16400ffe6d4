/**
 * AttRewards + AttToken on a real local EVM (anvil, one per suite; each test runs on a snapshot that
 * is reverted afterwards). Signatures are made by src/rewards (ATT root keys) and checked by the
 * contract's ecrecover.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { hashDomain, hashTypedData } from 'viem'
import type { PrivateKey } from '@libp2p/interface'
import {
  RewardsChainClient, RewardsLedger, deliveryTypedData, evmAddressOf, signDigest, signCheque, signDelivery, typedDataDomain
} from '../../src/rewards/index.js'
import type { Address, ClaimItem, RewardsDomain, SignedCheque, SignedDelivery } from '../../src/rewards/index.js'
import { advanceTime, fund, startAnvil } from '../helpers/anvil.js'
import type { Anvil } from '../helpers/anvil.js'

const key = (name: string): PrivateKey => privateKeyFromRaw(new Uint8Array(createHash('sha256').update(`attn rewards test: ${name}`).digest()))
const EPOCH_SECONDS = 86_400
const EPOCH_CAP = 5_000n
const WITHDRAWAL_DELAY = 3_600
const DEPOSIT = 20_000n

const deployerKey = key('deployer')
const aliceKey = key('alice') // sender
const daveKey = key('dave') // second sender
const nodeKey = key('mailbox') // the mailbox node
const recipients = Array.from({ length: 24 }, (_, i) => key(`recipient ${i}`))
const malloryKey = key('mallory')
const NODE = evmAddressOf(nodeKey.publicKey)
const ALICE = evmAddressOf(aliceKey.publicKey)
const DAVE = evmAddressOf(daveKey.publicKey)

function item (cheque: SignedCheque, deliveries: SignedDelivery[]): ClaimItem {
  return {
    sender: cheque.sender,
    node: cheque.node,
    chequeAmount: cheque.cumulativeAmount,
    chequeSignature: cheque.signature,
    deliveries: deliveries.map((d) => ({ recipient: d.recipient, cumulativeAmount: d.cumulativeAmount, signature: d.signature }))
  }
}

describe('rewards/chain (AttRewards on anvil)', function () {
  let anvil: Anvil
  let deployer: RewardsChainClient
  let node: RewardsChainClient
  let alice: RewardsChainClient
  let domain: RewardsDomain
  let snapshot: string
  const gas: Record<string, bigint | number> = {}

  const cheque = (amount: bigint, signer = aliceKey, d = domain): SignedCheque => signCheque(signer, d, { node: NODE, cumulativeAmount: amount })
  const receipt = (recipient: PrivateKey, amount: bigint, sender: Address = ALICE, d = domain): SignedDelivery =>
    signDelivery(recipient, d, { node: NODE, sender, cumulativeAmount: amount })

  before(async function () {
    anvil = await startAnvil()
    gas.anvilStartupMs = Math.round(anvil.startupMs)
    for (const k of [deployerKey, aliceKey, daveKey, nodeKey]) await fund(anvil, evmAddressOf(k.publicKey))
    const connect = async (rootKey: PrivateKey): Promise<RewardsChainClient> =>
      await RewardsChainClient.connect({ rpcUrl: anvil.rpcUrl, rootKey, pollingIntervalMs: 20 })
    deployer = await connect(deployerKey)
    const deployment = await deployer.deploy({ supply: 10n ** 24n, withdrawalDelaySeconds: WITHDRAWAL_DELAY, epochSeconds: EPOCH_SECONDS, epochCap: EPOCH_CAP })
    gas.deployToken = deployment.gasUsed.token
    gas.deployRewards = deployment.gasUsed.contract
    domain = deployer.domain()
    node = await connect(nodeKey)
    await node.use(deployment.contract)
    alice = await connect(aliceKey)
    await alice.use(deployment.contract)
    const dave = await connect(daveKey)
    await dave.use(deployment.contract)
    for (const sender of [alice, dave]) {
      await deployer.transfer(sender.address, DEPOSIT)
      await sender.deposit(DEPOSIT)
    }
  })

  after(async function () {
    await anvil?.stop()
    console.info('      gas (anvil):', Object.entries(gas).map(([k, v]) => `${k}=${v.toString()}`).join(' '))
  })

  beforeEach(async function () { snapshot = await anvil.rpc('evm_snapshot') })
  afterEach(async function () { await anvil.rpc('evm_revert', [snapshot]) })

  it('deploys: the deployer holds the supply, deposits are in, the domain separator matches viem', async () => {
    assert.equal(await deployer.tokenBalance(), 10n ** 24n - 2n * DEPOSIT)
    assert.equal(await alice.depositOf(), DEPOSIT)
    assert.equal(await node.domainSeparator(), hashDomain({ domain: typedDataDomain(domain) as any, types: { EIP712Domain: EIP712_DOMAIN_FIELDS } }))
    assert.equal(domain.chainId, 31337)
  })

  it('an honest claim pays exactly min(receipts, cheque) and takes it from the deposit', async () => {
    const before = await node.tokenBalance()
    const r = await node.claim(item(cheque(300n), [receipt(recipients[0], 200n), receipt(recipients[1], 100n)]))
    assert.equal(r.paid, 300n)
    assert.equal(await node.tokenBalance(), before + 300n)
    assert.equal(await alice.depositOf(), DEPOSIT - 300n)
    assert.deepEqual(await node.channelOf(ALICE, NODE), { proven: 300n, paid: 300n })
    assert.equal(await node.claimedOf(ALICE, NODE, evmAddressOf(recipients[0].publicKey)), 200n)
    assert.deepEqual(r.settlements, [{ sender: ALICE, node: NODE, amount: 300n, proven: 300n, paid: 300n }])
  })

  it('a replayed or older receipt pays nothing more; a newer one pays only the difference', async () => {
    await node.claim(item(cheque(1000n), [receipt(recipients[0], 300n)]))
    const balance = await node.tokenBalance()
    assert.equal((await node.claim(item(cheque(1000n), [receipt(recipients[0], 300n)]))).paid, 0n, 'replay')
    assert.equal((await node.claim(item(cheque(1000n), [receipt(recipients[0], 200n)]))).paid, 0n, 'older')
    assert.equal((await node.claim(item(cheque(900n), [receipt(recipients[0], 300n)]))).paid, 0n, 'older cheque')
    assert.equal(await node.tokenBalance(), balance)
    assert.equal((await node.claim(item(cheque(1000n), [receipt(recipients[0], 450n)]))).paid, 150n, 'newer')
    assert.equal(await node.tokenBalance(), balance + 150n)
  })

  it('refuses a receipt not signed by its recipient, a cheque not signed by its sender, another domain, a self-receipt', async () => {
    const bob = evmAddressOf(recipients[0].publicKey)
    const forged = { ...receipt(malloryKey, 300n), recipient: bob } // mallory signs, claims to be bob
    await assert.rejects(node.claim(item(cheque(300n), [forged])), { code: 'ERR_CHAIN_TRANSACTION', reason: 'BadDeliverySignature' })
    const forgedCheque = { ...cheque(300n, malloryKey), sender: ALICE }
    await assert.rejects(node.claim(item(forgedCheque, [receipt(recipients[0], 300n)])), { reason: 'BadChequeSignature' })
    const otherChain = { ...domain, chainId: 1 }
    await assert.rejects(node.claim(item(cheque(300n), [receipt(recipients[0], 300n, ALICE, otherChain)])), { reason: 'BadDeliverySignature' })
    const otherContract = { ...domain, verifyingContract: deployer.tokenAddress() }
    await assert.rejects(node.claim(item(cheque(300n, aliceKey, otherContract), [receipt(recipients[0], 300n)])), { reason: 'BadChequeSignature' })
    const self = signDelivery(nodeKey, domain, { node: NODE, sender: ALICE, cumulativeAmount: 300n })
    await assert.rejects(node.claim(item(cheque(300n), [self])), { reason: 'SelfReceipt' })
    const highS = receipt(recipients[0], 300n)
    await assert.rejects(node.claim(item(cheque(300n), [{ ...highS, signature: flipS(highS.signature) }])), { reason: 'MalformedSignature' })
    assert.deepEqual(await node.channelOf(ALICE, NODE), { proven: 0n, paid: 0n })
  })

  it('a receipt above 2^128 - 1 reverts; a batch pays each node its own claims', async () => {
    // src/rewards refuses to sign it, so sign the typed data by hand to reach the contract's check
    const huge = { node: NODE, sender: ALICE, recipient: evmAddressOf(recipients[0].publicKey), cumulativeAmount: 1n << 128n }
    const hugeReceipt = { ...huge, signature: signDigest(recipients[0], hashTypedData(deliveryTypedData(domain, huge))) }
    await assert.rejects(node.claim(item(cheque(300n), [hugeReceipt])), { reason: 'AmountTooLarge' })
    const node2Key = key('second mailbox')
    const NODE2 = evmAddressOf(node2Key.publicKey)
    const chequeTo = (n: Address, amount: bigint): SignedCheque => signCheque(aliceKey, domain, { node: n, cumulativeAmount: amount })
    const receiptFor = (n: Address, r: PrivateKey, amount: bigint): SignedDelivery => signDelivery(r, domain, { node: n, sender: ALICE, cumulativeAmount: amount })
    const b1 = await node.tokenBalance(NODE)
    const r = await node.claimBatch([
      item(chequeTo(NODE, 50n), [receiptFor(NODE, recipients[0], 50n)]),
      item(chequeTo(NODE2, 70n), [receiptFor(NODE2, recipients[1], 70n)]),
      item(signCheque(daveKey, domain, { node: NODE, cumulativeAmount: 5n }), [receipt(recipients[2], 5n, DAVE)])
    ])
    assert.equal(r.paid, 125n)
    assert.equal(await node.tokenBalance(NODE), b1 + 55n)
    assert.equal(await node.tokenBalance(NODE2), 70n)
  })

  it('a cheque below the receipts caps the payment; a later cheque pays the rest without new receipts', async () => {
    assert.equal((await node.claim(item(cheque(100n), [receipt(recipients[0], 300n)]))).paid, 100n)
    assert.deepEqual(await node.channelOf(ALICE, NODE), { proven: 300n, paid: 100n })
    assert.equal((await node.claim(item(cheque(400n), []))).paid, 200n)
    assert.equal((await node.claim(item(cheque(400n), []))).paid, 0n)
  })

  it('a cheque above the deposit is paid up to the deposit, the rest after a top-up', async () => {
    assert.equal((await node.claim(item(cheque(DEPOSIT * 2n), [receipt(recipients[0], EPOCH_CAP / 2n)]))).paid, EPOCH_CAP / 2n)
    // drain alice's deposit down to 100 through withdrawal, then claim more than that
    await alice.requestWithdrawal(DEPOSIT - EPOCH_CAP / 2n - 100n)
    await advanceTime(anvil, WITHDRAWAL_DELAY)
    await alice.withdraw()
    assert.equal(await alice.depositOf(), 100n)
    assert.equal((await node.claim(item(cheque(DEPOSIT * 2n), [receipt(recipients[1], 1000n)]))).paid, 100n)
    assert.equal(await alice.depositOf(), 0n)
    await deployer.transfer(ALICE, 1000n)
    await alice.deposit(1000n)
    assert.equal((await node.claim(item(cheque(DEPOSIT * 2n), []))).paid, 900n)
  })

  it('the per-sender epoch cap holds; the excess is paid in the next epoch', async () => {
    const big = EPOCH_CAP + 1500n
    assert.equal((await node.claim(item(cheque(big), [receipt(recipients[0], big)]))).paid, EPOCH_CAP)
    assert.equal(await node.epochPaidOf(ALICE), EPOCH_CAP)
    assert.equal((await node.claim(item(cheque(big), []))).paid, 0n)
    // another sender's deposit has its own cap
    const dave = signCheque(daveKey, domain, { node: NODE, cumulativeAmount: 700n })
    assert.equal((await node.claim(item(dave, [receipt(recipients[1], 700n, DAVE)]))).paid, 700n)
    await advanceTime(anvil, EPOCH_SECONDS)
    assert.equal(await node.epochPaidOf(ALICE), 0n)
    assert.equal((await node.claim(item(cheque(big), []))).paid, 1500n)
  })

  it('withdrawal waits for the delay, and claims made during it are still paid from the deposit', async () => {
    await alice.requestWithdrawal(DEPOSIT)
    await assert.rejects(alice.withdraw(), { reason: 'WithdrawalLocked' })
    assert.equal((await node.claim(item(cheque(400n), [receipt(recipients[0], 400n)]))).paid, 400n)
    await advanceTime(anvil, WITHDRAWAL_DELAY)
    const before = await alice.tokenBalance()
    await alice.withdraw()
    assert.equal(await alice.tokenBalance(), before + DEPOSIT - 400n)
    assert.equal(await alice.depositOf(), 0n)
    await assert.rejects(alice.withdraw(), { reason: 'NoWithdrawal' })
  })

  it('a batched claim pays the sum and costs less gas per receipt than single claims', async () => {
    const N = 10
    // single: N claims, each the first receipt of a new recipient (same sender, cheque raised each time)
    let singleGas = 0n
    let singlePaid = 0n
    for (let i = 0; i < N; i++) {
      const r = await node.claim(item(cheque(BigInt((i + 1) * 10)), [receipt(recipients[i], 10n)]))
      singleGas += r.gasUsed
      singlePaid += r.paid
    }
    assert.equal(singlePaid, BigInt(N * 10))
    // batch: one cheque, N new recipients' first receipts, one transaction
    const batchCheque = cheque(BigInt(N * 10 + N * 10))
    const batchReceipts = Array.from({ length: N }, (_, i) => receipt(recipients[N + i], 10n))
    const before = await node.tokenBalance()
    const batch = await node.claimBatch([item(batchCheque, batchReceipts)])
    assert.equal(batch.paid, BigInt(N * 10))
    assert.equal(await node.tokenBalance(), before + BigInt(N * 10))
    // batch over two senders (two cheques): consecutive items for one node share a transfer
    const two = await node.claimBatch([
      item(cheque(BigInt(N * 10 + N * 10 + 20)), [receipt(recipients[0], 20n), receipt(recipients[1], 20n)]),
      item(signCheque(daveKey, domain, { node: NODE, cumulativeAmount: 20n }), [receipt(recipients[2], 20n, DAVE)])
    ])
    assert.equal(two.paid, 40n)
    gas.singleClaimAvg = singleGas / BigInt(N)
    gas.batchClaim10 = batch.gasUsed
    gas.batchPerReceipt = batch.gasUsed / BigInt(N)
    gas.batchTwoSenders3Receipts = two.gasUsed
    assert.ok(batch.gasUsed / BigInt(N) < singleGas / BigInt(N), `batch ${batch.gasUsed / BigInt(N)} per receipt vs single ${singleGas / BigInt(N)}`)
    // the later claim of an existing recipient (warm path, no new storage slot)
    const later = await node.claim(item(cheque(BigInt(N * 10 + N * 10 + 20 + 10)), [receipt(recipients[0], 30n)]))
    gas.laterSingleClaim = later.gasUsed
  })

  it('ledgers end to end: postage cheques and receipts kept by the node are claimed with one batch, paying exactly the delivered postage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attn-rewards-chain-'))
    const ledgers: RewardsLedger[] = []
    const open = (name: string, rootKey: PrivateKey): RewardsLedger => {
      const l = new RewardsLedger(join(dir, `${name}.sqlite`), { domain, rootKey })
      ledgers.push(l)
      return l
    }
    try {
      const senderLedger = open('alice', aliceKey)
      const nodeLedger = open('node', nodeKey)
      const bob = open('bob', recipients[0])
      const carol = open('carol', recipients[1])
      // 5 parcels at 7 each: 3 for bob (all fetched), 2 for carol (1 fetched)
      for (let i = 0; i < 5; i++) nodeLedger.acceptCheque(senderLedger.issueCheque(NODE, 7n))
      for (let i = 0; i < 3; i++) nodeLedger.acceptDelivery(bob.issueDelivery(NODE, ALICE, 7n))
      nodeLedger.acceptDelivery(carol.issueDelivery(NODE, ALICE, 7n))
      const pending = nodeLedger.claimable()
      assert.equal(pending.reduce((sum, p) => sum + p.expected, 0n), 28n)
      const before = await node.tokenBalance()
      const result = await node.claimBatch(pending.map((p) => p.item))
      nodeLedger.recordClaim(pending.map((p) => p.item), result)
      assert.equal(result.paid, 28n)
      assert.equal(await node.tokenBalance(), before + 28n)
      assert.deepEqual(nodeLedger.summary(), { earned: 28n, claimed: 28n, claimable: 0n })
      assert.deepEqual(nodeLedger.claimable(), [])
      // carol fetches the last parcel: one more receipt, one more claim of exactly its postage
      nodeLedger.acceptDelivery(carol.issueDelivery(NODE, ALICE, 7n))
      const next = nodeLedger.claimable()
      const r2 = await node.claimBatch(next.map((p) => p.item))
      nodeLedger.recordClaim(next.map((p) => p.item), r2)
      assert.equal(r2.paid, 7n)
      assert.equal(await node.tokenBalance(), before + 35n)
    } finally {
      for (const l of ledgers) l.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('the contract accepts the signatures of protocols/vectors/rewards.json and refuses its invalid cases', async () => {
    const v = JSON.parse(await readFile(fileURLToPath(new URL('../../../protocols/vectors/rewards.json', import.meta.url)), 'utf8'))
    const vkey = (name: string): PrivateKey => privateKeyFromRaw(Buffer.from(v.keys.find((k: any) => k.name === name).private_key, 'hex'))
    for (const name of ['deployer', 'alice']) await fund(anvil, evmAddressOf(vkey(name).publicKey))
    const vDeployer = await RewardsChainClient.connect({ rpcUrl: anvil.rpcUrl, rootKey: vkey('deployer'), pollingIntervalMs: 20 })
    const d = await vDeployer.deploy({ supply: 10n ** 21n })
    assert.equal(d.contract, v.domain.verifying_contract)
    assert.equal(await vDeployer.domainSeparator(), `0x${v.domain.separator as string}`)
    const vAlice = await RewardsChainClient.connect({ rpcUrl: anvil.rpcUrl, rootKey: vkey('alice'), pollingIntervalMs: 20 })
    await vAlice.use(d.contract)
    await vDeployer.transfer(vAlice.address, 1000n)
    await vAlice.deposit(1000n)
    const submitter = await RewardsChainClient.connect({ rpcUrl: anvil.rpcUrl, rootKey: nodeKey, pollingIntervalMs: 20 })
    await submitter.use(d.contract) // anyone may submit: the tokens go to the cheque's node
    const c = v.cheques.find((x: any) => x.signer === 'alice' && x.cumulative_amount === '300')
    const toItem = (ch: any, ds: any[]): ClaimItem => ({
      sender: ch.sender, node: ch.node, chequeAmount: BigInt(ch.cumulative_amount), chequeSignature: `0x${ch.signature as string}`,
      deliveries: ds.map((x) => ({ recipient: x.recipient, cumulativeAmount: BigInt(x.cumulative_amount), signature: `0x${x.signature as string}` }))
    })
    for (const bad of v.invalid_cheques) {
      await assert.rejects(submitter.claim(toItem(bad, [])), { code: 'ERR_CHAIN_TRANSACTION' }, bad.name)
    }
    for (const bad of v.invalid_deliveries) {
      // the contract takes node and sender from the cheque: pair the receipt with a cheque of its sender
      const ch = v.cheques.find((x: any) => x.sender === bad.sender)
      await assert.rejects(submitter.claim(toItem(ch, [bad])), { reason: 'BadDeliverySignature' }, bad.name)
    }
    const r = await submitter.claim(toItem(c, v.deliveries.filter((x: any) => x.sender === c.sender)))
    assert.equal(r.paid, 300n)
    assert.equal(await submitter.tokenBalance(c.node), 300n)
  })

  it('refuses a chain client pointed at the wrong chain id; a chain that does not answer is ERR_CHAIN_UNAVAILABLE', async () => {
    await assert.rejects(RewardsChainClient.connect({ rpcUrl: anvil.rpcUrl, rootKey: nodeKey, chainId: 1 }), { code: 'ERR_WRONG_CHAIN' })
    const closed = await startAnvil()
    const client = await RewardsChainClient.connect({ rpcUrl: closed.rpcUrl, rootKey: nodeKey, retries: 0, timeoutMs: 5000 })
    await closed.stop()
    await assert.rejects(client.use(deployer.rewardsAddress()), { code: 'ERR_CHAIN_UNAVAILABLE' })
    await assert.rejects(RewardsChainClient.connect({ rpcUrl: closed.rpcUrl, rootKey: nodeKey, retries: 0 }), { code: 'ERR_CHAIN_UNAVAILABLE' })
    await assert.rejects(client.tokenBalance(), { code: 'ERR_NO_CONTRACT' })
  })

  it('an aborted call sends nothing', async () => {
    await assert.rejects(node.claim(item(cheque(300n), [receipt(recipients[0], 300n)]), { signal: AbortSignal.abort() }), { code: 'ERR_ABORTED' })
    await assert.rejects(node.tokenBalance(NODE, { signal: AbortSignal.abort() }), { code: 'ERR_ABORTED' })
    assert.deepEqual(await node.channelOf(ALICE, NODE), { proven: 0n, paid: 0n })
  })
})

const EIP712_DOMAIN_FIELDS = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' }
] as const

/** The same signature with s → n − s and v flipped: valid for plain ecrecover, refused (EIP-2 high s). */
function flipS (signature: string): `0x${string}` {
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
  const b = Buffer.from(signature.slice(2), 'hex')
  const s = BigInt('0x' + b.subarray(32, 64).toString('hex'))
  Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex').copy(b, 32)
  b[64] = b[64] === 27 ? 28 : 27
  return `0x${b.toString('hex')}`
}
