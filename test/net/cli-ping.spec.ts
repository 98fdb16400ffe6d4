import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { CliNode, removeHome, runCli, tempHome } from '../helpers/cli.js'

describe('cli: attn ping over every carrier', function () {
  this.timeout(120_000)
  const homes: string[] = []
  const nodes: CliNode[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => await n.stop()))
    await Promise.all(homes.splice(0).map(removeHome))
  })

  it('pings a node started with --udp and --http over UDP, HTTP and libp2p TCP; status lists the carriers', async () => {
    const home = await tempHome()
    homes.push(home)
    const node = new CliNode(['--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--insecure-dev-key'])
    nodes.push(node)
    const started = await node.started as Awaited<CliNode['started']> & { carriers: string[] }
    const udp = started.carriers.find(c => c.startsWith('udp://')) ?? assert.fail('no udp carrier in start output')
    const http = started.carriers.find(c => c.startsWith('http://')) ?? assert.fail('no http carrier in start output')
    const tcp = started.addresses.find(a => a.includes('/tcp/') && !a.includes('/ws')) ?? assert.fail('no tcp address')
    for (const [target, carrier] of [[udp, 'udp'], [http, 'http'], [tcp, 'libp2p']]) {
      const run = await runCli(['ping', target, '--count', '3', '--json'])
      assert.equal(run.code, 0, `${target}: ${run.stderr}`)
      const out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '')
      assert.equal(out.address, started.address)
      assert.equal(out.carrier, carrier)
      assert.equal(out.rttMs.length, 3)
      assert.ok(out.rttMs.every((r: number) => r >= 0))
      assert.match(out.sessionId, /^[0-9a-f]{16}$/)
    }
    const status = await runCli(['status', '--home', home, '--json'])
    assert.equal(status.code, 0, status.stderr)
    const kinds = JSON.parse(status.stdout).carriers.map((c: any) => c.kind)
    assert.deepEqual(kinds.slice(0, 3), ['libp2p', 'udp', 'http'])
    const udpStats = JSON.parse(status.stdout).carriers[1]
    assert.equal(udpStats.address, udp)
    assert.ok(udpStats.datagramsIn > 0)
  })

  it('an unreachable target fails with a clear error and a non-zero exit within the timeout', async () => {
    // a bound socket that never answers: nothing listens for ATTN there
    const silent = createSocket('udp4')
    await new Promise<void>(resolve => silent.bind(0, '127.0.0.1', resolve))
    try {
      for (const target of [`udp://127.0.0.1:${silent.address().port}`, 'http://127.0.0.1:1']) {
        const run = await runCli(['ping', target, '--timeout', '1500', '--json'])
        assert.notEqual(run.code, 0)
        const out = JSON.parse(run.stdout.trim())
        assert.equal(out.error.code, 'ERR_UNREACHABLE', run.stdout)
        assert.match(out.error.message, /cannot reach/)
      }
      const bad = await runCli(['ping', 'ftp://x'])
      assert.equal(bad.code, 2)
    } finally {
      silent.close()
    }
  })
})
