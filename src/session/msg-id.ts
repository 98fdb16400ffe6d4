import { MSG_ID_COUNTER_BITS } from './constants.js'
import { InvalidRecordFieldError } from './errors.js'

const COUNTER_MAX = (1 << MSG_ID_COUNTER_BITS) - 1
const SHIFT = BigInt(MSG_ID_COUNTER_BITS)
/** Largest msg_id time we generate/accept as a uint64 (ms fits 48 bits). */
const MAX_MS = 2 ** 48 - 1

/** The unix-ms time part of a msg_id. */
export function msgIdTimeMs (msgId: bigint): number {
  return Number(msgId >> SHIFT)
}

/** The 16-bit counter part of a msg_id. */
export function msgIdCounter (msgId: bigint): number {
  return Number(msgId & BigInt(COUNTER_MAX))
}

/** Builds (unixMs << 16) | counter. */
export function makeMsgId (unixMs: number, counter = 0): bigint {
  return (BigInt(unixMs) << SHIFT) | BigInt(counter)
}

/**
 * Generates strictly increasing msg_ids `(unix_ms << 16) | counter16` per instance.
 * The counter restarts at 0 each new millisecond; when it would pass 0xffff the next
 * millisecond is borrowed; if the clock goes backwards ids keep increasing from the last one.
 */
export class MsgIdGenerator {
  private ms: number
  private counter: number

  /** `last` resumes after a previously issued msg_id (e.g. from persisted state). */
  constructor (last?: bigint) {
    if (last == null) {
      this.ms = -1
      this.counter = COUNTER_MAX
    } else {
      if (last < 0n || last >= (1n << 64n)) throw new InvalidRecordFieldError('msg_id out of uint64 range')
      this.ms = msgIdTimeMs(last)
      this.counter = msgIdCounter(last)
    }
  }

  /** The last msg_id issued, or undefined if none yet. */
  get last (): bigint | undefined {
    return this.ms < 0 ? undefined : makeMsgId(this.ms, this.counter)
  }

  next (nowMs: number = Date.now()): bigint {
    const now = Math.floor(nowMs)
    if (!(now >= 0 && now <= MAX_MS)) throw new InvalidRecordFieldError(`clock value ${nowMs} out of range`)
    if (now > this.ms) {
      this.ms = now
      this.counter = 0
    } else if (this.counter < COUNTER_MAX) {
      this.counter++
    } else {
      this.ms++
      this.counter = 0
    }
    return makeMsgId(this.ms, this.counter)
  }
}
