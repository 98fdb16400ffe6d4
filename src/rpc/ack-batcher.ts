import { MAX_ACK_IDS } from './constants.js'
import { encodeRpcMessage } from './codec.js'
import type { TimerHandle, Timers } from './timers.js'

/**
 * Collects the msg_ids of received content messages of one link. They leave either piggybacked on
 * the next outgoing record of the link (any flush drains them) or, if nothing else is sent, when the
 * ack delay expires (`onDue` asks the link's batcher to flush). A Reply acknowledges its Call
 * implicitly, so queuing a Reply removes the Call's id (`delete`).
 */
export class AckBatcher {
  private readonly ids = new Set<bigint>()
  private timer?: TimerHandle

  constructor (private readonly delayMs: number, private readonly timers: Timers, private readonly onDue: () => void) {}

  get size (): number { return this.ids.size }

  add (msgId: bigint): void {
    this.ids.add(msgId)
    this.timer ??= this.timers.set(() => { this.timer = undefined; this.onDue() }, this.delayMs)
  }

  delete (msgId: bigint): void {
    this.ids.delete(msgId)
    if (this.ids.size === 0) this.timer = this.timers.clear(this.timer)
  }

  /** Encoded Ack bodies for every pending id (chunks of MAX_ACK_IDS), and forget them. */
  drain (): Uint8Array[] {
    this.timer = this.timers.clear(this.timer)
    if (this.ids.size === 0) return []
    const all = [...this.ids]
    this.ids.clear()
    const out: Uint8Array[] = []
    for (let i = 0; i < all.length; i += MAX_ACK_IDS) {
      out.push(encodeRpcMessage({ kind: 'ack', msgIds: all.slice(i, i + MAX_ACK_IDS) }))
    }
    return out
  }

  clear (): void {
    this.ids.clear()
    this.timer = this.timers.clear(this.timer)
  }
}
