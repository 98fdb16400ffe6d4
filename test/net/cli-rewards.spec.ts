import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CliNode, removeHome, runCli, tempHome } from '../helpers/cli.js'
import { waitFor } from '../helpers/nodes.js'
import { fund, startAnvil } from '../helpers/anvil.js'
import type { Anvil } from '../helpers/anvil.js'

const ENV = { ATTN_PASSPHRASE: 'correct horse battery' }
const PRICE = 7

describe('CLI: rewards end to end on anvil (sender, paid mailbox, offline recipient)', function () {
  this.timeout(400_000)
  let anvil: Anvil | undefined
  const homes: string[] = []
  const procs: CliNode[] = []
  before(async () => { anvil = await startAnvil() })
  after(async () => { await anvil?.stop() })
  afterEach(async () => {
    await Promise.all(procs.splice(0).map(async p => await p.stop()))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  async function home (config?: unknown): Promise<string> {
    const dir = await tempHome('attn-cli-rewards-')
    homes.push(dir)
    if (config != null) await writeFile(join(dir, 'config.json'), JSON.stringify(config))
    return dir
  }

  async function start (dir: string, extra: string[] = []): Promise<{ node: CliNode, info: Awaited<CliNode['started']> }> {
    const node = new CliNode(['--home', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', ...extra], ENV)
    procs.push(node)
    return { node, info: await node.started }
  }

  async function json (args: string[]): Promise<any> {
    const r = await runCli([...args, '--json'], ENV)
    assert.equal(r.code, 0, `attn ${args.join(' ')}: ${r.stdout}${r.stderr}`)
    return JSON.parse(r.stdout)
  }

  it('deploy, deposit, three paid messages stored and fetched, one claim pays the mailbox exactly their postage; an unpaid sender gets ERR_POSTAGE_REQUIRED', async () => {
    const rpc = (anvil as Anvil).rpcUrl
    const [mailboxHome, aliceHome, carolHome] = [await home(), await home(), await home()]
    // alice's identity exists before any node: deploy needs only the keystore (and gas)
    await json(['init', '--home', aliceHome])
    await json(['init', '--home', mailboxHome])
    const aliceId = await json(['id', '--home', aliceHome])
    const mailboxId = await json(['id', '--home', mailboxHome])
    await fund(anvil as Anvil, aliceId.evmAddress)
    await fund(anvil as Anvil, mailboxId.evmAddress)
    const deployed = await json(['rewards', 'deploy', '--home', aliceHome, '--chain-rpc', rpc, '--supply', '1000000'])
    assert.equal(deployed.chainId, 31337)
    assert.match(deployed.contract, /^0x[0-9a-fA-F]{40}$/)
    assert.equal(deployed.deployer, aliceId.evmAddress)
    const chain = ['--chain-rpc', rpc, '--rewards-contract', deployed.contract]

    const mailbox = await start(mailboxHome, [...chain, '--price', String(PRICE)])
    const boot = ['--bootstrap', mailbox.info.addresses[0]]
    const bobHome = await home({ mailbox: { enabled: true, nodes: [mailbox.info.peerId] } })
    // independent of each other: started side by side
    const [alice, bob0, carol] = await Promise.all([start(aliceHome, [...boot, ...chain]), start(bobHome, [...boot, ...chain]), start(carolHome, boot)])
    let bob = bob0

    const deposit = await json(['rewards', 'deposit', '--home', aliceHome, '1000'])
    assert.equal(deposit.deposit, '1000')
    const before = await json(['rewards', 'status', '--home', mailboxHome])
    assert.deepEqual({ tokenBalance: before.tokenBalance, earned: before.earned, claimable: before.claimable, claimed: before.claimed, price: before.price },
      { tokenBalance: '0', earned: '0', claimable: '0', claimed: '0', price: String(PRICE) })
    assert.equal(before.evmAddress, mailboxId.evmAddress)

    await waitFor(async () => (await json(['publish', '--home', bobHome])).accepted > 0, { timeout: 60_000, interval: 500, what: 'bob published' })
    await waitFor(async () => (await json(['publish', '--home', aliceHome])).accepted > 0, { timeout: 60_000, interval: 500, what: 'alice published' })
    await waitFor(async () => (await json(['publish', '--home', carolHome])).accepted > 0, { timeout: 60_000, interval: 500, what: 'carol published' })
    assert.deepEqual(await bob.node.stop(), { code: 0, signal: null })

    const ids: string[] = []
    for (const text of ['paid one', 'paid two', 'paid three']) ids.push((await json(['send', '--home', aliceHome, bob.info.address, text])).id)
    for (const id of ids) {
      await waitFor(async () => (await json(['message-status', '--home', aliceHome, id])).state === 'stored', { timeout: 120_000, interval: 500, what: `${id} stored` })
    }
    const spent = await json(['rewards', 'status', '--home', aliceHome])
    assert.equal(spent.postage, String(3 * PRICE))
    assert.equal(spent.signed, String(8 * PRICE), 'the cheque runs ahead by up to 8 prices')

    // carol runs without rewards: the only mailbox is priced, so her message waits with the reason
    const unpaid = await json(['send', '--home', carolHome, bob.info.address, 'unpaid'])
    const carolStatus = await waitFor(async () => {
      const s = await json(['message-status', '--home', carolHome, unpaid.id])
      return typeof s.reason === 'string' && s.reason.includes('ERR_POSTAGE_REQUIRED') ? s : undefined
    }, { timeout: 120_000, interval: 500, what: 'ERR_POSTAGE_REQUIRED at carol' })
    assert.equal(carolStatus.state, 'queued')
    const carolRewards = await runCli(['rewards', 'status', '--home', carolHome, '--json'], ENV)
    assert.equal(carolRewards.code, 1)
    assert.equal(JSON.parse(carolRewards.stdout).error.code, 'ERR_REWARDS_DISABLED')

    // nothing delivered yet: nothing to claim, and no transaction
    assert.deepEqual(await json(['rewards', 'claim', '--home', mailboxHome]), { paid: '0', receipts: 0 })

    bob = await start(bobHome, [...boot, ...chain])
    await waitFor(async () => {
      const inbox = await json(['inbox', '--home', bobHome])
      return ids.every(id => inbox.some((m: any) => m.id === id))
    }, { timeout: 120_000, interval: 500, what: 'the paid messages in bob\'s inbox' })
    const earned = await waitFor(async () => {
      const s = await json(['rewards', 'status', '--home', mailboxHome])
      return s.claimable === String(3 * PRICE) ? s : undefined
    }, { timeout: 120_000, interval: 500, what: 'receipts at the mailbox' })
    assert.equal(earned.earned, String(3 * PRICE))

    const claim = await json(['rewards', 'claim', '--home', mailboxHome])
    assert.equal(claim.paid, String(3 * PRICE))
    assert.match(claim.tx, /^0x[0-9a-f]{64}$/)
    assert.equal(claim.receipts, 1)
    const afterClaim = await json(['rewards', 'status', '--home', mailboxHome])
    assert.equal(afterClaim.tokenBalance, String(3 * PRICE), 'the token balance rose by exactly the delivered postage')
    assert.deepEqual({ claimable: afterClaim.claimable, claimed: afterClaim.claimed }, { claimable: '0', claimed: String(3 * PRICE) })
    assert.equal((await json(['rewards', 'status', '--home', aliceHome])).deposit, String(1000 - 3 * PRICE))
    assert.deepEqual(await json(['rewards', 'claim', '--home', mailboxHome]), { paid: '0', receipts: 0 })
    const human = await runCli(['rewards', 'claim', '--home', mailboxHome], ENV)
    assert.equal(human.code, 0)
    assert.match(human.stdout, /nothing to claim/)

    // the chain goes down: the node keeps working, status says so, claims wait
    await (anvil as Anvil).stop()
    const down = await json(['rewards', 'status', '--home', mailboxHome])
    assert.equal(down.tokenBalance, null)
    assert.match(down.chainError, /ERR_CHAIN_UNAVAILABLE/)
    assert.equal(down.claimed, String(3 * PRICE))
    const downDeposit = await runCli(['rewards', 'deposit', '--home', aliceHome, '5', '--json'], ENV)
    assert.equal(downDeposit.code, 1)
    assert.equal(JSON.parse(downDeposit.stdout).error.code, 'ERR_CHAIN_UNAVAILABLE')
    void alice
    void carol
  })

  it('rewards has --help and checks its arguments', async () => {
    const help = await runCli(['rewards', '--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^Usage: attn rewards deploy/)
    for (const sub of ['deposit', 'withdraw', 'transfer', 'status', 'claim']) assert.match(help.stdout, new RegExp(`attn rewards ${sub}`))
    assert.match((await runCli(['--help'])).stdout, /^ {2}rewards\b/m)
    assert.match((await runCli(['start', '--help'])).stdout, /--rewards-contract ADDR/)
    assert.equal((await runCli(['rewards', 'deposit', 'x'])).code, 2)
    assert.equal((await runCli(['rewards', 'frob'])).code, 2)
    assert.equal((await runCli(['rewards', 'deploy'])).code, 2)
    assert.equal((await runCli(['rewards', 'status', '--supply', '3'])).code, 2)
    const dir = await home()
    const r = await runCli(['rewards', 'status', '--home', dir])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /ERR_NOT_RUNNING/)
  })
})
