/** Two in-memory RpcLinks joined back to back, for engine tests (no crypto, no sockets). */
import type { RpcLink } from '../../../src/rpc/index.js'

/** Decides per record whether it is lost: `(from, msgId, data, index) => true` drops it. */
export type DropRule = (from: 'a' | 'b', msgId: bigint, data: Uint8Array, index: number) => boolean

class LinkClosedError extends Error { readonly code = 'ERR_SESSION_CLOSED' }

class MemLink implements RpcLink {
  private ms = 0
  private counter = 0
  peer!: MemLink
  deliver: (msgId: bigint, data: Uint8Array) => void = () => {}
  sent = 0
  constructor (readonly id: string, readonly remoteAddress: string, readonly side: 'a' | 'b', private readonly pair: LinkPair) {}

  nextMsgId (): bigint {
    const now = Date.now()
    if (now > this.ms) { this.ms = now; this.counter = 0 } else if (++this.counter > 0xffff) { this.ms++; this.counter = 0 }
    return (BigInt(this.ms) << 16n) | BigInt(this.counter)
  }

  async send (data: Uint8Array, msgId: bigint): Promise<void> {
    if (this.pair.closed) throw new LinkClosedError('link closed')
    const index = this.sent++
    this.pair.records.push({ from: this.side, msgId, data })
    if (this.pair.drop?.(this.side, msgId, data, index) === true) { this.pair.dropped++; return }
    const copy = data.slice()
    // asynchronous delivery, in order
    setImmediate(() => { if (!this.pair.closed) this.peer.deliver(msgId, copy) })
  }
}

export class LinkPair {
  closed = false
  dropped = 0
  drop?: DropRule
  readonly records: Array<{ from: 'a' | 'b', msgId: bigint, data: Uint8Array }> = []
  readonly a: MemLink
  readonly b: MemLink

  constructor (id = '0011223344556677') {
    this.a = new MemLink(id, 'att:b', 'a', this)
    this.b = new MemLink(id, 'att:a', 'b', this)
    this.a.peer = this.b
    this.b.peer = this.a
  }

  close (): void { this.closed = true }
}

/** Resolves once `cond()` holds, polling each macrotask; rejects after `ms` (a generous deadline). */
export async function until (cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 1))
  }
}
