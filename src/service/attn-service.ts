import { isPeerId, serviceCapabilities, serviceDependencies, TypedEventEmitter } from '@libp2p/interface'
import {
  PROTOCOL, MAX_FRAME_SIZE, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, DEFAULT_OPEN_TIMEOUT_MS,
  StreamCarrier
} from '../carriers/index.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { attAddress, encodeChain } from '../keys/index.js'
import { SessionStore } from '../session/index.js'
import { hkdfSha256, secretKey } from '../crypto/index.js'
import { ATTN_VERSION } from '../version.js'
import { SessionRpcBridge } from './session-rpc-bridge.js'
import { CarrierSet } from './carrier-set.js'
import type { CarrierStatsEntry } from './carrier-set.js'
import { NoRpcLayerError } from './errors.js'
import { NotStartedError } from '../errors.js'
import type { RpcCallOptions, RpcHandler, RpcHandleOptions, RpcStats, RpcStatus, CallTimingSeries, RpcLink } from '../rpc/index.js'
import type { Attn, AttnServiceComponents, AttnServiceInit, AttnServiceEvents, AttnStats, FrameTarget } from './index.js'
import type { FrameChannel, FrameHandler } from '../carriers/index.js'
import { isAdvertisedPrice } from '../utils/price.js'
import type { Session, SessionManager, SessionManagerStats } from '../session/index.js'
import type { Identity } from '../keys/index.js'
import type { AbortOptions, Logger, Startable } from '@libp2p/interface'

export { ATTN_VERSION }
const DEFAULT_CALL_TIMEOUT_MS = 30_000

/**
 * The ATT libp2p service: registers `/attn/1.0.0`, keeps one framed stream per
 * connection, and hands every frame to the layer above (the session layer in a
 * full node; any {@link FrameHandler} when embedded).
 */
export class AttnService extends TypedEventEmitter<AttnServiceEvents> implements Attn, Startable {
  readonly protocol: string
  readonly maxFrameSize: number
  private readonly components: AttnServiceComponents
  private readonly log: Logger
  private readonly carrier: StreamCarrier
  /** UDP and HTTP carriers (attnproto.md Part 2 §5, §6): the same frame handler as the stream carrier. */
  private readonly carriers: CarrierSet
  private frameHandler: FrameHandler
  /** The mailbox price attn.info advertises (set by the messaging service). */
  private mailboxPrice?: string
  private readonly init: AttnServiceInit
  private identity_?: Identity
  private bridge?: SessionRpcBridge
  private sessionStore?: SessionStore
  /** Handlers registered before start (or across restarts of the service). */
  private readonly handlers = new Map<string, { handler: RpcHandler, options?: RpcHandleOptions }>()
  private started = false
  private framesOut = 0

  constructor (components: AttnServiceComponents, init: AttnServiceInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('attn:service')
    this.protocol = init.protocol ?? PROTOCOL
    this.maxFrameSize = init.maxFrameSize ?? MAX_FRAME_SIZE
    this.init = init
    this.frameHandler = init.frameHandler ?? this.rawFrameHandler()
    // the carrier hands frames to whatever layer is plugged in at the time
    const toLayer: FrameHandler = {
      handleFrame: (frame, channel) => this.frameHandler.handleFrame(frame, channel),
      channelClosed: (channel) => { this.frameHandler.channelClosed?.(channel) }
    }
    this.carrier = new StreamCarrier(components, {
      protocol: this.protocol,
      maxFrameSize: this.maxFrameSize,
      maxInboundStreams: init.maxInboundStreams ?? MAX_INBOUND_STREAMS,
      maxOutboundStreams: init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS,
      openTimeout: init.openTimeout ?? DEFAULT_OPEN_TIMEOUT_MS,
      maxPartialBytes: init.maxPartialBytes,
      maxPartialBytesPerConnection: init.maxPartialBytesPerConnection,
      partialFrameTimeout: init.partialFrameTimeout
    }, toLayer, (peer, code, message) => { this.safeDispatch('protocol:error', { peer, code, message }) })
    this.carriers = new CarrierSet(components.logger, { udp: init.udp, http: init.http }, toLayer)
  }

