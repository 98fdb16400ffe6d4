import assert from 'node:assert/strict'
import { CliNode, removeHome, runCli, tempHome } from '../helpers/cli.js'
import { waitFor } from '../helpers/nodes.js'

const ENV = { ATTN_PASSPHRASE: 'correct horse battery' }

describe('CLI: messaging between separate processes (relay, alice, bob)', function () {
  this.timeout(300_000)
  const homes: string[] = []
  const procs: CliNode[] = []
  afterEach(async () => {
    await Promise.all(procs.splice(0).map(async p => await p.stop()))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  async function home (): Promise<string> {
    const dir = await tempHome('attn-cli-msg-')
    homes.push(dir)
    return dir
  }

  async function start (dir: string, extra: string[] = []): Promise<{ node: CliNode, info: Awaited<CliNode['started']> }> {
    const node = new CliNode(['--home', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', ...extra], ENV)
    procs.push(node)
    return { node, info: await node.started }
  }

  async function cli (args: string[], input?: string): Promise<{ code: number, stdout: string, stderr: string }> {
    return await runCli(args, ENV, input)
  }

  async function json (args: string[], input?: string): Promise<any> {
    const r = await cli([...args, '--json'], input)
    assert.equal(r.code, 0, `attn ${args.join(' ')}: ${r.stdout}${r.stderr}`)
    return JSON.parse(r.stdout)
  }

  it('bob publishes and goes offline, alice sends, bob comes back and finds it in his inbox; alice sees delivered', async () => {
    const [relayHome, aliceHome, bobHome] = [await home(), await home(), await home()]
    const relay = await start(relayHome)
    const boot = ['--bootstrap', relay.info.addresses[0]]
    // independent of each other: started side by side
    const [alice, bob] = await Promise.all([start(aliceHome, boot), start(bobHome, boot)])

    // bob publishes his directory record (retry until the relay's DHT has him in its routing table)
    const published = await waitFor(async () => {
      const out = await json(['publish', '--home', bobHome])
      return out.accepted > 0 ? out : undefined
    }, { timeout: 60_000, interval: 500, what: 'bob\'s record to be accepted by a peer' })
    assert.match(published.seq, /^\d+$/)
    const human = await cli(['publish', '--home', bobHome])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /published directory record seq \d+/)

    assert.deepEqual(await bob.node.stop(), { code: 0, signal: null })

    const sent = await json(['send', '--home', aliceHome, bob.info.address, 'hello bob, from alice'])
    assert.deepEqual(Object.keys(sent), ['id'])
    assert.match(sent.id, /^[0-9a-f]+$/)
    const plain = await cli(['message-status', '--home', aliceHome, sent.id])
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stdout, new RegExp(`^${sent.id}: (queued|sent|stored|delivered)`))

    // bob restarts on the same home, bootstrapping from the relay again
    const bob2 = await start(bobHome, boot)
    assert.equal(bob2.info.address, bob.info.address)
    const inbox = await waitFor(async () => {
      const list = await json(['inbox', '--home', bobHome])
      return list.some((m: any) => m.id === sent.id) ? list : undefined
    }, { timeout: 120_000, interval: 500, what: 'the message in bob\'s inbox' })
    const msg = inbox.at(-1)
    assert.equal(msg.id, sent.id, 'newest last')
    assert.equal(msg.from, alice.info.address)
    assert.equal(msg.to, bob.info.address)
    assert.equal(msg.group, null)
    assert.equal(msg.body, 'hello bob, from alice')
    assert.equal(typeof msg.sentAt, 'number')
    assert.equal(typeof msg.receivedAt, 'number')
    const listing = await cli(['inbox', '--home', bobHome])
    assert.equal(listing.code, 0, listing.stderr)
    assert.match(listing.stdout, /hello bob, from alice/)
    assert.ok(listing.stdout.includes(alice.info.address))

    const status = await waitFor(async () => {
      const s = await json(['message-status', '--home', aliceHome, sent.id])
      return s.state === 'delivered' ? s : undefined
    }, { timeout: 120_000, interval: 500, what: 'delivered status at alice' })
    // bob was offline when alice sent: the first hand-off is the mailbox copy, unless alice's
    // direct retry reached bob (back online) before the mailbox put returned
    assert.ok(['mailbox', 'direct'].includes(status.path), `path ${String(status.path)}`)
    assert.deepEqual({ id: status.id, state: status.state }, { id: sent.id, state: 'delivered' })
  })

  it('groups from the command line; errors exit 1 with the code, usage errors exit 2', async () => {
    const [relayHome, aliceHome, bobHome] = [await home(), await home(), await home()]
    const relay = await start(relayHome)
    const boot = ['--bootstrap', relay.info.addresses[0]]
    // independent of each other: started side by side
    const [alice, bob] = await Promise.all([start(aliceHome, boot), start(bobHome, boot)])
    await waitFor(async () => (await json(['publish', '--home', bobHome])).accepted > 0, { timeout: 60_000, interval: 500, what: 'bob published' })
    await waitFor(async () => (await json(['publish', '--home', relayHome])).accepted > 0, { timeout: 60_000, interval: 500, what: 'relay published' })

    const group = await json(['group', 'create', '--home', aliceHome, 'friends', '--member', bob.info.address])
    assert.match(group.id, /^grp_[0-9a-f]{32}$/)
    assert.equal(group.name, 'friends')
    assert.ok(group.members.includes(bob.info.address))
    const list = await json(['group', 'list', '--home', aliceHome])
    assert.ok(list.some((g: any) => g.id === group.id))
    const added = await cli(['group', 'add', '--home', aliceHome, group.id, relay.info.address])
    assert.equal(added.code, 0, added.stderr)
    assert.ok(added.stdout.includes(relay.info.address))
    const removed = await json(['group', 'remove', '--home', aliceHome, group.id, relay.info.address])
    assert.ok(!removed.members.includes(relay.info.address))

    const sent = await json(['send', '--home', aliceHome, group.id, '-'], 'hi friends')
    await waitFor(async () => (await json(['inbox', '--home', bobHome])).some((m: any) => m.group === group.id && m.body === 'hi friends'),
      { timeout: 60_000, interval: 500, what: 'group message at bob' })
    assert.match(sent.id, /^[0-9a-f]+$/)

    // failures: exit 1, message and code on stderr (or as JSON with --json)
    const unknown = await cli(['message-status', '--home', aliceHome, 'ab'.repeat(16)])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /NOT_FOUND/)
    const unknownJson = await cli(['message-status', '--home', aliceHome, 'ab'.repeat(16), '--json'])
    assert.equal(unknownJson.code, 1)
    assert.equal(JSON.parse(unknownJson.stdout).error.code, 'ERR_MESSAGE_NOT_FOUND')
    // (an argument can't be that long: the text comes from stdin)
    const tooLarge = await cli(['send', '--home', aliceHome, bob.info.address, '-'], 'x'.repeat(256 * 1024 + 1))
    assert.equal(tooLarge.code, 1)
    assert.match(tooLarge.stderr, /TOO_LARGE/)
    const badAddress = await cli(['send', '--home', aliceHome, 'not-an-address', 'x'])
    assert.equal(badAddress.code, 1)
    assert.match(badAddress.stderr, /ERR_INVALID_ADDRESS/)
    const notAdmin = await cli(['group', 'add', '--home', bobHome, group.id, relay.info.address])
    assert.equal(notAdmin.code, 1)
    assert.match(notAdmin.stderr, /ERR_NOT_GROUP_ADMIN|NOT_FOUND/)

    const usage = await cli(['send', '--home', aliceHome, bob.info.address])
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /exactly two arguments/)
    assert.equal((await cli(['group', 'frob', '--home', aliceHome])).code, 2)
    assert.equal((await cli(['inbox', '--nope'])).code, 2)
  })

  it('every messaging command has --help; without a running node they fail clearly', async () => {
    for (const cmd of ['send', 'inbox', 'message-status', 'group', 'publish', 'fetch']) {
      const help = await cli([cmd, '--help'])
      assert.equal(help.code, 0, cmd)
      assert.match(help.stdout, new RegExp(`^Usage: attn ${cmd}`), cmd)
    }
    const global = await cli(['--help'])
    for (const cmd of ['send', 'inbox', 'message-status', 'group', 'publish']) assert.match(global.stdout, new RegExp(`^  ${cmd}\\b`, 'm'))
    const dir = await home()
    for (const args of [['send', 'x', 'y'], ['inbox'], ['message-status', 'ab'], ['group', 'list'], ['publish']]) {
      const r = await cli([...args, '--home', dir])
      assert.equal(r.code, 1, args.join(' '))
      assert.match(r.stderr, /no running node .*ERR_NOT_RUNNING/, args.join(' '))
    }
  })
})
