import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { access, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ATTN_BIN, removeHome, runCli, tempHome } from '../helpers/cli.js'
import { waitFor } from '../helpers/nodes.js'

/**
 * Runs `attn ARGS` on a pseudo-terminal (util-linux `script`), typing each answer once its
 * prompt has appeared; resolves with everything the terminal showed and the exit code.
 */
async function onTerminal (args: string[], answers: Array<[RegExp, string]>, env: NodeJS.ProcessEnv): Promise<{ code: number | null, screen: string }> {
  const cmd = [process.execPath, ATTN_BIN, ...args].map(a => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let screen = ''
  child.stdout.on('data', (d) => { screen += String(d) })
  child.stderr.on('data', (d) => { screen += String(d) })
  const exited = new Promise<number | null>(resolve => { child.on('exit', (code) => { resolve(code) }) })
  let seen = 0
  for (const [prompt, answer] of answers) {
    await waitFor(() => (prompt.exec(screen.slice(seen)) != null) || child.exitCode != null, { timeout: 60_000, what: `prompt ${String(prompt)}` })
    const m = prompt.exec(screen.slice(seen))
    if (m == null) break
    seen += m.index + m[0].length
    child.stdin.write(answer + '\r')
  }
  const code = await exited
  child.stdin.end()
  return { code, screen }
}

describe('CLI: attn passphrase and passphrase prompts (issue 15 item 2)', function () {
  this.timeout(300_000)
  const homes: string[] = []
  afterEach(async () => { await Promise.all(homes.splice(0).map(removeHome)) })

  async function home (): Promise<string> {
    const d = await tempHome('attn-cli-pass-')
    homes.push(d)
    return d
  }

  it('encrypts the npm-start development key keeping the address, then changes the passphrase; failures leave the file as it was', async () => {
    const dir = await home()
    const created = await runCli(['init', '--home', dir, '--insecure-dev-key', '--json'], { ATTN_PASSPHRASE: '' })
    assert.equal(created.code, 0, created.stderr)
    const { address } = JSON.parse(created.stdout)
    assert.match(await readFile(join(dir, 'identity.json'), 'utf8'), /"cipher": "none"/)

    const enc = await runCli(['passphrase', '--home', dir, '--json'], { ATTN_PASSPHRASE: '', ATTN_NEW_PASSPHRASE: 'first pw' })
    assert.equal(enc.code, 0, enc.stderr)
    assert.deepEqual(JSON.parse(enc.stdout), { address, encrypted: true, wasEncrypted: false })
    const file = await readFile(join(dir, 'identity.json'), 'utf8')
    assert.doesNotMatch(file, /"cipher": "none"/)
    await assert.rejects(access(join(dir, 'identity.json.new')))
    // the same address, now only with the passphrase
    const id = await runCli(['id', '--home', dir, '--json'], { ATTN_PASSPHRASE: 'first pw' })
    assert.equal(JSON.parse(id.stdout).address, address)
    assert.match((await runCli(['id', '--home', dir], { ATTN_PASSPHRASE: '' })).stderr, /ERR_PASSPHRASE_REQUIRED/)

    // a wrong current passphrase changes nothing
    const wrong = await runCli(['passphrase', '--home', dir], { ATTN_PASSPHRASE: 'nope', ATTN_NEW_PASSPHRASE: 'x' })
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, /ERR_WRONG_PASSPHRASE/)
    assert.equal(await readFile(join(dir, 'identity.json'), 'utf8'), file)

    // change it, the new one from a file; a missing file is named
    const missing = join(dir, 'no-such-file')
    const m = await runCli(['passphrase', '--home', dir, '--new-passphrase-file', missing], { ATTN_PASSPHRASE: 'first pw' })
    assert.ok(m.stderr.includes(`--new-passphrase-file ${missing}: no such file`), m.stderr)
    const newFile = join(dir, 'pw2')
    await writeFile(newFile, 'second pw\n')
    const changed = await runCli(['passphrase', '--home', dir, '--new-passphrase-file', newFile, '--json'], { ATTN_PASSPHRASE: 'first pw' })
    assert.equal(changed.code, 0, changed.stderr)
    assert.equal(JSON.parse(changed.stdout).wasEncrypted, true)
    assert.equal(JSON.parse((await runCli(['id', '--home', dir, '--json'], { ATTN_PASSPHRASE: 'second pw' })).stdout).address, address)
    assert.match((await runCli(['id', '--home', dir], { ATTN_PASSPHRASE: 'first pw' })).stderr, /ERR_WRONG_PASSPHRASE/)
    // no new passphrase and no terminal: a clear error
    const none = await runCli(['passphrase', '--home', dir], { ATTN_PASSPHRASE: 'second pw', ATTN_NEW_PASSPHRASE: '' })
    assert.match(none.stderr, /--new-passphrase-file.*ERR_PASSPHRASE_REQUIRED/)
  })

  it('on a terminal, init asks for the passphrase twice without echo, and id asks for it', async () => {
    const dir = await home()
    const init = await onTerminal(['init', '--home', dir, '--json'], [[/new key passphrase: /, 'typed secret'], [/repeat it: /, 'typed secret']], { ATTN_PASSPHRASE: '' })
    assert.equal(init.code, 0, init.screen)
    assert.ok(!init.screen.includes('typed secret'), `the passphrase was echoed: ${init.screen}`)
    const address = JSON.parse(init.screen.slice(init.screen.indexOf('{'))).address
    const id = await onTerminal(['id', '--home', dir, '--json'], [[/key passphrase: /, 'typed secret']], { ATTN_PASSPHRASE: '' })
    assert.equal(id.code, 0, id.screen)
    assert.ok(id.screen.includes(address))
    assert.ok(!id.screen.includes('typed secret'))
    const mismatch = await onTerminal(['init', '--home', join(dir, 'other'), '--json'], [[/new key passphrase: /, 'a'], [/repeat it: /, 'b']], { ATTN_PASSPHRASE: '' })
    assert.equal(mismatch.code, 1)
    assert.match(mismatch.screen, /ERR_PASSPHRASE_MISMATCH/)
  })
})
