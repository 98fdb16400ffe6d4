import assert from 'node:assert/strict'
import fc from 'fast-check'
import { AttnError } from '../../../src/errors.js'
import { REPLAY_WINDOW_SIZE } from '../../../src/session/constants.js'
import { ReplayWindow } from '../../../src/session/replay-window.js'

function code (fn: () => unknown): string | null {
  try { fn() } catch (e) {
    assert.ok(e instanceof AttnError, String(e))
    return e.code
  }
  return null
}

/** msg_id for seq s: strictly increasing with s, as an honest sender makes them. */
const mid = (s: number): bigint => (1000n << 16n) + BigInt(s) * 3n

function offer (w: ReplayWindow, s: number, m = mid(s)): string | null {
  const c = code(() => w.check(s, m))
  if (c === null) w.accept(s, m)
  return c
}

describe('session/replay-window', () => {
  it('accepts in order, rejects repeats', () => {
    const w = new ReplayWindow()
    for (let s = 0; s < 3000; s++) assert.equal(offer(w, s), null)
    assert.equal(offer(w, 2999), 'ERR_REPLAY')
    assert.equal(offer(w, 2500), 'ERR_REPLAY')
    assert.equal(offer(w, 2999 - REPLAY_WINDOW_SIZE), 'ERR_REPLAY_TOO_OLD')
  })

  it('accepts out-of-order frames inside the window exactly once', () => {
    const w = new ReplayWindow()
    assert.equal(offer(w, 10), null)
    assert.equal(offer(w, 5), null)
    assert.equal(offer(w, 5), 'ERR_REPLAY')
    assert.equal(offer(w, 10 + REPLAY_WINDOW_SIZE - 1), null)
    assert.equal(offer(w, 10), 'ERR_REPLAY')
    assert.equal(offer(w, 11), null)
    assert.equal(offer(w, 11), 'ERR_REPLAY')
    assert.equal(offer(w, 9), 'ERR_REPLAY_TOO_OLD')
    assert.equal(offer(w, 100000), null)
    assert.equal(offer(w, 100000 - REPLAY_WINDOW_SIZE + 1), null)
    assert.equal(offer(w, 100000 - REPLAY_WINDOW_SIZE), 'ERR_REPLAY_TOO_OLD')
  })

  it('enforces msg_id co-monotone with seq_no', () => {
    const w = new ReplayWindow()
    assert.equal(offer(w, 5, 100n), null)
    assert.equal(offer(w, 6, 100n), 'ERR_MSG_ID_ORDER') // repeats top msg_id
    assert.equal(offer(w, 6, 99n), 'ERR_MSG_ID_ORDER')
    assert.equal(offer(w, 4, 100n), 'ERR_MSG_ID_ORDER')
    assert.equal(offer(w, 4, 101n), 'ERR_MSG_ID_ORDER')
    assert.equal(offer(w, 4, 99n), null)
    assert.equal(offer(w, 6, 101n), null)
  })

  it('matches a reference set model (property)', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 5000 }), { maxLength: 400 }), (seqs) => {
      const w = new ReplayWindow()
      const seen = new Set<number>()
      let top = -1
      for (const s of seqs) {
        const c = offer(w, s)
        let expect: string | null
        if (top >= 0 && s <= top - REPLAY_WINDOW_SIZE) expect = 'ERR_REPLAY_TOO_OLD'
        else if (seen.has(s)) expect = 'ERR_REPLAY'
        else expect = null
        assert.equal(c, expect)
        if (c === null) { seen.add(s); top = Math.max(top, s) }
      }
    }), { seed: 3, numRuns: 200 })
  })

  it('survives save/restore', () => {
    const w = new ReplayWindow()
    for (const s of [1, 3, 7, 900, 1200]) offer(w, s)
    const r = ReplayWindow.restore(w.top, w.topMsgId, w.bitmapBytes())
    for (const s of [900, 1200]) assert.equal(offer(r, s), 'ERR_REPLAY')
    assert.equal(offer(r, 7), 'ERR_REPLAY_TOO_OLD')
    assert.equal(offer(r, 901), null)
    assert.equal(offer(r, 1201), null)
  })
})
