/**
 * L5 ATTNProto sessions (protocols/attnproto.md): the handshake that agrees a
 * session id and keys, the record layer (`session_id | msg_key | encrypted_data`),
 * per-session replay/salt/time checks, the session table and its persistence.
 * Carrier independent: it takes and returns byte frames.
 */
export { Session } from './session.js'
export type { SessionPeer, SessionKeys, SessionInit, SessionRole, SealedFrame, OpenedFrame } from './session.js'
export { sealRecord, openRecord } from './record.js'
export type { RecordKeys } from './record.js'
export { MsgIdGenerator, msgIdTimeMs, makeMsgId } from './msg-id.js'
export { ReplayWindow } from './replay-window.js'
export { SessionTable, sessionKey } from './session-table.js'
export type { SessionTableInit } from './session-table.js'
export { SessionStore } from './session-store.js'
export { SessionManager } from './session-manager.js'
export type { SessionManagerInit, SessionManagerStats, SessionTarget, SessionLimitsInit } from './session-manager.js'
export { HandshakeAdmission } from './handshake-admission.js'
export type { HandshakeLimitsInit } from './handshake-admission.js'
export type { Rate } from './rate-limit.js'
export {
  InitiatorHandshake, ResponderHandshake, deriveSessionKeys, deriveHandshakeKeys, isHandshakeFrame,
  HANDSHAKE_VERSION, INFO_SESSION, INFO_HANDSHAKE
} from './handshake.js'
export type { HandshakeIdentity } from './handshake.js'
export * from './handshake-errors.js'
export * from './errors.js'
export * from './constants.js'
