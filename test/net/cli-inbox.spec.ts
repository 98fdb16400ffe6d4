import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { ATTN_BIN, removeHome, runCli, tempHome } from '../helpers/cli.js'
import { waitFor } from '../helpers/nodes.js'

const ENV = { ATTN_PASSPHRASE: 'correct horse battery' }

describe('CLI: inbox paging, --follow, read/unread, delete, sent, contacts (issue 15 items 8, 9)', function () {
  this.timeout(300_000)
  const homes: string[] = []
  afterEach(async () => {
    // the nodes shut down side by side
    await Promise.all(homes.map(async h => await runCli(['stop', '--force', '--home', h])))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  async function cli (args: string[], input?: string): Promise<{ code: number, stdout: string, stderr: string }> {
    return await runCli(args, ENV, input)
  }
  async function json (args: string[]): Promise<any> {
    const r = await cli([...args, '--json'])
    assert.equal(r.code, 0, `attn ${args.join(' ')}: ${r.stdout}${r.stderr}`)
    return JSON.parse(r.stdout)
  }
  async function node (bootstrap?: string): Promise<{ home: string, address: string }> {
    const home = await tempHome('attn-cli-inbox-')
    homes.push(home)
    const out = await json(['start', '--detach', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', ...(bootstrap != null ? ['--bootstrap', bootstrap] : [])])
    return { home, address: out.address }
  }

  it('contacts by name everywhere; newest N with cursors; read/unread; delete; sent; follow', async () => {
    const relay = await node()
    const boot = (await cli(['id', '--home', relay.home, '--field', 'multiaddr'])).stdout.trim()
    // independent of each other: started side by side
    const [alice, bob] = await Promise.all([node(boot), node(boot)])

    // contacts
    const added = await json(['contacts', 'add', '--home', alice.home, 'bob', bob.address])
    assert.equal(added.name, 'bob')
    assert.equal(added.address, bob.address)
    assert.deepEqual((await json(['contacts', 'list', '--home', alice.home])).map((c: any) => c.name), ['bob'])
    const dup = await cli(['contacts', 'add', '--home', alice.home, 'bob', relay.address])
    assert.equal(dup.code, 1)
    assert.match(dup.stderr, /exists already.*ERR_CONTACT_EXISTS/)
    const badName = await cli(['contacts', 'add', '--home', alice.home, bob.address, bob.address])
    assert.match(badName.stderr, /ERR_INVALID_CONTACT_NAME/)
    await json(['contacts', 'add', '--home', bob.home, 'alice', alice.address])

    // send by name; status shows the name
    const ids: string[] = []
    for (const text of ['one', 'two', 'three']) {
      const { id } = await json(['send', '--home', alice.home, 'bob', text])
      const s = await json(['message-status', '--home', alice.home, id, '--wait', 'delivered'])
      assert.equal(s.state, 'delivered')
      assert.equal(s.toName, 'bob')
      ids.push(id)
    }
    const human = await cli(['message-status', '--home', alice.home, ids[0]])
    assert.match(human.stdout, /: delivered \(to bob\)/)

    // the newest N, oldest first; --before pages back
    const newest = await json(['inbox', '--home', bob.home, '--limit', '2'])
    assert.deepEqual(newest.map((m: any) => m.body), ['two', 'three'])
    assert.equal(newest[0].fromName, 'alice')
    assert.equal(newest[0].read, false)
    const older = await json(['inbox', '--home', bob.home, '--limit', '2', '--before', String(newest[0].receivedAt)])
    assert.deepEqual(older.map((m: any) => m.body), ['one'])
    const forward = await json(['inbox', '--home', bob.home, '--limit', '1', '--after', String(older[0].receivedAt)])
    assert.deepEqual(forward.map((m: any) => m.body), ['two'])
    const listing = await cli(['inbox', '--home', bob.home])
    assert.ok(listing.stdout.includes(`alice (${alice.address})`), listing.stdout)
    assert.match(listing.stdout, /3 unread/)

    // read / unread / delete
    assert.equal((await json(['unread', '--home', bob.home])).unread, 3)
    assert.deepEqual(await json(['read', '--home', bob.home, ids[0]]), { changed: 1 })
    const counts = await json(['unread', '--home', bob.home])
    assert.deepEqual(counts, { unread: 2, from: { [alice.address]: 2 } })
    assert.equal((await json(['inbox', '--home', bob.home, '--unread'])).length, 2)
    assert.deepEqual(await json(['read', '--home', bob.home, ids[0], '--unread']), { changed: 1 })
    assert.deepEqual(await json(['read', '--home', bob.home, '--all']), { changed: 3 })
    assert.equal((await json(['unread', '--home', bob.home])).unread, 0)
    assert.deepEqual(await json(['delete', '--home', bob.home, ids[1]]), { id: ids[1], deleted: true })
    assert.deepEqual((await json(['inbox', '--home', bob.home])).map((m: any) => m.body), ['one', 'three'])
    const again = await cli(['delete', '--home', bob.home, ids[1]])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /ERR_MESSAGE_NOT_FOUND/)
    const unknownRead = await cli(['read', '--home', bob.home, 'ab'.repeat(16)])
    assert.match(unknownRead.stderr, /ERR_MESSAGE_NOT_FOUND/)

    // sent: newest first, with states and names
    const sent = await json(['sent', '--home', alice.home])
    assert.deepEqual(sent.map((m: any) => m.id), [...ids].reverse())
    assert.ok(sent.every((m: any) => m.state === 'delivered' && m.toName === 'bob' && m.to === bob.address))
    assert.match((await cli(['sent', '--home', alice.home])).stdout, /delivered\s+to bob \(/)

    // follow: the newest one, then new ones as they arrive, one JSON object per line
    const follow = spawn(process.execPath, [ATTN_BIN, 'inbox', '--follow', '--json', '--limit', '1', '--home', bob.home], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    follow.stdout.on('data', (d) => { out += String(d) })
    try {
      await waitFor(() => out.includes('\n'), { timeout: 60_000, what: 'the first followed line' })
      assert.equal(JSON.parse(out.split('\n')[0]).body, 'three')
      await json(['send', '--home', alice.home, 'bob', 'four'])
      await waitFor(() => out.split('\n').filter(Boolean).length >= 2, { timeout: 60_000, what: 'the new message followed' })
      const lines = out.split('\n').filter(Boolean).map(l => JSON.parse(l))
      assert.equal(lines[1].body, 'four')
      assert.equal(lines[1].fromName, 'alice')
    } finally {
      follow.kill('SIGTERM')
    }

    // a removed contact's name is no longer an address
    await json(['contacts', 'remove', '--home', alice.home, 'bob'])
    const gone = await cli(['send', '--home', alice.home, 'bob', 'hi'])
    assert.equal(gone.code, 1)
    assert.match(gone.stderr, /neither an ATT address.*nor a contact name.*ERR_INVALID_ADDRESS/)
    const missing = await cli(['contacts', 'remove', '--home', alice.home, 'bob'])
    assert.match(missing.stderr, /ERR_CONTACT_NOT_FOUND/)
  })
})
