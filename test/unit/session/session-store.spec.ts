import assert from 'node:assert/strict'
import { createSecretKey, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { AttnError } from '../../../src/errors.js'
import { Session } from '../../../src/session/session.js'
import { SessionStore } from '../../../src/session/session-store.js'

const u8 = (n: number): Uint8Array => new Uint8Array(randomBytes(n))
const T0 = 1_750_000_000_000

function pair (): { i: Session; r: Session } {
  const keys = { kMacI2R: u8(32), kEncI2R: u8(32), kMacR2I: u8(32), kEncR2I: u8(32) }
  const id = u8(8)
  const salt = u8(8)
  return {
    i: new Session({ id, role: 'initiator', remote: { address: 'R', rootPublicKey: u8(33), nodePublicKey: u8(33) }, keys, salt, now: T0 }),
    r: new Session({ id, role: 'responder', remote: { address: 'I', rootPublicKey: u8(33), nodePublicKey: u8(33) }, keys, salt, now: T0 })
  }
}

describe('session/session-store', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'attn-store-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

  it('round trips sessions through SQLite: old frames stay replays, new msg_ids keep growing', () => {
    const key = createSecretKey(u8(32))
    const path = join(dir, 'sessions.db')
    const { i, r } = pair()
    const frames = Array.from({ length: 5 }, (_, k) => i.seal(u8(20), T0 + k))
    for (const f of frames.slice(0, 4)) r.open(f.frame, T0 + 10)
    // each side is a different node with its own store (the session id is the primary key)
    let storeI = new SessionStore(path, key)
    let storeR = new SessionStore(join(dir, 'responder.db'), key)
    storeI.save(i, T0)
    storeR.save(r, T0)
    storeI.close(); storeR.close()

    storeI = new SessionStore(path, key)
    storeR = new SessionStore(join(dir, 'responder.db'), key)
    const [i2] = storeI.loadAll()
    const [r2] = storeR.loadAll()
    assert.equal(storeR.lastLoad.loaded, 1)
    assert.equal(storeR.lastLoad.corrupt, 0)
    assert.equal(r2.role, 'responder')
    assert.equal(i2.role, 'initiator')
    assert.equal(r2.remote.address, 'I')
    for (const f of frames.slice(0, 4)) {
      assert.throws(() => r2.open(f.frame, T0 + 20), (e: unknown) => e instanceof AttnError && e.code === 'ERR_REPLAY')
    }
    assert.equal(r2.open(frames[4].frame, T0 + 20).seqNo, 4)
    const next = i2.seal(u8(1), T0 - 60_000)
    assert.ok(next.msgId > frames[4].msgId)
    assert.equal(r2.open(next.frame, T0 + 20).seqNo, 5)
    storeR.save(r2, T0 + 20)
    assert.equal(storeR.loadAll()[0].framesReceived, 6)
    assert.equal(storeI.delete(i2.id), true)
    assert.equal(storeI.delete(i2.id), false)
    assert.equal(storeI.loadAll().length, 0)
    storeI.close(); storeR.close()
  })

  it('skips and counts corrupt rows instead of throwing', () => {
    const key = createSecretKey(u8(32))
    const path = join(dir, 'sessions.db')
    const store = new SessionStore(path, key)
    const a = pair()
    const b = pair()
    const c = pair()
    store.save(a.i); store.save(b.i); store.save(c.i)
    store.close()
    const db = new DatabaseSync(path)
    db.prepare('UPDATE attn_sessions SET state = ? WHERE id = ?').run(new Uint8Array([1, 2, 3]), b.i.id)
    // a valid blob moved to another id fails the aad check
    const row = db.prepare('SELECT state FROM attn_sessions WHERE id = ?').get(a.i.id) as { state: Uint8Array }
    db.prepare('UPDATE attn_sessions SET state = ? WHERE id = ?').run(row.state, c.i.id)
    db.close()
    const s2 = new SessionStore(path, key)
    const loaded = s2.loadAll()
    assert.equal(loaded.length, 1)
    assert.equal(loaded[0].idHex, a.i.idHex)
    assert.equal(s2.lastLoad.corrupt, 2)
    s2.close()
    const wrongKey = new SessionStore(path, createSecretKey(u8(32)))
    assert.equal(wrongKey.loadAll().length, 0)
    assert.equal(wrongKey.lastLoad.corrupt, 3)
    wrongKey.close()
  })
})
