import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { removeHome, runCli, tempHome } from '../helpers/cli.js'

const ENV = { ATTN_PASSPHRASE: 'correct horse battery' }

describe('CLI: device export / init --import (issue 15 item 3)', function () {
  this.timeout(120_000)
  const homes: string[] = []
  afterEach(async () => {
    for (const h of homes) await runCli(['stop', '--force', '--home', h])
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
})
