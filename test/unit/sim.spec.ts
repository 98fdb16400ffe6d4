import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_SIM, runSim } from '../../bench/sim/run.js'
import { svg, table } from '../../bench/sim/report.js'

describe('bench sim (small network, correctness only: no timing assertions)', function () {
  this.timeout(300_000)

  it('40 nodes with loss and churn: every accepted message to a node online at the end arrives exactly once; receipts verify; report and plot render', async () => {
    const r = await runSim({ ...DEFAULT_SIM, nodes: 40, minutes: 3, drainMinutes: 3, rate: 1, churn: 0.2, seed: 7 })
    assert.ok(r.sent > 0, 'messages were sent')
    assert.ok(r.deliverable > 0)
    assert.equal(r.deliveredOfDeliverable, r.deliverable, `delivery ${r.deliveredOfDeliverable}/${r.deliverable}`)
    assert.equal(r.duplicates, 0, 'no message shown twice')
    assert.ok(r.receiptsVerified > 0, 'receipts were signed and verified')
    assert.ok(r.churnEvents.left > 0, 'churn happened')
    assert.ok(r.lookup.found > 0)
    assert.ok(Object.keys(r.errors).every(k => !k.startsWith('attempt') && !k.startsWith('open')), JSON.stringify(r.errors))
    const dir = mkdtempSync(join(tmpdir(), 'attn-sim-'))
    try {
      const file = join(dir, 'plot.svg')
      const { writeFileSync } = await import('node:fs')
      writeFileSync(file, svg(r))
      assert.match(readFileSync(file, 'utf8'), /^<svg [^>]*>[\s\S]*<polyline[\s\S]*<\/svg>$/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    assert.match(table(r), /delivery ratio/)
  })
})
