/** setTimeout/clearTimeout that keep the set of live timers, so tests can prove nothing leaks. */
export class Timers {
  private readonly live = new Set<NodeJS.Timeout>()

  get active (): number { return this.live.size }

  set (fn: () => void, ms: number): NodeJS.Timeout {
    const t: NodeJS.Timeout = setTimeout(() => { this.live.delete(t); fn() }, ms)
    this.live.add(t)
    return t
  }

  /** Clears `t` if given; returns undefined so callers can write `x.timer = timers.clear(x.timer)`. */
  clear (t: NodeJS.Timeout | undefined): undefined {
    if (t != null) {
      this.live.delete(t)
      clearTimeout(t)
    }
    return undefined
  }
}
