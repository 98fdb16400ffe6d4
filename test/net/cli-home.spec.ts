import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { ATTN_BIN, CliNode, removeHome, runCli, tempHome } from '../helpers/cli.js'

const ENV = { ATTN_PASSPHRASE: 'correct horse' }
const ARGS = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0']

describe('CLI: the home directory (corrupt, missing or foreign data)', function () {
  this.timeout(120_000)
  const homes: string[] = []
  const procs: CliNode[] = []
  afterEach(async () => {
    await Promise.all(procs.splice(0).map(async p => await p.stop()))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  async function home (): Promise<string> {
    const h = await tempHome()
    homes.push(h)
    return h
  }

  /** Starts a node in `h`, waits for it, stops it cleanly: the home then holds identity, databases and home.json. */
  async function runOnce (h: string, extra: string[] = []): Promise<{ address: string, stderr: string }> {
    const node = new CliNode(['--home', h, ...ARGS, ...extra], ENV)
    procs.push(node)
    const info = await node.started
    assert.deepEqual(await node.stop(), { code: 0, signal: null }, node.stderr)
    procs.splice(procs.indexOf(node), 1)
    return { address: info.address, stderr: node.stderr }
  }

  /** `attn start` that must fail: its exit code and stderr. The process must exit by itself (killed after 30 s). */
  async function failingStart (h: string, extra: string[] = []): Promise<{ code: number | null, stderr: string }> {
    const child = spawn(process.execPath, [ATTN_BIN, 'start', '--home', h, ...ARGS, ...extra], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += String(d) })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 30_000)
    const [code, signal] = await once(child, 'exit') as [number | null, string | null]
    clearTimeout(timer)
    assert.equal(signal, null, `attn start did not exit by itself: ${stderr}`)
    return { code, stderr }
  }

  for (const db of ['messages.db', 'sessions.db', 'dht.db']) {
    it(`a corrupt ${db}: a clear error naming it, and the process exits non-zero`, async () => {
      const h = await home()
      await runOnce(h)
      await writeFile(join(h, db), 'this is not an SQLite database, it is garbage '.repeat(200))
      await rm(join(h, `${db}-wal`), { force: true })
      await rm(join(h, `${db}-shm`), { force: true })
      const { code, stderr } = await failingStart(h)
      assert.equal(code, 1, stderr)
      assert.match(stderr, new RegExp(`${db.replace('.', '\\.')}.*ERR_STORE_OPEN`, 's'))
    })
  }

  it('identity.json deleted: refuses to start (says what is missing) unless --reset, which moves the old data aside', async () => {
    const h = await home()
    const first = await runOnce(h)
    await rm(join(h, 'identity.json'))
    const refused = await failingStart(h)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /ERR_HOME_IDENTITY_MISSING/)
    assert.match(refused.stderr, /identity\.json/)
    assert.match(refused.stderr, /messages\.db/)
    assert.match(refused.stderr, /--reset/)
    assert.equal(existsSync(join(h, 'identity.json')), false, 'no new identity was created')

    const reset = await runOnce(h, ['--reset'])
    assert.notEqual(reset.address, first.address)
    assert.match(reset.stderr, /--reset/)
    const aside = (await readdir(h)).filter(f => f.startsWith('reset-'))
    assert.equal(aside.length, 1)
    assert.ok(existsSync(join(h, aside[0], 'messages.db')), 'the old messages.db was kept aside')
    assert.equal(JSON.parse(await readFile(join(h, 'home.json'), 'utf8')).address, reset.address)
  })

  it('identity.json of another identity: refuses to start with ERR_HOME_IDENTITY_MISMATCH', async () => {
    const h = await home()
    const other = await home()
    const first = await runOnce(h)
    const init = await runCli(['init', '--home', other, '--json'], ENV)
    assert.equal(init.code, 0, init.stderr)
    await copyFile(join(other, 'identity.json'), join(h, 'identity.json'))
    const refused = await failingStart(h)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /ERR_HOME_IDENTITY_MISMATCH/)
    assert.ok(refused.stderr.includes(first.address), 'names the identity the data belongs to')
  })

  it('messages.db deleted: refuses (the outbox would be lost) unless --reset; sessions.db deleted: starts with a warning', async () => {
    const h = await home()
    const first = await runOnce(h)
    await rm(join(h, 'sessions.db'))
    const warned = await runOnce(h)
    assert.equal(warned.address, first.address)
    assert.match(warned.stderr, /sessions\.db is missing/)

    for (const f of ['messages.db', 'messages.db-wal', 'messages.db-shm']) await rm(join(h, f), { force: true })
    const refused = await failingStart(h)
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /ERR_HOME_DATA_MISSING/)
    assert.match(refused.stderr, /messages\.db is missing/)
    const reset = await runOnce(h, ['--reset'])
    assert.equal(reset.address, first.address, 'same identity, empty messages.db')
    assert.ok(existsSync(join(h, 'messages.db')))
  })

  it('a home with DHT records keeps them in dht.db; start --help documents --reset', async () => {
    const h = await home()
    await runOnce(h)
    assert.ok(existsSync(join(h, 'dht.db')))
    const help = await runCli(['start', '--help'])
    assert.match(help.stdout, /--reset/)
  })
})
