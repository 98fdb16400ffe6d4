import { ChannelClosedError, FrameStalledError } from './errors.js'
import { encodeFrame, FrameDecoder } from './framing.js'
import { MAX_PENDING_FRAMES } from './constants.js'
import type { CarrierKind, FrameChannel, FrameHandler } from './channel.js'
import type { PartialFrameBudget, PartialHolder } from './partial-budget.js'
import type { AbortOptions, Connection, Logger, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface StreamChannelEvents {
  /** A malformed carrier frame (oversize, truncated, …): the stream has been reset. */
  onProtocolError(err: Error, channel: StreamChannel): void
  onClose(channel: StreamChannel): void
}

/** Bounds on partially received frames (attnproto.md Part 2 §2). */
export interface PartialFrameLimits {
  /** Shared per-connection and node-wide byte budget. */
  budget: PartialFrameBudget
  /** A frame must complete within this many ms of its first byte. */
  timeout: number
}

/**
 * One `/attn/1.0.0` stream used in both directions: outgoing frames are
 * length-prefixed and sent with write backpressure; incoming bytes are decoded
 * into frames and handed to the frame handler. Any framing error resets the
 * stream (the peer's other streams and sessions are unaffected).
 */
export class StreamChannel implements FrameChannel, PartialHolder {
  readonly id: string
  readonly kind: CarrierKind = 'libp2p'
  readonly remotePeer: PeerId
  readonly remoteAddr: Multiaddr
  readonly connection: Connection
  private readonly stream: Stream
  private readonly decoder: FrameDecoder
  private readonly handler: FrameHandler
  private readonly events: StreamChannelEvents
  private readonly log: Logger
  private pendingFrames = 0
  private readonly partial?: PartialFrameLimits
  private stallTimer?: ReturnType<typeof setTimeout>
  partialSince = 0
  private paused = false
  private closed = false

  constructor (stream: Stream, connection: Connection, handler: FrameHandler, events: StreamChannelEvents, maxFrameSize: number, partial?: PartialFrameLimits) {
    this.stream = stream
    this.connection = connection
    this.id = `${connection.id}/${stream.id}`
    this.remotePeer = connection.remotePeer
    this.remoteAddr = connection.remoteAddr
    this.handler = handler
    this.events = events
    this.decoder = new FrameDecoder(maxFrameSize)
    this.partial = partial
    this.log = stream.log.newScope('attn:channel')

    stream.addEventListener('message', (evt) => { this.onData(evt.data) })
    stream.addEventListener('remoteCloseWrite', () => {
      try {
        this.decoder.end()
      } catch (err: any) {
        this.fail(err)
        return
      }
      // the remote finished sending; finish our side too so the stream is released
      this.stream.close().catch(() => { this.stream.abort(new ChannelClosedError('close failed')) })
    })
    stream.addEventListener('close', () => { this.onClosed() })
  }

  get connectionId (): string { return this.connection.id }

  get open (): boolean {
    return !this.closed && this.stream.status === 'open' && this.stream.writeStatus === 'writable'
  }

  async send (frame: Uint8Array, options?: AbortOptions): Promise<void> {
    if (!this.open) throw new ChannelClosedError(`channel ${this.id} is closed`)
    if (!this.stream.send(encodeFrame(frame))) {
      await this.stream.onDrain(options)
    }
  }

  /**
   * Writes the frame into the stream now. Callers that must respect backpressure (bulk senders)
   * await `send`; the RPC engine never waited for a drain before its next record anyway.
   */
  sendNow (frame: Uint8Array): void {
    if (!this.open) throw new ChannelClosedError(`channel ${this.id} is closed`)
    this.stream.send(encodeFrame(frame))
  }

  async close (options?: AbortOptions): Promise<void> {
    if (this.closed) return
    try {
      await this.stream.close(options)
    } catch (err: any) {
      this.stream.abort(err)
    }
  }

  /** Resets the stream (used on protocol errors and by tests). */
  abort (err: Error): void {
    this.stream.abort(err)
    this.onClosed()
  }

  private onData (data: Parameters<FrameDecoder['decode']>[0]): void {
    let frames: Uint8Array[]
    try {
      frames = [...this.decoder.decode(data)]
    } catch (err: any) {
      this.fail(err)
      return
    }
    for (const frame of frames) this.dispatch(frame)
    if (!this.closed) this.trackPartial(frames.length > 0)
  }

  /** Accounts the incomplete frame left in the decoder and (re)arms its completion deadline. */
  private trackPartial (completedOne: boolean): void {
    if (this.partial == null) return
    const pending = this.decoder.pending
    if (pending === 0) {
      this.stallTimer = clearTimer(this.stallTimer)
    } else if (completedOne || this.stallTimer == null) {
      // a new partial frame started: its own deadline from now
      this.stallTimer = clearTimer(this.stallTimer)
      this.partialSince = performance.now()
      const timeout = this.partial.timeout
      this.stallTimer = setTimeout(() => { this.stallTimer = undefined; this.fail(new FrameStalledError(this.decoder.pending, timeout)) }, timeout)
      this.stallTimer.unref?.()
    }
    this.partial.budget.set(this, pending)
  }

  /** Called by the budget when this channel's partial frame must go. */
  dropPartial (err: Error): void {
    this.fail(err)
  }

  private dispatch (frame: Uint8Array): void {
    let result: void | Promise<void>
    try {
      result = this.handler.handleFrame(frame, this)
    } catch (err: any) {
      this.log.trace('frame handler threw %s', err.message)
      return
    }
    if (result == null || typeof (result as Promise<void>).then !== 'function') return
    this.pendingFrames++
    if (this.pendingFrames >= MAX_PENDING_FRAMES && !this.paused) {
      this.paused = true
      this.stream.pause()
    }
    ;(result as Promise<void>).catch((err: any) => {
      this.log.trace('frame handler failed %s', err?.message)
    }).finally(() => {
      this.pendingFrames--
      if (this.paused && this.pendingFrames < MAX_PENDING_FRAMES / 2) {
        this.paused = false
        this.stream.resume()
      }
    })
  }

  private fail (err: Error): void {
    this.log.error('resetting stream from %p: %s', this.remotePeer, err.message)
    this.stream.abort(err)
    this.events.onProtocolError(err, this)
    this.onClosed()
  }

  private onClosed (): void {
    if (this.closed) return
    this.closed = true
    this.stallTimer = clearTimer(this.stallTimer)
    this.partial?.budget.set(this, 0)
    this.handler.channelClosed?.(this)
    this.events.onClose(this)
  }
}

function clearTimer (t: ReturnType<typeof setTimeout> | undefined): undefined {
  if (t != null) clearTimeout(t)
  return undefined
}
