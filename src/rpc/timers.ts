/** A timer armed by `Timers.set`; pass it back to `Timers.clear`. */
export interface TimerHandle {
  /** Due time (performance.now() ms). */
  readonly at: number
  readonly fn: () => void
  /** The list it waits in; undefined once fired or cleared. */
  list?: TimerList
  prev?: TimerHandle
  next?: TimerHandle
}

interface TimerList {
  readonly ms: number
  head?: TimerHandle
  tail?: TimerHandle
  /** The one node timer of the list, armed for a time ≤ the head's due time (or stale: it then finds nothing due). */
  timer?: NodeJS.Timeout
}

/** Largest delay node's setTimeout takes (longer ones are re-armed when this fires). */
const MAX_NODE_DELAY_MS = 2 ** 31 - 1
/** A node timer may fire up to ~1 ms before our clock says the head is due. */
const EARLY_FIRE_TOLERANCE_MS = 1

/**
 * setTimeout/clearTimeout for the RPC hot path (several timers per call: deadline, resend, handler
 * timeout, ack delay). Timers of equal delay wait in one linked list in due order, behind one node
 * timer per delay: `set` appends a small object, `clear` unlinks it, and the node timer is only
 * re-armed when it fires — no node Timeout, closure or Set entry per call. It also counts live
 * timers, so tests can prove nothing leaks.
 */
export class Timers {
  private readonly lists = new Map<number, TimerList>()
  private live = 0

  get active (): number { return this.live }

  set (fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
    let list = this.lists.get(delay)
    if (list == null) {
      list = { ms: delay }
      this.lists.set(delay, list)
    }
    const h: TimerHandle = { at: performance.now() + delay, fn, list, prev: list.tail, next: undefined }
    if (list.tail != null) list.tail.next = h
    else list.head = h
    list.tail = h
    this.live++
    if (list.timer == null) this.arm(list, delay)
    return h
  }

  /** Clears `t` if given; returns undefined so callers can write `x.timer = timers.clear(x.timer)`. */
  clear (t: TimerHandle | undefined): undefined {
    if (t?.list != null) {
      const list = t.list
      // the node timer stays armed even when its list empties: it finds nothing due when it fires
      // (un/ref-ing it at every call toggles libuv's handle through C++ and cost more than the timer)
      this.unlink(list, t)
    }
    return undefined
  }

  /** Drops every timer and node timer (engine stopped): nothing fires later or holds the process. */
  stop (): void {
    for (const list of this.lists.values()) {
      if (list.timer != null) clearTimeout(list.timer)
      list.timer = undefined
      for (let h = list.head; h != null; h = list.head) this.unlink(list, h)
    }
    this.lists.clear()
  }

  private unlink (list: TimerList, t: TimerHandle): void {
    if (t.prev != null) t.prev.next = t.next
    else list.head = t.next
    if (t.next != null) t.next.prev = t.prev
    else list.tail = t.prev
    t.list = undefined
    t.prev = undefined
    t.next = undefined
    this.live--
  }

  private arm (list: TimerList, delay: number): void {
    list.timer = setTimeout(() => { this.fire(list) }, Math.min(Math.max(0, delay), MAX_NODE_DELAY_MS))
  }

  private fire (list: TimerList): void {
    list.timer = undefined
    const now = performance.now()
    // only what was due when the timer fired: a callback arming a 0 ms timer waits for the next turn
    const last = list.tail
    try {
      let h = list.head
      while (h != null && h.at <= now + EARLY_FIRE_TOLERANCE_MS) {
        const fn = h.fn
        const stop = h === last
        this.unlink(list, h)
        fn()
        if (stop) break
        h = list.head
      }
    } finally {
      // re-armed even if a callback threw, so the timers behind it still fire
      if (list.timer == null) {
        if (list.head != null) this.arm(list, list.head.at - performance.now())
        else if (this.lists.get(list.ms) === list) this.lists.delete(list.ms) // bounded by the delays in use
      }
    }
  }
}
