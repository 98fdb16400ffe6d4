/**
 * Raw kad-dht requests, as an attacker (or a replaying peer) sends them: one PUT_VALUE or GET_VALUE
 * message on a fresh `/attn/kad/1.0.0` stream, bypassing the sender's own kad-dht logic.
 * Message fields (kad-dht dht.proto): type = 1 (varint; PUT_VALUE 0, GET_VALUE 1), key = 2, record = 3.
 */
import { lpStream } from '@libp2p/utils'
import { Record as Libp2pRecord } from '@libp2p/kad-dht'
import { ATTN_DHT_PROTOCOL } from '../../src/node/create-node.js'
import type { AttnNode } from '../../src/node/create-node.js'
import type { PeerId } from '@libp2p/interface'

const PUT_VALUE = 0
const GET_VALUE = 1

function varint (n: number): number[] {
  const out: number[] = []
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7 }
  out.push(n)
  return out
}

function field (no: number, bytes: Uint8Array): Uint8Array {
  return Uint8Array.from([...varint((no << 3) | 2), ...varint(bytes.byteLength), ...bytes])
}

function message (type: number, key: Uint8Array, record?: Uint8Array): Uint8Array {
  const parts = [Uint8Array.of(0x08, type), field(2, key), ...(record != null ? [field(3, record)] : [])]
  return Uint8Array.from(parts.flatMap(p => [...p]))
}

/** The length-delimited fields of a protobuf message, by field number (last one wins). */
function fields (buf: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>()
  let i = 0
  const readVarint = (): number => {
    let n = 0
    let shift = 0
    while (true) {
      const b = buf[i++]
      n += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return n
      shift += 7
    }
  }
  while (i < buf.byteLength) {
    const tag = readVarint()
    const wire = tag & 7
    if (wire === 0) { readVarint(); continue }
    if (wire !== 2) throw new Error(`unexpected wire type ${wire}`)
    const len = readVarint()
    out.set(tag >>> 3, buf.subarray(i, i + len))
    i += len
  }
  return out
}

async function request (from: AttnNode, to: PeerId, msg: Uint8Array): Promise<Uint8Array> {
  const stream = await from.dialProtocol(to, ATTN_DHT_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  const lp = lpStream(stream)
  await lp.write(msg, { signal: AbortSignal.timeout(10_000) })
  const reply = await lp.read({ signal: AbortSignal.timeout(10_000) })
  await stream.close().catch(() => {})
  return reply.subarray()
}

/**
 * Sends PUT_VALUE(key, value) straight to `to` (a serialized libp2p record, timeReceived now).
 * True when the node echoed the record (stored), false when it aborted the stream (refused).
 */
export async function rawPut (from: AttnNode, to: PeerId, key: Uint8Array, value: Uint8Array): Promise<boolean> {
  const record = new Libp2pRecord(key, value, new Date()).serialize()
  try {
    const reply = await request(from, to, message(PUT_VALUE, key, record))
    return fields(reply).get(3) != null
  } catch {
    return false
  }
}

/** Sends GET_VALUE(key) straight to `to`; the value it holds, or undefined. */
export async function rawGet (from: AttnNode, to: PeerId, key: Uint8Array): Promise<Uint8Array | undefined> {
  const reply = await request(from, to, message(GET_VALUE, key))
  const record = fields(reply).get(3)
  return record == null ? undefined : Libp2pRecord.deserialize(record).value
}
