import { serviceCapabilities, serviceDependencies, TypedEventEmitter, setMaxListeners } from '@libp2p/interface'
import { isPeerId } from '@libp2p/interface'
import {
  PROTOCOL, MAX_FRAME_SIZE, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, DEFAULT_OPEN_TIMEOUT_MS,
  StreamChannel
} from '../carriers/index.js'
import type { AttnServiceComponents, AttnServiceInit, AttnServiceEvents, AttnStats, FrameTarget } from './index.js'
import type { FrameChannel, FrameHandler } from '../carriers/index.js'
import type { AbortOptions, Connection, Logger, Startable, Stream } from '@libp2p/interface'

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
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private readonly openTimeout: number
  /** Open channels by connection id; normally one per connection. */
  private readonly channels = new Map<string, Set<StreamChannel>>()
  private frameHandler: FrameHandler
  private started = false
  private readonly counters: AttnStats = { framesIn: 0, framesOut: 0, channelsOpened: 0, protocolErrors: {} }

  constructor (components: AttnServiceComponents, init: AttnServiceInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('attn:service')
    this.protocol = init.protocol ?? PROTOCOL
    this.maxFrameSize = init.maxFrameSize ?? MAX_FRAME_SIZE
    this.maxInboundStreams = init.maxInboundStreams ?? MAX_INBOUND_STREAMS
    this.maxOutboundStreams = init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS
    this.openTimeout = init.openTimeout ?? DEFAULT_OPEN_TIMEOUT_MS
    this.frameHandler = init.frameHandler ?? this.defaultFrameHandler()
    this.handleStream = this.handleStream.bind(this)
  }

  readonly [Symbol.toStringTag] = '@attn/service'
  readonly [serviceCapabilities]: string[] = ['@attn/service']
  get [serviceDependencies] (): string[] {
    return ['@libp2p/identify']
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(this.protocol, this.handleStream, {
      maxInboundStreams: this.maxInboundStreams,
      maxOutboundStreams: this.maxOutboundStreams
    })
    this.started = true
    this.log('listening on %s', this.protocol)
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(this.protocol)
    const all = [...this.channels.values()].flatMap(set => [...set])
    await Promise.all(all.map(async ch => { await ch.close({ signal: AbortSignal.timeout(1000) }).catch(() => {}) }))
    this.channels.clear()
    this.started = false
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
    return { ...this.counters, protocolErrors: { ...this.counters.protocolErrors } }
  }

  /** Open channels, for diagnostics. */
  listChannels (): FrameChannel[] {
    return [...this.channels.values()].flatMap(set => [...set]).filter(ch => ch.open)
  }

  /**
   * Returns an open channel to the target, reusing one on an existing
   * connection or opening a new `/attn/1.0.0` stream (dialling if needed).
   */
  async openChannel (target: FrameTarget, options: AbortOptions = {}): Promise<FrameChannel> {
    if (isPeerId(target)) {
      for (const conn of this.components.connectionManager.getConnections(target)) {
        const existing = this.findChannel(conn)
        if (existing != null) return existing
      }
    }
    const signal = options.signal ?? AbortSignal.timeout(this.openTimeout)
    setMaxListeners(Infinity, signal)
    const connection = await this.components.connectionManager.openConnection(target, { signal })
    const existing = this.findChannel(connection)
    if (existing != null) return existing
    const stream = await connection.newStream(this.protocol, { signal })
    return this.addChannel(stream, connection)
  }

  /** Sends one frame to the target over a (re)used channel. */
  async sendFrame (target: FrameTarget, frame: Uint8Array, options: AbortOptions = {}): Promise<FrameChannel> {
    const channel = await this.openChannel(target, options)
    await channel.send(frame, options)
    this.counters.framesOut++
    return channel
  }

  private findChannel (conn: Connection): StreamChannel | undefined {
    const set = this.channels.get(conn.id)
    if (set == null) return undefined
    for (const ch of set) if (ch.open) return ch
    return undefined
  }

  private handleStream (stream: Stream, connection: Connection): void {
    this.addChannel(stream, connection)
  }

  private addChannel (stream: Stream, connection: Connection): StreamChannel {
    const handler: FrameHandler = {
      handleFrame: (frame, channel) => {
        this.counters.framesIn++
        return this.frameHandler.handleFrame(frame, channel)
      },
      channelClosed: (channel) => { this.frameHandler.channelClosed?.(channel) }
    }
    const channel = new StreamChannel(stream, connection, handler, {
      onProtocolError: (err) => {
        const code = (err as { code?: string }).code ?? 'ERR_UNKNOWN'
        this.counters.protocolErrors[code] = (this.counters.protocolErrors[code] ?? 0) + 1
        this.safeDispatch('protocol:error', { peer: connection.remotePeer, code, message: err.message })
      },
      onClose: (ch) => {
        const set = this.channels.get(connection.id)
        set?.delete(ch)
        if (set?.size === 0) this.channels.delete(connection.id)
      }
    }, this.maxFrameSize)
    let set = this.channels.get(connection.id)
    if (set == null) {
      set = new Set()
      this.channels.set(connection.id, set)
    }
    set.add(channel)
    this.counters.channelsOpened++
    this.log.trace('channel %s with %p', channel.id, connection.remotePeer)
    return channel
  }

  private defaultFrameHandler (): FrameHandler {
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
