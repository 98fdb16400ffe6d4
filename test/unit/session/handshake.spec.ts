/**
 * ATTNProto handshake (protocols/attnproto.md Part 3): round trips, error paths, fuzzing of every
 * parser with random and mutated input, and the SessionManager's handshake limits, timeouts and
 * routing over an in-memory FrameChannel pair. The byte-exact vectors are in handshake-vectors.spec.ts.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { ChannelClosedError } from '../../../src/carriers/errors.js'
import { aes256GcmSeal, secretKey } from '../../../src/crypto/index.js'
import { AttnError } from '../../../src/errors.js'
import { attAddress } from '../../../src/keys/index.js'
import {
  decodeHandshakeHeader, decodeReject, deriveHandshakeKeys, encodeReject, HandshakeType, InitiatorHandshake,
  isHandshakeFrame, ResponderHandshake
} from '../../../src/session/handshake.js'
import { HandshakeChainError, HandshakeError, HandshakeRejectedError } from '../../../src/session/handshake-errors.js'
import { SessionManager } from '../../../src/session/session-manager.js'
import { SessionStore } from '../../../src/session/session-store.js'
import {
  baseCase, chainFor, identityOf, initiatorOf, NODE_I, NOW_S, OTHER, reference, responderOf, ROOT_I, ROOT_R,
  runProduction, type CaseInputs
} from './handshake-vector-cases.js'
import type { FrameChannel, FrameHandler } from '../../../src/carriers/index.js'
import type { HandshakeIdentity } from '../../../src/session/handshake.js'
import type { PeerId } from '@libp2p/interface'

const CODE = /^ERR_[A-Z0-9_]+$/
const u8 = (n: number): Uint8Array => new Uint8Array(randomBytes(n))
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Runs fn; if it throws, the error must be an AttnError with a stable code. Returns the code. */
function typed (fn: () => unknown): string | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    assert.ok(err instanceof AttnError, `expected an AttnError, got ${String((err as Error)?.stack ?? err)}`)
    assert.match(err.code, CODE)
    return err.code
  }
}

/** fn must throw a typed error; returns its code. */
function rejects (fn: () => unknown): string {
  const code = typed(fn)
  assert.ok(code != null, 'expected the input to be rejected')
  return code
}

function flipBit (b: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(b)
  out[bit >> 3] ^= 1 << (bit & 7)
  return out
}

