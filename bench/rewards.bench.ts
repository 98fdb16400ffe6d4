/**
 * Rewards figures (bench/README.md):
 *   mailbox_store_postage  paid parcels stored and acknowledged per second at a priced mailbox (postage
 *                          trailer decode + cheque ecrecover + ledger, then on ack the postage report and
 *                          the recipients' receipts) vs the same parcels stored and acknowledged free
 *   rewards_gas_claim      gas of one claim (one cheque, one recipient's first receipt) vs an ERC-20 transfer
 *   rewards_gas_batch_receipt  gas per receipt of one claimBatch of 50 first receipts vs a single claim
 *   rewards_gas_deploy     gas of deploying AttToken + AttRewards (absolute)
 * The gas figures run the contracts on a local anvil (`@foundry-rs/anvil`, the devDependency the tests use).
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { MessagingStore, sealEnvelope, generatePrekey, encodeParcel, PARCEL_ENVELOPE } from '../src/messaging/index.js'
import { attAddress, encodeChain } from '../src/keys/index.js'
import { decodePut, encodePut } from '../src/messaging/protocol/postage.js'
import { DEFAULT_CHEQUE_AHEAD_PARCELS, RewardsChainClient, RewardsLedger, evmAddressOf, signCheque, signDelivery } from '../src/rewards/index.js'
import type { ClaimItem, RewardsDomain, SignedDelivery } from '../src/rewards/index.js'
import { fund, startAnvil } from '../test/helpers/anvil.js'
import type { Anvil } from '../test/helpers/anvil.js'
import { interleave, median, now, type Figure, type HarnessOptions, type BenchContext } from './harness.js'
import { result } from './types.js'

const PRICE = 10n
const SENDERS = 16
const RECIPIENTS = 16
const key = (name: string): PrivateKey => privateKeyFromRaw(new Uint8Array(createHash('sha256').update(`attn bench rewards: ${name}`).digest()))
const DOMAIN: RewardsDomain = { chainId: 31337, verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }

interface PaidRow {
  recipient: string
  senderAddress: string
  envelopeId: Uint8Array
  /** mailbox.put params with the postage trailer. */
  put: Uint8Array
}

function sizes (opts: HarnessOptions): { parcels: number, rounds: number } {
  if (opts.smoke) return { parcels: 32, rounds: 1 }
  return opts.quick ? { parcels: 256, rounds: 5 } : { parcels: 1024, rounds: 9 }
}

function cpuMicros (): number {
  const u = process.cpuUsage()
  return u.user + u.system
}

