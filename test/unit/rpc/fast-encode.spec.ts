import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeRpcMessage } from '../../../src/rpc/codec.js'
import { encodeAckFast, encodeCallFast, encodeContainerFast, encodeReplyResultFast } from '../../../src/rpc/fast-encode.js'
import * as pb from '../../../src/rpc/pb/rpc.js'
import '../../../src/utils/protons-uint64.js'

const edges = [0n, 1n, 127n, 128n, 16383n, 16384n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 35n - 1n, 2n ** 35n,
  2n ** 53n, (1_700_000_000_000n << 16n) | 65535n, 2n ** 63n, 2n ** 64n - 1n]
const u64 = fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 40n }))
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 120, maxLength: 20_000 }).map(b => b.subarray(0, b.length)))
const method = fc.stringMatching(/^[a-z][a-z0-9._-]{0,80}$/)

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('rpc fast encoders (byte-identical to protons)', () => {
  it('Call, Reply(result), Ack and Container encode exactly as protons does, and decode back', () => {
    fc.assert(fc.property(fc.oneof(method, fc.constant('')), bytes, u64, fc.array(u64, { maxLength: 40 }),
      fc.array(fc.record({ msgId: u64, body: bytes }), { minLength: 1, maxLength: 12 }), (m, params, id, ids, items) => {
        assert.equal(hex(encodeCallFast(m, params)), hex(pb.RpcMessage.encode({ call: { method: m, params: params as Uint8Array<ArrayBuffer> } })))
        assert.equal(hex(encodeReplyResultFast(id, params)), hex(pb.RpcMessage.encode({ reply: { reqMsgId: id, result: params as Uint8Array<ArrayBuffer> } })))
        assert.equal(hex(encodeAckFast(ids)), hex(pb.RpcMessage.encode({ ack: { msgIds: ids } })))
        assert.equal(hex(encodeContainerFast(items)),
          hex(pb.RpcMessage.encode({ container: { messages: items.map(i => ({ msgId: i.msgId, body: i.body as Uint8Array<ArrayBuffer> })) } })))
        const r = decodeRpcMessage(encodeReplyResultFast(id, params))
        assert.ok(r.kind === 'reply' && r.reqMsgId === id && hex(r.result as Uint8Array) === hex(params))
      }), { numRuns: 300 })
  })

  it('every varint length boundary of a uint64 id', () => {
    for (let bits = 0; bits <= 64; bits++) {
      for (const v of [2n ** BigInt(bits) - 1n, 2n ** BigInt(bits)]) {
        if (v >= 2n ** 64n) continue
        assert.equal(hex(encodeAckFast([v])), hex(pb.RpcMessage.encode({ ack: { msgIds: [v] } })), `id ${v}`)
      }
    }
  })
})
