import { REPLAY_WINDOW_SIZE } from './constants.js'
import { MsgIdOrderError, ReplayError, ReplayWindowError } from './errors.js'

const WORDS = REPLAY_WINDOW_SIZE >>> 5
const MASK = REPLAY_WINDOW_SIZE - 1

/**
 * Receive-side replay protection for one direction of one session (protocols/attnproto.md Part 4 §7).
 *
 * - seq_no: RFC 4303/6479-style sliding window of REPLAY_WINDOW_SIZE bits, a ring indexed by
 *   seq_no mod size, anchored at the highest accepted seq_no `top`. seq_no > top advances the
 *   window; top − size < seq_no ≤ top is accepted once; anything lower is refused.
 * - msg_id: the sender issues msg_id and seq_no both strictly increasing, so accepted frames
 *   must be co-monotone with the top frame: a frame that advances top needs msg_id > top's
 *   msg_id, an in-window frame needs msg_id < top's msg_id. With the seq_no bitmap this makes
 *   an exact or altered replay of any tracked frame fail, and no frame may reuse top's msg_id.
 *
 * The bitmap (128 bytes) is allocated on the first frame; `check` never mutates, `accept` commits.
 */
export class ReplayWindow {
  /** Highest accepted seq_no, −1 before the first frame. */
  top = -1
  /** msg_id of the frame with seq_no `top`. */
  topMsgId = 0n
  private bits: Uint32Array | null = null
  /** Storage for the bitmap handed in by the owner (zeroed), used on the first frame. */
  private readonly storage?: Uint32Array

  constructor (storage?: Uint32Array) {
    if (storage != null && storage.length !== WORDS) throw new RangeError(`replay bitmap storage must be ${WORDS} words`)
    this.storage = storage
  }

  /** Throws ReplayError / ReplayWindowError / MsgIdOrderError if (seqNo, msgId) must be refused. */
  check (seqNo: number, msgId: bigint): void {
    const top = this.top
    if (top < 0) return
    if (seqNo > top) {
      if (msgId <= this.topMsgId) throw new MsgIdOrderError(msgId)
      return
    }
    if (seqNo === top) throw new ReplayError(seqNo)
    if (top - seqNo >= REPLAY_WINDOW_SIZE) throw new ReplayWindowError(seqNo)
    const i = seqNo & MASK
    if (this.bits !== null && (this.bits[i >>> 5] & (1 << (i & 31))) !== 0) throw new ReplayError(seqNo)
    if (msgId >= this.topMsgId) throw new MsgIdOrderError(msgId)
  }

  /** Records (seqNo, msgId) as received; call only after `check` passed and the frame is accepted. */
  accept (seqNo: number, msgId: bigint): void {
    let bits = this.bits
    if (bits === null) bits = this.bits = this.storage ?? new Uint32Array(WORDS)
    const top = this.top
    if (seqNo > top) {
      if (top < 0 || seqNo - top >= REPLAY_WINDOW_SIZE) {
        bits.fill(0)
      } else {
        for (let s = top + 1; s < seqNo; s++) {
          const j = s & MASK
          bits[j >>> 5] &= ~(1 << (j & 31))
        }
      }
      this.top = seqNo
      this.topMsgId = msgId
    }
    const i = seqNo & MASK
    bits[i >>> 5] |= 1 << (i & 31)
  }

  /** The bitmap as REPLAY_WINDOW_SIZE/8 bytes (little-endian words), for persistence. */
  bitmapBytes (): Uint8Array {
    const out = new Uint8Array(REPLAY_WINDOW_SIZE >>> 3)
    if (this.bits !== null) {
      const dv = new DataView(out.buffer)
      for (let w = 0; w < WORDS; w++) dv.setUint32(w * 4, this.bits[w], true)
    }
    return out
  }

  /** Restores a window saved with `top`, `topMsgId` and `bitmapBytes()`. */
  static restore (top: number, topMsgId: bigint, bitmap: Uint8Array): ReplayWindow {
    const w = new ReplayWindow()
    w.top = top
    w.topMsgId = topMsgId
    if (top >= 0) {
      const bits = new Uint32Array(WORDS)
      const dv = new DataView(bitmap.buffer, bitmap.byteOffset, bitmap.byteLength)
      for (let i = 0; i < WORDS; i++) bits[i] = dv.getUint32(i * 4, true)
      w.bits = bits
    }
    return w
  }
}
