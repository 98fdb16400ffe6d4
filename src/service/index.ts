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
import type { FrameChannel, FrameHandler } from '../carriers/index.js'
import type { Identity } from '../keys/index.js'
import type { ComponentLogger, PeerId } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface AttnServiceInit {
  /** Protocol id to register (default `/attn/1.0.0`). */
  protocol?: string
  /** Largest carrier frame accepted, in bytes (default 1 MiB + 4 KiB). */
  maxFrameSize?: number
  maxInboundStreams?: number
  maxOutboundStreams?: number
  /** Default timeout when opening a stream, in ms (default 10 000). */
  openTimeout?: number
  /**
   * The ATT identity (root key, node key, certificate chain) the node proves in
   * handshakes. Without one the node runs on its libp2p key as root key.
   */
  identity?: Identity
  /** Layer that receives frames; by default each frame is emitted as a `frame` event. */
  frameHandler?: FrameHandler
}

export interface AttnServiceComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
  peerId: PeerId
}

export type FrameTarget = PeerId | Multiaddr | Multiaddr[]

export interface AttnStats {
  framesIn: number
  framesOut: number
  channelsOpened: number
  /** Carrier protocol errors (oversize, truncated frames …) by error code. */
  protocolErrors: Record<string, number>
}

export interface AttnServiceEvents {
  /** A frame arrived and no session layer is plugged in. */
  frame: CustomEvent<{ frame: Uint8Array, channel: FrameChannel }>
  /** A peer broke carrier framing; its stream was reset. */
  'protocol:error': CustomEvent<{ peer: PeerId, code: string, message: string }>
}

export { AttnService }

/** libp2p service factory: `services: { attn: attn() }`. */
export function attn (init: AttnServiceInit = {}): (components: AttnServiceComponents) => AttnService {
  return (components) => new AttnService(components, init)
}
