/**
 * protocols/vectors/rpc.json: this file generates the vectors and checks them.
 * Regenerate with `ATTN_WRITE_VECTORS=1 npx mocha --no-config dist/test/unit/rpc/codec.spec.js`.
 * JSON form (protocols/README.md "Vector conventions"): field names are rpc.proto's (snake_case), the
 * kind is the name of the RpcMessage field that is set, uint64 values are decimal strings, bytes are
 * lowercase hex; a container item holds `msg_id` and `message`.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { MAX_RECORD_DATA } from '../../../src/session/constants.js'
import { decodeRpcMessage, encodeRpcMessage, RPC_LIMITS } from '../../../src/rpc/index.js'
import { isValidMethodName } from '../../../src/rpc/methods.js'
import * as pb from '../../../src/rpc/pb/rpc.js'
import type { RpcMessage } from '../../../src/rpc/index.js'

const VECTORS = fileURLToPath(new URL('../../../../protocols/vectors/rpc.json', import.meta.url))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const snake = (k: string): string => k.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`)
const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

/** In-memory RpcMessage → vector JSON (snake_case names and kinds, bigints as decimal strings, bytes as hex). */
function toJson (v: unknown, key = ''): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return hex(v)
  if (key === 'kind' && typeof v === 'string') return snake(v)
  if (Array.isArray(v)) return v.map(x => toJson(x))
  if (v != null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [snake(k), toJson(x, k)]))
  return v
}

const BIG = new Set(['reqMsgId', 'msgId', 'validSince', 'badMsgId', 'pingId'])
const BYTES = new Set(['params', 'result', 'states', 'salt'])
function fromJson (v: any, key = ''): any {
  if (key === 'msgIds') return (v as string[]).map(BigInt)
  if (BIG.has(key)) return BigInt(v)
  if (BYTES.has(key)) return unhex(v)
  if (key === 'kind') return camel(v)
  if (Array.isArray(v)) return v.map(x => fromJson(x))
  if (v != null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), fromJson(x, camel(k))]))
  return v
}

const ID = 0x019b_7a3c_5e00_0001n // (2025-12-… ms << 16) | 1
const CASES: Array<{ description: string, message: RpcMessage }> = [
  { description: 'Call attn.ping with 3 bytes of params', message: { kind: 'call', method: 'attn.ping', params: Uint8Array.of(1, 2, 3) } },
  { description: 'Call with empty params', message: { kind: 'call', method: 'attn.info', params: new Uint8Array() } },
  { description: 'Reply with a result', message: { kind: 'reply', reqMsgId: ID, result: Uint8Array.of(0xca, 0xfe) } },
  { description: 'Reply with an empty result: the result field is still present (12 00)', message: { kind: 'reply', reqMsgId: ID, result: new Uint8Array() } },
  { description: 'Reply with an error', message: { kind: 'reply', reqMsgId: ID, error: { code: 'UNKNOWN_METHOD', message: 'unknown method x.y' } } },
  { description: 'Reply with an error whose message is empty: the error field and its code are present', message: { kind: 'reply', reqMsgId: ID, error: { code: 'BAD_REQUEST', message: '' } } },
  { description: 'Ack of two ids (unpacked repeated uint64: one tag per id)', message: { kind: 'ack', msgIds: [ID, ID + 1n] } },
  { description: 'StatusQuery of three ids', message: { kind: 'statusQuery', msgIds: [ID, ID + 1n, 7n] } },
  { description: 'StatusInfo: processing, done, unknown', message: { kind: 'statusInfo', reqMsgId: ID + 5n, msgIds: [ID, ID + 1n, 7n], states: Uint8Array.of(2, 3, 0) } },
  { description: 'NewSalt', message: { kind: 'newSalt', salt: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), validSince: 1_767_225_600_000n, badMsgId: ID } },
  { description: 'NewSalt with bad_msg_id 0 (field omitted, proto3 default)', message: { kind: 'newSalt', salt: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), validSince: 1_767_225_600_000n, badMsgId: 0n } },
  { description: 'Ping', message: { kind: 'ping', pingId: 42n } },
  { description: 'Ping with ping_id 0: the kind field is present with an empty body (42 00)', message: { kind: 'ping', pingId: 0n } },
  { description: 'Pong', message: { kind: 'pong', pingId: 42n, reqMsgId: ID } },
  {
    description: 'Container: a resent Call (original msg_id) and an Ack',
    message: { kind: 'container', messages: [{ msgId: ID, message: { kind: 'call', method: 'm.x', params: Uint8Array.of(9) } }, { msgId: ID + 3n, message: { kind: 'ack', msgIds: [ID + 2n] } }] }
  }
]

