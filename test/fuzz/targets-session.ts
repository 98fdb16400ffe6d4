/**
 * Fuzz targets of the transport layers: carrier framing, handshake messages, session records,
 * session state, RPC bodies.
 */
import fc from 'fast-check'
import { FrameDecoder, encodeFrame } from '../../src/carriers/index.js'
import { aes256GcmOpen, aes256GcmSeal, secretKey, x25519SharedSecret } from '../../src/crypto/index.js'
import {
  HS_HEADER_LENGTH, InitiatorHandshake, ResponderHandshake, decodeHandshakeHeader, decodeReject, deriveHandshakeKeys,
  encodeReject, encodeSessionUnknown
} from '../../src/session/handshake.js'
import { openRecord, recordKeys, recordPlaintext, sealPlaintext, sealRecord } from '../../src/session/record.js'
import { Session } from '../../src/session/session.js'
import { makeMsgId } from '../../src/session/msg-id.js'
import { RpcDecodeError, decodeInfo, decodeRpcMessage, encodeInfo, encodeRpcMessage } from '../../src/rpc/index.js'
import { deviceIdentity, rootIdentity } from '../helpers/identities.js'
import { InconsistentOutputError, assertSame, isTypedError, sameBytes } from './harness.js'
import { mutated } from './mutate.js'
import type { FuzzTarget } from './harness.js'
import type { RpcMessage } from '../../src/rpc/index.js'

const bytes = (n: number, fill = 0): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + fill) & 0xff)
const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

