import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { CliNode, removeHome, tempHome } from '../helpers/cli.js'
import { waitFor } from '../helpers/nodes.js'

const SCRIPT = fileURLToPath(new URL('../../../scripts/build-if-stale.mjs', import.meta.url))
const STAMP = fileURLToPath(new URL('../../../dist/.build-stamp', import.meta.url))
const PACKAGE = fileURLToPath(new URL('../../../package.json', import.meta.url))
const ENV = { ATTN_PASSPHRASE: 'correct horse battery' }

async function check (): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(process.execPath, [SCRIPT, '--check'], (err, stdout) => { if (err != null) reject(err); else resolve(stdout.trim()) })
  })
}

describe('CLI: start-up progress and npm start', function () {
  this.timeout(300_000)
  const homes: string[] = []
  const procs: CliNode[] = []
  afterEach(async () => {
    await Promise.all(procs.splice(0).map(async p => await p.stop()))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  it('npm start runs the build only when a source is newer than the last build', async () => {
    const pkg = JSON.parse(await readFile(PACKAGE, 'utf8'))
    assert.equal(pkg.scripts.prestart, 'node scripts/build-if-stale.mjs', 'prestart does not rebuild unconditionally')
    const before = await stat(STAMP).catch(() => undefined)
    try {
      await writeFile(STAMP, 'test\n')
      await utimes(STAMP, new Date(0), new Date(0))
      assert.equal(await check(), 'stale')
      const future = new Date(Date.now() + 3600_000)
      await utimes(STAMP, future, future)
      assert.equal(await check(), 'up to date')
    } finally {
      if (before == null) await rm(STAMP, { force: true })
      else await utimes(STAMP, before.atime, before.mtime)
    }
  })

  it('attn start reports its progress on stderr: listening, bootstrap, DHT, record published, mailboxes; next steps on the first run', async () => {
    const [relayHome, bobHome] = [await tempHome('attn-cli-startup-'), await tempHome('attn-cli-startup-')]
    homes.push(relayHome, bobHome)
    const relay = new CliNode(['--home', relayHome, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'], ENV)
    procs.push(relay)
    const r = await relay.started
    const bob = new CliNode(['--home', bobHome, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--bootstrap', r.addresses[0]], ENV)
    procs.push(bob)
    const b = await bob.started
    await waitFor(() => /attn: mailboxes: /.test(bob.stderr), { timeout: 120_000, what: 'bob\'s start-up report' })
    assert.match(bob.stderr, /attn: listening on 1 address\(es\): \/ip4\/127\.0\.0\.1\/tcp\/\d+/)
    assert.match(bob.stderr, /attn: bootstrap: connected to 1 peer\(s\)/)
    assert.match(bob.stderr, /attn: DHT ready: \d+ peer\(s\) in the routing table/)
    assert.match(bob.stderr, /attn: identity record published to 1 peer\(s\) \(seq \d+\)/)
    assert.ok(bob.stderr.includes(`attn: mailboxes: ${r.peerId}`), bob.stderr)
    await waitFor(() => /stop the node/.test(bob.stderr), { timeout: 30_000, what: 'the next steps' })
    assert.ok(bob.stderr.includes(`your ATT address (give it to others): ${b.address}`))
    assert.ok(bob.stderr.includes(`${b.api}/v1/openapi.json`))
    // the second run of the same home prints no next steps
    await bob.stop()
    const again = new CliNode(['--home', bobHome, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--bootstrap', r.addresses[0]], ENV)
    procs.push(again)
    await again.started
    await waitFor(() => /attn: mailboxes: /.test(again.stderr), { timeout: 120_000, what: 'the second start-up report' })
    assert.doesNotMatch(again.stderr, /first run/)
  })
})
