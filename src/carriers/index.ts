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
export { UdpCarrier, UdpChannel } from './udp-carrier.js'
export type { UdpCarrierInit, UdpCarrierStats } from './udp-carrier.js'
export { encodeDatagram, decodeDatagram, type UdpDatagram } from './udp-datagram.js'
export { HttpCarrier, HttpQueueChannel } from './http-carrier.js'
export type { HttpCarrierInit, HttpCarrierStats } from './http-carrier.js'
export { HttpClientChannel } from './http-client.js'
export { encodeBody, decodeBody } from './http-body.js'
export { frameKey, acceptedSessionId, type FrameKey } from './frame-key.js'
export { carrierEndpoint, carrierUrlToMultiaddr, endpointUrl, type CarrierEndpoint } from './target.js'
export * from './errors.js'
export * from './constants.js'
