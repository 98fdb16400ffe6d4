/**
 * ATT RPC layer (L7): calls, replies, acknowledgements, status queries, containers and resends
 * over one established ATTNProto session, as specified in protocols/attnproto.md Part 5.
 *
 * The engine owns no sockets. The session layer hands it every authenticated record
 * (`handleRecord`) and gives it an `RpcLink` to send records on.
 *
 * @example
 * ```ts
 * const engine = new RpcEngine({ info: () => ({ address: myAddress, version: '0.1.0' }) })
 * engine.handle('echo', params => params)
 * session.onRecord = (msgId, data) => { engine.handleRecord(link, msgId, data) }
 * const result = await engine.call(link, 'echo', new TextEncoder().encode('hi'), { timeout: 5_000 })
 * ```
 */

/** One established session as the RPC layer sees it. */
export interface RpcLink {
  readonly id: string // session id hex
  readonly remoteAddress: string // ATT address of the peer
  /** Node key of the device at the other end (handler context `remoteDevice`). */
  readonly remoteDevice?: Uint8Array
  /** Network origin of the latest record (handler context `remoteSource`). */
  remoteSource?(): string | undefined
  /** Allocates the next msg_id of this session (strictly increasing). */
  nextMsgId(): bigint
  /** Seals `data` as one record with this msg_id and sends it on any live carrier. Rejects with a typed error if the session is closed. */
  send(data: Uint8Array, msgId: bigint, options?: { signal?: AbortSignal, resend?: boolean }): Promise<void>
  /**
   * `send` at once when the carrier allows it (no promise per record): false → not applicable, use
   * `send`; true → sent; a promise → sending failed once and is retried (rejects like `send`).
   */
  sendNow?(data: Uint8Array, msgId: bigint): boolean | Promise<void>
  /** Largest record data the session's current carrier takes, when limited (UDP); containers are cut to fit. */
  maxRecordData?(): number | undefined
}

export { RpcEngine } from './rpc-engine.js'
export type { RpcEngineInit, RpcCallOptions, RpcStats, RpcStatus } from './rpc-engine.js'
export type { RpcHandler, RpcHandlerContext, RpcHandleOptions } from './methods.js'
export { CallTiming, CALL_TIMING_BUCKETS_S } from './call-timing.js'
export type { CallTimingSeries, CallDirection } from './call-timing.js'
export { encodeRpcMessage, decodeRpcMessage, encodeInfo, decodeInfo, isContentKind } from './codec.js'
export type { RpcMessage, RpcBody, RpcContainerItem, RpcInfo, RpcKind, RpcWireError } from './codec.js'
export {
  AttnRpcError, PublicRpcError, RpcUnknownMethodError, RpcHandlerError, RpcTimeoutError, RpcAbortedError,
  RpcTooLargeError, RpcSessionClosedError, RpcUnreachableError, RpcBadRequestError, RpcOverloadedError, RpcStoppedError, RpcRemoteError,
  RpcDecodeError, RpcMalformedError, RpcUnknownKindError, RpcMultipleKindsError, RpcNestedContainerError,
  RpcTooManyItemsError, RpcFieldTooLargeError, RpcInvalidFieldError
} from './errors.js'
export * as RPC_LIMITS from './constants.js'
