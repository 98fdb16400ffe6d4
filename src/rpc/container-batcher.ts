import { MAX_CONTAINER_ITEMS, MAX_MESSAGE_BYTES, CONTAINER_ITEM_OVERHEAD, CONTAINER_OVERHEAD } from './constants.js'
import { encodeContainer } from './codec.js'

/** One message waiting to leave on a link. */
export interface OutItem {
  /** Fixed msg_id (content messages, StatusQuery, resends); undefined → allocated when sent. */
  msgId?: bigint
  /** One encoded RpcMessage (never a Container). */
  body: Uint8Array
  /** Set when the item is a Call: lets a NewSalt for the record find the calls it carried. */
  callId?: bigint
}

export interface BatcherHooks {
  nextMsgId: () => bigint
  /** Called for every record, in msg_id order; must not throw. */
  send: (data: Uint8Array, msgId: bigint, callIds: bigint[], items: number, container: boolean) => void
  /** Extra items to piggyback at flush time (pending acks). */
  drainExtra: () => Uint8Array[]
  /** Largest record data the link's current carrier takes (a UDP datagram), when below MAX_MESSAGE_BYTES. */
  maxRecordData?: () => number | undefined
}

/**
 * Per-link outgoing queue. Everything queued during one event-loop turn leaves at the next
 * `setImmediate` in as few records as possible (protocols/attnproto.md Part 5 §5):
 * - one item alone goes bare when its msg_id may be the record's msg_id, i.e. it is larger than
 *   every record msg_id already sent on the link (record ids must strictly increase); otherwise
 *   (a resend, a reply to an old call) it goes in a one-item Container with a fresh record id;
 * - several items go in Containers of at most MAX_CONTAINER_ITEMS items and MAX_MESSAGE_BYTES.
 */
export class ContainerBatcher {
  private queue: OutItem[] = []
  private immediate?: NodeJS.Immediate
  /** Largest record msg_id sent on the link so far. */
  lastRecordId = 0n

  constructor (private readonly hooks: BatcherHooks) {}

  get queued (): number { return this.queue.length }

  push (item: OutItem): void {
    this.queue.push(item)
    this.schedule()
  }

  schedule (): void {
    this.immediate ??= setImmediate(() => { this.immediate = undefined; this.flush() })
  }

  clear (): void {
    this.queue = []
    if (this.immediate != null) clearImmediate(this.immediate)
    this.immediate = undefined
  }

  flush (): void {
    // no spread, map or slice per flush: the items are walked by index ranges
    const extra = this.hooks.drainExtra()
    const queue = this.queue
    this.queue = []
    let items: OutItem[] = queue
    if (extra.length > 0) {
      items = new Array<OutItem>(extra.length + queue.length)
      let k = 0
      for (const body of extra) items[k++] = { body }
      for (const it of queue) items[k++] = it
    }
    // a datagram carrier takes smaller records: containers are cut to fit (one item too large still goes alone)
    const max = Math.min(MAX_MESSAGE_BYTES, this.hooks.maxRecordData?.() ?? MAX_MESSAGE_BYTES)
    let i = 0
    while (i < items.length) {
      let bytes = 0
      let j = i
      while (j < items.length && j - i < MAX_CONTAINER_ITEMS) {
        const next = bytes + items[j].body.byteLength
        if (j > i && CONTAINER_OVERHEAD + next + (j - i + 1) * CONTAINER_ITEM_OVERHEAD > max) break
        bytes = next
        j++
      }
      this.sendBatch(items, i, j)
      i = j
    }
  }

  /** Sends items[from..to) as one record. */
  private sendBatch (items: OutItem[], from: number, to: number): void {
    const callIds: bigint[] = []
    for (let k = from; k < to; k++) {
      const id = items[k].callId
      if (id != null) callIds.push(id)
    }
    if (to - from === 1) {
      const it = items[from]
      if (it.msgId == null || it.msgId > this.lastRecordId) {
        const id = it.msgId ?? this.hooks.nextMsgId()
        this.lastRecordId = id
        this.hooks.send(it.body, id, callIds, 1, false)
        return
      }
    }
    const entries = new Array<{ msgId: bigint, body: Uint8Array }>(to - from)
    for (let k = from; k < to; k++) entries[k - from] = { msgId: items[k].msgId ?? this.hooks.nextMsgId(), body: items[k].body }
    const id = this.hooks.nextMsgId()
    this.lastRecordId = id
    this.hooks.send(encodeContainer(entries), id, callIds, to - from, true)
  }
}
