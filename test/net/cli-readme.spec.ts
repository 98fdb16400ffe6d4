import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ATTN_BIN, removeHome, runCli, tempHome } from '../helpers/cli.js'

const README = fileURLToPath(new URL('../../../README.md', import.meta.url))
const MARKER = '<!-- walkthrough: run as written by test/net/cli-readme.spec.ts -->'

/** The shell block that follows the walkthrough marker in the README. */
export async function readmeWalkthrough (): Promise<string> {
  const text = await readFile(README, 'utf8')
  const at = text.indexOf(MARKER)
  assert.ok(at >= 0, 'the README has the walkthrough marker')
  const m = /```sh\n([\s\S]*?)```/.exec(text.slice(at))
  assert.ok(m != null, 'a ```sh block follows the marker')
  return m[1]
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => { resolve(port) })
    })
  })
}

describe('CLI: the README walkthrough runs as written', function () {
  this.timeout(600_000)
  let dir = ''
  afterEach(async () => {
    // a failed run leaves nodes behind: stop them (each home's node.json names its pid)
    await Promise.all(['relay', 'alice', 'bob'].map(async name => await runCli(['stop', '--force', '--home', join(dir, `attn-${name}`)])))
    await removeHome(dir)
  })

  it('start --detach, send, stop, offline mailbox, restart, delivered', async () => {
    dir = await tempHome('attn-readme-')
    const port = await freePort()
    // only the homes (/tmp/attn-* → a fresh temp directory) and the relay's fixed port change
    const script = (await readmeWalkthrough()).replaceAll('/tmp/attn-', `${dir}/attn-`).replaceAll('/tcp/7745', `/tcp/${port}`)
    // `npx attn` is this checkout's bin on the test's Node, as npx would run it
    const prelude = `set -e\nnpx () { if [ "$1" = attn ]; then shift; "${process.execPath}" "${ATTN_BIN}" "$@"; else command npx "$@"; fi; }\n`
    const r = await new Promise<{ code: number | null, out: string }>((resolve) => {
      const child = spawn('bash', ['-c', prelude + script], { env: { ...process.env, ATTN_PASSPHRASE: '', ATTN_HOME: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (d) => { out += String(d) })
      child.stderr.on('data', (d) => { out += String(d) })
      child.on('exit', (code) => { resolve({ code, out }) })
    })
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /Hello Bob!/)
    assert.match(r.out, /Are you there\?/)
    assert.match(r.out, /: stored \(to bob\)( via [a-z]+( over [a-z0-9]+)?)?\n/)
    // the path (and carrier) of the first hand-off may follow: "via direct", "via mailbox over libp2p"
    assert.equal((r.out.match(/: delivered \(to bob\)( via [a-z]+( over [a-z0-9]+)?)?\n/g) ?? []).length, 2, r.out)
    assert.equal((r.out.match(/stopped the node/g) ?? []).length, 4, r.out)
  })
})
