import { AttnError } from '../errors.js'

// ---------------------------------------------------------------------------
// Decode errors (codec.ts): a received RpcMessage is rejected, never partially used.
// ---------------------------------------------------------------------------

/** Base of every error `decodeRpcMessage` throws. Codes are stable (protocols/attnproto.md Part 5 §7). */
export class RpcDecodeError extends AttnError {}

/** Not a valid protobuf encoding (truncated varint, bad wire type, length past the end …). */
export class RpcMalformedError extends RpcDecodeError {
  constructor (detail: string) { super(`malformed RpcMessage: ${detail}`, 'ERR_RPC_MALFORMED') }
}
/** No kind this implementation knows is set (a newer peer, or garbage that parsed). */
export class RpcUnknownKindError extends RpcDecodeError {
  constructor () { super('RpcMessage carries no known kind', 'ERR_RPC_UNKNOWN_KIND') }
}
/** More than one kind is set. */
export class RpcMultipleKindsError extends RpcDecodeError {
  constructor (kinds: string[]) { super(`RpcMessage carries several kinds: ${kinds.join(', ')}`, 'ERR_RPC_MULTIPLE_KINDS') }
}
/** A container item's body is itself a Container. */
export class RpcNestedContainerError extends RpcDecodeError {
  constructor () { super('a Container may not hold a Container', 'ERR_RPC_NESTED_CONTAINER') }
}
/** A repeated field has more elements than its limit. */
export class RpcTooManyItemsError extends RpcDecodeError {
  constructor (field: string) { super(`${field} has more elements than its limit`, 'ERR_RPC_TOO_MANY_ITEMS') }
}
/** A field (or the whole message) is longer than its limit. */
export class RpcFieldTooLargeError extends RpcDecodeError {
  constructor (field: string, length: number, max: number) { super(`${field} of ${length} bytes exceeds ${max}`, 'ERR_RPC_FIELD_TOO_LARGE') }
}
/** A field violates a rule of protocols/attnproto.md Part 5 (salt length, states/msg_ids mismatch, reply without outcome …). */
export class RpcInvalidFieldError extends RpcDecodeError {
  constructor (detail: string) { super(`invalid RpcMessage: ${detail}`, 'ERR_RPC_INVALID_FIELD') }
}

// ---------------------------------------------------------------------------
// Errors a caller sees (protocols/attnproto.md Part 5 §8). `code` is the wire code of Reply.error.code.
// ---------------------------------------------------------------------------

/** Base of every error `RpcEngine.call`/`queryStatus`/`ping` rejects with. */
export class AttnRpcError extends AttnError {
  /** True when the peer reported the error in a Reply; false when it arose locally. */
  readonly remote: boolean
  constructor (message: string, code: string, remote = false, options?: ErrorOptions) {
    super(message, code, options)
    this.remote = remote
  }
}

/** The peer has no handler for the method. */
export class RpcUnknownMethodError extends AttnRpcError {
  constructor (message = 'unknown method', remote = false) { super(message, 'UNKNOWN_METHOD', remote) }
}
/** The handler threw; its message is not disclosed (throw a PublicRpcError to disclose one). */
export class RpcHandlerError extends AttnRpcError {
  constructor (message = 'handler error', remote = false) { super(message, 'HANDLER_ERROR', remote) }
}
/** No Reply before the deadline (local), or the callee's handler timed out (remote). */
export class RpcTimeoutError extends AttnRpcError {
  constructor (message = 'rpc timed out', remote = false) { super(message, 'TIMEOUT', remote) }
}
/** The caller's AbortSignal fired, or the engine was stopped. */
export class RpcAbortedError extends AttnRpcError {
  constructor (message = 'rpc aborted', remote = false) { super(message, 'ABORTED', remote) }
}
/** Params (local) or the result (remote) exceed MAX_PAYLOAD_BYTES. */
export class RpcTooLargeError extends AttnRpcError {
  constructor (message = 'payload too large', remote = false) { super(message, 'TOO_LARGE', remote) }
}
/** The link closed before the Reply arrived, or the link is already closed. */
export class RpcSessionClosedError extends AttnRpcError {
  constructor (message = 'session closed', remote = false) { super(message, 'SESSION_CLOSED', remote) }
}
/** No session could be set up with the target (dial or handshake failed). */
export class RpcUnreachableError extends AttnRpcError {
  constructor (message = 'peer unreachable', options?: ErrorOptions) {
    super(message, 'UNREACHABLE', false, options)
  }
}
/** The request is malformed: bad method name, or params the handler could not decode. */
export class RpcBadRequestError extends AttnRpcError {
  constructor (message = 'bad request', remote = false) { super(message, 'BAD_REQUEST', remote) }
}
/** The callee refused the call: handler or link concurrency limit reached. */
export class RpcOverloadedError extends AttnRpcError {
  constructor (message = 'overloaded', remote = false) { super(message, 'OVERLOADED', remote) }
}
/** The engine is stopped. */
export class RpcStoppedError extends AttnRpcError {
  constructor () { super('rpc engine is stopped', 'STOPPED') }
}
/** A remote error whose code is not one of the above (an application code from a PublicRpcError). */
export class RpcRemoteError extends AttnRpcError {
  constructor (code: string, message: string) { super(message, code, true) }
}

/**
 * Thrown by a handler to send `code` and `message` to the caller verbatim
 * (any other exception becomes HANDLER_ERROR with a generic message).
 * `code` must match ERROR_CODE_PATTERN; e.g. `new PublicRpcError('NOT_FOUND', 'no such mailbox')`.
 * Throw `new PublicRpcError('BAD_REQUEST', …)` when params cannot be decoded.
 */
export class PublicRpcError extends AttnRpcError {
  constructor (code: string, message: string) { super(message, code) }
}

/** Maps a Reply.error back to the class of its code (unknown codes → RpcRemoteError). */
export function remoteError (code: string, message: string): AttnRpcError {
  switch (code) {
    case 'UNKNOWN_METHOD': return new RpcUnknownMethodError(message, true)
    case 'HANDLER_ERROR': return new RpcHandlerError(message, true)
    case 'TIMEOUT': return new RpcTimeoutError(message, true)
    case 'ABORTED': return new RpcAbortedError(message, true)
    case 'TOO_LARGE': return new RpcTooLargeError(message, true)
    case 'SESSION_CLOSED': return new RpcSessionClosedError(message, true)
    case 'BAD_REQUEST': return new RpcBadRequestError(message, true)
    case 'OVERLOADED': return new RpcOverloadedError(message, true)
    default: return new RpcRemoteError(code, message)
  }
}