  /** The ATT address (root key) this node proves in handshakes. */
  get address (): string {
    return this.identity.address
  }

  /** The full ATT identity (root key, node key, chain); available once started. */
  get identity (): Identity {
    if (this.identity_ == null) throw new NotStartedError('the attn service')
    return this.identity_
  }

  /** The session layer (undefined in raw-frame mode or before start). */
  get sessions (): SessionManager | undefined {
    return this.bridge?.sessions
  }

  readonly [Symbol.toStringTag] = '@attn/service'
  readonly [serviceCapabilities]: string[] = ['@attn/service']
  get [serviceDependencies] (): string[] {
    return ['@libp2p/identify']
  }

  async start (): Promise<void> {
    this.identity_ = await this.resolveIdentity()
    const identity = this.identity_
    if (this.init.frameHandler == null && this.init.rawFrames !== true) {
      if (this.init.sessionStorePath != null) {
        const key = hkdfSha256((identity.rootKey ?? identity.nodeKey).raw, new Uint8Array(0), 'attn/1 session-store', 32)
        this.sessionStore = new SessionStore(this.init.sessionStorePath, secretKey(key))
      }
      this.bridge = new SessionRpcBridge({
        identity,
        logger: this.components.logger,
        rpc: {
          ...this.init.rpc,
          info: () => ({ address: this.address, version: ATTN_VERSION, protocols: [this.protocol], carriers: this.carriers.endpoints(), mailboxPrice: this.mailboxPrice })
        },
        openChannel: async (target, options) => await this.openChannel(target, options),
        onRecord: (session, msgId, data, channel) => {
          if (this.listenerCount('record') > 0) this.safeDispatch('record', { session, msgId, data, channel })
        },
        onSession: (session) => { this.safeDispatch('session', { session }) },
        onSessionClosed: (session, reason) => { this.safeDispatch('session:closed', { session, reason }) },
        onRecordSent: () => { this.framesOut++ },
        dropOutgoing: this.init.dropOutgoing,
        handshakeTimeout: this.init.handshakeTimeout,
        limits: this.init.sessionLimits,
        table: this.init.sessionTable,
        store: this.sessionStore
      })
      for (const [method, { handler, options }] of this.handlers) this.bridge.rpc.handle(method, handler, options)
      this.bridge.start()
      this.frameHandler = this.bridge.sessions
    }
    await this.carrier.start()
    try {
      await this.carriers.start()
    } catch (err) {
      await this.carrier.stop()
      this.bridge?.stop()
      throw err
    }
    this.started = true
  }

  async stop (): Promise<void> {
    await this.carriers.stop()
    await this.carrier.stop()
    this.bridge?.stop()
    this.bridge = undefined
    this.sessionStore?.close()
    this.sessionStore = undefined
    // raw frames until the next start plugs the session layer in again
    this.frameHandler = this.init.frameHandler ?? this.rawFrameHandler()
    this.started = false
  }

  /** Returns a session with the target (dialling and handshaking if needed). */
  async connect (target: FrameTarget, options: AbortOptions & { expectedAddress?: string } = {}): Promise<Session> {
    return await this.requireSessions().connect(target, options)
  }

  /** Sends `data` as one sealed record of the session. */
  async sendRecord (session: Session, data: Uint8Array, options: AbortOptions & { msgId?: bigint } = {}): Promise<bigint> {
    const sealed = await this.requireSessions().send(session, data, options)
    this.framesOut++
    return sealed.msgId
  }

