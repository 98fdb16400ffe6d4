import assert from 'node:assert/strict'
import { copyFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { removeHome, runCli, tempHome } from '../helpers/cli.js'

const ENV = { ATTN_PASSPHRASE: 'correct horse battery' }

describe('CLI: a second node on a copy of identity.json is warned about loudly (issue 15 item 3, last sentence)', function () {
  this.timeout(400_000)
  const homes: string[] = []
  afterEach(async () => {
    // the nodes shut down side by side
    await Promise.all(homes.map(async h => await runCli(['stop', '--force', '--home', h])))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  async function home (): Promise<string> {
    const d = await tempHome('attn-cli-twin-')
    homes.push(d)
    return d
  }
  async function start (dir: string, boot?: string): Promise<{ code: number, stdout: string, stderr: string }> {
    return await runCli(['start', '--detach', '--home', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', ...(boot != null ? ['--bootstrap', boot] : [])], ENV)
  }

  it('restarting on new ports is quiet; a copy of the identity running elsewhere is a WARNING on start', async () => {
    const relay = await home()
    assert.equal((await start(relay)).code, 0)
    const boot = (await runCli(['id', '--home', relay, '--field', 'multiaddr'], ENV)).stdout.trim()
    const a = await home()
    const first = await start(a, boot)
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.stdout, /identity record published to \d+ peer/)
    // the same node again on another port: the record in the DHT is its own last one, no warning
    assert.equal((await runCli(['stop', '--home', a], ENV)).code, 0)
    const again = await start(a, boot)
    assert.equal(again.code, 0, again.stderr)
    assert.doesNotMatch(again.stderr + again.stdout, /WARNING/)

    // a copy of identity.json in another home: same PeerId, other addresses
    const b = await home()
    await copyFile(join(a, 'identity.json'), join(b, 'identity.json'))
    const twin = await start(b, boot)
    assert.equal(twin.code, 0, twin.stderr)
    const aAddr = (await runCli(['id', '--home', a, '--field', 'multiaddr'], ENV)).stdout.trim().replace(/\/p2p\/.*$/, '')
    assert.match(twin.stderr, /WARNING: the DHT shows this node's PeerId at .* another node runs with a copy of this identity\.json/)
    assert.ok(twin.stderr.includes(aAddr), twin.stderr)
    assert.match(await readFile(join(b, 'node.log'), 'utf8'), /attn: WARNING: the DHT shows this node's PeerId/)
  })
})