/** A mutation of a valid message: one bit flipped, truncated, or extended. */
function mutation (msg: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.integer({ min: 0, max: msg.byteLength * 8 - 1 }).map(bit => flipBit(msg, bit)),
    fc.integer({ min: 0, max: msg.byteLength - 1 }).map(n => msg.slice(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map(extra => new Uint8Array([...msg, ...extra]))
  )
}

const BASE = baseCase('fuzz base', 'fuzz')
const REF = reference(BASE)

describe('handshake', () => {
  describe('round trip in memory', () => {
    for (const [name, c] of [
      ['root keys', BASE],
      ['device certificates on both sides', baseCase('dev', 'rt-dev', { i: { node: NODE_I, chain: chainFor(ROOT_I, NODE_I) }, r: { node: OTHER, chain: chainFor(ROOT_R, OTHER) } })]
    ] as Array<[string, CaseInputs]>) {
      it(`both sides derive the same session (${name})`, () => {
        const { i, r } = runProduction(c)
        assert.deepEqual(i.id, r.id)
        assert.equal(i.role, 'initiator')
        assert.equal(r.role, 'responder')
        assert.equal(i.remote.address, attAddress(ROOT_R.publicKey))
        assert.equal(r.remote.address, attAddress(ROOT_I.publicKey))
        const a = i.seal(text('from I'), c.now)
        assert.equal(new TextDecoder().decode(r.open(a.frame, c.now).data), 'from I')
        const b = r.seal(text('from R'), c.now)
        assert.equal(new TextDecoder().decode(i.open(b.frame, c.now).data), 'from R')
        // direction separation: a node cannot open its own frames
        rejects(() => i.open(i.seal(text('x'), c.now).frame, c.now))
      })
    }

    it('random ephemerals, nonces, ids and salt: sessions agree and differ per run', () => {
      const ids = new Set<string>()
      for (let k = 0; k < 5; k++) {
        const ini = new InitiatorHandshake({ identity: identityOf(BASE.initiator) })
        const resp = new ResponderHandshake(ini.hello(), { identity: identityOf(BASE.responder) })
        const { finish } = ini.onResponse(resp.response)
        const { session: r, accept } = resp.onFinish(finish)
        const i = ini.onAccept(accept)
        assert.deepEqual(i.id, r.id)
        assert.notDeepEqual(i.id, new Uint8Array(8))
        ids.add(i.idHex)
        assert.equal(new TextDecoder().decode(r.open(i.seal(text('hi')).frame).data), 'hi')
      }
      assert.equal(ids.size, 5)
    })

    it('every handshake message is a handshake frame, records are not', () => {
      const p = runProduction(BASE)
      for (const m of [p.hello, p.response, p.finish, p.accept]) assert.ok(isHandshakeFrame(m))
      assert.ok(!isHandshakeFrame(p.i.seal(text('x'), BASE.now).frame))
      assert.equal(p.hello.byteLength, 82)
      assert.equal(p.accept.byteLength, 58)
    })
  })

  describe('error paths', () => {
    it('expected-address mismatch → ERR_HS_UNEXPECTED_PEER', () => {
      const c = baseCase('', 'exp', { i: { expectedAddress: attAddress(OTHER.publicKey) } })
      const ini = initiatorOf(c)
      const resp = responderOf(c, ini.hello())
      assert.equal(rejects(() => ini.onResponse(resp.response, c.now)), 'ERR_HS_UNEXPECTED_PEER')
      // the failed initiator refuses anything further
      assert.equal(rejects(() => ini.onResponse(resp.response, c.now)), 'ERR_HS_UNEXPECTED')
    })

    it('replayed FINISH → ERR_HS_UNEXPECTED', () => {
      const ini = initiatorOf(BASE)
      const resp = responderOf(BASE, ini.hello())
      const { finish } = ini.onResponse(resp.response, BASE.now)
      resp.onFinish(finish, BASE.now)
      assert.equal(rejects(() => resp.onFinish(finish, BASE.now)), 'ERR_HS_UNEXPECTED')
    })

    it('a FINISH replayed to a fresh responder for the same HELLO fails (new ephemeral)', () => {
      const ini = initiatorOf(BASE)
      const hello = ini.hello()
      const { finish } = ini.onResponse(responderOf(BASE, hello).response, BASE.now)
      const fresh = new ResponderHandshake(hello, { identity: identityOf(BASE.responder) })
      assert.equal(rejects(() => fresh.onFinish(finish, BASE.now)), 'ERR_HS_DECRYPT')
    })

    it('a second RESPONSE and an ACCEPT before RESPONSE → ERR_HS_UNEXPECTED', () => {
      const ini = initiatorOf(BASE)
      assert.equal(rejects(() => ini.onAccept(REF.accept)), 'ERR_HS_UNEXPECTED')
      ini.onResponse(REF.response, BASE.now)
      assert.equal(rejects(() => ini.onResponse(REF.response, BASE.now)), 'ERR_HS_UNEXPECTED')
    })

    it('not-yet-valid certificate → ERR_CERT_NOT_YET_VALID (HandshakeChainError)', () => {
      const c = baseCase('', 'nyv', { i: { node: NODE_I, chain: chainFor(ROOT_I, NODE_I, NOW_S + 3600, NOW_S + 7200) } })
      const ini = initiatorOf(c)
      const resp = responderOf(c, ini.hello())
      const { finish } = ini.onResponse(resp.response, c.now)
      try {
        resp.onFinish(finish, c.now)
        assert.fail('accepted')
      } catch (err) {
        assert.ok(err instanceof HandshakeChainError)
        assert.equal(err.code, 'ERR_CERT_NOT_YET_VALID')
        assert.equal(err.chainCode, 'ERR_CERT_NOT_YET_VALID')
      }
      // the same FINISH is fine an hour later
      const resp2 = responderOf(c, ini.hello())
      const ini2 = initiatorOf(c)
      const later = c.now + 3600_000
      const { finish: f2 } = ini2.onResponse(resp2.response, later)
      assert.equal(typed(() => resp2.onFinish(f2, later)), undefined)
    })

    it('a chain whose root is not the signer → ERR_CHAIN_KEY_MISMATCH; a forged root → ERR_CERT_BAD_SIGNATURE', () => {
      // the certificate (root ROOT_I) certifies OTHER, but NODE_I signs the handshake
      const c = baseCase('', 'km', { i: { node: NODE_I, chain: chainFor(ROOT_I, OTHER) } })
      const ini = initiatorOf(c)
      const resp = responderOf(c, ini.hello())
      assert.equal(rejects(() => resp.onFinish(ini.onResponse(resp.response, c.now).finish, c.now)), 'ERR_CHAIN_KEY_MISMATCH')
      // the responder's chain: certificate signed by OTHER but naming ROOT_R as its root
      const chain = chainFor(OTHER, NODE_I)
      chain.set(ROOT_R.publicKey.raw, 5)
      const c2 = baseCase('', 'km2', { r: { node: NODE_I, chain } })
      const ini2 = initiatorOf(c2)
      const resp2 = responderOf(c2, ini2.hello())
      assert.equal(rejects(() => ini2.onResponse(resp2.response, c2.now)), 'ERR_CERT_BAD_SIGNATURE')
    })

    it('own chain too long is refused before sending', () => {
      const identity: HandshakeIdentity = { ...identityOf(BASE.initiator), chain: new Uint8Array(1025) }
      assert.equal(rejects(() => new ResponderHandshake(REF.hello, { identity })), 'ERR_HS_MALFORMED')
    })
  })

  describe('fuzz: only typed errors, every mutation of RESPONSE/FINISH/ACCEPT rejected', () => {
    it('decodeHandshakeHeader on random input', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), fc.boolean(), (bytes, zero) => {
        if (zero && bytes.byteLength >= 8) bytes.fill(0, 0, 8)
        const code = typed(() => decodeHandshakeHeader(bytes))
        if (code != null) assert.ok(['ERR_HS_MALFORMED', 'ERR_HS_UNSUPPORTED_VERSION'].includes(code), code)
      }), { numRuns: 2000 })
    })

    it('ResponderHandshake constructor on random and mutated HELLOs', () => {
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 128 }), mutation(REF.hello)), bytes => {
        typed(() => new ResponderHandshake(bytes, { identity: identityOf(BASE.responder) }))
      }), { numRuns: 300 })
    })

    it('onResponse: random input', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), bytes => {
        rejects(() => initiatorOf(BASE).onResponse(bytes, BASE.now))
      }), { numRuns: 300 })
    })

    it('onResponse: every bit flip, truncation and extension of a valid RESPONSE is rejected', () => {
      fc.assert(fc.property(mutation(REF.response), bytes => {
        rejects(() => initiatorOf(BASE).onResponse(bytes, BASE.now))
      }), { numRuns: 300 })
    })

    it('onResponse: exhaustive single-bit flips of the 90-byte prefix', () => {
      for (let bit = 0; bit < 90 * 8; bit++) rejects(() => initiatorOf(BASE).onResponse(flipBit(REF.response, bit), BASE.now))
    })

    it('onFinish: random input and every mutation of a valid FINISH', () => {
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), mutation(REF.finish)), bytes => {
        rejects(() => responderOf(BASE, REF.hello).onFinish(bytes, BASE.now))
      }), { numRuns: 300 })
    })

    it('onFinish: auth blocks that decrypt but are mutated or random only give typed errors', () => {
      const hk = deriveHandshakeKeys(REF.shared_secret, REF.hello, REF.response.subarray(0, 90))
      const fHdr = REF.finish.subarray(0, 18)
      const seal = (plain: Uint8Array): Uint8Array => {
        const c = gcmSeal(hk.i2r, plain, fHdr)
        return new Uint8Array([...fHdr, c.byteLength >> 8, c.byteLength & 0xff, ...c])
      }
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutation(REF.initiator_auth_plaintext)), plain => {
        if (plain.byteLength + 16 > 0xffff) return
        typed(() => responderOf(BASE, REF.hello).onFinish(seal(plain), BASE.now))
      }), { numRuns: 300 })
    })

    it('onAccept: random input and every mutation of a valid ACCEPT', () => {
      const ini = initiatorOf(BASE)
      ini.onResponse(REF.response, BASE.now)
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), mutation(REF.accept)), bytes => {
        rejects(() => ini.onAccept(bytes))
      }), { numRuns: 1000 })
      // after all of that, the genuine ACCEPT still completes the handshake
      assert.deepEqual(ini.onAccept(REF.accept).id, REF.session_id)
    })

    it('decodeReject on random input and mutated REJECTs', () => {
      const reject = encodeReject(BASE.initiator.hsId, 'ERR_CERT_EXPIRED')
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), mutation(reject)), bytes => {
        const code = typed(() => decodeReject(bytes))
        if (code == null) assert.match(decodeReject(bytes), /^[\x20-\x7e]{0,64}$/)
      }), { numRuns: 1000 })
      fc.assert(fc.property(fc.string({ maxLength: 100 }), s => {
        const decoded = decodeReject(encodeReject(u8(8), s))
        assert.ok(decoded.length <= 64)
        assert.match(decoded, /^[\x20-\x7e]*$/)
      }))
    })
  })

  describe('SessionManager', () => {
    const peerOf = (s: { node: typeof ROOT_I }): PeerId => peerIdFromPrivateKey(s.node)
    const managers: SessionManager[] = []
    afterEach(() => { for (const m of managers.splice(0)) m.stop() })

    function manager (identity: HandshakeIdentity, channels: (target: unknown) => FrameChannel, extra: Partial<ConstructorParameters<typeof SessionManager>[0]> = {}): SessionManager & { records: Array<{ data: string, channel: FrameChannel }>, closed: string[] } {
      const records: Array<{ data: string, channel: FrameChannel }> = []
      const closed: string[] = []
      const m = new SessionManager({
        identity,
        logger: defaultLogger(),
        openChannel: async (target) => channels(target),
        onRecord: (_s, r, channel) => { records.push({ data: new TextDecoder().decode(r.data), channel }) },
        onSessionClosed: (_s, reason) => { closed.push(reason) },
        ...extra
      })
      managers.push(m)
      return Object.assign(m, { records, closed })
    }

    it('full handshake between two managers, records both ways, routing by session id across channels', async () => {
      const idI = identityOf(BASE.initiator)
      const idR = identityOf(BASE.responder)
      let ca!: FakeChannel
      const A = manager(idI, () => ca)
      const B = manager(idR, () => { throw new Error('B never dials') })
      ;[ca] = channelPair(A, B, peerOf(BASE.responder), peerOf(BASE.initiator))
      const session = await A.connect(peerOf(BASE.responder))
      assert.equal(session.remote.address, idR.address)
      await tick()
      assert.equal(B.stats().sessions, 1)
      assert.equal(A.stats().pendingHandshakes, 0)
      assert.equal(B.stats().pendingHandshakes, 0)
      assert.equal(A.stats().handshakesCompleted, 1)
      assert.equal(B.stats().handshakesCompleted, 1)
      // connect() again reuses the session
      assert.equal(await A.connect(peerOf(BASE.responder)), session)

      await A.send(session, text('hello B'))
      await tick()
      assert.equal(B.records[0].data, 'hello B')
      const sb = [...B.table][0]
      assert.deepEqual(sb.id, session.id)

      // a second carrier: the same session's frame arrives at B on another channel; B replies there
      const [ca2, cb2] = channelPair(A, B, peerOf(BASE.responder), peerOf(BASE.initiator))
      await ca2.send(session.seal(text('via channel 2')).frame)
      await tick()
      assert.equal(B.records[1].data, 'via channel 2')
      assert.equal(B.records[1].channel, cb2)
      const before = cb2.sent.length
      await B.send(sb, text('reply'))
      await tick()
      assert.equal(cb2.sent.length, before + 1)
      assert.equal(A.records[0].data, 'reply')
      assert.equal(A.records[0].channel, ca2)
    })

    it('HELLO flood beyond maxPendingHandshakesPerChannel → REJECT ERR_HS_TOO_MANY_PENDING, no state growth', async () => {
      const R = manager(identityOf(BASE.responder), () => { throw new Error('no dial') }, { maxPendingHandshakesPerChannel: 3, maxPendingHandshakes: 5, limits: { refusalRejectRatePerPeer: { burst: 100, perSecond: 0 } } })
      const ch = new FakeChannel('flood')
      for (let k = 0; k < 20; k++) R.handleFrame(new InitiatorHandshake({ identity: identityOf(BASE.initiator) }).hello(), ch)
      assert.equal(R.stats().pendingHandshakes, 3)
      await signed()
      const types = ch.sent.map(f => decodeHandshakeHeader(f).type)
      assert.equal(types.filter(t => t === HandshakeType.Response).length, 3)
      const rejected = ch.sent.filter(f => decodeHandshakeHeader(f).type === HandshakeType.Reject)
      assert.equal(rejected.length, 17)
      for (const f of rejected) assert.equal(decodeReject(f), 'ERR_HS_TOO_MANY_PENDING')
      assert.equal(R.stats().rejected.ERR_HS_TOO_MANY_PENDING, 17)
      // the node-wide cap: another channel gets 2 more; then each new HELLO displaces the oldest
      // pending state (which is told ERR_HS_TOO_MANY_PENDING), so the pool never grows past 5
      const ch2 = new FakeChannel('flood2')
      for (let k = 0; k < 5; k++) R.handleFrame(new InitiatorHandshake({ identity: identityOf(BASE.initiator) }).hello(), ch2)
      assert.equal(R.stats().pendingHandshakes, 5)
      await signed()
      assert.equal(ch2.sent.filter(f => decodeHandshakeHeader(f).type === HandshakeType.Response).length, 3)
      assert.equal(R.stats().handshakesDisplaced, 1)
      assert.equal(ch.sent.filter(f => decodeHandshakeHeader(f).type === HandshakeType.Reject).length, 18, 'the displaced one was told')
      // a closed channel frees its entries
      R.channelClosed(ch)
      assert.equal(R.stats().pendingHandshakes, 3)
    })

    it('a HELLO of an unsupported version or an unknown message type is answered with REJECT and its code, never dropped silently', () => {
      const R = manager(identityOf(BASE.responder), () => { throw new Error('no dial') })
      const ch = new FakeChannel('future')
      const v2 = REF.hello.slice(); v2[9] = 2 // a version-2 initiator's HELLO
      R.handleFrame(v2, ch)
      assert.equal(ch.sent.length, 1)
      const reply = ch.sent[0]
      assert.equal(decodeHandshakeHeader(reply).type, HandshakeType.Reject)
      assert.equal(decodeHandshakeHeader(reply).version, 1)
      assert.deepEqual(reply.subarray(10, 18), v2.subarray(10, 18)) // the refused hs_id
      assert.equal(decodeReject(reply), 'ERR_HS_UNSUPPORTED_VERSION')
      const unknownType = REF.hello.slice(); unknownType[8] = 0x05
      R.handleFrame(unknownType, ch)
      assert.equal(decodeReject(ch.sent[1]), 'ERR_HS_MALFORMED')
      assert.equal(R.stats().pendingHandshakes, 0)
      assert.equal(R.stats().rejected.ERR_HS_UNSUPPORTED_VERSION, 1)
      assert.equal(R.stats().rejected.ERR_HS_MALFORMED, 1)
      // notices are never answered (whatever their version), and a frame without an hs_id cannot be
      const v2Reject = encodeReject(u8(8), 'ERR_X'); v2Reject[9] = 2
      const v2Unknown = REF.hello.slice(0, 18); v2Unknown[8] = HandshakeType.SessionUnknown; v2Unknown[9] = 2
      R.handleFrame(v2Reject, ch)
      R.handleFrame(v2Unknown, ch)
      R.handleFrame(new Uint8Array(12), ch)
      assert.equal(ch.sent.length, 2)
    })

    it('an initiator answered with REJECT ERR_HS_UNSUPPORTED_VERSION fails at once with that code (no timeout)', async () => {
      // the responder speaks only a future version: it answers every v1 HELLO with the REJECT a v1 node sends to a v2 HELLO
      let ca!: FakeChannel
      const A = manager(identityOf(BASE.initiator), () => ca, { handshakeTimeout: 60_000 })
      const future: FrameHandler = {
        handleFrame: (frame: Uint8Array, channel: FrameChannel) => { void channel.send(encodeReject(frame.subarray(10, 18), 'ERR_HS_UNSUPPORTED_VERSION')) }
      }
      ;[ca] = channelPair(A, future, peerOf(BASE.responder), peerOf(BASE.initiator))
      await assert.rejects(A.connect(peerOf(BASE.responder)), (err: any) => err instanceof HandshakeRejectedError && err.remoteCode === 'ERR_HS_UNSUPPORTED_VERSION')
      assert.equal(A.stats().pendingHandshakes, 0)
    })

    it('a duplicate HELLO (same hs_id) is refused, the pending handshake kept', async () => {
      const R = manager(identityOf(BASE.responder), () => { throw new Error('no dial') })
      const ch = new FakeChannel('dup')
      R.handleFrame(REF.hello, ch)
      R.handleFrame(REF.hello, ch)
      assert.equal(R.stats().pendingHandshakes, 1)
      await signed()
      assert.deepEqual(ch.sent.map(f => decodeHandshakeHeader(f).type), [HandshakeType.Reject, HandshakeType.Response], 'refused at once; RESPONSE signed on a later turn')
      assert.equal(decodeReject(ch.sent[0]), 'ERR_HS_TOO_MANY_PENDING')
    })

    it('responder pending handshakes expire after handshakeTimeout', async () => {
      const R = manager(identityOf(BASE.responder), () => { throw new Error('no dial') }, { handshakeTimeout: 50 })
      R.handleFrame(REF.hello, new FakeChannel('slow'))
      assert.equal(R.stats().pendingHandshakes, 1)
      await sleep(120)
      assert.equal(R.stats().pendingHandshakes, 0)
      assert.equal(R.stats().handshakesFailed, 1)
    })

    it('initiator: responder never answers → ERR_HS_TIMEOUT, no leaked pending entry', async () => {
      const ch = new FakeChannel('void')
      const A = manager(identityOf(BASE.initiator), () => ch, { handshakeTimeout: 100 })
      const started = Date.now()
      await assert.rejects(A.connect(peerOf(BASE.responder)), (err: any) => err instanceof HandshakeError && err.code === 'ERR_HS_TIMEOUT')
      assert.ok(Date.now() - started >= 90)
      assert.equal(A.stats().pendingHandshakes, 0)
      assert.equal(A.stats().handshakesFailed, 1)
      assert.equal(ch.sent.length, 1) // the HELLO
    })

    it('initiator: AbortSignal → ERR_HS_ABORTED, no leaked pending entry', async () => {
      const A = manager(identityOf(BASE.initiator), () => new FakeChannel('void'))
      const controller = new AbortController()
      setTimeout(() => { controller.abort() }, 20)
      await assert.rejects(A.connect(peerOf(BASE.responder), { signal: controller.signal }), (err: any) => err.code === 'ERR_HS_ABORTED')
      assert.equal(A.stats().pendingHandshakes, 0)
      // already aborted
      await assert.rejects(A.connect(peerOf(BASE.responder), { signal: AbortSignal.abort() }), (err: any) => err.code === 'ERR_HS_ABORTED')
      assert.equal(A.stats().pendingHandshakes, 0)
    })

    it('responder refuses an expired certificate: the initiator gets REJECT → ERR_HS_REJECTED (ERR_CERT_EXPIRED)', async () => {
      const nowS = Math.floor(Date.now() / 1000)
      const idI: HandshakeIdentity = { address: attAddress(ROOT_I.publicKey), nodeKey: NODE_I, chain: chainFor(ROOT_I, NODE_I, nowS - 10_000, nowS - 120) }
      let ca!: FakeChannel
      const A = manager(idI, () => ca)
      const B = manager(identityOf(BASE.responder), () => { throw new Error('no dial') })
      ;[ca] = channelPair(A, B)
      await assert.rejects(A.connect(peerOf(BASE.responder)), (err: any) => err instanceof HandshakeRejectedError && err.remoteCode === 'ERR_CERT_EXPIRED')
      assert.equal(A.stats().pendingHandshakes, 0)
      assert.equal(B.stats().pendingHandshakes, 0)
      assert.equal(B.stats().sessions, 0)
      assert.equal(B.stats().rejected.ERR_CERT_EXPIRED, 1)
    })

    it('a replayed FINISH after completion creates nothing (ERR_HS_UNKNOWN, no REJECT)', async () => {
      let ca!: FakeChannel
      const A = manager(identityOf(BASE.initiator), () => ca)
      const B = manager(identityOf(BASE.responder), () => { throw new Error('no dial') })
      let cb!: FakeChannel
      ;[ca, cb] = channelPair(A, B)
      await A.connect(peerOf(BASE.responder))
      await tick()
      const finish = ca.sent.find(f => isHandshakeFrame(f) && decodeHandshakeHeader(f).type === HandshakeType.Finish)
      assert.ok(finish != null)
      const sentBefore = cb.sent.length
      B.handleFrame(finish, cb)
      assert.equal(B.stats().sessions, 1)
      assert.equal(B.stats().rejected.ERR_HS_UNKNOWN, 1)
      assert.equal(cb.sent.length, sentBefore)
    })

    it('SESSION_UNKNOWN: the peer lost the session (restart without store) → the session is dropped, next connect handshakes again', async () => {
      let ca!: FakeChannel
      const A = manager(identityOf(BASE.initiator), () => ca)
      const B = manager(identityOf(BASE.responder), () => { throw new Error('no dial') })
      ;[ca] = channelPair(A, B, peerOf(BASE.responder), peerOf(BASE.initiator))
      const s1 = await A.connect(peerOf(BASE.responder))
      await tick()
      B.stop() // crash-like: no store, B forgets everything
      await A.send(s1, text('lost'))
      await tick()
      assert.equal(B.stats().rejected.ERR_SESSION_UNKNOWN ?? Object.keys(B.stats().rejected).length, 1)
      assert.equal(A.stats().sessions, 0)
      assert.deepEqual(A.closed, ['unknown at peer'])
      const s2 = await A.connect(peerOf(BASE.responder))
      assert.notDeepEqual(s2.id, s1.id)
    })

    it('clean restart with a store resumes the session on the responder; the store is consumed at start', async () => {
      const store = new SessionStore(':memory:', secretKey(u8(32)))
      let ca!: FakeChannel
      const A = manager(identityOf(BASE.initiator), () => ca)
      const B = manager(identityOf(BASE.responder), () => { throw new Error('no dial') }, { store })
      ;[ca] = channelPair(A, B, peerOf(BASE.responder), peerOf(BASE.initiator))
      const s = await A.connect(peerOf(BASE.responder))
      await tick()
      B.stop()
      await ca.close() // the restart dropped the connection
      assert.equal(store.loadAll().length, 1)
      const B2 = manager(identityOf(BASE.responder), () => { throw new Error('no dial') }, { store })
      B2.start()
      assert.equal(B2.stats().sessions, 1)
      assert.equal(store.loadAll().length, 0) // consumed: a crash now leaves nothing to resume
      ;[ca] = channelPair(A, B2, peerOf(BASE.responder), peerOf(BASE.initiator))
      await A.send(s, text('after restart'))
      await tick()
      assert.equal(B2.records[0]?.data, 'after restart')
      const sb = [...B2.table][0]
      await B2.send(sb, text('resumed reply'))
      await tick()
      assert.equal(A.records.at(-1)?.data, 'resumed reply')
    })

    // regression: resumed sessions used to get an empty route (no peer to redial)
    it('a resumed session can be used by the restarted node before the peer speaks', async () => {
      const store = new SessionStore(':memory:', secretKey(u8(32)))
      let ca!: FakeChannel
      const A = manager(identityOf(BASE.initiator), () => ca)
      let cb!: FakeChannel
      const B = manager(identityOf(BASE.responder), () => cb, { store })
      ;[ca, cb] = channelPair(A, B, peerOf(BASE.responder), peerOf(BASE.initiator))
      await A.connect(peerOf(BASE.responder))
      await tick()
      B.stop()
      await ca.close()
      const B2 = manager(identityOf(BASE.responder), () => cb, { store })
      B2.start()
      ;[ca, cb] = channelPair(A, B2, peerOf(BASE.responder), peerOf(BASE.initiator))
      assert.equal(await B2.connect(peerOf(BASE.initiator)), [...B2.table][0])
      await B2.send([...B2.table][0], text('first after restart'))
      await tick()
      assert.equal(A.records.at(-1)?.data, 'first after restart')
    })
  })
})

