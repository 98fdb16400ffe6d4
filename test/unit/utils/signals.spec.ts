import assert from 'node:assert/strict'
import { anySignal } from '../../../src/utils/signals.js'

describe('anySignal', () => {
  it('aborts when any input aborts, with that input\'s reason; skips undefined', () => {
    const a = new AbortController()
    const b = new AbortController()
    const s = anySignal(a.signal, undefined, b.signal)
    assert.equal(s.aborted, false)
    b.abort(new Error('b'))
    assert.equal(s.aborted, true)
    assert.equal((s.reason as Error).message, 'b')
  })

  it('a single signal is returned as is; a pre-aborted input yields an aborted signal', () => {
    const a = new AbortController()
    assert.equal(anySignal(a.signal), a.signal)
    assert.equal(anySignal(undefined, AbortSignal.abort()).aborted, true)
  })

  it('joins a deadline with a caller signal that never fires', async () => {
    const s = anySignal(new AbortController().signal, AbortSignal.timeout(10))
    await new Promise(resolve => s.addEventListener('abort', resolve, { once: true }))
    assert.equal((s.reason as Error).name, 'TimeoutError')
  })
})