function concat (...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

const u16 = (n: number): Uint8Array => Uint8Array.of(n >>> 8, n & 0xff)

// ---------------------------------------------------------------------------------------------
// Carrier framing

/** Decodes `chunks` with a fresh decoder: the frames, and the code of the error that stopped it. */
function decodeFrames (chunks: Uint8Array[], max: number): { frames: Uint8Array[], code?: string, pending: number } {
  const d = new FrameDecoder(max)
  const frames: Uint8Array[] = []
  try {
    for (const c of chunks) for (const f of d.decode(c)) frames.push(f.slice())
    d.end()
  } catch (err) {
    if (!isTypedError(err)) throw err
    return { frames, code: (err as { code: string }).code, pending: d.pending }
  }
  return { frames, pending: d.pending }
}

export const framing: FuzzTarget = {
  name: 'carrier-framing',
  decoder: 'carriers/framing.ts FrameDecoder (whole input, then byte by byte)',
  async setup () {
    const max = 1000
    const seeds = [encodeFrame(bytes(1)), encodeFrame(bytes(127)), encodeFrame(bytes(128)), encodeFrame(bytes(max)),
      concat(encodeFrame(bytes(5)), encodeFrame(bytes(300)), encodeFrame(bytes(2)))]
    return {
      seeds,
      decode (input) {
        const whole = decodeFrames([input], max)
        // the decoder is incremental: any chunking gives the same frames and the same error
        const split = decodeFrames(Array.from(input, b => Uint8Array.of(b)), max)
        assertSame(split.frames, whole.frames, 'frames fed byte by byte')
        if (split.code !== whole.code) throw new InconsistentOutputError(`byte by byte: ${String(split.code)}, whole: ${String(whole.code)}`)
        const consumed = concat(...whole.frames.map(f => encodeFrame(f)))
        sameBytes(consumed, input.subarray(0, consumed.length), 'frames re-encoded')
        // without an error every byte formed a frame (end() refuses a partial one)
        if (whole.code == null && consumed.length !== input.length) throw new InconsistentOutputError('input left over without an error')
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Handshake

/** A full handshake between a device identity (initiator) and a root identity (responder), with fixed randomness. */
async function handshakeFixture () {
  const initRoot = await rootIdentity()
  const init = await deviceIdentity(initRoot.rootKey)
  const resp = await rootIdentity()
  const now = Date.now()
  const fixedI = { ephemeralPrivateKey: bytes(32, 1), nonce: bytes(32, 2), hsId: bytes(8, 3) }
  const fixedR = { ephemeralPrivateKey: bytes(32, 4), nonce: bytes(32, 5), salt: bytes(8, 6) }
  const initIdentity = { address: init.address, nodeKey: init.nodeKey, chain: init.chain }
  const respIdentity = { address: resp.address, nodeKey: resp.nodeKey, chain: resp.chain }
  const newInitiator = (): InitiatorHandshake => new InitiatorHandshake({ identity: initIdentity, ...fixedI })
  const newResponder = (hello: Uint8Array): ResponderHandshake => new ResponderHandshake(hello, { identity: respIdentity, ...fixedR })
  const initiator = newInitiator()
  const hello = initiator.hello()
  const responder = newResponder(hello)
  const response = responder.response
  const { finish } = initiator.onResponse(response, now)
  const { accept } = newResponder(hello).onFinish(finish, now)
  initiator.onAccept(accept)
  const prefix = response.subarray(0, HS_HEADER_LENGTH + 32 + 32 + 8)
  const ee = x25519SharedSecret(fixedI.ephemeralPrivateKey, response.subarray(HS_HEADER_LENGTH, HS_HEADER_LENGTH + 32))
  const keys = deriveHandshakeKeys(ee, hello, prefix)
  const zeroIv = new Uint8Array(12)
  const rPlain = aes256GcmOpen(secretKey(keys.r2i), zeroIv, response.subarray(prefix.length + 2), prefix)
  const finishHeader = finish.subarray(0, HS_HEADER_LENGTH)
  const iPlain = aes256GcmOpen(secretKey(keys.i2r), zeroIv, finish.subarray(HS_HEADER_LENGTH + 2), finishHeader)
  const reject = encodeReject(fixedI.hsId, 'ERR_CERT_EXPIRED')
  const unknown = encodeSessionUnknown(bytes(8, 9))
  /** Auth blocks: mutations of the real one, or random, sealed under the right key so the parser behind the AEAD is reached. */
  const sealedAuth = (real: Uint8Array, key: Uint8Array, aad: Uint8Array): fc.Arbitrary<Uint8Array> =>
    fc.oneof(mutated([real]), fc.uint8Array({ maxLength: 1500 }))
      .filter(pt => pt.length + 16 <= 0xffff)
      .map(pt => { const sealed = aes256GcmSeal(secretKey(key), zeroIv, pt, aad); return concat(aad, u16(sealed.length), sealed) })
  return { now, hello, response, finish, accept, reject, unknown, rPlain, iPlain, prefix, finishHeader, keys, newInitiator, newResponder, address: { init: init.address, resp: resp.address }, sealedAuth }
}

export const handshakeHeader: FuzzTarget = {
  name: 'handshake-header',
  decoder: 'session/handshake.ts decodeHandshakeHeader, decodeReject (+ encodeReject round trip)',
  async setup () {
    const h = await handshakeFixture()
    return {
      seeds: [h.hello, h.response, h.finish, h.accept, h.reject, h.unknown],
      decode (input) {
        const header = decodeHandshakeHeader(input)
        if (header.type !== 0x7f) return
        const code = decodeReject(input)
        sameBytes(encodeReject(header.hsId, code), input, 'REJECT')
      }
    }
  }
}

export const handshakeHello: FuzzTarget = {
  name: 'handshake-hello',
  decoder: 'session/handshake.ts new ResponderHandshake(HELLO)',
  async setup () {
    const h = await handshakeFixture()
    return { seeds: [h.hello], maxLength: 200, decode: (input) => h.newResponder(input) }
  }
}

export const handshakeResponse: FuzzTarget = {
  name: 'handshake-response',
  decoder: 'session/handshake.ts InitiatorHandshake.onResponse (incl. sealed random auth blocks)',
  async setup () {
    const h = await handshakeFixture()
    return {
      seeds: [h.response],
      extra: h.sealedAuth(h.rPlain, h.keys.r2i, h.prefix),
      decode (input) {
        const { session } = h.newInitiator().onResponse(input, h.now)
        if (session.remote.address !== h.address.resp) throw new InconsistentOutputError(`RESPONSE proved ${session.remote.address}`)
      }
    }
  }
}

export const handshakeFinish: FuzzTarget = {
  name: 'handshake-finish',
  decoder: 'session/handshake.ts ResponderHandshake.onFinish (incl. sealed random auth blocks)',
  async setup () {
    const h = await handshakeFixture()
    return {
      seeds: [h.finish],
      extra: h.sealedAuth(h.iPlain, h.keys.i2r, h.finishHeader),
      decode (input) {
        const { session } = h.newResponder(h.hello).onFinish(input, h.now)
        if (session.remote.address !== h.address.init) throw new InconsistentOutputError(`FINISH proved ${session.remote.address}`)
      }
    }
  }
}

export const handshakeAccept: FuzzTarget = {
  name: 'handshake-accept',
  decoder: 'session/handshake.ts InitiatorHandshake.onAccept',
  async setup () {
    const h = await handshakeFixture()
    const fresh = (): InitiatorHandshake => { const i = h.newInitiator(); i.onResponse(h.response, h.now); return i }
    let initiator = fresh()
    const valid = hexOf(h.accept)
    return {
      seeds: [h.accept],
      maxLength: 100,
      decode (input) {
        initiator.onAccept(input)
        initiator = fresh()
        if (hexOf(input) !== valid) throw new InconsistentOutputError('an ACCEPT other than the real one was accepted')
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Session records

function sessionKeys (): { id: Uint8Array, keys: { kMacI2R: Uint8Array, kEncI2R: Uint8Array, kMacR2I: Uint8Array, kEncR2I: Uint8Array }, salt: Uint8Array } {
  return { id: bytes(8, 11), keys: { kMacI2R: bytes(32, 12), kEncI2R: bytes(32, 13), kMacR2I: bytes(32, 14), kEncR2I: bytes(32, 15) }, salt: bytes(8, 16) }
}

export const record: FuzzTarget = {
  name: 'session-record',
  decoder: 'session/record.ts openRecord (incl. random plaintexts sealed under the right keys)',
  async setup () {
    const k = sessionKeys()
    const keys = recordKeys(k.id, k.keys.kMacI2R, k.keys.kEncI2R)
    const msgId = makeMsgId(Date.now())
    const seeds = [0, 1, 20, 100, 1000].map((n, i) => sealRecord(keys, { salt: k.salt, msgId: msgId + BigInt(i), seqNo: i, data: bytes(n, i) }))
    const seedHex = new Set(seeds.map(hexOf))
    const sealedByUs = new WeakSet<Uint8Array>()
    const plain = recordPlaintext({ salt: k.salt, msgId, seqNo: 7, data: bytes(40) }, new Uint8Array(16))
    // a plaintext of any content, 16-byte aligned: the checks after the msg_key (data_len, padding) are reached
    const extra = fc.oneof(mutated([plain]), fc.uint8Array({ minLength: 48, maxLength: 1200 }))
      .map(pt => {
        const aligned = new Uint8Array(Math.max(48, Math.ceil(pt.length / 16) * 16))
        aligned.set(pt.subarray(0, aligned.length))
        const frame = sealPlaintext(keys, aligned)
        sealedByUs.add(frame)
        return frame
      })
    return {
      seeds,
      extra,
      decode (input) {
        const r = openRecord(keys, input)
        if (!seedHex.has(hexOf(input)) && !sealedByUs.has(input)) throw new InconsistentOutputError('a frame nobody sealed was opened')
        if (r.salt.length !== 8 || r.data.length > input.length - 24 - 24 - 12) throw new InconsistentOutputError('opened fields do not fit the frame')
      }
    }
  }
}

export const sessionOpen: FuzzTarget = {
  name: 'session-open',
  decoder: 'session/session.ts Session.open (record + salt + msg_id window + replay window)',
  async setup () {
    const k = sessionKeys()
    const now = Date.now()
    const peer = { address: 'peer', rootPublicKey: new Uint8Array(33), nodePublicKey: new Uint8Array(33) }
    const sender = new Session({ id: k.id, role: 'initiator', remote: peer, keys: k.keys, salt: k.salt, now })
    const receiver = new Session({ id: k.id, role: 'responder', remote: peer, keys: k.keys, salt: k.salt, now })
    const seeds = [0, 1, 33, 500, 0, 7, 2000, 64].map((n, i) => sender.seal(bytes(n, i), now + i).frame)
    const seedHex = new Set(seeds.map(hexOf))
    return {
      seeds,
      decode (input) {
        receiver.open(input, now + 10)
        if (!seedHex.has(hexOf(input))) throw new InconsistentOutputError('a frame the peer never sealed was opened')
      }
    }
  }
}

export const sessionState: FuzzTarget = {
  name: 'session-state',
  decoder: 'session/session.ts Session.fromState (toState idempotent)',
  async setup () {
    const k = sessionKeys()
    const now = Date.now()
    const peer = { address: 'peer-address', rootPublicKey: bytes(33, 1), nodePublicKey: bytes(33, 2) }
    const a = new Session({ id: k.id, role: 'initiator', remote: peer, keys: k.keys, salt: k.salt, now })
    const b = new Session({ id: k.id, role: 'responder', remote: peer, keys: k.keys, salt: k.salt, now })
    const fresh = a.toState()
    for (let i = 0; i < 5; i++) b.open(a.seal(bytes(10, i), now + i).frame, now + 10)
    b.rotateSalt(bytes(8, 99), now + 20)
    return {
      seeds: [fresh, a.toState(), b.toState()],
      decode (input) {
        const once = Session.fromState(input).toState()
        sameBytes(Session.fromState(once).toState(), once, 'session state')
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// RPC

const RPC_SEEDS: RpcMessage[] = [
  { kind: 'call', method: 'mailbox.put', params: bytes(40) },
  { kind: 'reply', reqMsgId: 12345678901234n, result: bytes(10) },
  { kind: 'reply', reqMsgId: 1n, error: { code: 'ERR_RATE_LIMITED', message: 'slow down' } },
  { kind: 'ack', msgIds: [1n, 2n, 2n ** 63n] },
  { kind: 'statusQuery', msgIds: [5n, 6n] },
  { kind: 'statusInfo', reqMsgId: 9n, msgIds: [5n, 6n], states: Uint8Array.of(1, 2) },
  { kind: 'newSalt', salt: bytes(8), validSince: 100n, badMsgId: 200n },
  { kind: 'ping', pingId: 77n },
  { kind: 'pong', pingId: 77n, reqMsgId: 78n },
  { kind: 'container', messages: [{ msgId: 3n, message: { kind: 'call', method: 'attn.info', params: new Uint8Array(0) } }, { msgId: 4n, message: { kind: 'ack', msgIds: [1n] } }] }
]

export const rpcMessage: FuzzTarget = {
  name: 'rpc-message',
  decoder: 'rpc/codec.ts decodeRpcMessage (+ encode/decode round trip)',
  async setup () {
    return {
      seeds: RPC_SEEDS.map(m => encodeRpcMessage(m)),
      expected: (err) => err instanceof RpcDecodeError && isTypedError(err),
      decode (input) {
        const m = decodeRpcMessage(input)
        assertSame(normalise(decodeRpcMessage(encodeRpcMessage(m))), normalise(m), 'RpcMessage')
      }
    }
  }
}

/** Byte fields as plain Uint8Arrays (protons may return subarrays of another buffer). */
function normalise (v: unknown): unknown {
  if (v instanceof Uint8Array) return Uint8Array.from(v)
  if (Array.isArray(v)) return v.map(normalise)
  if (v != null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, normalise(x)]))
  return v
}

export const rpcInfo: FuzzTarget = {
  name: 'rpc-info',
  decoder: 'rpc/codec.ts decodeInfo (+ round trip)',
  async setup () {
    const info = { version: '0.1.0', address: '16Uiu2HAm', methods: ['attn.info', 'mailbox.put'], protocols: ['/attn/1'] }
    return {
      seeds: [encodeInfo(info), encodeInfo({ version: '', address: '', methods: [], protocols: [] })],
      expected: (err) => err instanceof RpcDecodeError && isTypedError(err),
      decode (input) {
        const i = decodeInfo(input)
        assertSame(decodeInfo(encodeInfo(i)), i, 'Info')
      }
    }
  }
}

export const SESSION_TARGETS = [framing, handshakeHeader, handshakeHello, handshakeResponse, handshakeFinish, handshakeAccept, record, sessionOpen, sessionState, rpcMessage, rpcInfo]
