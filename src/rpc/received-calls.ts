import { STATUS_DONE, STATUS_FAILED, STATUS_PROCESSING, STATUS_RECEIVED, STATUS_UNKNOWN } from './constants.js'
import type { TimerHandle } from './timers.js'

export type ReceivedState = 'received' | 'processing' | 'done' | 'failed'

/** What the callee remembers about one received Call (keyed by the Call's msg_id). */
export interface ReceivedEntry {
  readonly msgId: bigint
  state: ReceivedState
  readonly at: number
  /** Encoded Reply (RpcMessage) while it may still be needed; dropped once the caller acks it. */
  reply?: Uint8Array
  replyMsgId?: bigint
  /** The handler's abort signal, made when the handler first reads it (call-context.ts). */
  controller?: AbortController
  /** Set once the call was aborted (handler timeout, link closed), with the reason given to the signal. */
  aborted?: boolean
  abortReason?: Error
  /** While running: ends the call when it is aborted. */
  onAbort?: () => void
  timer?: TimerHandle
}

const STATE_BYTE: Record<ReceivedState, number> = {
  received: STATUS_RECEIVED, processing: STATUS_PROCESSING, done: STATUS_DONE, failed: STATUS_FAILED
}

/**
 * Dedup cache of one link's received calls and their replies (protocols/attnproto.md Part 5 §3).
 * Bounded by entry count, by cached reply bytes and by age; an entry still received/processing is
 * never evicted (those are bounded by the engine's maxIncoming). Eviction is lazy, on insert.
 */
export class ReceivedCalls {
  private readonly entries = new Map<bigint, ReceivedEntry>()
  private readonly byReplyId = new Map<bigint, bigint>()
  private replyBytes = 0
  /**
   * Entries in insertion order from `head` (entries removed meanwhile stay until they reach the head):
   * eviction walks this instead of iterating the Map from its start, which costs an iterator and a
   * walk over the holes V8 leaves for deleted entries, twice per received call.
   */
  private order: ReceivedEntry[] = []
  private head = 0
  private requeued = 0

  constructor (private readonly maxEntries: number, private readonly maxBytes: number, private readonly ttlMs: number,
    private readonly now: () => number) {}

  get size (): number { return this.entries.size }
  get bytes (): number { return this.replyBytes }

  get (msgId: bigint): ReceivedEntry | undefined {
    const e = this.entries.get(msgId)
    if (e != null && this.expired(e) && !active(e)) { this.remove(e); return undefined }
    return e
  }

  add (msgId: bigint): ReceivedEntry {
    // every field up front: one object shape (fields added later cost a shape transition each, on the hot path)
    const e: ReceivedEntry = {
      msgId, state: 'received', at: this.now(), reply: undefined, replyMsgId: undefined, controller: undefined,
      aborted: false, abortReason: undefined, onAbort: undefined, timer: undefined
    }
    this.entries.set(msgId, e)
    this.order.push(e)
    this.evict()
    return e
  }

  /** Records the outcome and the encoded Reply to replay for duplicates. */
  complete (e: ReceivedEntry, failed: boolean, reply: Uint8Array, replyMsgId: bigint): void {
    e.state = failed ? 'failed' : 'done'
    e.reply = reply
    e.replyMsgId = replyMsgId
    this.replyBytes += reply.byteLength
    this.byReplyId.set(replyMsgId, e.msgId)
    this.evict()
  }

  /** The caller acknowledged our Reply: it no longer needs replaying, keep only the state. Returns false if unknown. */
  replyAcked (replyMsgId: bigint): boolean {
    const callId = this.byReplyId.get(replyMsgId)
    if (callId == null) return false
    this.byReplyId.delete(replyMsgId)
    const e = this.entries.get(callId)
    if (e?.reply != null) { this.replyBytes -= e.reply.byteLength; e.reply = undefined }
    return true
  }

  /** StatusInfo byte for `msgId`. */
  status (msgId: bigint): number {
    const e = this.get(msgId)
    return e == null ? STATUS_UNKNOWN : STATE_BYTE[e.state]
  }

  /** Entries still queued or running. */
  active (): ReceivedEntry[] {
    return [...this.entries.values()].filter(active)
  }

  clear (): void {
    this.order = []
    this.head = 0
    this.entries.clear()
    this.byReplyId.clear()
    this.replyBytes = 0
  }

  private expired (e: ReceivedEntry): boolean {
    return this.now() - e.at > this.ttlMs
  }

  private remove (e: ReceivedEntry): void {
    this.entries.delete(e.msgId)
    if (e.replyMsgId != null) this.byReplyId.delete(e.replyMsgId)
    if (e.reply != null) this.replyBytes -= e.reply.byteLength
  }

  /**
   * Oldest first: removes entries while over a bound or expired. A running one is never removed: it
   * goes back to the end of the order (so the walk never stalls behind it) and is evicted once done.
   */
  private evict (): void {
    let order = this.order
    while (this.head < order.length) {
      const e = order[this.head]
      if (this.entries.get(e.msgId) === e) {
        const over = this.entries.size > this.maxEntries || this.replyBytes > this.maxBytes
        if (!over && !this.expired(e)) break
        if (active(e)) {
          // a running entry is bounded by maxIncoming: at most that many pass here per walk
          if (this.requeued++ > this.entries.size) break
          order.push(e)
        } else {
          this.remove(e)
        }
      }
      this.head++
      if (this.head > 1024 && this.head * 2 > order.length) {
        order = this.order = order.slice(this.head)
        this.head = 0
      }
    }
    this.requeued = 0
  }
}

function active (e: ReceivedEntry): boolean {
  return e.state === 'received' || e.state === 'processing'
}
