/**
 * Hand-written encoders for the messages of every round trip (Call, Reply with a result, Ack,
 * Container): one exactly sized buffer per message instead of protons' writer (a chunk list, a fork
 * per nested message, an object tree built first). The bytes are protons' bytes for the same message
 * (proto3: zero ids and empty Call fields and ContainerItem bodies omitted, `optional` result always
 * written, non-packed repeated ids); test/unit/rpc/fast-encode.spec.ts compares them over random input.
 */

/** Bytes of the varint of a uint64 (bigint 0 … 2^64-1). */
function varintLength (v: bigint): number {
  if (v < 0x80n) return 1
  if (v < 0x1_0000_0000n) return uintLength(Number(v))
  const hi = Number(v >> 32n)
  // 32 low bits take 4 full groups (28 bits) + 4 bits in the 5th: the high word continues it
  return hi < 0x8 ? 5 : hi < 0x400 ? 6 : hi < 0x2_0000 ? 7 : hi < 0x100_0000 ? 8 : hi < 0x8000_0000 ? 9 : 10
}

function uintLength (n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : n < 0x1000_0000 ? 4 : 5
}

function writeUint (buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  buf[pos++] = n
  return pos
}

function writeVarint (buf: Uint8Array, pos: number, v: bigint): number {
  if (v < 0x1_0000_0000n) return writeUint(buf, pos, Number(v))
  let lo = Number(v & 0xffff_ffffn)
  let hi = Number(v >> 32n)
  // 4 groups of 7 from the low word, then a group that straddles both words
  for (let i = 0; i < 4; i++) { buf[pos++] = (lo & 0x7f) | 0x80; lo >>>= 7 }
  let rest = lo | ((hi & 0x7) << 4)
  hi >>>= 3
  if (hi === 0) { buf[pos++] = rest; return pos }
  buf[pos++] = rest | 0x80
  rest = hi
  return writeUint(buf, pos, rest)
}

/** tag(1 byte) + length varint + len: what a length-delimited field of `len` bytes takes. */
function delimited (len: number): number {
  return 1 + uintLength(len) + len
}

/** Uninitialised memory (every byte is written), outside Buffer's shared pool. */
function alloc (n: number): Buffer {
  return Buffer.allocUnsafeSlow(n)
}

/** The same bytes as a plain Uint8Array, as protons returns (a Buffer is not deep-equal to one). */
function plain (b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/** RpcMessage{call: Call{method, params}}. `method` is ASCII (isValidMethodName). */
export function encodeCallFast (method: string, params: Uint8Array): Uint8Array {
  const mLen = Buffer.byteLength(method, 'utf8')
  const inner = (mLen > 0 ? delimited(mLen) : 0) + (params.byteLength > 0 ? delimited(params.byteLength) : 0)
  const buf = alloc(delimited(inner))
  let pos = 0
  buf[pos++] = 0x0a
  pos = writeUint(buf, pos, inner)
  if (mLen > 0) {
    buf[pos++] = 0x0a
    pos = writeUint(buf, pos, mLen)
    pos += buf.write(method, pos, 'utf8')
  }
  if (params.byteLength > 0) {
    buf[pos++] = 0x12
    pos = writeUint(buf, pos, params.byteLength)
    buf.set(params, pos)
  }
  return plain(buf)
}

/** RpcMessage{reply: Reply{req_msg_id, result}}. */
export function encodeReplyResultFast (reqMsgId: bigint, result: Uint8Array): Uint8Array {
  const inner = (reqMsgId !== 0n ? 1 + varintLength(reqMsgId) : 0) + delimited(result.byteLength)
  const buf = alloc(delimited(inner))
  let pos = 0
  buf[pos++] = 0x12
  pos = writeUint(buf, pos, inner)
  if (reqMsgId !== 0n) {
    buf[pos++] = 0x08
    pos = writeVarint(buf, pos, reqMsgId)
  }
  buf[pos++] = 0x12
  pos = writeUint(buf, pos, result.byteLength)
  buf.set(result, pos)
  return plain(buf)
}

/** RpcMessage{ack: Ack{msg_ids}} (ids not packed). */
export function encodeAckFast (msgIds: readonly bigint[]): Uint8Array {
  let inner = 0
  for (const id of msgIds) inner += 1 + varintLength(id)
  const buf = alloc(delimited(inner))
  let pos = 0
  buf[pos++] = 0x1a
  pos = writeUint(buf, pos, inner)
  for (const id of msgIds) {
    buf[pos++] = 0x08
    pos = writeVarint(buf, pos, id)
  }
  return plain(buf)
}

/** RpcMessage{container: Container{messages: [ContainerItem{msg_id, body}]}}. */
export function encodeContainerFast (items: ReadonlyArray<{ msgId: bigint, body: Uint8Array }>): Uint8Array {
  let inner = 0
  const n = items.length
  const sizes = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const it = items[i]
    const s = (it.msgId !== 0n ? 1 + varintLength(it.msgId) : 0) + (it.body.byteLength > 0 ? delimited(it.body.byteLength) : 0)
    sizes[i] = s
    inner += delimited(s)
  }
  const buf = alloc(delimited(inner))
  let pos = 0
  buf[pos++] = 0x32
  pos = writeUint(buf, pos, inner)
  for (let i = 0; i < n; i++) {
    const it = items[i]
    buf[pos++] = 0x0a
    pos = writeUint(buf, pos, sizes[i])
    if (it.msgId !== 0n) {
      buf[pos++] = 0x08
      pos = writeVarint(buf, pos, it.msgId)
    }
    if (it.body.byteLength > 0) {
      buf[pos++] = 0x12
      pos = writeUint(buf, pos, it.body.byteLength)
      buf.set(it.body, pos)
      pos += it.body.byteLength
    }
  }
  return plain(buf)
}
