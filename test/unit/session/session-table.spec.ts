import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { AttnError } from '../../../src/errors.js'
import { Session } from '../../../src/session/session.js'
import { SessionTable } from '../../../src/session/session-table.js'

const u8 = (n: number): Uint8Array => new Uint8Array(randomBytes(n))
const T0 = 1_750_000_000_000

function mk (address: string, now = T0): Session {
  return new Session({
    id: u8(8), role: 'responder', remote: { address, rootPublicKey: u8(33), nodePublicKey: u8(33) },
    keys: { kMacI2R: u8(32), kEncI2R: u8(32), kMacR2I: u8(32), kEncR2I: u8(32) }, salt: u8(8), now
  })
}

describe('session/session-table', () => {
  it('finds sessions by id or by a frame, whatever else follows', () => {
    const t = new SessionTable()
    const s = mk('alice')
    t.add(s)
    const frame = s.seal(u8(5), T0).frame
    assert.equal(t.get(frame), s)
    assert.equal(t.get(s.id), s)
    assert.equal(t.getByHex(s.idHex), s)
    assert.equal(t.get(u8(8)), undefined)
    assert.equal(t.get(new Uint8Array(3)), undefined)
    assert.equal(t.size, 1)
    assert.deepEqual([...t], [s])
    assert.equal(t.delete(s.id), true)
    assert.equal(t.delete(s.idHex), false)
    assert.equal(t.size, 0)
    assert.deepEqual(t.byAddress('alice'), [])
  })

  it('a frame of a session that was just looked up and then removed or replaced finds nothing, or the replacement', () => {
    const t = new SessionTable()
    const s = mk('alice')
    t.add(s)
    const frame = s.seal(u8(5), T0).frame
    assert.equal(t.get(frame), s)
    assert.equal(t.get(frame), s)
    t.delete(s.idHex)
    assert.equal(t.get(frame), undefined, 'the last lookup is not a way around removal')
    t.add(s)
    assert.equal(t.get(frame), s)
    t.clear()
    assert.equal(t.get(frame), undefined)
    // another session with the same id (a resumed one) replaces it: lookups find the new object
    t.add(s)
    assert.equal(t.get(frame), s)
    const again = Session.fromState(s.toState())
    t.add(again)
    assert.equal(t.get(frame), again)
  })

  it('caps sessions per identity, evicting the least recently active', () => {
    const t = new SessionTable({ maxPerIdentity: 3 })
    const a = [mk('alice', T0 + 3), mk('alice', T0 + 1), mk('alice', T0 + 2)]
    for (const s of a) assert.deepEqual(t.add(s), [])
    t.add(mk('bob'))
    const n = mk('alice', T0 + 9)
    assert.deepEqual(t.add(n), [a[1]])
    assert.equal(t.byAddress('alice').length, 3)
    assert.equal(t.get(a[1].id), undefined)
    assert.equal(t.byAddress('bob').length, 1)
  })

  it('global cap: evicts the global LRU, or refuses when asked to', () => {
    const t = new SessionTable({ maxSessions: 2 })
    const x = mk('x', T0 + 5)
    const y = mk('y', T0 + 1)
    t.add(x); t.add(y)
    assert.deepEqual(t.add(mk('z')), [y])
    const strict = new SessionTable({ maxSessions: 1, evictGlobal: false })
    strict.add(mk('x'))
    assert.throws(() => strict.add(mk('y')), (e: unknown) => e instanceof AttnError && e.code === 'ERR_SESSION_TABLE_FULL')
  })

  it('re-adding the same id replaces it; expireIdle drops idle sessions', () => {
    const t = new SessionTable({ idleMs: 1000 })
    const s = mk('a')
    t.add(s); t.add(s)
    assert.equal(t.size, 1)
    const busy = mk('b')
    t.add(busy)
    busy.seal(u8(1), T0 + 900)
    assert.deepEqual(t.expireIdle(T0 + 1000), [s])
    assert.deepEqual([...t.values()], [busy])
    assert.deepEqual(t.expireIdle(T0 + 1899), [])
    assert.deepEqual(t.expireIdle(T0 + 1900), [busy])
  })
})
