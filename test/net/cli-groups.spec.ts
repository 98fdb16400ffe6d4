import assert from 'node:assert/strict'
import { removeHome, runCli, tempHome } from '../helpers/cli.js'
import { waitFor } from '../helpers/nodes.js'

const ENV = { ATTN_PASSPHRASE: 'correct horse battery' }

describe('CLI: groups (issue 15 item 5): removal seen by the removed member, per-member status, leave, rename', function () {
  this.timeout(400_000)
  const homes: string[] = []
  afterEach(async () => {
    // the nodes shut down side by side
    await Promise.all(homes.map(async h => await runCli(['stop', '--force', '--home', h])))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  async function cli (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
    return await runCli(args, ENV)
  }
  async function json (args: string[]): Promise<any> {
    const r = await cli([...args, '--json'])
    assert.equal(r.code, 0, `attn ${args.join(' ')}: ${r.stdout}${r.stderr}`)
    return JSON.parse(r.stdout)
  }
  async function node (bootstrap?: string): Promise<{ home: string, address: string }> {
    const home = await tempHome('attn-cli-groups-')
    homes.push(home)
    const out = await json(['start', '--detach', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', ...(bootstrap != null ? ['--bootstrap', bootstrap] : [])])
    return { home, address: out.address }
  }
  async function groupAt (home: string, id: string): Promise<any> {
    return (await json(['group', 'list', '--home', home])).find((g: any) => g.id === id)
  }

  it('per-member delivered; a removed member sees it and cannot send; remove of a non-member errors; a later member sees no history; rename; leave', async () => {
    const relay = await node()
    const boot = (await cli(['id', '--home', relay.home, '--field', 'multiaddr'])).stdout.trim()
    // independent of each other: started side by side
    const [alice, bob, carol] = await Promise.all([node(boot), node(boot), node(boot)])
    await json(['contacts', 'add', '--home', alice.home, 'bob', bob.address])

    const g = await json(['group', 'create', '--home', alice.home, 'friends', '--member', 'bob'])
    assert.equal(g.membership, 'member')
    assert.ok(g.members.includes(bob.address))
    const { id: first } = await json(['send', '--home', alice.home, g.id, 'before carol'])
    const st = await json(['message-status', '--home', alice.home, first, '--wait', 'delivered', '--timeout', '120'])
    assert.equal(st.state, 'delivered')
    assert.deepEqual(st.members, [{ address: bob.address, state: 'delivered' }])
    await waitFor(async () => (await json(['inbox', '--home', bob.home])).some((m: any) => m.body === 'before carol'), { timeout: 60_000, what: 'bob has the group message' })

    // carol joins later: she does not see what was sent before
    await json(['group', 'add', '--home', alice.home, g.id, carol.address])
    const { id: second } = await json(['send', '--home', alice.home, g.id, 'with carol'])
    const st2 = await json(['message-status', '--home', alice.home, second, '--wait', 'delivered', '--timeout', '120'])
    assert.deepEqual(st2.members.map((m: any) => m.address).sort(), [bob.address, carol.address].sort())
    const carolInbox = await json(['inbox', '--home', carol.home])
    assert.deepEqual(carolInbox.filter((m: any) => m.group === g.id).map((m: any) => m.body), ['with carol'])

    // bob is removed: he sees it, and sending is refused with a clear error
    await json(['group', 'remove', '--home', alice.home, g.id, 'bob'])
    await waitFor(async () => (await groupAt(bob.home, g.id))?.membership === 'removed', { timeout: 60_000, what: 'bob sees his removal' })
    assert.match((await cli(['group', 'list', '--home', bob.home])).stdout, /\(you were removed\)/)
    const refused = await cli(['send', '--home', bob.home, g.id, 'still here?'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /you were removed from group .*ERR_NOT_GROUP_MEMBER/)
    const notMember = await cli(['group', 'remove', '--home', alice.home, g.id, bob.address])
    assert.equal(notMember.code, 1)
    assert.match(notMember.stderr, /is not a member.*ERR_NO_SUCH_MEMBER/)

    // rename reaches the members; the only admin cannot leave a group with members
    await json(['group', 'rename', '--home', alice.home, g.id, 'best friends'])
    await waitFor(async () => (await groupAt(carol.home, g.id))?.name === 'best friends', { timeout: 60_000, what: 'carol sees the new name' })
    const lastAdmin = await cli(['group', 'leave', '--home', alice.home, g.id])
    assert.match(lastAdmin.stderr, /ERR_LAST_ADMIN/)
    // carol leaves: locally, and she can no longer send
    const left = await json(['group', 'leave', '--home', carol.home, g.id])
    assert.equal(left.membership, 'left')
    const afterLeave = await cli(['send', '--home', carol.home, g.id, 'x'])
    assert.match(afterLeave.stderr, /you have left group .*ERR_NOT_GROUP_MEMBER/)
  })
})
