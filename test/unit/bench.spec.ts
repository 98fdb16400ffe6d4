import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** dist/test/unit → dist/bench/index.js */
const RUNNER = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'index.js')

const FIGURES = [
  'record_1k', 'record_64k', 'record_vs_ige', 'rpc_rtt_1k', 'rpc_pipelined', 'rpc_rtt_http', 'rpc_rtt_udp',
  'session_bulk', 'session_setup', 'session_memory', 'flood_p99', 'mailbox_store', 'envelope_ratchet', 'envelope_ratchet_pingpong',
  'network_delivery', 'first_contact', 'repeat_message', 'offline_fetch', 'group_fanout',
  'mailbox_store_postage', 'rewards_gas_claim', 'rewards_gas_batch_receipt', 'rewards_gas_deploy', 'message_throughput'
]

async function run (args: string[]): Promise<{ stdout: string, stderr: string, code: number }> {
  return await new Promise((resolve) => {
    execFile(process.execPath, [RUNNER, ...args], { timeout: 90_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err == null ? 0 : (typeof err.code === 'number' ? err.code : 1) })
    })
  })
}

function lastJson (stdout: string): any[] {
  const last = stdout.trimEnd().split('\n').pop() ?? ''
  const parsed = JSON.parse(last)
  assert.ok(Array.isArray(parsed), 'last line is a JSON array')
  return parsed
}

const isNumOrNull = (x: unknown): boolean => x === null || (typeof x === 'number' && Number.isFinite(x))

describe('bench runner (--smoke: tiny iteration counts, no timing assertions)', function () {
  this.timeout(120_000)

  before(function () {
    if (!existsSync(RUNNER)) this.skip()
  })

  it('--json: the last line is an array of results with the agreed schema, every figure present', async () => {
    const { stdout, stderr, code } = await run(['--smoke', '--json'])
    assert.equal(code, 0, stderr)
    assert.match(stdout, /^ATT bench/m, 'environment header first')
    assert.match(stdout, /node v\d+/)
    const results = lastJson(stdout)
    assert.deepEqual(results.map(r => r.name), FIGURES)
    for (const r of results) {
      assert.equal(typeof r.name, 'string')
      assert.ok(isNumOrNull(r.ours), `${r.name}.ours`)
      assert.ok(isNumOrNull(r.baseline), `${r.name}.baseline`)
      assert.ok(isNumOrNull(r.ratio), `${r.name}.ratio`)
      assert.equal(typeof r.unit, 'string')
      assert.ok(r.unit.length > 0)
      assert.equal(typeof r.goal, 'string')
      assert.equal(typeof r.met, 'boolean')
      if (r.note !== undefined) assert.equal(typeof r.note, 'string')
      if (r.ours !== null && r.baseline !== null) assert.ok(Math.abs(r.ratio - r.ours / r.baseline) < 1e-9 * Math.max(1, Math.abs(r.ratio)))
    }
    const byName = new Map(results.map(r => [r.name, r]))
    assert.equal(byName.get('session_memory').baseline, null, 'absolute figure')
    for (const name of ['record_1k', 'session_bulk', 'session_setup', 'session_memory', 'mailbox_store', 'network_delivery']) {
      assert.notEqual(byName.get(name).ours, null, `${name} measured: ${String(byName.get(name).note)}`)
    }
  })

  it('--only runs the named subset; an unknown name is refused', async () => {
    const { stdout, code } = await run(['--smoke', '--json', '--only', 'record_1k,mailbox_store'])
    assert.equal(code, 0)
    assert.deepEqual(lastJson(stdout).map(r => r.name), ['record_1k', 'mailbox_store'])
    const bad = await run(['--smoke', '--only', 'no_such_figure'])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /unknown figure/)
  })
})
