import { isPeerId, serviceCapabilities, serviceDependencies, TypedEventEmitter, setMaxListeners } from '@libp2p/interface'
import {
  PROTOCOL, MAX_FRAME_SIZE, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, DEFAULT_OPEN_TIMEOUT_MS,
  StreamCarrier
} from '../carriers/index.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { attAddress, encodeChain } from '../keys/index.js'
import { SessionManager, SessionStore } from '../session/index.js'
import { RpcEngine, RpcAbortedError, RpcTimeoutError, RpcUnreachableError } from '../rpc/index.js'
import type { RpcCallOptions, RpcHandler, RpcHandleOptions, RpcLink, RpcStats, RpcStatus } from '../rpc/index.js'
import { hkdfSha256, secretKey } from '../crypto/index.js'
import type { AttnServiceComponents, AttnServiceInit, AttnServiceEvents, AttnStats, FrameTarget } from './index.js'
import type { FrameChannel, FrameHandler } from '../carriers/index.js'
import type { Session, SessionManagerStats } from '../session/index.js'
import type { Identity } from '../keys/index.js'
import type { AbortOptions, Logger, Startable } from '@libp2p/interface'

/** Version reported by `attn.info`. */
export const ATTN_VERSION = '0.1.0'
const DEFAULT_CALL_TIMEOUT_MS = 30_000

/**
 * The ATT libp2p service: registers `/attn/1.0.0`, keeps one framed stream per
 * connection, and hands every frame to the layer above (the session layer in a
 * full node; any {@link FrameHandler} when embedded).
 */
