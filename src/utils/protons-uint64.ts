/**
 * Works around a protons-runtime 8.0.1 encoder bug: `Writer.uint64(v)` writes garbage for
 * 2^31 ≤ v < 2^32 (LongBits keeps the low word signed, so the varint loop never runs: 2^31
 * encodes as `00 00 00 00 00` and decodes as 0). Found by the decoder fuzzer (round trip of an
 * Ack); it would bite directory `expires_at` after 2038-01-19 and echoes of peer-chosen ids
 * (Pong). Those values are written through `uint64Number`, which is exact below 2^53.
 * Imported for its side effect by every module that encodes protobufs with uint64 fields.
 */
import { writer } from 'protons-runtime'

const TWO_31 = 2n ** 31n
const TWO_32 = 2n ** 32n

interface Uint64Writer { uint64: (v: bigint) => unknown, uint64Number: (v: number) => unknown }
const proto = Object.getPrototypeOf(writer()) as Uint64Writer
const original = proto.uint64
if ((proto as { attnUint64Patched?: boolean }).attnUint64Patched !== true) {
  proto.uint64 = function (this: Uint64Writer, value: bigint) {
    return value >= TWO_31 && value < TWO_32 ? this.uint64Number(Number(value)) : original.call(this, value)
  }
  ;(proto as { attnUint64Patched?: boolean }).attnUint64Patched = true
}