/** Byte strings every receiver must refuse at decode time (attnproto.md Part 5 §7), with their code. */
function invalidCases (): Array<{ description: string, encoded: Uint8Array }> {
  const ping = pb.RpcMessage.encode({ ping: { pingId: 1n } })
  const inner = pb.RpcMessage.encode({ container: { messages: [{ msgId: 1n, body: ping }] } })
  const items = (n: number): pb.ContainerItem[] => Array.from({ length: n }, (_, i) => ({ msgId: BigInt(i + 1), body: ping }))
  return [
    { description: 'not protobuf: a length past the end', encoded: Uint8Array.of(0x0a, 0x05, 0x01) },
    { description: 'Ack with its msg_ids in the packed form (field 1, wire type 2): refused, encoders MUST NOT pack', encoded: Uint8Array.of(0x1a, 0x05, 0x0a, 0x03, 0x01, 0x02, 0x03) },
    { description: 'empty message: no kind set', encoded: new Uint8Array() },
    { description: 'only an unknown field 16 (a kind of a later version)', encoded: Uint8Array.of(0x80, 0x01, 0x00) },
    { description: 'Ping and Pong both set', encoded: pb.RpcMessage.encode({ ping: { pingId: 1n }, pong: { pingId: 1n, reqMsgId: 2n } }) },
    { description: 'a Container inside a Container', encoded: pb.RpcMessage.encode({ container: { messages: [{ msgId: 2n, body: inner }] } }) },
    { description: 'Container of 1025 items (MAX_CONTAINER_ITEMS + 1)', encoded: pb.RpcMessage.encode({ container: { messages: items(RPC_LIMITS.MAX_CONTAINER_ITEMS + 1) } }) },
    { description: 'StatusQuery of 1025 ids (MAX_STATUS_IDS + 1)', encoded: pb.RpcMessage.encode({ statusQuery: { msgIds: Array.from({ length: RPC_LIMITS.MAX_STATUS_IDS + 1 }, (_, i) => BigInt(i)) } }) },
    { description: 'Call whose method is 129 bytes (MAX_METHOD_LENGTH + 1)', encoded: pb.RpcMessage.encode({ call: { method: 'x'.repeat(RPC_LIMITS.MAX_METHOD_LENGTH + 1), params: new Uint8Array() } }) },
    { description: 'Reply with neither result nor error', encoded: pb.RpcMessage.encode({ reply: { reqMsgId: 1n } }) },
    { description: 'Reply with both result and error', encoded: pb.RpcMessage.encode({ reply: { reqMsgId: 1n, result: new Uint8Array(), error: { code: 'X', message: '' } } }) },
    { description: 'Reply error code not [A-Z][A-Z0-9_]*', encoded: pb.RpcMessage.encode({ reply: { reqMsgId: 1n, error: { code: 'lower', message: '' } } }) },
    { description: 'StatusInfo with 2 states for 1 id', encoded: pb.RpcMessage.encode({ statusInfo: { reqMsgId: 1n, msgIds: [1n], states: new Uint8Array(2) } }) },
    { description: 'StatusInfo with the undefined state 5', encoded: pb.RpcMessage.encode({ statusInfo: { reqMsgId: 1n, msgIds: [1n], states: Uint8Array.of(5) } }) },
    { description: 'NewSalt with a 7-byte salt', encoded: pb.RpcMessage.encode({ newSalt: { salt: new Uint8Array(7), validSince: 0n, badMsgId: 0n } }) },
    { description: 'empty Container', encoded: pb.RpcMessage.encode({ container: { messages: [] } }) },
    { description: 'Container with a repeated item id', encoded: pb.RpcMessage.encode({ container: { messages: [{ msgId: 3n, body: ping }, { msgId: 3n, body: ping }] } }) },
    { description: 'Container with an item id 0', encoded: pb.RpcMessage.encode({ container: { messages: [{ msgId: 0n, body: ping }] } }) }
  ]
}

/**
 * Calls that decode but are refused by the callee with a Reply error (Part 5 §8): a method name that
 * is not `[A-Za-z0-9][A-Za-z0-9._/-]*` is BAD_REQUEST, never run and never UNKNOWN_METHOD.
 */
