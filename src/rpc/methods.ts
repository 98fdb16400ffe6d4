import { MAX_METHOD_LENGTH, METHOD_NAME_PATTERN } from './constants.js'

/** What a handler learns about the call it serves. */
export interface RpcHandlerContext {
  readonly method: string
  /** ATT address of the caller (the link's remoteAddress). */
  readonly remoteAddress: string
  /** Session id (hex) the call arrived on. */
  readonly sessionId: string
  /** Node key (compressed, 33 bytes) of the calling device, when the link knows it: tells devices of one identity apart. */
  readonly remoteDevice?: Uint8Array
  /** Where the call came from on the network (remote IP, else libp2p peer id), when known: for per-source limits. */
  readonly remoteSource?: string
  /** msg_id of the Call. */
  readonly msgId: bigint
  /** Aborted when the handler times out, the link closes or the engine stops. */
  readonly signal: AbortSignal
}

/** Serves one method. Return the result bytes; throw PublicRpcError to send a code/message to the caller. */
export type RpcHandler = (params: Uint8Array, ctx: RpcHandlerContext) => Promise<Uint8Array> | Uint8Array

export interface RpcHandleOptions {
  /** Handler timeout in ms (callee side; the caller receives TIMEOUT). Default DEFAULT_HANDLER_TIMEOUT_MS. */
  timeout?: number
  /** Calls of this method running at once, over all links. Default unlimited. */
  maxConcurrent?: number
  /** Calls waiting (state `received`) when maxConcurrent are running; beyond → OVERLOADED. Default 0. */
  maxQueued?: number
}

/** A call accepted but waiting for a handler slot. */
export interface QueuedCall { start: () => void, dropped: () => boolean }

export class MethodEntry {
  running = 0
  readonly queue: QueuedCall[] = []
  constructor (readonly name: string, readonly handler: RpcHandler, readonly timeout: number,
    readonly maxConcurrent: number, readonly maxQueued: number) {}
}

export function isValidMethodName (method: string): boolean {
  // the pattern admits ASCII only, so the length in UTF-16 units is the length in bytes when it matches
  return method.length <= MAX_METHOD_LENGTH && METHOD_NAME_PATTERN.test(method)
}

/** Registered handlers by method name. */
export class MethodTable {
  private readonly methods = new Map<string, MethodEntry>()

  set (entry: MethodEntry): void { this.methods.set(entry.name, entry) }
  get (name: string): MethodEntry | undefined { return this.methods.get(name) }
  delete (name: string): boolean { return this.methods.delete(name) }
  names (): string[] { return [...this.methods.keys()].sort() }

  get queued (): number {
    let n = 0
    for (const m of this.methods.values()) n += m.queue.length
    return n
  }
}
