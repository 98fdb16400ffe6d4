import assert from 'node:assert/strict'
import { access, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { removeHome, runCli, tempHome } from '../helpers/cli.js'
import type { AddressInfo } from 'node:net'

const ENV = { ATTN_PASSPHRASE: 'correct horse battery' }

describe('CLI: daemon control (start --detach, stop) and clear errors', function () {
  this.timeout(300_000)
  const homes: string[] = []
  afterEach(async () => {
    // the nodes shut down side by side
    await Promise.all(homes.map(async h => await runCli(['stop', '--force', '--home', h])))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  async function home (): Promise<string> {
    const dir = await tempHome('attn-cli-daemon-')
    homes.push(dir)
    return dir
  }

  async function cli (args: string[], env: NodeJS.ProcessEnv = ENV, input?: string): Promise<{ code: number, stdout: string, stderr: string }> {
    return await runCli(args, env, input)
  }

  it('start --detach returns once ready with {pid, api, address}; commands work at once; stop waits and cleans up', async () => {
    const dir = await home()
    const r = await cli(['start', '--detach', '--json', '--home', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = JSON.parse(r.stdout)
    assert.deepEqual(Object.keys(out).sort(), ['address', 'api', 'pid'])
    assert.match(out.api, /^http:\/\/127\.0\.0\.1:\d+$/)
    // ready means the API answers right away: no race with the next command
    const status = await cli(['status', '--home', dir, '--json'])
    assert.equal(status.code, 0, status.stderr)
    assert.equal(JSON.parse(status.stdout).address, out.address)
    const again = await cli(['start', '--detach', '--home', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /ERR_ALREADY_RUNNING/)
    const log = await readFile(join(dir, 'node.log'), 'utf8')
    assert.match(log, /attn: bootstrap: no bootstrap peers configured/)
    assert.match(log, /first run: a new identity was created\. Next steps:/)

    const stopped = await cli(['stop', '--home', dir, '--json'])
    assert.equal(stopped.code, 0, stopped.stderr)
    assert.deepEqual(JSON.parse(stopped.stdout), { pid: out.pid, stopped: true })
    assert.throws(() => process.kill(out.pid, 0), /ESRCH/)
    await assert.rejects(access(join(dir, 'node.json')))
    assert.match(await readFile(join(dir, 'node.log'), 'utf8'), /attn: stopped/)
    const twice = await cli(['stop', '--home', dir])
    assert.equal(twice.code, 1)
    assert.match(twice.stderr, /no node is running .*ERR_NOT_RUNNING/)
  })

  it('a stale node.json after kill -9 says the node is not running (no ECONNREFUSED)', async () => {
    const dir = await home()
    const r = await cli(['start', '--detach', '--json', '--home', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'])
    assert.equal(r.code, 0, r.stderr)
    const { pid } = JSON.parse(r.stdout)
    process.kill(pid, 'SIGKILL')
    await new Promise<void>(resolve => {
      const t = setInterval(() => { try { process.kill(pid, 0) } catch { clearInterval(t); resolve() } }, 50)
    })
    await access(join(dir, 'node.json'))
    const send = await cli(['send', '--home', dir, 'x', 'y'])
    assert.equal(send.code, 1)
    assert.doesNotMatch(send.stderr, /ECONNREFUSED/)
    assert.match(send.stderr, new RegExp(`not running: pid ${pid} .*has exited.*ERR_NOT_RUNNING`))
    // and start works again on the same home
    const again = await cli(['start', '--detach', '--home', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'])
    assert.equal(again.code, 0, again.stderr)
  })

  it('a listen address in use names the address and the flag, without a stack trace', async () => {
    // a plain listening socket holds the port: what holds it does not change the error
    const holder = createServer()
    await new Promise<void>(resolve => holder.listen(0, '127.0.0.1', resolve))
    try {
      const taken = `/ip4/127.0.0.1/tcp/${(holder.address() as AddressInfo).port}`
      const other = await home()
      const clash = await cli(['start', '--home', other, '--listen', taken, '--api', '127.0.0.1:0'])
      assert.equal(clash.code, 1)
      assert.match(clash.stderr, new RegExp(`cannot listen on ${taken}: the address is already in use.*--listen.*ERR_ADDRESS_IN_USE`))
      assert.doesNotMatch(clash.stderr, /faultTolerance|ERR_UNKNOWN|\n\s+at /)
      const detached = await cli(['start', '--detach', '--home', other, '--listen', taken, '--api', '127.0.0.1:0'])
      assert.equal(detached.code, 1)
      assert.match(detached.stderr, /ERR_ADDRESS_IN_USE/)
    } finally {
      await new Promise(resolve => holder.close(resolve))
    }
  })

  it('send refuses a message over 256 KiB (naming that limit) and an empty one without --allow-empty', async () => {
    const dir = await home()
    const big = await cli(['send', '--home', dir, 'x', '-'], ENV, 'x'.repeat(1024 * 1024))
    assert.equal(big.code, 1)
    assert.match(big.stderr, /at most 262144 bytes \(256 KiB\); this one is 1048576 bytes \(ERR_MESSAGE_TOO_LARGE\)/)
    assert.doesNotMatch(big.stderr, /BODY_TOO_LARGE|request body/)
    const empty = await cli(['send', '--home', dir, 'x', ''])
    assert.equal(empty.code, 1)
    assert.match(empty.stderr, /--allow-empty.*ERR_EMPTY_MESSAGE/)
    const emptyStdin = await cli(['send', '--home', dir, 'x', '-'], ENV, '')
    assert.match(emptyStdin.stderr, /ERR_EMPTY_MESSAGE/)
  })

  it('a missing passphrase leaves no home behind; a bad --passphrase-file names the file', async () => {
    const parent = await home()
    const dir = join(parent, 'new-home')
    const r = await cli(['start', '--home', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'], { ATTN_PASSPHRASE: '' })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /ERR_PASSPHRASE_REQUIRED/)
    await assert.rejects(access(dir), 'no empty home left behind')
    const d = await cli(['start', '--detach', '--home', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'], { ATTN_PASSPHRASE: '' })
    assert.match(d.stderr, /ERR_PASSPHRASE_REQUIRED/)
    await assert.rejects(access(dir))
    const missing = join(parent, 'no-such-file')
    const f = await cli(['init', '--home', dir, '--passphrase-file', missing], { ATTN_PASSPHRASE: '' })
    assert.equal(f.code, 1)
    assert.ok(f.stderr.includes(`--passphrase-file ${missing}: no such file`), f.stderr)
    assert.match(f.stderr, /ERR_PASSPHRASE_FILE/)
    const emptyFile = join(parent, 'empty')
    await writeFile(emptyFile, '')
    const e = await cli(['init', '--home', dir, '--passphrase-file', emptyFile], { ATTN_PASSPHRASE: '' })
    assert.ok(e.stderr.includes(`--passphrase-file ${emptyFile}: the file is empty`), e.stderr)
  })
})
