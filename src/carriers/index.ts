/**
 * L4 carriers: how ATTN frames travel. The libp2p stream carrier frames
 * records on `/attn/1.0.0` streams; every carrier hands frames to one
 * {@link FrameHandler} and offers {@link FrameChannel}s to answer on.
 */
export type { CarrierKind, FrameChannel, FrameHandler } from './channel.js'
export { StreamChannel, type StreamChannelEvents, type PartialFrameLimits } from './stream-channel.js'
export { PartialFrameBudget, type PartialHolder } from './partial-budget.js'
export { StreamCarrier } from './stream-carrier.js'
export type { CarrierTarget, CarrierStats, StreamCarrierComponents, StreamCarrierInit } from './stream-carrier.js'
export { encodeFrame, FrameDecoder } from './framing.js'
export * from './errors.js'
export * from './constants.js'
