import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CliNode, removeHome, runCli, tempHome } from '../../helpers/cli.js'

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

/** What a node loads only when configured: the rewards chain client (viem) and UPnP. */
const OPTIONAL = /\/node_modules\/(viem|ox|abitype|@libp2p\/upnp-nat|@achingbrain\/nat-port-mapper|xml2js)\//

describe('CLI start-up imports', function () {
  this.timeout(120_000)
  let home: string
  let api: string
  let node: CliNode | undefined

  beforeEach(async () => {
    home = await tempHome()
    api = `127.0.0.1:${await closedPort()}`
  })

  afterEach(async () => {
    await node?.stop()
    node = undefined
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

  it('attn start without rewards or --upnp loads neither viem nor the UPnP stack', async () => {
    const trace = join(home, 'trace-start.json')
    node = new CliNode(['--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0'],
      { NODE_OPTIONS: `--import=${TRACE_HOOK}`, ATTN_LOAD_TRACE: trace, ATTN_PASSPHRASE: 'correct horse battery' })
    const started = await node.started
    // the node serves its API, rewards routes included (they answer ERR_REWARDS_DISABLED)
    const res = await fetch(`${started.api}/v1/status`)
    assert.equal(res.status, 200)
    assert.deepEqual(await node.stop(), { code: 0, signal: null })
    const modules: string[] = JSON.parse(await readFile(trace, 'utf8'))
    assert.ok(modules.some(m => m.includes('/node_modules/libp2p/')), `the trace saw the node load (${modules.length} modules)`)
    assert.deepEqual(modules.filter(m => OPTIONAL.test(m)), [])
  })
})
