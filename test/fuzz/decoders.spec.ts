import assert from 'node:assert/strict'
import { decodeFetchResponse, encodeFetchResponse } from '../../src/messaging/protocol/rpc-methods.js'
import { TARGETS, runTarget } from './targets.js'

/** Runs per target in `npm test`; the long mode is `npm run fuzz -- --runs N`. */
const CI_RUNS = Number(process.env.ATTN_FUZZ_RUNS ?? 300)

describe('decoder fuzzing (fast-check, CI size): only typed errors, consistent output', function () {
  this.timeout(120_000)

  it('lists a distinct target per decoder', () => {
    assert.equal(new Set(TARGETS.map(t => t.name)).size, TARGETS.length)
  })

  for (const target of TARGETS) {
    it(`${target.name}: ${target.decoder}`, async () => {
      // stopOnCrash: fast-check shrinks the first crash and reports it as the counterexample
      const r = await runTarget(target, { runs: CI_RUNS, stopOnCrash: true })
      assert.equal(r.crashes, 0)
      assert.ok(r.runs >= CI_RUNS)
    })
  }
})

describe('decoder fuzzing: regressions of what it found', () => {
  it('mailbox.fetch response: a `more` byte other than 0 or 1 is malformed (was read as false, so two encodings decoded alike)', () => {
    assert.deepEqual(decodeFetchResponse(encodeFetchResponse([], true)), { parcels: [], more: true })
    assert.deepEqual(decodeFetchResponse(Uint8Array.of(0, 0, 0)), { parcels: [], more: false })
    for (const more of [2, 4, 0x40, 0xff]) {
      assert.throws(() => decodeFetchResponse(Uint8Array.of(0, 0, more)), { code: 'ERR_MESSAGE_MALFORMED' })
    }
  })
})
