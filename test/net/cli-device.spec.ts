import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { removeHome, runCli, tempHome } from '../helpers/cli.js'
import { waitFor } from '../helpers/nodes.js'

const ENV = { ATTN_PASSPHRASE: 'correct horse battery' }

describe('CLI: device export / init --import (issue 15 item 3)', function () {
  this.timeout(120_000)
  const homes: string[] = []
  afterEach(async () => {
    // the nodes shut down side by side
    await Promise.all(homes.map(async h => await runCli(['stop', '--force', '--home', h])))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  async function home (): Promise<string> {
    const d = await tempHome('attn-cli-device-')
    homes.push(d)
    return d
  }

  it('exports a bundle from a root home and creates a linked home from it, without the root key', async () => {
    const a = await home()
    const b = await home()
    const init = await runCli(['init', '--home', a, '--json'], ENV)
    assert.equal(init.code, 0, init.stderr)
    const { address } = JSON.parse(init.stdout)
    const passFile = join(a, 'bundle-pass')
    await writeFile(passFile, 'bundle secret\n')
    const out = join(a, 'laptop.attn-device')
    const exp = await runCli(['device', 'export', '--home', a, '--out', out, '--label', 'laptop', '--bundle-passphrase-file', passFile, '--json'], ENV)
    assert.equal(exp.code, 0, exp.stderr)
    const exported = JSON.parse(exp.stdout)
    assert.equal(exported.address, address)
    assert.equal((await stat(out)).mode & 0o777, 0o600)
    const rootFile = JSON.parse(await readFile(join(a, 'identity.json'), 'utf8'))
    assert.ok(!(await readFile(out, 'utf8')).includes(rootFile.root.ciphertext))

    // never overwritten
    const again = await runCli(['device', 'export', '--home', a, '--out', out, '--bundle-passphrase-file', passFile], ENV)
    assert.notEqual(again.code, 0)
    assert.match(again.stderr, /already exists/)

    // wrong bundle passphrase: typed error, no home left behind
    const wrong = await runCli(['init', '--home', b, '--import', out, '--json'], { ...ENV, ATTN_BUNDLE_PASSPHRASE: 'nope' })
    assert.notEqual(wrong.code, 0)
    assert.equal(JSON.parse(wrong.stdout).error.code, 'ERR_BUNDLE_WRONG_PASSPHRASE')

    const imp = await runCli(['init', '--home', b, '--import', out, '--bundle-passphrase-file', passFile, '--json'], { ATTN_PASSPHRASE: 'device pass' })
    assert.equal(imp.code, 0, imp.stderr)
    const linked = JSON.parse(imp.stdout)
    assert.equal(linked.address, address)
    assert.equal(linked.peerId, exported.peerId)
    const file = JSON.parse(await readFile(join(b, 'identity.json'), 'utf8'))
    assert.equal(file.root, undefined)
    assert.equal(file.address, address)
    assert.equal(file.node.cipher, 'aes-256-gcm')
    const id = await runCli(['id', '--home', b, '--json'], { ATTN_PASSPHRASE: 'device pass' })
    assert.equal(id.code, 0, id.stderr)
    assert.deepEqual([JSON.parse(id.stdout).address, JSON.parse(id.stdout).peerId], [address, exported.peerId])

    // revoking with no node running: kept in the root home for its next start (pending)
    const revoked = await runCli(['device', 'revoke', '--home', a, exported.peerId, '--json'], ENV)
    assert.equal(revoked.code, 0, revoked.stderr)
    assert.deepEqual(JSON.parse(revoked.stdout), { nodeId: exported.peerId, seq: '1', nodeIds: [exported.peerId], pending: true })
    assert.deepEqual(JSON.parse(await readFile(join(a, 'revocations.json'), 'utf8')).nodeIds, [exported.peerId])
  })

  it('device list shows this device (label, certificate validity, self) through GET /v1/devices', async () => {
    const a = await home()
    const init = await runCli(['init', '--home', a, '--device-key', '--json'], ENV)
    assert.equal(init.code, 0, init.stderr)
    const { address, peerId } = JSON.parse(init.stdout)
    const started = await runCli(['start', '--detach', '--home', a, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'], ENV)
    assert.equal(started.code, 0, started.stderr)
    const listed = await runCli(['device', 'list', '--home', a, '--json'], ENV)
    assert.equal(listed.code, 0, listed.stderr)
    const out = JSON.parse(listed.stdout)
    assert.equal(out.address, address)
    const me = out.devices.find((d: any) => d.nodeId === peerId)
    assert.ok(me != null, listed.stdout)
    assert.equal(me.self, true)
    assert.equal(me.rootKey, false)
    assert.equal(me.revoked, false)
    assert.ok(me.certifiedUntil > me.certifiedFrom)
    const human = await runCli(['device', 'list', '--home', a], ENV)
    assert.equal(human.code, 0, human.stderr)
    assert.ok(human.stdout.includes(`* ${String(peerId)}`), human.stdout)
  })

  it('two devices of one identity (root home + linked home) both receive a contact\'s message; revoke shows in device list', async function () {
    this.timeout(400_000) // ~13 CLI processes (1-2 s each, more under load) and three nodes
    const carol = await home()
    const a = await home()
    const b = await home()
    const DEVICE = { ATTN_PASSPHRASE: 'device pass' }
    const start = async (dir: string, env: Record<string, string>, boot?: string): Promise<void> => {
      const r = await runCli(['start', '--detach', '--home', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', ...(boot != null ? ['--bootstrap', boot] : [])], env)
      assert.equal(r.code, 0, r.stderr)
    }
    const nodeJson = async (dir: string): Promise<{ api: string, address: string, peerId: string, addresses: string[] }> => JSON.parse(await readFile(join(dir, 'node.json'), 'utf8'))
    /** One call to a home's running node (cheaper than a CLI process when polling). */
    const api = async (dir: string, method: string, path: string): Promise<any> => {
      const token = (await readFile(join(dir, 'api-token'), 'utf8')).trim()
      const res = await fetch(`${(await nodeJson(dir)).api}${path}`, { method, headers: { authorization: `Bearer ${token}` } })
      return await res.json()
    }
    assert.equal((await runCli(['init', '--home', a, '--json'], ENV)).code, 0)
    const passFile = join(a, 'bundle-pass')
    await writeFile(passFile, 'bundle secret\n')
    const bundle = join(a, 'phone.attn-device')
    const exp = await runCli(['device', 'export', '--home', a, '--out', bundle, '--label', 'phone', '--bundle-passphrase-file', passFile, '--json'], ENV)
    assert.equal(exp.code, 0, exp.stderr)
    const { address, peerId: phoneId } = JSON.parse(exp.stdout)
    const imp = await runCli(['init', '--home', b, '--import', bundle, '--bundle-passphrase-file', passFile], DEVICE)
    assert.equal(imp.code, 0, imp.stderr)
    // the root home first (the others bootstrap from it), then the linked device: it publishes the
    // identity's record signed with its own key; the root home publishes again, merging it, so
    // every copy of the record in the DHT lists both devices
    await start(a, ENV)
    const boot = (await nodeJson(a)).addresses[0]
    await start(b, DEVICE, boot)
    // (through the API: the root home's DHT may take a moment to list the linked device as a peer)
    await waitFor(async () => (await api(a, 'POST', '/v1/directory/publish')).accepted >= 1, { what: 'the root home publishes the merged record', timeout: 60_000 })
    // the contact comes last: it has looked nothing up before (a sender caches a record for 30 s)
    await start(carol, ENV, boot)

    assert.equal((await runCli(['contacts', 'add', '--home', carol, 'me', address], ENV)).code, 0)
    const sent = await runCli(['send', '--home', carol, 'me', 'hello both devices'], ENV)
    assert.equal(sent.code, 0, sent.stderr)
    // poll the two APIs (cheap), then read each inbox through the CLI once
    const inboxOf = async (dir: string): Promise<string[]> => (await api(dir, 'GET', '/v1/messages') as any[]).map(m => m.body)
    try {
      await waitFor(async () => (await inboxOf(a)).includes('hello both devices') && (await inboxOf(b)).includes('hello both devices'), { what: 'both devices receive', timeout: 90_000 })
    } catch (err) {
      // say where it stopped: the sender's view of the message (its path, the devices it reached)
      const status = await runCli(['message-status', '--home', carol, sent.stdout.trim(), '--json'], ENV)
      throw new Error(`${(err as Error).message}; carol's message-status: ${status.stdout}${status.stderr}`)
    }
    for (const [dir, env] of [[a, ENV], [b, DEVICE]] as const) {
      const inbox = await runCli(['inbox', '--home', dir, '--json'], env)
      assert.equal(inbox.code, 0, inbox.stderr)
      assert.ok(JSON.parse(inbox.stdout).some((m: any) => m.body === 'hello both devices'), inbox.stdout)
    }

    const revoked = await runCli(['device', 'revoke', '--home', a, phoneId, '--json'], ENV)
    assert.equal(revoked.code, 0, revoked.stderr)
    assert.deepEqual(JSON.parse(revoked.stdout).nodeIds, [phoneId])
    const listed = await runCli(['device', 'list', '--home', a, '--json'], ENV)
    assert.equal(listed.code, 0, listed.stderr)
    const phone = JSON.parse(listed.stdout).devices.find((d: any) => d.nodeId === phoneId)
    assert.equal(phone?.revoked, true, listed.stdout)
  })
})
