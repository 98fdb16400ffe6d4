import assert from 'node:assert/strict'
import { decodeFetchResponse, encodeFetchResponse } from '../../src/messaging/protocol/rpc-methods.js'
import { createDirectoryRecord, decodeDirectoryRecord, encodeDirectoryRecord } from '../../src/messaging/index.js'
import { decodeRpcMessage, encodeRpcMessage } from '../../src/rpc/index.js'
import { rootIdentity } from '../helpers/identities.js'
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

describe('decoder fuzzing: protobuf uint64 values 2^31..2^32-1 (protons-runtime encoder bug, found by the rpc-message round trip)', () => {
  const values = [2n ** 31n, 3022877444n, 2n ** 32n - 1n, 2n ** 31n - 1n, 2n ** 32n, 2n ** 63n]

  it('RPC ids round-trip (an Ack of 2^31 used to encode as 00 00 00 00 00 and decode as 0)', () => {
    for (const v of values) {
      assert.deepEqual(decodeRpcMessage(encodeRpcMessage({ kind: 'ack', msgIds: [v, 2n] })), { kind: 'ack', msgIds: [v, 2n] }, String(v))
      assert.deepEqual(decodeRpcMessage(encodeRpcMessage({ kind: 'pong', pingId: v, reqMsgId: v + 1n })), { kind: 'pong', pingId: v, reqMsgId: v + 1n }, String(v))
    }
  })

  it('directory records with expires_at after 2038-01-19 (unix seconds ≥ 2^31) round-trip', async () => {
    const id = await rootIdentity()
    const expiresAt = 2 ** 31 + 86400
    const record = createDirectoryRecord(id, { seq: 2n ** 31n, expiresAt, prekeys: [{ id: 1, publicKey: new Uint8Array(32).fill(9), expiresAt }] })
    const decoded = decodeDirectoryRecord(encodeDirectoryRecord(record))
    assert.equal(decoded.expiresAt, expiresAt)
    assert.equal(decoded.seq, 2n ** 31n)
    assert.equal(decoded.prekeys[0].expiresAt, expiresAt)
  })
})
