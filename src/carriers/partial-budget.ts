import { FrameBufferFullError } from './errors.js'

/** A channel holding bytes of a partially received frame. */
export interface PartialHolder {
  readonly connectionId: string
  /** When the oldest byte still buffered arrived (ms, performance clock or Date). */
  readonly partialSince: number
  /** Resets the channel (releasing its bytes through `set(holder, 0)`). */
  dropPartial(err: Error): void
}

/**
 * Memory budget for partially received frames, per connection and node-wide (attnproto.md
 * Part 2 §2). Complete frames are handed on at once; only incomplete ones are held, so a peer
 * that opens many streams and sends half a large frame on each is bounded here.
 */
export class PartialFrameBudget {
  private readonly bytes = new Map<PartialHolder, number>()
  private readonly perConnection = new Map<string, number>()
  private held = 0

  constructor (readonly maxTotal: number, readonly maxPerConnection: number) {}

  get total (): number { return this.held }
  get holders (): number { return this.bytes.size }

  /**
   * Records that `holder` now buffers `bytes` of an incomplete frame, then enforces the limits:
   * over the connection limit, `holder` itself is dropped; over the node-wide limit, the oldest
   * partial frames are dropped first (legitimate frames complete quickly; stalled ones age).
   */
  set (holder: PartialHolder, bytes: number): void {
    const delta = bytes - (this.bytes.get(holder) ?? 0)
    if (delta === 0) return
    if (bytes === 0) this.bytes.delete(holder)
    else this.bytes.set(holder, bytes)
    this.held += delta
    const conn = (this.perConnection.get(holder.connectionId) ?? 0) + delta
    if (conn <= 0) this.perConnection.delete(holder.connectionId)
    else this.perConnection.set(holder.connectionId, conn)
    if (delta < 0) return

    if (conn > this.maxPerConnection) {
      this.drop(holder, new FrameBufferFullError('connection', this.maxPerConnection))
      return
    }
    while (this.held > this.maxTotal && this.bytes.size > 0) {
      let oldest: PartialHolder | undefined
      for (const h of this.bytes.keys()) if (oldest == null || h.partialSince < oldest.partialSince) oldest = h
      this.drop(oldest as PartialHolder, new FrameBufferFullError('node', this.maxTotal))
    }
  }

  private drop (holder: PartialHolder, err: Error): void {
    holder.dropPartial(err)
    // a holder that did not release its bytes while closing is released here, so the loop ends
    if (this.bytes.has(holder)) this.set(holder, 0)
  }
}