function refusedCalls (): Array<{ description: string, call_msg_id: string, call: string, reply: string }> {
  const cases: Array<[string, string]> = [
    ['method with a space and "!"', 'bad name!'],
    ['empty method', ''],
    ['method starting with "."', '.x'],
    ['method with a non-ASCII letter', 'msg.délivrer']
  ]
  return cases.map(([description, method]) => {
    assert.equal(isValidMethodName(method), false)
    return {
      description: `${description} → Reply error BAD_REQUEST`,
      call_msg_id: ID.toString(),
      call: hex(encodeRpcMessage({ kind: 'call', method, params: new Uint8Array() })),
      reply: hex(encodeRpcMessage({ kind: 'reply', reqMsgId: ID, error: { code: 'BAD_REQUEST', message: 'invalid method name' } }))
    }
  })
}

const decodeCode = (data: Uint8Array): string => {
  try { decodeRpcMessage(data); return 'OK' } catch (e: any) { return e.code }
}

function generate (): unknown {
  return {
    description: 'ATT RPC messages (protocols/attnproto.md Part 5, protocols/rpc.proto). `valid`: encode `message` to `encoded` and decode it back. ' +
      '`invalid`: decoding `encoded` fails with `error` (the record is dropped and counted, nothing is answered). ' +
      '`refused_calls`: `call` decodes, but the callee answers with `reply` (an error Reply for the Call\'s msg_id `call_msg_id`; the message text is informative).',
    valid: CASES.map(c => ({ description: c.description, message: toJson(c.message), encoded: hex(encodeRpcMessage(c.message)) })),
    invalid: invalidCases().map(c => ({ description: c.description, encoded: hex(c.encoded), error: decodeCode(c.encoded) })),
    refused_calls: refusedCalls()
  }
}

describe('rpc codec', () => {
  it('matches protocols/vectors/rpc.json byte for byte', async () => {
    const fresh = JSON.stringify(generate(), null, 2) + '\n'
    if (process.env.ATTN_WRITE_VECTORS === '1') await writeFile(VECTORS, fresh)
    const text = await readFile(VECTORS, 'utf8')
    assert.equal(text, fresh, 'rpc.json differs from the generator output')
    const vectors = JSON.parse(text) as { valid: Array<{ description: string, message: any, encoded: string }>, invalid: Array<{ description: string, encoded: string, error: string }>, refused_calls: Array<{ call: string, reply: string }> }
    assert.ok(vectors.valid.length >= CASES.length)
    const kinds = new Set<string>()
    for (const v of vectors.valid) {
      const msg = fromJson(v.message) as RpcMessage
      kinds.add(v.message.kind)
      assert.equal(hex(encodeRpcMessage(msg)), v.encoded, v.description)
      assert.deepEqual(toJson(decodeRpcMessage(unhex(v.encoded))), v.message, v.description)
    }
    assert.deepEqual([...kinds].sort(), ['ack', 'call', 'container', 'new_salt', 'ping', 'pong', 'reply', 'status_info', 'status_query'])
    assert.deepEqual(vectors.invalid.map(v => v.error), [
      'ERR_RPC_MALFORMED', 'ERR_RPC_MALFORMED', 'ERR_RPC_UNKNOWN_KIND', 'ERR_RPC_UNKNOWN_KIND', 'ERR_RPC_MULTIPLE_KINDS',
      'ERR_RPC_NESTED_CONTAINER', 'ERR_RPC_TOO_MANY_ITEMS', 'ERR_RPC_TOO_MANY_ITEMS', 'ERR_RPC_FIELD_TOO_LARGE',
      'ERR_RPC_INVALID_FIELD', 'ERR_RPC_INVALID_FIELD', 'ERR_RPC_INVALID_FIELD', 'ERR_RPC_INVALID_FIELD', 'ERR_RPC_INVALID_FIELD',
      'ERR_RPC_INVALID_FIELD', 'ERR_RPC_INVALID_FIELD', 'ERR_RPC_INVALID_FIELD', 'ERR_RPC_INVALID_FIELD'
    ])
    for (const v of vectors.invalid) assert.equal(decodeCode(unhex(v.encoded)), v.error, v.description)
    for (const v of vectors.refused_calls) {
      const call = decodeRpcMessage(unhex(v.call))
      assert.ok(call.kind === 'call' && !isValidMethodName(call.method))
      const reply = decodeRpcMessage(unhex(v.reply))
      assert.ok(reply.kind === 'reply' && reply.error?.code === 'BAD_REQUEST')
    }
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
