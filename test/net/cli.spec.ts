import assert from 'node:assert/strict'
import { existsSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { evmAddress, parseAttAddress } from '../../src/keys/index.js'
import { CliNode, removeHome, runCli, tempHome } from '../helpers/cli.js'
import { waitFor } from '../helpers/nodes.js'

describe('CLI: attn start in separate processes', function () {
  const homes: string[] = []
  const procs: CliNode[] = []
  afterEach(async () => {
    await Promise.all(procs.splice(0).map(async p => await p.stop()))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  async function start (extra: string[] = []): Promise<{ node: CliNode, home: string, info: Awaited<CliNode['started']> }> {
    const home = await tempHome()
    homes.push(home)
    const node = new CliNode(['--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', ...extra], { ATTN_PASSPHRASE: 'correct horse' })
    procs.push(node)
    return { node, home, info: await node.started }
  }

  it('a second node bootstraps from the first; status --json on each shows the other; SIGTERM exits 0', async () => {
    const first = await start()
    assert.match(first.info.api, /^http:\/\/127\.0\.0\.1:\d+$/)
    const second = await start(['--bootstrap', first.info.addresses[0]])

    for (const [self, other] of [[first, second], [second, first]] as const) {
      await waitFor(async () => {
        const { code, stdout } = await runCli(['status', '--home', self.home, '--json'])
        assert.equal(code, 0)
        const status = JSON.parse(stdout)
        assert.equal(status.peerId, self.info.peerId)
        return status.connections.some((c: { peerId: string }) => c.peerId === other.info.peerId)
      }, { what: `${self.info.peerId} to list ${other.info.peerId}` })
    }

    // the first start made the API token: owner-only, and the CLI used it without being told
    const tokenFile = join(first.home, 'api-token')
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600)
    const token = (await readFile(tokenFile, 'utf8')).trim()
    assert.match(token, /^[A-Za-z0-9_-]{43}$/)
    // the web client's login link: a single-use code in the fragment, traded once for the token
    assert.match(first.info.loginUrl, new RegExp(`^${first.info.api}/#login=[A-Za-z0-9_-]{43}$`))
    const code = new URL(first.info.loginUrl).hash.slice('#login='.length)
    const login = async (): Promise<Response> => await fetch(`${first.info.api}/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })
    assert.deepEqual(await (await login()).json(), { token })
    assert.equal((await login()).status, 401)
    const groups = await runCli(['group', 'list', '--home', first.home, '--json'])
    assert.equal(groups.code, 0, groups.stderr)
    assert.deepEqual(JSON.parse(groups.stdout), [])
    // without the token the same route is refused; status stays open
    const anon = await fetch(`${first.info.api}/v1/groups`)
    assert.equal(anon.status, 401)
    assert.equal(((await anon.json()) as any).error.code, 'ERR_TOKEN_REQUIRED')
    assert.equal((await fetch(`${first.info.api}/v1/groups`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
    // a wrong ATTN_API_TOKEN is reported with its code
    const wrong = await runCli(['group', 'list', '--home', first.home], { ATTN_API_TOKEN: 'A'.repeat(43) })
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, /ERR_TOKEN_INVALID/)
    const garbage = await runCli(['group', 'list', '--home', first.home], { ATTN_API_TOKEN: 'not a token\n' })
    assert.equal(garbage.code, 2)
    assert.match(garbage.stderr, /ATTN_API_TOKEN/)

    const exits = await Promise.all([first.node.stop(), second.node.stop()])
    assert.deepEqual(exits, [{ code: 0, signal: null }, { code: 0, signal: null }])
    assert.equal(existsSync(join(first.home, 'node.json')), false, 'runtime file removed on exit')
  })

  it('init, id and the identity survive restarts; a wrong passphrase is a clear error', async () => {
    const home = await tempHome()
    homes.push(home)
    const init = await runCli(['init', '--home', home, '--json'], { ATTN_PASSPHRASE: 'pw-1' })
    assert.equal(init.code, 0, init.stderr)
    const created = JSON.parse(init.stdout)
    // init makes the API token too, owner-only
    assert.equal(statSync(join(home, 'api-token')).mode & 0o777, 0o600)
    const id = await runCli(['id', '--home', home, '--json'], { ATTN_PASSPHRASE: 'pw-1' })
    // evmAddress: the root key as an EVM account (derived from the key inside the ATT address; checked against viem in test/unit/rewards)
    assert.deepEqual(JSON.parse(id.stdout), { address: created.address, evmAddress: evmAddress(parseAttAddress(created.address)), peerId: created.peerId })
    assert.match(JSON.parse(id.stdout).evmAddress, /^0x[0-9a-fA-F]{40}$/)
    const again = await runCli(['init', '--home', home], { ATTN_PASSPHRASE: 'pw-1' })
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already exists/)
    const wrong = await runCli(['id', '--home', home], { ATTN_PASSPHRASE: 'pw-2' })
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, /ERR_WRONG_PASSPHRASE/)
    const missing = await runCli(['id', '--home', home], { ATTN_PASSPHRASE: '' })
    assert.match(missing.stderr, /ERR_PASSPHRASE_REQUIRED/)
  })

  it('rejects bad flags and commands with usage errors', async () => {
    assert.equal((await runCli(['frobnicate'])).code, 2)
    const nope = await runCli(['start', '--nope'])
    assert.equal(nope.code, 2, nope.stderr)
    const help = await runCli(['start', '--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--bootstrap MA/)
    const badApi = await runCli(['start', '--api', 'not-an-address', '--home', '/nonexistent-attn-home'])
    assert.equal(badApi.code, 1)
    assert.match(badApi.stderr, /ERR_INVALID_CONFIG/)
    const notRunning = await runCli(['status', '--home', '/nonexistent-attn-home'])
    assert.equal(notRunning.code, 1)
    assert.match(notRunning.stderr, /no running node/)
  })
})
