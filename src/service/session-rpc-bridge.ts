import { SessionManager, FRAME_HEADER_LENGTH, PLAINTEXT_HEADER_LENGTH, MIN_PADDING, RECORD_ALIGN, PADDING_STEPS } from '../session/index.js'
import { RpcEngine, RpcAbortedError, RpcTimeoutError, RpcUnreachableError } from '../rpc/index.js'
import { anySignal } from '../utils/signals.js'
import type { FrameChannel } from '../carriers/index.js'
import type { Session, SessionManagerInit, SessionStore } from '../session/index.js'
import type { RpcEngineInit, RpcLink } from '../rpc/index.js'
import type { Identity } from '../keys/index.js'
import type { FrameTarget } from './index.js'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'

/** Frame bytes around a record's data at most: header, plaintext header, the sender's largest padding (attnproto.md Part 4 §2). */
const RECORD_OVERHEAD = FRAME_HEADER_LENGTH + PLAINTEXT_HEADER_LENGTH + MIN_PADDING + RECORD_ALIGN - 1 + RECORD_ALIGN * (PADDING_STEPS - 1)

/** The RPC view of one session; `session` and the latest channel stay reachable for the bridge. */
export type SessionLink = RpcLink & { readonly session: Session, lastChannel?: FrameChannel }

export interface SessionRpcBridgeInit {
  identity: Identity
  logger: ComponentLogger
  rpc: RpcEngineInit
  openChannel(target: FrameTarget, options: AbortOptions): Promise<FrameChannel>
  handshakeTimeout?: number
  limits?: SessionManagerInit['limits']
  table?: SessionManagerInit['table']
  store?: SessionStore
  /** Every authenticated record, after the RPC engine had it (the service's `record` event). */
  onRecord?(session: Session, msgId: bigint, data: Uint8Array, channel: FrameChannel): void
  onSession?(session: Session): void
  onSessionClosed?(session: Session, reason: string): void
  /** Counts each sealed record sent. */
  onRecordSent?(): void
  /** TEST HOOK: drop an outgoing RPC record as if the network lost it. */
  dropOutgoing?(session: Session, data: Uint8Array, msgId: bigint): boolean
}

/**
 * Wires the session layer to the RPC engine: one {@link SessionLink} per live session, records
 * from sessions into the engine, salt notices both ways, rekeys moving a link to the new
 * session, and closed sessions failing their calls.
 */
export class SessionRpcBridge {
  readonly rpc: RpcEngine
  readonly sessions: SessionManager
  private readonly links = new Map<string, SessionLink>()
  private readonly init: SessionRpcBridgeInit

  constructor (init: SessionRpcBridgeInit) {
    this.init = init
    const rpc = new RpcEngine({
      ...init.rpc,
      onNewSalt: (link, salt) => { this.links.get(link.id)?.session.acceptNewSalt(salt) }
    })
    this.rpc = rpc
    this.sessions = new SessionManager({
      identity: init.identity,
      logger: init.logger,
      openChannel: init.openChannel,
      onRecord: (session, record, channel) => {
        const link = this.linkFor(session)
        link.lastChannel = channel
        rpc.handleRecord(link, record.msgId, record.data)
        init.onRecord?.(session, record.msgId, record.data, channel)
      },
      onBadSalt: (session, err) => {
        rpc.sendNewSalt(this.linkFor(session), err.currentSalt, BigInt(Date.now()), err.msgId)
      },
      onSaltRotated: (session) => {
        rpc.sendNewSalt(this.linkFor(session), session.currentSalt, BigInt(Date.now()), 0n)
      },
      onSession: (session) => { init.onSession?.(session) },
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
        init.onSessionClosed?.(session, reason)
      },
      handshakeTimeout: init.handshakeTimeout,
      limits: init.limits,
      table: init.table,
      store: init.store
    })
  }

  start (): void {
    this.sessions.start()
  }

  stop (): void {
    this.rpc.stop()
    this.links.clear()
    this.sessions.stop()
  }

  /** Session → RPC link; one link object per session. */
  linkFor (session: Session): SessionLink {
    let link = this.links.get(session.idHex)
    if (link == null) {
      const manager = this.sessions
      const init = this.init
      const created: SessionLink = {
        id: session.idHex,
        remoteAddress: session.remote.address,
        remoteDevice: session.remote.nodePublicKey,
        session,
        remoteSource: () => sourceOf(created.lastChannel),
        nextMsgId: () => session.nextMsgId(),
        maxRecordData: () => {
          const maxFrame = manager.channelOf(session)?.maxFrame
          return maxFrame == null ? undefined : maxFrame - RECORD_OVERHEAD
        },
        send: async (data, msgId, options) => {
          if (init.dropOutgoing?.(session, data, msgId) === true) return
          await manager.send(session, data, { msgId, signal: options?.signal, switchCarrier: options?.resend })
          init.onRecordSent?.()
        },
        sendNow: (data, msgId) => {
          if (init.dropOutgoing?.(session, data, msgId) === true) return true
          const r = manager.sendNow(session, data, msgId)
          if (r === false) return false
          if (r === true) { init.onRecordSent?.(); return true }
          return r.then(() => { init.onRecordSent?.() })
        }
      }
      link = created
      this.links.set(session.idHex, link)
    }
    return link
  }

  /**
   * The link to a target: an existing session with the peer, else a dial and handshake within
   * `timeout` (joined with the caller's signal). Rejects with RPC errors (ABORTED, TIMEOUT, UNREACHABLE).
   */
  async linkTo (target: FrameTarget, signal: AbortSignal | undefined, timeout: number): Promise<SessionLink> {
    // the common case, a peer or address we have a session with, needs no dial signals (an
    // AbortSignal.timeout and AbortSignal.any per call cost more than the rest of this path)
    const existing = this.sessions.existingSession(target)
    if (existing != null) return this.linkFor(existing)
    const timer = AbortSignal.timeout(timeout)
    try {
      return this.linkFor(await this.sessions.connect(target, { signal: anySignal(signal, timer) }))
    } catch (err: any) {
      if (signal?.aborted === true) throw new RpcAbortedError()
      if (timer.aborted) throw new RpcTimeoutError(`no session with ${String(target)} within ${timeout} ms`)
      throw new RpcUnreachableError(`cannot reach ${String(target)}: ${err.message}`, { cause: err })
    }
  }
}

/** Sources by channel: a channel's address does not change, and every received call asks. */
const sources = new WeakMap<FrameChannel, string | undefined>()

/** The remote IP of a channel's multiaddr, else its peer id: what per-source limits key on. */
function sourceOf (channel: FrameChannel | undefined): string | undefined {
  if (channel == null) return undefined
  if (sources.has(channel)) return sources.get(channel)
  const ip = channel.remoteAddr?.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value
  const source = ip ?? channel.remotePeer?.toString()
  sources.set(channel, source)
  return source
}
