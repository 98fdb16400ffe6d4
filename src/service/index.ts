/**
 * @packageDocumentation
 *
 * The ATT service for js-libp2p. Add it to any libp2p node:
 *
 * ```typescript
 * import { createLibp2p } from 'libp2p'
 * import { attn } from 'attn-node'
 *
 * const node = await createLibp2p({
 *   // transports, connectionEncrypters, streamMuxers …
 *   services: { identify: identify(), attn: attn() }
 * })
 * ```
 */
import { AttnService } from './attn-service.js'
import type { CarrierTarget, FrameChannel, FrameHandler, HttpCarrierInit, UdpCarrierInit } from '../carriers/index.js'
import type { CarrierStatsEntry } from './carrier-set.js'
import type { Identity } from '../keys/index.js'
import type { Session, SessionLimitsInit, SessionManager, SessionManagerStats, SessionTableInit } from '../session/index.js'
import type { RpcCallOptions, RpcEngineInit, RpcHandler, RpcHandleOptions, RpcStats, RpcStatus, CallTimingSeries } from '../rpc/index.js'
import type { AbortOptions, ComponentLogger, PeerId, PeerStore, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, Registrar } from '@libp2p/interface-internal'

export interface AttnServiceInit {
  /** Protocol id to register (default `/attn/1.0.0`). */
  protocol?: string
  /** Largest carrier frame accepted, in bytes (default 1 MiB + 4 KiB). */
  maxFrameSize?: number
  maxInboundStreams?: number
  maxOutboundStreams?: number
  /** Default timeout when opening a stream, in ms (default 10 000). */
  openTimeout?: number
  /** Bytes of partially received frames held node-wide (default 64 MiB) and per connection (default 2 × maxFrameSize). */
  maxPartialBytes?: number
  maxPartialBytesPerConnection?: number
  /** A frame must complete within this many ms of its first byte, else its stream is reset (default 30 000). */
  partialFrameTimeout?: number
  /**
   * The ATT identity (root key, node key, certificate chain) the node proves in
   * handshakes. Without one the node runs on its libp2p key as root key.
   */
  identity?: Identity
  /** Replace the session layer with this frame handler (embedding, tests). */
  frameHandler?: FrameHandler
  /** No session layer: every frame is emitted as a `frame` event (carrier tests, debugging). */
  rawFrames?: boolean
  /** SQLite file where sessions are saved at a clean stop and resumed at start. */
  sessionStorePath?: string
  /** How long a handshake may take, ms (default 10 000). */
  handshakeTimeout?: number
  /** Session table limits (per identity, global, idle expiry). */
  sessionTable?: SessionTableInit
  /** HELLO admission (pending caps, RESPONSE rate limits) and per-peer / per-IP session caps. */
  sessionLimits?: SessionLimitsInit
  /**
   * TEST HOOK: called with every RPC record before it is sealed; returning true drops it as if
   * the network had lost it. Never set in production.
   */
  dropOutgoing?: (session: Session, data: Uint8Array, msgId: bigint) => boolean
  /** Listen for ATTN over raw UDP (attnproto.md Part 2 §5); without it UDP targets use a client-only socket. */
  udp?: UdpCarrierInit
  /** Serve ATTN over plain HTTP on this public listener (attnproto.md Part 2 §6); off when unset. */
  http?: HttpCarrierInit
  /** RPC engine settings (timeouts, resend backoff, in-flight caps, reply cache). */
  rpc?: Omit<RpcEngineInit, 'info' | 'onNewSalt'>
}

export interface AttnServiceComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
  peerId: PeerId
  privateKey?: PrivateKey
  addressManager: AddressManager
  peerStore: PeerStore
}

export type FrameTarget = CarrierTarget

export interface AttnStats {
  framesIn: number
  framesOut: number
  channelsOpened: number
  /** Bytes of partially received frames held now. */
  partialBytes?: number
  /** Carrier protocol errors (oversize, truncated frames …) by error code. */
  protocolErrors: Record<string, number>
}

export interface AttnServiceEvents {
  /** An authenticated record arrived (the RPC layer consumes these). */
  record: CustomEvent<{ session: Session, msgId: bigint, data: Uint8Array, channel: FrameChannel }>
  /** A session was established or resumed. */
  session: CustomEvent<{ session: Session }>
  'session:closed': CustomEvent<{ session: Session, reason: string }>
  /** A frame arrived in raw-frame mode. */
  frame: CustomEvent<{ frame: Uint8Array, channel: FrameChannel }>
  /** A peer broke carrier framing; its stream was reset. */
  'protocol:error': CustomEvent<{ peer: PeerId, code: string, message: string }>
}

/**
 * What other services and applications use of the attn service: identity, RPC (serve, call,
 * status query, ping) and counters. Carrier-level test hooks are not part of it.
 */
export interface Attn extends TypedEventTarget<AttnServiceEvents> {
  readonly protocol: string
  /** The ATT address (root key) this node proves in handshakes. */
  readonly address: string
  /** The full ATT identity; available once started. */
  readonly identity: Identity
  /** The session layer (undefined in raw-frame mode or before start). */
  readonly sessions: SessionManager | undefined
  /** Serves RPC `method`; registering again replaces the handler. Survives stop/start. */
  handle(method: string, handler: RpcHandler, options?: RpcHandleOptions): void
  unhandle(method: string): void
  /** Calls `method` on the target, dialling and handshaking if needed. Rejects with AttnRpcError subclasses. */
  call(target: FrameTarget, method: string, params: Uint8Array, options?: RpcCallOptions): Promise<Uint8Array>
  /** Calls `method` in an existing session, on whatever carrier it runs now. */
  callIn(session: Session, method: string, params: Uint8Array, options?: RpcCallOptions): Promise<Uint8Array>
  /** The state of calls the target received from us. */
  queryStatus(target: FrameTarget, msgIds: bigint[], options?: RpcCallOptions): Promise<RpcStatus[]>
  /** RPC-level ping; resolves with the RTT in ms. */
  ping(target: FrameTarget, options?: RpcCallOptions): Promise<number>
  /** Returns a session with the target (dialling and handshaking if needed). */
  connect(target: FrameTarget, options?: AbortOptions & { expectedAddress?: string }): Promise<Session>
  methods(): string[]
  /** UDP/HTTP carrier endpoints this node serves, as URLs. */
  endpoints(): string[]
  /** Sets (undefined: clears) the mailbox price `attn.info` advertises: decimal base units (rewards.md §6). */
  advertiseMailboxPrice(price: string | undefined): void
  /** Every carrier with its address and counters. */
  carrierStats(): CarrierStatsEntry[]
  /** Moves a live session onto another carrier of the same peer (no new handshake). */
  useCarrier(session: Session, target: FrameTarget, options?: AbortOptions): Promise<FrameChannel>
  isStarted(): boolean
  stats(): AttnStats
  rpcStats(): RpcStats | undefined
  /** RPC call latency histograms by direction, method and outcome. */
  rpcTiming(): CallTimingSeries[]
  sessionStats(): SessionManagerStats | undefined
}

export { AttnService }
export { CarrierSet, type CarrierSetInit, type CarrierStatsEntry } from './carrier-set.js'

/** libp2p service factory: `services: { attn: attn() }`. */
export function attn (init: AttnServiceInit = {}): (components: AttnServiceComponents) => Attn {
  return (components) => new AttnService(components, init)
}
