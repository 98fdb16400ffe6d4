import type { RpcHandlerContext } from './methods.js'
import type { ReceivedEntry } from './received-calls.js'

/**
 * The context a handler gets. Its `signal` (an AbortController with an event listener) is made
 * only when the handler reads it: most handlers never do, and a controller per received call was
 * a measurable share of the RPC hot path. An entry aborted before that hands out an aborted signal.
 */
export class CallContext implements RpcHandlerContext {
  constructor (
    readonly method: string,
    readonly remoteAddress: string,
    readonly sessionId: string,
    readonly remoteDevice: Uint8Array | undefined,
    readonly remoteSource: string | undefined,
    readonly msgId: bigint,
    private readonly entry: ReceivedEntry
  ) {}

  get signal (): AbortSignal { return entrySignal(this.entry) }
}

/** The entry's abort signal, made on first use (already aborted if the entry was). */
export function entrySignal (e: ReceivedEntry): AbortSignal {
  if (e.controller == null) {
    e.controller = new AbortController()
    if (e.aborted === true) e.controller.abort(e.abortReason)
  }
  return e.controller.signal
}

/** Aborts a queued or running call: its signal (if handed out) and its engine callback (`onAbort`), once. */
export function abortEntry (e: ReceivedEntry, reason?: Error): void {
  if (e.aborted === true) return
  e.aborted = true
  e.abortReason = reason
  e.controller?.abort(reason)
  const f = e.onAbort
  e.onAbort = undefined
  f?.()
}