// ---------------------------------------------------------------------------------------------
// An in-memory FrameChannel: frames sent on one end are handed to the handler of the other end.
// ---------------------------------------------------------------------------------------------
/** Lets the responder's signing queue (one RESPONSE per event-loop turn) drain. */
async function signed (turns = 32): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise(resolve => setImmediate(resolve))
}

class FakeChannel implements FrameChannel {
  readonly kind = 'libp2p' as const
  open = true
  readonly sent: Uint8Array[] = []
  peer?: FakeChannel
  handler?: FrameHandler
  constructor (readonly id: string, readonly remotePeer?: PeerId) {}
  async send (frame: Uint8Array): Promise<void> {
    if (!this.open) throw new ChannelClosedError()
    this.sent.push(Uint8Array.from(frame))
    const p = this.peer
    if (p?.handler == null) return
    const copy = Uint8Array.from(frame)
    queueMicrotask(() => { void p.handler?.handleFrame(copy, p) })
  }

  async close (): Promise<void> {
    this.open = false
    if (this.peer != null) this.peer.open = false
    this.handler?.channelClosed?.(this)
  }
}

let pairs = 0
/** [a's channel to b, b's channel to a]. */
function channelPair (a: FrameHandler, b: FrameHandler, peerOfB?: PeerId, peerOfA?: PeerId): [FakeChannel, FakeChannel] {
  const n = ++pairs
  const ca = new FakeChannel(`a${n}`, peerOfB)
  const cb = new FakeChannel(`b${n}`, peerOfA)
  ca.peer = cb
  cb.peer = ca
  ca.handler = a
  cb.handler = b
  return [ca, cb]
}

async function tick (): Promise<void> {
  for (let k = 0; k < 5; k++) await new Promise(resolve => setImmediate(resolve))
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

function gcmSeal (key: Uint8Array, plain: Uint8Array, aad: Uint8Array): Uint8Array {
  return aes256GcmSeal(secretKey(key), new Uint8Array(12), plain, aad)
}
