import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { removeHome, runCli, tempHome } from '../../helpers/cli.js'

const TRACE_HOOK = fileURLToPath(new URL('../../helpers/load-trace.js', import.meta.url))

/** What only a running node needs: a command that merely talks to a node's API must not load it (1.3 s of start-up). */
const NODE_ONLY = /\/node_modules\/(libp2p|@libp2p\/|@chainsafe\/|viem|hono|@hono\/|prom-client|@multiformats\/)|^node:sqlite$/

/** A loopback port nobody listens on: the commands get as far as their API request, which is refused. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}

describe('CLI start-up imports', () => {
  let home: string
  let api: string

  beforeEach(async () => {
    home = await tempHome()
    api = `127.0.0.1:${await closedPort()}`
  })

  afterEach(async () => {
    await removeHome(home)
  })

  /** Runs `attn ARGS` with the load trace; returns its output and the modules it loaded. */
  async function traced (args: string[]): Promise<{ code: number, stdout: string, stderr: string, modules: string[] }> {
    const trace = join(home, `trace-${args[0]}.json`)
    const res = await runCli(args, { NODE_OPTIONS: `--import=${TRACE_HOOK}`, ATTN_LOAD_TRACE: trace, ATTN_HOME: home })
    return { ...res, modules: JSON.parse(await readFile(trace, 'utf8')) }
  }

  function assertLight (args: string[], modules: string[]): void {
    assert.ok(modules.some(m => m.endsWith('/dist/src/cli/main.js')), `the trace saw the CLI load (${modules.length} modules)`)
    const heavy = modules.filter(m => NODE_ONLY.test(m))
    assert.deepEqual(heavy, [], `attn ${args.join(' ')} loaded node-only modules`)
  }

  it('--version, --help and "start --help" print without loading the node', async () => {
    const version = await traced(['--version'])
    assert.equal(version.code, 0)
    assert.match(version.stdout, /^\d+\.\d+\.\d+/)
    assertLight(['--version'], version.modules)
    const help = await traced(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /Usage: attn <command>/)
    assertLight(['--help'], help.modules)
    const startHelp = await traced(['start', '--help'])
    assert.equal(startHelp.code, 0)
    assert.match(startHelp.stdout, /Usage: attn start/)
    assert.match(startHelp.stdout, /--chain-rpc URL/)
    assertLight(['start', '--help'], startHelp.modules)
  })

  it('the commands that only talk to the node\'s API load no libp2p, sqlite, viem or API server', async () => {
    const commands = [
      ['status'], ['send', 'someone', 'hi'], ['message-status', 'ab'], ['inbox'], ['sent'], ['read', '0123456789abcdef0123456789abcdef'],
      ['contacts', 'list'], ['group', 'list'], ['publish'], ['fetch'], ['device', 'list'], ['rewards', 'status']
    ]
    for (const args of commands) {
      const res = await traced([...args, '--api', api])
      // each got as far as its request to the API, which nobody answers
      assert.equal(res.code, 1, `attn ${args.join(' ')}: ${res.stderr}`)
      assert.match(res.stderr, /ERR_NODE_UNREACHABLE/, `attn ${args.join(' ')}`)
      assertLight(args, res.modules)
    }
    const stop = await traced(['stop'])
    assert.match(stop.stderr, /ERR_NOT_RUNNING/)
    assertLight(['stop'], stop.modules)
  })
})
