import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Which kind of carrier a channel runs over (protocols/attnproto.md §Carriers). */
export type CarrierKind = 'libp2p' | 'http' | 'udp'

/**
 * A way to send frames to one remote endpoint. The session layer answers on the
 * channel a frame arrived on, or on any live channel of the same peer; it never
 * needs to know which carrier that is.
 */
export interface FrameChannel {
  readonly id: string
  readonly kind: CarrierKind
  /** The libp2p peer at the other end (its node key), when the carrier knows it. */
  readonly remotePeer?: PeerId
  readonly remoteAddr?: Multiaddr
  /** Largest frame this channel can send, when smaller than MAX_FRAME_SIZE (a UDP datagram). */
  readonly maxFrame?: number
  /** False once the channel cannot send any more. */
  readonly open: boolean
  /** Sends one frame, waiting for write backpressure to clear. */
  send(frame: Uint8Array, options?: AbortOptions): Promise<void>
  /**
   * Sends one frame at once when the carrier never waits (a datagram, a queued HTTP answer): the hot
   * path of the session layer, without a promise per frame. Throws what `send` would reject with.
   */
  sendNow?(frame: Uint8Array): void
  close(options?: AbortOptions): Promise<void>
}

/**
 * The pluggable layer above the carriers (the session layer in a full node).
 * `handleFrame` may return a promise; the carrier pauses reading while too
 * many are pending. Throwing does not close the channel: a frame that fails
 * its checks is the session layer's business.
 */
export interface FrameHandler {
  handleFrame(frame: Uint8Array, channel: FrameChannel): void | Promise<void>
  /** Called when a channel closes, so state tied to it can be dropped. */
  channelClosed?(channel: FrameChannel): void
}

/**
 * Hands one frame to the layer above for a datagram or request carrier, which has no read
 * backpressure to apply: a throw or a rejected promise is the layer's business (it counts its
 * own rejects), so it is only traced here and never reaches the socket's event handler.
 */
export function deliverFrame (handler: FrameHandler, frame: Uint8Array, channel: FrameChannel, log: Logger): void {
  let result: void | Promise<void>
  try {
    result = handler.handleFrame(frame, channel)
  } catch (err: any) {
    log.trace('frame handler threw %s', err?.message)
    return
  }
  if (result != null && typeof (result as Promise<void>).catch === 'function') {
    ;(result as Promise<void>).catch((err: any) => { log.trace('frame handler failed %s', err?.message) })
  }
}