export class AttnService extends TypedEventEmitter<AttnServiceEvents> implements Startable {
  readonly protocol: string
  readonly maxFrameSize: number
  private readonly components: AttnServiceComponents
  private readonly log: Logger
  private readonly carrier: StreamCarrier
  private frameHandler: FrameHandler
  private readonly init: AttnServiceInit
  private identity_?: Identity
  private sessionManager?: SessionManager
  private sessionStore?: SessionStore
  private rpc?: RpcEngine
  /** RPC view of each live session, by session id hex. */
  private readonly links = new Map<string, RpcLink & { session: Session }>()
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
  }

  /** The ATT address (root key) this node proves in handshakes. */
  get address (): string {
    return this.identity.address
  }

  /** The full ATT identity (root key, node key, chain); available once started. */
  get identity (): Identity {
    if (this.identity_ == null) throw new Error('the attn service is not started')
    return this.identity_
  }

  /** Whether we hold an open libp2p connection to the peer (a peer id string). */
  isConnected (peer: string): boolean {
    return this.components.connectionManager.getConnections().some(c => c.remotePeer.toString() === peer && c.status === 'open')
  }

  /** Our own listen/announce multiaddrs (without /p2p), for directory records. */
  ownAddresses (): string[] {
    return this.components.addressManager.getAddresses().map(ma => ma.decapsulateCode(421).toString())
  }

  /** Adds dialable addresses of a peer (from a directory record) to the peer store. Never throws. */
  async learnAddresses (peer: string, addrs: string[]): Promise<void> {
    try {
      const id = peerIdFromString(peer)
      await this.components.peerStore.merge(id, { multiaddrs: addrs.map(a => multiaddr(a)) })
    } catch (err: any) {
      this.log('ignoring addresses of %s: %s', peer, err.message)
    }
  }

  /** Known multiaddrs of a libp2p peer (for directory records naming mailboxes). */
  peerAddresses (peer: string): string[] {
    return this.components.connectionManager.getConnections()
      .filter(c => c.remotePeer.toString() === peer)
      .map(c => c.remoteAddr.toString())
  }

  /** The node key (33 bytes) of the device at the other end of a session: tells devices of one identity apart. */
  sessionDevice (sessionIdHex: string): Uint8Array {
    const link = this.links.get(sessionIdHex)
    if (link == null) throw new Error(`no session ${sessionIdHex}`)
    return link.session.remote.nodePublicKey
  }

  /** The session layer (undefined in raw-frame mode or before start). */
  get sessions (): SessionManager | undefined {
    return this.sessionManager
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
        const key = hkdfSha256(identity.rootKey.raw, new Uint8Array(0), 'attn/1 session-store', 32)
        this.sessionStore = new SessionStore(this.init.sessionStorePath, secretKey(key))
      }
      const rpc = new RpcEngine({
        ...this.init.rpc,
        info: () => ({ address: this.address, version: ATTN_VERSION, protocols: [this.protocol] }),
        onNewSalt: (link, salt) => { this.links.get(link.id)?.session.acceptNewSalt(salt) }
      })
      for (const [method, { handler, options }] of this.handlers) rpc.handle(method, handler, options)
      this.rpc = rpc
      this.sessionManager = new SessionManager({
        identity,
        logger: this.components.logger,
        openChannel: async (target, options) => await this.openChannel(target, options),
        onRecord: (session, record, channel) => {
          rpc.handleRecord(this.linkFor(session), record.msgId, record.data)
          if (this.listenerCount('record') > 0) this.safeDispatch('record', { session, msgId: record.msgId, data: record.data, channel })
        },
        onBadSalt: (session, err) => {
          rpc.sendNewSalt(this.linkFor(session), err.currentSalt, BigInt(Date.now()), err.msgId)
        },
        onSaltRotated: (session) => {
          rpc.sendNewSalt(this.linkFor(session), session.currentSalt, BigInt(Date.now()), 0n)
        },
        onSession: (session) => { this.safeDispatch('session', { session }) },
        onSessionReplaced: (old, replacement) => {
          const link = this.links.get(old.idHex)
          if (link != null) {
            this.links.delete(old.idHex)
            rpc.linkReplaced(link, this.linkFor(replacement))
          }
        },
        // a rekey waits for a quiet moment: calls resent on the new session would miss the
        // peer's duplicate cache, which is per session
        canRekey: (session) => { const link = this.links.get(session.idHex); return link == null || !rpc.busy(link) },
        onSessionClosed: (session, reason) => {
          const link = this.links.get(session.idHex)
          if (link != null) {
            this.links.delete(session.idHex)
            rpc.linkClosed(link)
          }
          this.safeDispatch('session:closed', { session, reason })
        },
        handshakeTimeout: this.init.handshakeTimeout,
        limits: this.init.sessionLimits,
        table: this.init.sessionTable,
        store: this.sessionStore
      })
      this.sessionManager.start()
      this.frameHandler = this.sessionManager
    }
    await this.carrier.start()
    this.started = true
  }

  async stop (): Promise<void> {
    await this.carrier.stop()
    this.rpc?.stop()
    this.rpc = undefined
    this.links.clear()
    this.sessionManager?.stop()
    this.sessionStore?.close()
    this.sessionManager = undefined
    this.sessionStore = undefined
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
    this.rpc?.handle(method, handler, options)
    this.handlers.set(method, { handler, options })
  }

  unhandle (method: string): void {
    this.rpc?.unhandle(method)
    this.handlers.delete(method)
  }

  /**
   * Calls `method` on the target (a PeerId or multiaddr): dials, handshakes if there is no
   * session yet, and reuses the session afterwards. Rejects with an AttnRpcError subclass
   * (UNKNOWN_METHOD, HANDLER_ERROR, TIMEOUT, ABORTED, TOO_LARGE, SESSION_CLOSED, BAD_REQUEST,
   * UNREACHABLE …). `timeout` covers dialling, the handshake and the call.
   */
  async call (target: FrameTarget, method: string, params: Uint8Array, options: RpcCallOptions = {}): Promise<Uint8Array> {
    const started = Date.now()
    const timeout = options.timeout ?? this.init.rpc?.callTimeout ?? DEFAULT_CALL_TIMEOUT_MS
    const link = await this.linkTo(target, options.signal, timeout)
    return await this.requireRpc().call(link, method, params, { signal: options.signal, timeout: Math.max(1, timeout - (Date.now() - started)), onMsgId: options.onMsgId })
  }

  /** Asks the target for the state of calls it received from us (unknown/received/processing/done/failed). */
  async queryStatus (target: FrameTarget, msgIds: bigint[], options: RpcCallOptions = {}): Promise<RpcStatus[]> {
    const timeout = options.timeout ?? DEFAULT_CALL_TIMEOUT_MS
    const link = await this.linkTo(target, options.signal, timeout)
    return await this.requireRpc().queryStatus(link, msgIds, { signal: options.signal, timeout })
  }

  /** RPC-level ping (Ping/Pong service messages) over the session; resolves with the RTT in ms. */
  async ping (target: FrameTarget, options: RpcCallOptions = {}): Promise<number> {
    const timeout = options.timeout ?? DEFAULT_CALL_TIMEOUT_MS
    const link = await this.linkTo(target, options.signal, timeout)
    return await this.requireRpc().ping(link, { signal: options.signal, timeout })
  }

  rpcStats (): RpcStats | undefined {
    return this.rpc?.stats()
  }

  /** Methods this node serves (including the built-in attn.info and attn.ping). */
  methods (): string[] {
    return this.rpc?.methodNames() ?? [...this.handlers.keys()]
  }

  private requireRpc (): RpcEngine {
    if (this.rpc == null) throw new Error('the attn service has no RPC layer (not started, or raw-frame mode)')
    return this.rpc
  }

  /** Session → RPC link; one link object per session. */
  private linkFor (session: Session): RpcLink & { session: Session } {
    let link = this.links.get(session.idHex)
    if (link == null) {
      const manager = this.requireSessions()
      link = {
        id: session.idHex,
        remoteAddress: session.remote.address,
        session,
        nextMsgId: () => session.nextMsgId(),
        send: async (data, msgId, options) => {
          // test hook at the session boundary: drop a record as if the network lost it
          if (this.init.dropOutgoing?.(session, data, msgId) === true) return
          await manager.send(session, data, { msgId, signal: options?.signal })
          this.framesOut++
        }
      }
      this.links.set(session.idHex, link)
    }
    return link
  }

  private async linkTo (target: FrameTarget, signal: AbortSignal | undefined, timeout: number): Promise<RpcLink> {
    // the common case, a peer we have a session with, needs no dial signals
    const existing = isPeerId(target) ? this.sessionManager?.sessionWithPeer(target) : undefined
    if (existing != null) return this.linkFor(existing)
    const timer = AbortSignal.timeout(timeout)
    const combined = signal == null ? timer : AbortSignal.any([signal, timer])
    setMaxListeners(Infinity, combined)
    try {
      return this.linkFor(await this.connect(target, { signal: combined }))
    } catch (err: any) {
      if (signal?.aborted === true) throw new RpcAbortedError()
      if (timer.aborted) throw new RpcTimeoutError(`no session with ${String(target)} within ${timeout} ms`)
      throw new RpcUnreachableError(`cannot reach ${String(target)}: ${err.message}`, { cause: err })
    }
  }

  sessionStats (): SessionManagerStats | undefined {
    return this.sessionManager?.stats()
  }

  private requireSessions (): SessionManager {
    if (this.sessionManager == null) throw new Error('the attn service has no session layer (not started, or raw-frame mode)')
    return this.sessionManager
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

  /**
   * Returns an open channel to the target, reusing one on an existing
   * connection or opening a new `/attn/1.0.0` stream (dialling if needed).
   */
  async openChannel (target: FrameTarget, options: AbortOptions = {}): Promise<FrameChannel> {
    return await this.carrier.openChannel(target, options)
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