  /**
   * Serves RPC `method` (names: 1..64 chars of [A-Za-z0-9._-]). The handler's result is the
   * reply; a thrown error reaches the caller as HANDLER_ERROR (message withheld unless it is a
   * PublicRpcError). Registering again replaces the handler.
   */
  handle (method: string, handler: RpcHandler, options?: RpcHandleOptions): void {
    this.bridge?.rpc.handle(method, handler, options)
    this.handlers.set(method, { handler, options })
  }

  unhandle (method: string): void {
    this.bridge?.rpc.unhandle(method)
    this.handlers.delete(method)
  }

  /**
   * Calls `method` on the target (a PeerId or multiaddr): dials, handshakes if there is no
   * session yet, and reuses the session afterwards. Rejects with an AttnRpcError subclass
   * (UNKNOWN_METHOD, HANDLER_ERROR, TIMEOUT, ABORTED, TOO_LARGE, SESSION_CLOSED, BAD_REQUEST,
   * UNREACHABLE …). `timeout` covers dialling, the handshake and the call.
   */
  async call (target: FrameTarget, method: string, params: Uint8Array, options: RpcCallOptions = {}): Promise<Uint8Array> {
    const { link, remaining } = await this.linkWithin(target, options)
    return await this.requireBridge().rpc.call(link, method, params, { signal: options.signal, timeout: remaining(), onMsgId: options.onMsgId })
  }

  /**
   * A link to the target within the caller's deadline (`timeout`, else `rpc.callTimeout`), and
   * what is left of that deadline for the call itself: dialling and the handshake count against it.
   */
  private async linkWithin (target: FrameTarget, options: RpcCallOptions): Promise<{ link: RpcLink, remaining: () => number }> {
    const started = Date.now()
    const timeout = options.timeout ?? this.init.rpc?.callTimeout ?? DEFAULT_CALL_TIMEOUT_MS
    const link = await this.requireBridge().linkTo(target, options.signal, timeout)
    return { link, remaining: () => Math.max(1, timeout - (Date.now() - started)) }
  }

  /** Calls `method` in an existing session (whatever carrier it runs on now); errors as {@link call}. */
  async callIn (session: Session, method: string, params: Uint8Array, options: RpcCallOptions = {}): Promise<Uint8Array> {
    const timeout = options.timeout ?? this.init.rpc?.callTimeout ?? DEFAULT_CALL_TIMEOUT_MS
    const bridge = this.requireBridge()
    return await bridge.rpc.call(bridge.linkFor(session), method, params, { signal: options.signal, timeout, onMsgId: options.onMsgId })
  }

  /** Asks the target for the state of calls it received from us (unknown/received/processing/done/failed). */
  async queryStatus (target: FrameTarget, msgIds: bigint[], options: RpcCallOptions = {}): Promise<RpcStatus[]> {
    const { link, remaining } = await this.linkWithin(target, options)
    return await this.requireBridge().rpc.queryStatus(link, msgIds, { signal: options.signal, timeout: remaining() })
  }

  /** RPC-level ping (Ping/Pong service messages) over the session; resolves with the RTT in ms. */
  async ping (target: FrameTarget, options: RpcCallOptions = {}): Promise<number> {
    const { link, remaining } = await this.linkWithin(target, options)
    return await this.requireBridge().rpc.ping(link, { signal: options.signal, timeout: remaining() })
  }

  rpcStats (): RpcStats | undefined {
    return this.bridge?.rpc.stats()
  }

  /** RPC call latency histograms by direction, method and outcome (since this start). */
  rpcTiming (): CallTimingSeries[] {
    return this.bridge?.rpc.timing.snapshot() ?? []
  }

  /** Methods this node serves (including the built-in attn.info and attn.ping). */
  methods (): string[] {
    return this.bridge?.rpc.methodNames() ?? [...this.handlers.keys()]
  }

  private requireBridge (): SessionRpcBridge {
    if (this.bridge == null) throw new NoRpcLayerError()
    return this.bridge
  }

  sessionStats (): SessionManagerStats | undefined {
    return this.bridge?.sessions.stats()
  }

