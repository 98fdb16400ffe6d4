import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { NodeSet, nextEvent, waitFor } from '../helpers/nodes.js'
import { deviceIdentity, rootIdentity } from '../helpers/identities.js'
import { HandshakeRejectedError } from '../../src/session/index.js'
import type { Session } from '../../src/session/index.js'
import type { AttnNode } from '../../src/node/create-node.js'

interface RecordEvent { session: Session, data: Uint8Array, msgId: bigint }
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const str = (b: Uint8Array): string => new TextDecoder().decode(b)

async function roundTrip (from: AttnNode, to: AttnNode, session: Session, message: string): Promise<RecordEvent> {
  const received = nextEvent<RecordEvent>(to.services.attn, 'record', e => str(e.data) === message)
  await from.services.attn.sendRecord(session, text(message))
  return await received
}

describe('ATTNProto sessions between real nodes', function () {
  const nodes = new NodeSet()
  const dirs: string[] = []
  afterEach(async () => {
    await nodes.stopAll()
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('handshake over /attn/1.0.0, sealed records both ways, identities authenticated', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    const session = await a.services.attn.connect(b.getMultiaddrs())
    assert.equal(session.remote.address, b.services.attn.address)
    assert.equal(session.role, 'initiator')

    const atB = await roundTrip(a, b, session, 'ping from a')
    assert.equal(atB.session.idHex, session.idHex, 'both sides derived the same session id')
    assert.equal(atB.session.remote.address, a.services.attn.address, 'responder learned the initiator root identity')
    const atA = await roundTrip(b, a, atB.session, 'pong from b')
    assert.equal(atA.session, session)
    // reusing: a second connect returns the same session
    assert.equal(await a.services.attn.connect(b.peerId), session)
    assert.equal(a.services.attn.sessionStats()?.handshakesCompleted, 1)
  })

  it('the stream and connection die; the same session continues over a new connection', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    const session = await a.services.attn.connect(b.getMultiaddrs())
    await roundTrip(a, b, session, 'before')
    const oldConnections = a.getConnections(b.peerId).map(c => c.id)
    await a.hangUp(b.peerId)
    await waitFor(() => a.getConnections(b.peerId).length === 0, { what: 'hang up' })

    const atB = await roundTrip(a, b, session, 'after reconnect')
    assert.equal(atB.session.idHex, session.idHex)
    assert.ok(a.getConnections(b.peerId).every(c => !oldConnections.includes(c.id)), 'a new connection carried it')
    await roundTrip(b, a, atB.session, 'reply after reconnect')
    assert.equal(a.services.attn.sessionStats()?.handshakesCompleted, 1, 'no new handshake')
  })

  it('two nodes sharing one root key (same key, and a device key) both complete sessions with a third', async () => {
    const root = await generateKeyPair('secp256k1')
    const same1 = await nodes.create({ attn: { identity: await rootIdentity(root) } })
    const same2 = await nodes.create({ attn: { identity: await rootIdentity(root) } })
    const device = await nodes.create({ attn: { identity: await deviceIdentity(root) } })
    const third = await nodes.create()
    assert.equal(same1.peerId.toString(), same2.peerId.toString(), 'literally the same key')

    // the key holders dial the third node: it sees one PeerId on several connections
    const sessions: Session[] = []
    for (const node of [same1, same2, device]) {
      const s = await node.services.attn.connect(third.getMultiaddrs())
      assert.equal(s.remote.address, third.services.attn.address)
      sessions.push(s)
    }
    await waitFor(() => third.services.attn.sessionStats()?.sessions === 3, { what: 'three sessions at the third node' })
    const atThird = [...(third.services.attn.sessions?.table ?? [])]
    assert.ok(atThird.every(s => s.remote.address === same1.services.attn.address), 'all prove the same root identity')
    assert.equal(new Set(sessions.map(s => s.idHex)).size, 3, 'three distinct sessions')
    for (const [i, node] of [same1, same2, device].entries()) {
      const got = await roundTrip(node, third, sessions[i], `from node ${i}`)
      assert.equal(got.session.idHex, sessions[i].idHex)
      // the reply goes back on the connection this session's frames came in on
      await roundTrip(third, node, got.session, `to node ${i}`)
    }
  })

  it('an expired device certificate is refused with ERR_CERT_EXPIRED', async () => {
    const root = await generateKeyPair('secp256k1')
    const now = Math.floor(Date.now() / 1000)
    const expired = await deviceIdentity(root, { notBefore: now - 10 * 86400, notAfter: now - 3600 })
    const a = await nodes.create({ attn: { identity: expired } })
    const b = await nodes.create()
    await assert.rejects(a.services.attn.connect(b.getMultiaddrs()), (err: any) => {
      assert.ok(err instanceof HandshakeRejectedError)
      assert.equal(err.remoteCode, 'ERR_CERT_EXPIRED')
      return true
    })
    assert.equal(b.services.attn.sessionStats()?.rejected.ERR_CERT_EXPIRED, 1)
    assert.equal(b.services.attn.sessionStats()?.sessions, 0)
    // and the other way round: the initiator refuses an expired responder
    const c = await nodes.create()
    await assert.rejects(c.services.attn.connect(a.getMultiaddrs()), { code: 'ERR_CERT_EXPIRED' })
  })

  it('a tampered frame on the wire is counted and dropped; the session keeps working', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    const session = await a.services.attn.connect(b.getMultiaddrs())
    const sealed = session.seal(text('original'))
    const tampered = Uint8Array.from(sealed.frame)
    tampered[tampered.length - 1] ^= 1
    await a.services.attn.sendFrame(b.peerId, tampered)
    await a.services.attn.sendFrame(b.peerId, sealed.frame)
    await a.services.attn.sendFrame(b.peerId, sealed.frame) // replay
    await roundTrip(a, b, session, 'still fine')
    const stats = b.services.attn.sessionStats()
    assert.equal(stats?.rejected.ERR_BAD_MSG_KEY, 1)
    assert.equal(stats?.rejected.ERR_REPLAY, 1)
  })

  it('a cleanly restarted node resumes its sessions; after a crash the peer is told to handshake again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attn-sessions-'))
    dirs.push(dir)
    const identity = await rootIdentity()
    const storePath = join(dir, 'sessions.db')
    const a = await nodes.create()
    let b = await nodes.create({ attn: { identity, sessionStorePath: storePath } })
    const listen = b.getMultiaddrs().map(ma => ma.decapsulate('/p2p').toString())
    const session = await a.services.attn.connect(b.getMultiaddrs())
    await roundTrip(a, b, session, 'before restart')

    await b.stop()
    b = await nodes.create({ attn: { identity, sessionStorePath: storePath }, listen })
    await waitFor(() => b.services.attn.sessionStats()?.sessions === 1, { what: 'session resumed' })
    const resumed = await roundTrip(a, b, session, 'after clean restart')
    assert.equal(resumed.session.idHex, session.idHex)
    await roundTrip(b, a, resumed.session, 'reply from resumed session')

    // a crash: stop without saving (simulated by dropping the stored rows first)
    const { DatabaseSync } = await import('node:sqlite')
    await b.stop()
    const db = new DatabaseSync(storePath)
    db.exec('DELETE FROM attn_sessions')
    db.close()
    b = await nodes.create({ attn: { identity, sessionStorePath: storePath }, listen })
    const closed = nextEvent<{ session: Session }>(a.services.attn, 'session:closed', e => e.session === session)
    await a.services.attn.sendRecord(session, text('into the void'))
    await closed
    assert.equal(b.services.attn.sessionStats()?.rejected.ERR_UNKNOWN_SESSION, 1)
    const fresh = await a.services.attn.connect(b.peerId)
    assert.notEqual(fresh.idHex, session.idHex)
    await roundTrip(a, b, fresh, 'fresh session')
  })
})
