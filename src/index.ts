/**
 * @packageDocumentation
 *
 * ATT node: decentralized, end-to-end encrypted messaging on js-libp2p.
 *
 * Run a complete node:
 *
 * ```typescript
 * import { createAttnNode } from 'attn-node'
 *
 * const node = await createAttnNode({ listen: ['/ip4/127.0.0.1/tcp/0'] })
 * console.info(node.getMultiaddrs())
 * await node.stop()
 * ```
 *
 * Or add the service to an existing libp2p node:
 *
 * ```typescript
 * import { createLibp2p } from 'libp2p'
 * import { attn } from 'attn-node'
 *
 * const node = await createLibp2p({
 *   // transports, connectionEncrypters, streamMuxers, identify …
 *   services: { attn: attn() }
 * })
 * ```
 */
export { attn, AttnService } from './service/index.js'
export type { AttnServiceInit, AttnServiceComponents, AttnServiceEvents, AttnStats, FrameTarget } from './service/index.js'
export { createAttnNode, ATTN_DHT_PROTOCOL } from './node/create-node.js'
export type { AttnNode, AttnServices, CreateAttnNodeOptions } from './node/create-node.js'
export { loadConfig, defaultHome, DEFAULT_CONFIG } from './node/config.js'
export type { AttnConfig } from './node/config.js'
export { PROTOCOL } from './carriers/index.js'
export type { FrameChannel, FrameHandler, CarrierKind } from './carriers/index.js'
export { AttnError, InvalidConfigError } from './errors.js'
export {
  AttnRpcError, PublicRpcError, RpcUnknownMethodError, RpcHandlerError, RpcTimeoutError, RpcAbortedError, RpcTooLargeError,
  RpcSessionClosedError, RpcUnreachableError, RpcBadRequestError, RpcOverloadedError, RpcStoppedError, RpcRemoteError
} from './rpc/index.js'
export type { RpcHandler, RpcHandlerContext, RpcHandleOptions, RpcCallOptions, RpcStatus } from './rpc/index.js'
export { HandshakeError, HandshakeRejectedError } from './session/index.js'
export type { Session, SessionPeer } from './session/index.js'
export { messaging, MessagingService, RecipientUnknownError, MessageNotFoundError } from './messaging/index.js'
export type { MessagingServiceInit, InboxMessage, MessageStatus, MessageState, GroupInfo } from './messaging/index.js'
export { attAddress, parseAttAddress, createIdentity, loadIdentity, loadOrCreateIdentity } from './keys/index.js'
export type { Identity, RootIdentity } from './keys/index.js'