  private requireSessions (): SessionManager {
    return this.requireBridge().sessions
  }

  /** init.identity, else the libp2p key if it is secp256k1, else an ephemeral secp256k1 root key. */
  private async resolveIdentity (): Promise<Identity> {
    if (this.init.identity != null) return this.init.identity
    let key = this.components.privateKey
    if (key?.type !== 'secp256k1') {
      this.log('libp2p key is not secp256k1: using an ephemeral ATT identity')
      key = await generateKeyPair('secp256k1')
    }
    return { address: attAddress(key.publicKey), nodeKey: key, chain: encodeChain([]), rootKey: key }
  }

  isStarted (): boolean {
    return this.started
  }

  /** Replaces the layer frames are handed to (the session layer plugs in here). */
  setFrameHandler (handler: FrameHandler): void {
    this.frameHandler = handler
  }

  /** Counters for the status API and tests. */
  stats (): AttnStats {
    return { ...this.carrier.stats(), framesOut: this.framesOut }
  }

  /** Open channels, for diagnostics. */
  listChannels (): FrameChannel[] {
    return this.carrier.listChannels()
  }

  /** This node's UDP/HTTP carrier endpoints as URLs (`udp://HOST:PORT`, `http://HOST:PORT`). */
  endpoints (): string[] {
    return this.carriers.endpoints()
  }

  /** Sets (undefined: clears) the mailbox price `attn.info` advertises: decimal base units (rewards.md §6). */
  advertiseMailboxPrice (price: string | undefined): void {
    if (price != null && !isAdvertisedPrice(price)) throw new RangeError(`not an advertised price: "${price}"`)
    this.mailboxPrice = price
  }

  /** Every carrier with its address and counters (the libp2p stream carrier first). */
  carrierStats (): CarrierStatsEntry[] {
    const libp2p = this.carrier.stats()
    return [{ kind: 'libp2p', address: this.protocol, ...libp2p, protocolErrors: { ...libp2p.protocolErrors } } as unknown as CarrierStatsEntry, ...this.carriers.stats()]
  }

  /**
   * Returns an open channel to the target: a plain UDP (`/ip4/H/udp/P`) or HTTP (`/ip4/H/tcp/P/http`)
   * multiaddr goes to those carriers; anything else reuses a libp2p connection or opens a new
   * `/attn/1.0.0` stream (dialling if needed).
   */
  async openChannel (target: FrameTarget, options: AbortOptions = {}): Promise<FrameChannel> {
    const first = Array.isArray(target) ? target[0] : target
    if (first != null && !isPeerId(first) && this.carriers.handles(first)) return await this.carriers.openChannel(first)
    return await this.carrier.openChannel(target, options)
  }

  /**
   * Moves a live session onto another carrier (a UDP or HTTP multiaddr of the same peer, or a
   * libp2p target): no new handshake; the next records go there, and the peer answers on the
   * carrier it last heard the session on.
   */
  async useCarrier (session: Session, target: FrameTarget, options: AbortOptions = {}): Promise<FrameChannel> {
    const channel = await this.openChannel(target, options)
    this.requireSessions().setChannel(session, channel)
    return channel
  }

  /** Sends one frame to the target over a (re)used channel. */
  async sendFrame (target: FrameTarget, frame: Uint8Array, options: AbortOptions = {}): Promise<FrameChannel> {
    const channel = await this.openChannel(target, options)
    await channel.send(frame, options)
    this.framesOut++
    return channel
  }

  private rawFrameHandler (): FrameHandler {
    return {
      handleFrame: (frame, channel) => {
        this.safeDispatch('frame', { frame, channel })
      }
    }
  }

  private safeDispatch<K extends keyof AttnServiceEvents> (type: K, detail: AttnServiceEvents[K]['detail']): void {
    this.safeDispatchEvent(type, { detail } as any)
  }
}
