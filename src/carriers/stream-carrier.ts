import { isPeerId } from '@libp2p/interface'
import { anySignal } from '../utils/signals.js'
import { StreamChannel } from './stream-channel.js'
import { PartialFrameBudget } from './partial-budget.js'
import { DEFAULT_MAX_PARTIAL_BYTES, DEFAULT_MAX_PARTIAL_BYTES_PER_CONNECTION, DEFAULT_PARTIAL_FRAME_TIMEOUT_MS } from './constants.js'
import type { PartialFrameLimits } from './stream-channel.js'
import type { FrameChannel, FrameHandler } from './channel.js'
import type { AbortOptions, ComponentLogger, Connection, Logger, PeerId, Stream } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Where a channel can be opened to: a peer we may be connected to, or addresses to dial. */
export type CarrierTarget = PeerId | Multiaddr | Multiaddr[]

export interface StreamCarrierComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

export interface StreamCarrierInit {
  protocol: string
  maxFrameSize: number
  maxInboundStreams: number
  maxOutboundStreams: number
  /** Default timeout when opening a stream, ms. */
  openTimeout: number
  /** Bytes of partially received frames held node-wide / per connection (defaults 64 MiB / 2 frames). */
  maxPartialBytes?: number
  maxPartialBytesPerConnection?: number
  /** A frame must complete within this many ms of its first byte (default 30 000). */
  partialFrameTimeout?: number
}

export interface CarrierStats {
  framesIn: number
  channelsOpened: number
  /** Bytes of partially received frames held now (gauge). */
  partialBytes?: number
  /** Carrier protocol errors (oversize, truncated frames …) by error code. */
  protocolErrors: Record<string, number>
}

/**
 * The libp2p stream carrier: registers the protocol, keeps the framed streams of each
 * connection (normally one, used both ways), opens new ones on demand, and hands every
 * frame to one FrameHandler. A peer that breaks framing gets its stream reset.
 */
export class StreamCarrier {
  private readonly components: StreamCarrierComponents
  private readonly init: StreamCarrierInit
  private readonly handler: FrameHandler
  private readonly onProtocolError: (peer: PeerId, code: string, message: string) => void
  private readonly log: Logger
  /** Open channels by connection id. */
  private readonly channels = new Map<string, Set<StreamChannel>>()
  private readonly counters: CarrierStats = { framesIn: 0, channelsOpened: 0, protocolErrors: {} }
  private readonly partial: PartialFrameLimits

  constructor (components: StreamCarrierComponents, init: StreamCarrierInit, handler: FrameHandler, onProtocolError: (peer: PeerId, code: string, message: string) => void) {
    this.components = components
    this.init = init
    this.handler = handler
    this.onProtocolError = onProtocolError
    this.log = components.logger.forComponent('attn:carrier')
    this.partial = {
      budget: new PartialFrameBudget(init.maxPartialBytes ?? DEFAULT_MAX_PARTIAL_BYTES, init.maxPartialBytesPerConnection ?? DEFAULT_MAX_PARTIAL_BYTES_PER_CONNECTION),
      timeout: init.partialFrameTimeout ?? DEFAULT_PARTIAL_FRAME_TIMEOUT_MS
    }
    this.handleStream = this.handleStream.bind(this)
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(this.init.protocol, this.handleStream, {
      maxInboundStreams: this.init.maxInboundStreams,
      maxOutboundStreams: this.init.maxOutboundStreams,
      // relayed (limited) connections carry ATT too: a node behind NAT is reached only that way
      runOnLimitedConnection: true
    })
    this.log('listening on %s', this.init.protocol)
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(this.init.protocol)
    const all = [...this.channels.values()].flatMap(set => [...set])
    await Promise.all(all.map(async ch => {
      await ch.close({ signal: AbortSignal.timeout(1000) }).catch((err: Error) => { this.log('channel close on stop failed: %s', err.message) })
    }))
    this.channels.clear()
  }

  stats (): CarrierStats {
    return { ...this.counters, partialBytes: this.partial.budget.total, protocolErrors: { ...this.counters.protocolErrors } }
  }

  /** Open channels, for diagnostics. */
  listChannels (): FrameChannel[] {
    return [...this.channels.values()].flatMap(set => [...set]).filter(ch => ch.open)
  }

  /**
   * Returns an open channel to the target, reusing one on an existing connection or opening
   * a new stream (dialling if needed).
   */
  async openChannel (target: CarrierTarget, options: AbortOptions = {}): Promise<FrameChannel> {
    if (isPeerId(target)) {
      for (const conn of this.components.connectionManager.getConnections(target)) {
        const existing = this.findChannel(conn)
        if (existing != null) return existing
      }
    }
    // the caller's signal joins the open timeout, it does not replace it
    const signal = anySignal(options.signal, AbortSignal.timeout(this.init.openTimeout))
    const connection = await this.components.connectionManager.openConnection(target, { signal })
    const existing = this.findChannel(connection)
    if (existing != null) return existing
    const stream = await connection.newStream(this.init.protocol, { signal, runOnLimitedConnection: true })
    return this.addChannel(stream, connection)
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
        return this.handler.handleFrame(frame, channel)
      },
      channelClosed: (channel) => { this.handler.channelClosed?.(channel) }
    }
    const channel = new StreamChannel(stream, connection, handler, {
      onProtocolError: (err) => {
        const code = (err as { code?: string }).code ?? 'ERR_UNKNOWN'
        this.counters.protocolErrors[code] = (this.counters.protocolErrors[code] ?? 0) + 1
        this.onProtocolError(connection.remotePeer, code, err.message)
      },
      onClose: (ch) => {
        const set = this.channels.get(connection.id)
        set?.delete(ch)
        if (set?.size === 0) this.channels.delete(connection.id)
      }
    }, this.init.maxFrameSize, this.partial)
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
}
