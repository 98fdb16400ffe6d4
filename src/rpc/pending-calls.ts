import type { TimerHandle } from './timers.js'

/** An outgoing call waiting for its Reply (protocols/attnproto.md Part 5 §3). */
export interface PendingCall {
  readonly msgId: bigint
  readonly method: string
  /** Encoded RpcMessage{call}: resent unchanged, under the same msg_id, inside a fresh record. */
  readonly body: Uint8Array
  /** An Ack, a StatusInfo received/processing, or any reply-less sign of receipt arrived. */
  acked: boolean
  /** Current resend (or, once acked, probe) interval. */
  backoff: number
  timer?: TimerHandle
  /** Sent again after a timeout: the link may route the next record carrying it over another carrier. */
  resent?: boolean
  resolve: (result: Uint8Array) => void
  reject: (err: Error) => void
}

interface Waiter { grant: () => void, fail: () => void }

/**
 * In-flight slots of one link: at most `max` calls pending; further callers wait FIFO.
 * `acquire` hands back a cancel function for callers that give up (abort/timeout) while waiting.
 */
export class SlotQueue {
  private used = 0
  private readonly waiters: Waiter[] = []

  constructor (private readonly max: number) {}

  get inUse (): number { return this.used }
  get waiting (): number { return this.waiters.length }

  /** Calls `grant` now or when a slot frees (or `fail` from failAll); returns a function removing the waiter. */
  acquire (grant: () => void, fail: () => void): () => void {
    if (this.used < this.max && this.waiters.length === 0) {
      this.used++
      grant()
      return () => {}
    }
    const w: Waiter = { grant, fail }
    this.waiters.push(w)
    return () => {
      const i = this.waiters.indexOf(w)
      if (i >= 0) this.waiters.splice(i, 1)
    }
  }

  release (): void {
    const w = this.waiters.shift()
    if (w != null) w.grant()
    else this.used--
  }

  /** Fails every waiter (link closed, engine stopped). */
  failAll (): void {
    const ws = this.waiters.splice(0)
    for (const w of ws) w.fail()
  }
}