export const mailboxStorePostage: Figure = {
  name: 'mailbox_store_postage',
  unit: 'msg/s',
  goal: '>= 0.3',
  async run (opts) {
    const { parcels, rounds } = sizes(opts)
    const nodeKey = key('mailbox')
    const node = evmAddressOf(nodeKey.publicKey)
    const senderKeys = Array.from({ length: SENDERS }, (_, i) => key(`sender ${i}`))
    const senders = senderKeys.map(k => ({ key: k, identity: { address: attAddress(k.publicKey), rootKey: k, nodeKey: k, chain: encodeChain([]) } }))
    const expires = Math.floor(Date.now() / 1000) + 86_400
    const recipientKeys = Array.from({ length: RECIPIENTS }, (_, i) => key(`recipient ${i}`))
    const recipients = recipientKeys.map((k, i) => ({ key: k, address: attAddress(k.publicKey), prekey: generatePrekey(i + 1, expires) }))
    // untimed: parcels sealed, cheques signed by the senders' ledgers (as their outboxes do: one
    // signature per DEFAULT_CHEQUE_AHEAD_PARCELS parcels), receipts signed by the recipients
    const dir = mkdtempSync(join(tmpdir(), 'attn-bench-postage-'))
    const senderLedgers = senderKeys.map((k, i) => new RewardsLedger(join(dir, `sender-${i}.sqlite`), { domain: DOMAIN, rootKey: k }))
    const rows: PaidRow[] = []
    const pairTotal = new Map<string, bigint>()
    for (let i = 0; i < parcels; i++) {
      const s = i % SENDERS
      const r = Math.floor(i / SENDERS) % RECIPIENTS
      const envelopeId = randomBytes(16)
      const envelope = sealEnvelope({ sender: senders[s].identity, recipientAddress: recipients[r].address, recipientPrekey: recipients[r].prekey, message: { body: randomBytes(256) }, envelopeId })
      const parcel = encodeParcel({ kind: PARCEL_ENVELOPE, recipient: recipients[r].address, payload: envelope })
      const { cheque } = senderLedgers[s].payParcel(node, Buffer.from(envelopeId).toString('hex'), PRICE)
      rows.push({ recipient: recipients[r].address, senderAddress: senders[s].identity.address, envelopeId, put: encodePut(parcel, { postage: PRICE, cumulativeAmount: cheque.cumulativeAmount, signature: cheque.signature }) })
      const pair = `${s}:${r}`
      pairTotal.set(pair, (pairTotal.get(pair) ?? 0n) + PRICE)
    }
    const receipts = new Map<string, SignedDelivery[]>()
    for (const [pair, total] of pairTotal) {
      const [s, r] = pair.split(':').map(Number)
      const list = receipts.get(recipients[r].address) ?? []
      list.push(signDelivery(recipients[r].key, DOMAIN, { node, sender: evmAddressOf(senderKeys[s].publicKey), cumulativeAmount: total }))
      receipts.set(recipients[r].address, list)
    }
    const byRecipient = new Map<string, Uint8Array[]>()
    for (const r of rows) byRecipient.set(r.recipient, [...(byRecipient.get(r.recipient) ?? []), r.envelopeId])
    const evmOfAddress = new Map(senders.map(s => [s.identity.address, evmAddressOf(s.key.publicKey)]))

    for (const l of senderLedgers) l.close()
    const paidStore = new MessagingStore(join(dir, 'paid.db'), { encryptionKey: randomBytes(32) })
    const freeStore = new MessagingStore(join(dir, 'free.db'), { encryptionKey: randomBytes(32) })
    let round = 0
    const cpu = { ours: [] as number[], base: [] as number[] }
    try {
      const ours = async (): Promise<number> => {
        // a fresh ledger per batch (untimed), so the same cumulative cheques are new again
        const ledger = new RewardsLedger(join(dir, `ledger-${round++}.sqlite`), { domain: DOMAIN, rootKey: nodeKey })
        try {
          const t = now()
          const c = cpuMicros()
          for (const r of rows) {
            const put = decodePut(r.put)
            const sender = evmOfAddress.get(r.senderAddress) as `0x${string}`
            ledger.acceptPostage({
              sender, recipient: r.recipient, parcelId: Buffer.from(r.envelopeId).toString('hex'), price: PRICE, postage: put.postage?.postage,
              cheque: { sender, node, cumulativeAmount: put.postage?.cumulativeAmount ?? 0n, signature: put.postage?.signature as `0x${string}` }
            })
            if (!paidStore.mailboxPut({ recipient: r.recipient, envelopeId: r.envelopeId, envelope: put.parcel, senderHint: r.senderAddress }).stored) throw new Error('not stored')
          }
          for (const [recipient, ids] of byRecipient) {
            paidStore.mailboxAck(recipient, ids)
            ledger.takePostage(recipient, ids.map(id => Buffer.from(id).toString('hex')))
            for (const d of receipts.get(recipient) ?? []) ledger.acceptDelivery(d)
          }
          cpu.ours.push((cpuMicros() - c) / rows.length)
          return rows.length / ((now() - t) / 1000)
        } finally {
          ledger.close()
        }
      }
      const base = async (): Promise<number> => {
        const t = now()
        const c = cpuMicros()
        for (const r of rows) {
          const put = decodePut(r.put)
          if (!freeStore.mailboxPut({ recipient: r.recipient, envelopeId: r.envelopeId, envelope: put.parcel, senderHint: r.senderAddress }).stored) throw new Error('not stored')
        }
        for (const [recipient, ids] of byRecipient) freeStore.mailboxAck(recipient, ids)
        cpu.base.push((cpuMicros() - c) / rows.length)
        return rows.length / ((now() - t) / 1000)
      }
      const [o, b] = await interleave([ours, base], rounds)
      const receiptCount = [...receipts.values()].reduce((n, l) => n + l.length, 0)
      return result(this.name, median(o), median(b), this.unit, this.goal,
        `${parcels} sealed parcels per batch (${SENDERS} senders × ${RECIPIENTS} recipients, price ${PRICE}), each put carrying its 98-byte ` +
        `postage trailer (the senders' cheques run ${DEFAULT_CHEQUE_AHEAD_PARCELS} prices ahead: a new signature every ${DEFAULT_CHEQUE_AHEAD_PARCELS} parcels); ours = decode the trailer + RewardsLedger.acceptPostage (an ecrecover when the cheque is new, one transaction) + mailboxPut, then per ` +
        `recipient mailboxAck + takePostage + acceptDelivery of its ${receiptCount / RECIPIENTS} receipts (ecrecover each; ${receiptCount} per batch); ` +
        `baseline = the same puts and acks at a free mailbox (mailboxPut + mailboxAck). Cheques and receipts are signed before the timed loop ` +
        `(the sender's and recipient's cost). CPU per parcel: ours ${median(cpu.ours).toFixed(0)} µs, baseline ${median(cpu.base).toFixed(0)} µs ` +
        `(ratio ${(median(cpu.ours) / median(cpu.base)).toFixed(2)}). Batches: ours ${o.map(x => x.toFixed(0)).join(', ')}; free ${b.map(x => x.toFixed(0)).join(', ')} msg/s`)
    } finally {
      paidStore.close()
      freeStore.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// gas (anvil)
// ---------------------------------------------------------------------------------------------

interface GasRun {
  deployToken: bigint
  deployRewards: bigint
  transfer: bigint
  claim: bigint
  batch: bigint
  batchReceipts: number
}

const BATCH_RECEIPTS = 50

/** Deploys, deposits, then measures one single claim, one batched claim and an ERC-20 transfer (once per run). */
async function measureGas (ctx: BenchContext): Promise<GasRun> {
  return await ctx.get('rewards-gas', async () => {
    const anvil: Anvil = await startAnvil()
    try {
      const deployerKey = key('deployer')
      const senderKey = key('sender')
      const nodeKey = key('node')
      for (const k of [deployerKey, senderKey, nodeKey]) await fund(anvil, evmAddressOf(k.publicKey))
      const connect = async (k: PrivateKey): Promise<RewardsChainClient> => await RewardsChainClient.connect({ rpcUrl: anvil.rpcUrl, rootKey: k, pollingIntervalMs: 20 })
      const deployer = await connect(deployerKey)
      const d = await deployer.deploy({ supply: 10n ** 24n })
      const domain = deployer.domain()
      const sender = await connect(senderKey)
      await sender.use(d.contract)
      const nodeClient = await connect(nodeKey)
      await nodeClient.use(d.contract)
      // baseline: an ERC-20 transfer to an account that held no tokens (what the claim's payout alone costs)
      const transfer = (await deployer.transfer(evmAddressOf(key('fresh').publicKey), 1000n)).gasUsed
      await deployer.transfer(sender.address, 10n ** 21n)
      await sender.deposit(10n ** 21n)
      const node = evmAddressOf(nodeKey.publicKey)
      const senderAddress = evmAddressOf(senderKey.publicKey)
      const recipients = Array.from({ length: BATCH_RECEIPTS + 1 }, (_, i) => key(`recipient ${i}`))
      const item = (cumulative: bigint, rs: PrivateKey[]): ClaimItem => {
        const cheque = signCheque(senderKey, domain, { node, cumulativeAmount: cumulative })
        return {
          sender: senderAddress, node, chequeAmount: cheque.cumulativeAmount, chequeSignature: cheque.signature,
          deliveries: rs.map(r => {
            const dl = signDelivery(r, domain, { node, sender: senderAddress, cumulativeAmount: PRICE })
            return { recipient: dl.recipient, cumulativeAmount: dl.cumulativeAmount, signature: dl.signature }
          })
        }
      }
      // a node's first claim for a sender (fresh channel, fresh recipient): the dearest single claim
      const claim = (await nodeClient.claim(item(PRICE, [recipients[0]]))).gasUsed
      const batch = (await nodeClient.claimBatch([item(PRICE * BigInt(BATCH_RECEIPTS + 1), recipients.slice(1))])).gasUsed
      return { deployToken: d.gasUsed.token, deployRewards: d.gasUsed.contract, transfer, claim, batch, batchReceipts: BATCH_RECEIPTS }
    } finally {
      await anvil.stop()
    }
  }, async () => {})
}

export const rewardsGasClaim: Figure = {
  name: 'rewards_gas_claim',
  unit: 'gas',
  goal: '<= 3',
  async run (_opts, ctx) {
    const g = await measureGas(ctx)
    return result(this.name, Number(g.claim), Number(g.transfer), this.unit, this.goal,
      `AttRewards.claim of one cheque + one recipient's first receipt (two ecrecovers, new channel and claimed slots, the payout transfer) on anvil; ` +
      `baseline = AttToken.transfer to an account without tokens (the payout alone)`)
  }
}

export const rewardsGasBatchReceipt: Figure = {
  name: 'rewards_gas_batch_receipt',
  unit: 'gas',
  goal: '<= 0.5',
  async run (_opts, ctx) {
    const g = await measureGas(ctx)
    const per = Number(g.batch) / g.batchReceipts
    return result(this.name, per, Number(g.claim), this.unit, this.goal,
      `claimBatch of one cheque with ${g.batchReceipts} recipients' first receipts: ${g.batch} gas in all, per receipt ${per.toFixed(0)}; ` +
      `baseline = a single claim of one receipt (${g.claim})`)
  }
}

export const rewardsGasDeploy: Figure = {
  name: 'rewards_gas_deploy',
  unit: 'gas',
  goal: '<= 2500000',
  async run (_opts, ctx) {
    const g = await measureGas(ctx)
    return result(this.name, Number(g.deployToken + g.deployRewards), null, this.unit, this.goal,
      `AttToken ${g.deployToken} + AttRewards ${g.deployRewards} (solc-js, optimizer 200 runs); absolute`)
  }
}

export const rewardsFigures: Figure[] = [mailboxStorePostage, rewardsGasClaim, rewardsGasBatchReceipt, rewardsGasDeploy]
