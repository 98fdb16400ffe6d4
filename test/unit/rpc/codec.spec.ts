/**
 * protocols/vectors/rpc.json: this file generates the vectors and checks them.
 * Regenerate with `ATTN_WRITE_VECTORS=1 npx mocha --no-config dist/test/unit/rpc/codec.spec.js`.
 * JSON form: bigints as decimal strings, bytes as hex; a container item holds `msgId` and `message`.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { MAX_RECORD_DATA } from '../../../src/session/constants.js'
import { decodeRpcMessage, encodeRpcMessage, RPC_LIMITS } from '../../../src/rpc/index.js'
import * as pb from '../../../src/rpc/pb/rpc.js'
import type { RpcMessage } from '../../../src/rpc/index.js'

const VECTORS = fileURLToPath(new URL('../../../../protocols/vectors/rpc.json', import.meta.url))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

function toJson (v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return hex(v)
  if (Array.isArray(v)) return v.map(toJson)
  if (v != null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, toJson(x)]))
  return v
}

const BIG = new Set(['reqMsgId', 'msgId', 'validSince', 'badMsgId', 'pingId'])
const BYTES = new Set(['params', 'result', 'states', 'salt'])
function fromJson (v: any, key = ''): any {
  if (key === 'msgIds') return (v as string[]).map(BigInt)
  if (BIG.has(key)) return BigInt(v)
  if (BYTES.has(key)) return unhex(v)
  if (Array.isArray(v)) return v.map(x => fromJson(x))
  if (v != null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x, k)]))
  return v
}

const ID = 0x019b_7a3c_5e00_0001n // (2025-12-… ms << 16) | 1
const CASES: Array<{ description: string, message: RpcMessage }> = [
  { description: 'Call attn.ping with 3 bytes of params', message: { kind: 'call', method: 'attn.ping', params: Uint8Array.of(1, 2, 3) } },
  { description: 'Call with empty params', message: { kind: 'call', method: 'attn.info', params: new Uint8Array() } },
  { description: 'Reply with a result', message: { kind: 'reply', reqMsgId: ID, result: Uint8Array.of(0xca, 0xfe) } },
  { description: 'Reply with an empty result', message: { kind: 'reply', reqMsgId: ID, result: new Uint8Array() } },
  { description: 'Reply with an error', message: { kind: 'reply', reqMsgId: ID, error: { code: 'UNKNOWN_METHOD', message: 'unknown method x.y' } } },
  { description: 'Ack of two ids (unpacked repeated uint64)', message: { kind: 'ack', msgIds: [ID, ID + 1n] } },
  { description: 'StatusQuery of three ids', message: { kind: 'statusQuery', msgIds: [ID, ID + 1n, 7n] } },
  { description: 'StatusInfo: processing, done, unknown', message: { kind: 'statusInfo', reqMsgId: ID + 5n, msgIds: [ID, ID + 1n, 7n], states: Uint8Array.of(2, 3, 0) } },
  { description: 'NewSalt', message: { kind: 'newSalt', salt: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), validSince: 1_767_225_600_000n, badMsgId: ID } },
  { description: 'Ping', message: { kind: 'ping', pingId: 42n } },
  { description: 'Pong', message: { kind: 'pong', pingId: 42n, reqMsgId: ID } },
  {
    description: 'Container: a resent Call (original msg_id) and an Ack',
    message: { kind: 'container', messages: [{ msgId: ID, message: { kind: 'call', method: 'm.x', params: Uint8Array.of(9) } }, { msgId: ID + 3n, message: { kind: 'ack', msgIds: [ID + 2n] } }] }
  }
]

describe('rpc codec', () => {
  it('matches protocols/vectors/rpc.json byte for byte', async () => {
    const fresh = CASES.map(c => ({ description: c.description, message: toJson(c.message), encoded: hex(encodeRpcMessage(c.message)) }))
    if (process.env.ATTN_WRITE_VECTORS === '1') await writeFile(VECTORS, JSON.stringify(fresh, null, 2) + '\n')
    const vectors = JSON.parse(await readFile(VECTORS, 'utf8')) as Array<{ description: string, message: any, encoded: string }>
    assert.ok(vectors.length >= CASES.length)
    const kinds = new Set<string>()
    for (const v of vectors) {
      const msg = fromJson(v.message) as RpcMessage
      kinds.add(msg.kind)
      assert.equal(hex(encodeRpcMessage(msg)), v.encoded, v.description)
      assert.deepEqual(toJson(decodeRpcMessage(unhex(v.encoded))), v.message, v.description)
    }
    assert.deepEqual([...kinds].sort(), ['ack', 'call', 'container', 'newSalt', 'ping', 'pong', 'reply', 'statusInfo', 'statusQuery'])
  })

  it('keeps the message cap equal to the session record cap', () => {
    assert.equal(RPC_LIMITS.MAX_MESSAGE_BYTES, MAX_RECORD_DATA)
  })

  const code = (data: Uint8Array): string => {
    try { decodeRpcMessage(data); return 'ok' } catch (e: any) { return e.code }
  }

  it('rejects each kind of bad input with its own code', () => {
    assert.equal(code(Uint8Array.of(0x0a, 0x05, 0x01)), 'ERR_RPC_MALFORMED') // length past the end
    assert.equal(code(new Uint8Array()), 'ERR_RPC_UNKNOWN_KIND')
    assert.equal(code(Uint8Array.of(0x80, 0x01, 0x00)), 'ERR_RPC_UNKNOWN_KIND') // field 16, varint
    assert.equal(code(pb.RpcMessage.encode({ ping: { pingId: 1n }, pong: { pingId: 1n, reqMsgId: 2n } })), 'ERR_RPC_MULTIPLE_KINDS')
    const inner = pb.RpcMessage.encode({ container: { messages: [{ msgId: 1n, body: pb.RpcMessage.encode({ ping: { pingId: 1n } }) }] } })
    assert.equal(code(pb.RpcMessage.encode({ container: { messages: [{ msgId: 2n, body: inner }] } })), 'ERR_RPC_NESTED_CONTAINER')
    const many = Array.from({ length: RPC_LIMITS.MAX_CONTAINER_ITEMS + 1 }, (_, i) => ({ msgId: BigInt(i + 1), body: pb.RpcMessage.encode({ ping: { pingId: 1n } }) }))
    assert.equal(code(pb.RpcMessage.encode({ container: { messages: many } })), 'ERR_RPC_TOO_MANY_ITEMS')
    assert.equal(code(pb.RpcMessage.encode({ ack: { msgIds: Array.from({ length: RPC_LIMITS.MAX_ACK_IDS + 1 }, (_, i) => BigInt(i)) } })), 'ERR_RPC_TOO_MANY_ITEMS')
    assert.equal(code(pb.RpcMessage.encode({ statusQuery: { msgIds: Array.from({ length: RPC_LIMITS.MAX_STATUS_IDS + 1 }, (_, i) => BigInt(i)) } })), 'ERR_RPC_TOO_MANY_ITEMS')
    assert.equal(code(pb.RpcMessage.encode({ call: { method: 'x'.repeat(RPC_LIMITS.MAX_METHOD_LENGTH + 1), params: new Uint8Array() } })), 'ERR_RPC_FIELD_TOO_LARGE')
    assert.equal(code(pb.RpcMessage.encode({ call: { method: 'x', params: new Uint8Array(RPC_LIMITS.MAX_PAYLOAD_BYTES + 1) } })), 'ERR_RPC_FIELD_TOO_LARGE')
    assert.equal(code(new Uint8Array(RPC_LIMITS.MAX_MESSAGE_BYTES + 1)), 'ERR_RPC_FIELD_TOO_LARGE')
    assert.equal(code(pb.RpcMessage.encode({ reply: { reqMsgId: 1n } })), 'ERR_RPC_INVALID_FIELD')
    assert.equal(code(pb.RpcMessage.encode({ reply: { reqMsgId: 1n, result: new Uint8Array(), error: { code: 'X', message: '' } } })), 'ERR_RPC_INVALID_FIELD')
    assert.equal(code(pb.RpcMessage.encode({ reply: { reqMsgId: 1n, error: { code: 'lower', message: '' } } })), 'ERR_RPC_INVALID_FIELD')
    assert.equal(code(pb.RpcMessage.encode({ statusInfo: { reqMsgId: 1n, msgIds: [1n], states: new Uint8Array(2) } })), 'ERR_RPC_INVALID_FIELD')
    assert.equal(code(pb.RpcMessage.encode({ statusInfo: { reqMsgId: 1n, msgIds: [1n], states: Uint8Array.of(5) } })), 'ERR_RPC_INVALID_FIELD')
    assert.equal(code(pb.RpcMessage.encode({ newSalt: { salt: new Uint8Array(7), validSince: 0n, badMsgId: 0n } })), 'ERR_RPC_INVALID_FIELD')
    assert.equal(code(pb.RpcMessage.encode({ container: { messages: [] } })), 'ERR_RPC_INVALID_FIELD')
    const ping = pb.RpcMessage.encode({ ping: { pingId: 1n } })
    assert.equal(code(pb.RpcMessage.encode({ container: { messages: [{ msgId: 3n, body: ping }, { msgId: 3n, body: ping }] } })), 'ERR_RPC_INVALID_FIELD')
  })

  it('round-trips arbitrary messages and throws only RpcDecodeError on arbitrary bytes', () => {
    const id = fc.bigInt({ min: 1n, max: (1n << 64n) - 1n })
    const bytes = fc.uint8Array({ maxLength: 64 })
    const body = fc.oneof(
      fc.record({ kind: fc.constant('call' as const), method: fc.string({ maxLength: 20 }), params: bytes }),
      fc.record({ kind: fc.constant('reply' as const), reqMsgId: id, result: bytes }),
      fc.record({ kind: fc.constant('ack' as const), msgIds: fc.array(id, { maxLength: 10 }) }),
      fc.record({ kind: fc.constant('ping' as const), pingId: id })
    )
    const msg = fc.oneof(body, fc.uniqueArray(fc.record({ msgId: id, message: body }), { minLength: 1, maxLength: 5, selector: i => i.msgId })
      .map(messages => ({ kind: 'container' as const, messages })))
    fc.assert(fc.property(msg, m => {
      assert.deepEqual(toJson(decodeRpcMessage(encodeRpcMessage(m as RpcMessage))), toJson(m))
    }), { numRuns: 500 })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), data => {
      try { decodeRpcMessage(data) } catch (e: any) { assert.match(String(e.code), /^ERR_RPC_[A-Z_]+$/) }
    }), { numRuns: 5000 })
  })
})
