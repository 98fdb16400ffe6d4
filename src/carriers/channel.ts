import type { AbortOptions, PeerId } from '@libp2p/interface'
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
