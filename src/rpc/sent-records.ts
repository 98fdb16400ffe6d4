/**
 * record msg_id → the call ids it carried, for the last `max` records (NewSalt.bad_msg_id finds the
 * calls to resend). The oldest is dropped through a ring of ids rather than `keys().next()`, which
 * makes an iterator and walks the holes V8 leaves for deleted entries on every record sent.
 */
export class SentRecords {
  private readonly map = new Map<bigint, bigint[]>()
  private readonly ring: bigint[] = []
  private next = 0

  constructor (private readonly max: number) {}

  get size (): number { return this.map.size }

  /** Record ids strictly increase on a link; an id set twice only replaces its calls. */
  set (msgId: bigint, callIds: bigint[]): void {
    const size = this.map.size
    this.map.set(msgId, callIds)
    if (this.map.size === size) return
    if (this.ring.length < this.max) this.ring.push(msgId)
    else {
      this.map.delete(this.ring[this.next])
      this.ring[this.next] = msgId
      this.next = (this.next + 1) % this.max
    }
  }

  get (msgId: bigint): bigint[] | undefined { return this.map.get(msgId) }

  clear (): void {
    this.map.clear()
    this.ring.length = 0
    this.next = 0
  }
}
