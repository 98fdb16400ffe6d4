import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { toSecp256k1PublicKey } from '../keys/address.js'
import { isPeerId } from '@libp2p/interface'
import { sessionKey, SessionTable } from './session-table.js'
import { anySignal } from '../utils/signals.js'
import {
  decodeHandshakeHeader, decodeReject, encodeReject, encodeSessionUnknown, EPH_LENGTH, HandshakeType, HS_HEADER_LENGTH,
  InitiatorHandshake, isHandshakeFrame, NONCE_LENGTH, rejectForBadHeader, ResponderHandshake
} from './handshake.js'
import {
  HandshakeAbortedError, HandshakeMalformedError, HandshakeRejectedError, HandshakeTimeoutError, HandshakeTooManyPendingError,
  HandshakeUnknownError
} from './handshake-errors.js'
import { HandshakeAdmission } from './handshake-admission.js'
import { ipKey } from './rate-limit.js'
import { SaltMismatchError, SessionClosedError, UnknownSessionError } from './errors.js'
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_SESSIONS_PER_IP, HANDSHAKE_RETRY_INITIAL_MS, HANDSHAKE_RETRY_MAX_MS, DEFAULT_MAX_SESSIONS_PER_PEER,
  SESSION_UNKNOWN_NOTICE_INTERVAL_MS, SALT_ROTATE_MS, DEFAULT_IDLE_MS
} from './constants.js'
import { leastValuable } from './session-table.js'
import type { HandshakeLimitsInit, PendingSlot } from './handshake-admission.js'
import type { Session, OpenedFrame, SealedFrame } from './session.js'
import type { SessionTableInit } from './session-table.js'
import type { SessionStore } from './session-store.js'
import type { HandshakeIdentity } from './handshake.js'
import type { FrameChannel, FrameHandler } from '../carriers/index.js'
import type { AbortOptions, ComponentLogger, Logger, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export type SessionTarget = PeerId | Multiaddr | Multiaddr[]

export interface SessionManagerInit {
  identity: HandshakeIdentity
  /** Opens (or reuses) a carrier channel to a target. */
  openChannel(target: SessionTarget, options?: AbortOptions): Promise<FrameChannel>
  logger: ComponentLogger
  /** Called for every record that passed all receiver checks. */
  onRecord(session: Session, record: OpenedFrame, channel: FrameChannel): void
  /** Called when a record carried a stale salt (the upper layer answers with a NewSalt notice). */
  onBadSalt?(session: Session, error: SaltMismatchError, channel: FrameChannel): void
  /** Called after the responder rotated a session's salt (the upper layer announces it). */
  onSaltRotated?(session: Session): void
  /** Called when a session is established (either role) or resumed. */
  onSession?(session: Session): void
  /** Called when a rekey replaced `old` by `replacement` (same peer); `old` is closed right after. */
  onSessionReplaced?(old: Session, replacement: Session): void
  /** Asked before a rekey starts: false postpones it (e.g. while calls are in flight on the session). */
  canRekey?(session: Session): boolean
  /** Called when a session is removed (expired, evicted, unknown at the peer, node stopping). */
  onSessionClosed?(session: Session, reason: string): void
  handshakeTimeout?: number
  /** Same as limits.maxPending / limits.maxPendingPerChannel (kept for existing callers). */
  maxPendingHandshakes?: number
  maxPendingHandshakesPerChannel?: number
  /** Handshake admission and per-peer / per-IP session caps (HELLO floods, Sybil sessions). */
  limits?: SessionLimitsInit
  table?: SessionTableInit
  /** Persists sessions across a clean restart. */
  store?: SessionStore
}

/** Limits a peer can observe (attnproto.md Part 3 §7, Part 4 §8); defaults in constants.ts. */
export interface SessionLimitsInit extends HandshakeLimitsInit {
  /** Sessions per libp2p peer (16) and per remote IP or IPv6 /64 (1024): a new one evicts the least valuable. */
  maxSessionsPerPeer?: number
  maxSessionsPerIp?: number
}

/** Where a session's frames go: the channel last heard on, and the libp2p peer to redial. */
interface Route {
  channel?: FrameChannel
  /** Other channels this session was authenticated on lately (other carriers), newest first. */
  alternates?: FrameChannel[]
  peer?: PeerId
  /** Remote IP key at establishment (per-IP session cap). */
  ip?: string
}

interface PendingResponder extends PendingSlot {
  /** Built (RESPONSE signed) by the signing queue; undefined while queued. */
  handshake?: ResponderHandshake
  timer: ReturnType<typeof setTimeout>
}

interface PendingInitiator {
  handshake: InitiatorHandshake
  onFrame(frame: Uint8Array, type: number): void
}

export interface SessionManagerStats {
  sessions: number
  pendingHandshakes: number
  handshakesCompleted: number
  handshakesFailed: number
  /** HELLOs refused by the RESPONSE rate limits / the pending caps, and pending states displaced by newer HELLOs. */
  handshakesRateLimited: number
  handshakesRefused: number
  handshakesDisplaced: number
  /** Sessions evicted by the per-peer / per-IP caps. */
  sessionsEvicted: number
  /** Resends moved to another live carrier of the session (attnproto.md Part 2 §7). */
  carrierSwitches: number
  recordsIn: number
  recordsOut: number
  /** Frames rejected by the receiver checks, by error code. */
  rejected: Record<string, number>
}

/**
 * L5 of a node: runs handshakes, owns the session table, and opens/seals every
 * record. Sessions are bound to identities, not connections: a frame with a known
 * session id is accepted whatever channel it arrives on, and replies go back on the
 * channel last heard from, or any new channel to the same peer.
 */
export class SessionManager implements FrameHandler {
  readonly table: SessionTable
  private readonly init: SessionManagerInit
  private readonly log: Logger
  private readonly routes = new Map<string, Route>()
  /** Session ids by the libp2p peer they are routed to (every call looks sessions up by peer). */
  private readonly byPeer = new Map<string, Set<string>>()
  private readonly byIp = new Map<string, Set<string>>()
  private readonly responders = new Map<string, PendingResponder>()
  private readonly initiators = new Map<string, PendingInitiator>()
  /** In-flight connects per target, so concurrent callers share one handshake. */
  private readonly connecting = new Map<string, Promise<Session>>()
  private readonly noticeSentAt = new Map<string, number>()
  /** Session (id hex) last established with an address target (UDP/HTTP carriers have no peer id to look up by). */
  private readonly byTarget = new Map<string, string>()
  private readonly rekeying = new Set<string>()
  private readonly handshakeTimeout: number
  private readonly admission: HandshakeAdmission
  private readonly maxSessionsPerPeer: number
  private readonly maxSessionsPerIp: number
  private maintenance?: ReturnType<typeof setInterval>
  /** A best-effort send (notice, REJECT, ACCEPT) failed: the channel died; the peer times out or retries. */
  private readonly sendFailed = (err: Error): void => { this.log('could not send a handshake message: %s', err.message) }
  /** RESPONSEs to sign, one per event-loop turn so a burst never stalls records in between. */
  private readonly signing: Array<() => void> = []
  private signTimer?: ReturnType<typeof setImmediate>
  private readonly counters = { handshakesCompleted: 0, handshakesFailed: 0, sessionsEvicted: 0, carrierSwitches: 0, recordsIn: 0, recordsOut: 0, rejected: {} as Record<string, number> }

  constructor (init: SessionManagerInit) {
    this.init = init
    this.log = init.logger.forComponent('attn:session')
    this.table = new SessionTable(init.table)
    this.handshakeTimeout = init.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
    this.admission = new HandshakeAdmission({
      maxPending: init.maxPendingHandshakes,
      maxPendingPerChannel: init.maxPendingHandshakesPerChannel,
      ...init.limits
    })
    this.maxSessionsPerPeer = init.limits?.maxSessionsPerPeer ?? DEFAULT_MAX_SESSIONS_PER_PEER
    this.maxSessionsPerIp = init.limits?.maxSessionsPerIp ?? DEFAULT_MAX_SESSIONS_PER_IP
  }

  /** Resumes sessions saved at the last clean stop, and starts salt rotation / idle expiry. */
  start (): void {
    if (this.init.store != null) {
      const saved = this.init.store.loadAll()
      // consumed: after a crash nothing stale can be resumed (replay safety, attnproto.md §Persistence)
      for (const session of saved) {
        this.init.store.delete(session.id)
        // the peer's node key is its libp2p identity: redial it to send before it speaks
        this.addSession(session, { peer: peerFromNodeKey(session.remote.nodePublicKey) })
      }
      if (saved.length > 0) this.log('resumed %d sessions', saved.length)
    }
    this.maintenance = setInterval(() => { this.maintain() }, Math.min(60_000, SALT_ROTATE_MS))
    this.maintenance.unref?.()
  }

  /** Saves live sessions (clean stop) and drops all state. */
  stop (): void {
    clearInterval(this.maintenance)
    if (this.signTimer != null) clearImmediate(this.signTimer)
    this.signTimer = undefined
    this.signing.length = 0
    for (const pending of this.responders.values()) clearTimeout(pending.timer)
    this.responders.clear()
    for (const session of this.table) {
      try {
        this.init.store?.save(session)
      } catch (err: any) {
        this.log.error('could not persist session %s: %s', session.idHex, err.message)
      }
    }
    this.table.clear()
    this.byTarget.clear()
    this.routes.clear()
    this.byPeer.clear()
    this.byIp.clear()
  }

  stats (): SessionManagerStats {
    return {
      sessions: this.table.size,
      pendingHandshakes: this.responders.size + this.initiators.size,
      ...this.counters,
      handshakesRateLimited: this.admission.counters.rateLimited,
      handshakesRefused: this.admission.counters.tooManyPending,
      handshakesDisplaced: this.admission.counters.displaced,
      rejected: { ...this.counters.rejected }
    }
  }

  /** The most recently active session with a libp2p peer, if any. */
  sessionWithPeer (peer: PeerId): Session | undefined {
    let best: Session | undefined
    for (const idHex of this.byPeer.get(peer.toString()) ?? []) {
      const session = this.table.getByHex(idHex)
      if (session != null && (best == null || session.lastActivity > best.lastActivity)) best = session
    }
    return best
  }

  /** The channel a session's frames go out on now (the one last heard on), if it is known. */
  channelOf (session: Session): FrameChannel | undefined {
    return this.routes.get(session.idHex)?.channel
  }

  /**
   * The live session `connect` would reuse for the target, without waiting: the most recent one
   * with a libp2p peer, or the one last established with an address (UDP/HTTP) target.
   */
  existingSession (target: SessionTarget): Session | undefined {
    const peer = targetPeer(target)
    if (peer != null) return this.sessionWithPeer(peer)
    const id = this.byTarget.get(String(target))
    return id == null ? undefined : this.table.getByHex(id)
  }

  /** Returns a session with the target, reusing one or running a handshake. */
  async connect (target: SessionTarget, options: AbortOptions & { expectedAddress?: string } = {}): Promise<Session> {
    const existing = this.existingSession(target)
    if (existing != null) return existing
    const peer = targetPeer(target)
    const key = peer?.toString() ?? String(target)
    if (peer == null) this.byTarget.delete(key)
    const inFlight = this.connecting.get(key)
    if (inFlight != null) return await inFlight
    const attempt = this.handshake(target, options).then(session => {
      if (peer == null) {
        if (this.byTarget.size >= this.table.size + 64) this.pruneTargets()
        this.byTarget.set(key, session.idHex)
      }
      return session
    }).finally(() => { this.connecting.delete(key) })
    this.connecting.set(key, attempt)
    return await attempt
  }

  /** Seals `data` in the session and sends it on the best channel (redialling if needed). */
  async send (session: Session, data: Uint8Array, options: AbortOptions & { msgId?: bigint, switchCarrier?: boolean } = {}): Promise<SealedFrame> {
    if (this.table.getByHex(session.idHex) !== session) throw new SessionClosedError(session.idHex)
    const sealed = session.seal(data, Date.now(), options.msgId)
    // a resend after a timeout: the current carrier may be silently dead (UDP), try another live one
    if (options.switchCarrier === true) this.switchCarrier(session)
    // the route's open channel is the common case: no await (a promise and a microtask per record)
    const current = this.routes.get(session.idHex)?.channel
    const channel = current?.open === true ? current : await this.channelFor(session, options)
    try {
      await channel.send(sealed.frame, options)
    } catch (err) {
      await this.resendOnFresh(session, channel, sealed.frame, err, options)
    }
    this.counters.recordsOut++
    return sealed
  }

  /**
   * `send` without promises when the session's current channel sends at once (`sendNow`: UDP, an
   * HTTP answer queue): false if that does not apply (nothing sealed: use `send`), true once sent,
   * or — the channel failed — the promise of the same one retry on a fresh channel `send` makes.
   */
  sendNow (session: Session, data: Uint8Array, msgId: bigint): boolean | Promise<void> {
    const channel = this.routes.get(session.idHex)?.channel
    if (channel?.sendNow == null || !channel.open || this.table.getByHex(session.idHex) !== session) return false
    const sealed = session.seal(data, Date.now(), msgId)
    try {
      channel.sendNow(sealed.frame)
    } catch (err) {
      return this.resendOnFresh(session, channel, sealed.frame, err, {}).then(() => { this.counters.recordsOut++ })
    }
    this.counters.recordsOut++
    return true
  }

  /** The channel died under us (connection closed, peer restarted): one retry on a fresh one. */
  private async resendOnFresh (session: Session, channel: FrameChannel, frame: Uint8Array, err: unknown, options: AbortOptions): Promise<void> {
    if (options.signal?.aborted === true) throw err
    const route = this.routes.get(session.idHex)
    if (route?.channel === channel) route.channel = route.alternates?.find(c => c.open && c !== channel)
    const fresh = await this.channelFor(session, options)
    if (fresh === channel) throw err
    await fresh.send(frame, options)
  }

  /**
   * Replaces a session we initiated by a fresh handshake with the same peer (new keys, new id):
   * the upper layer moves its state over (onSessionReplaced), then the old session is dropped.
   * Only the initiator rekeys; the responder lets the old session expire.
   */
  async rekey (session: Session, options: AbortOptions = {}): Promise<Session | undefined> {
    const route = this.routes.get(session.idHex)
    if (session.role !== 'initiator' || route?.peer == null || this.rekeying.has(session.idHex)) return undefined
    this.rekeying.add(session.idHex)
    try {
      const replacement = await this.handshake(route.peer, options)
      this.init.onSessionReplaced?.(session, replacement)
      this.close(session, 'rekeyed')
      return replacement
    } finally {
      this.rekeying.delete(session.idHex)
    }
  }

  /** Moves the session to its most recent other live channel (another carrier), if it has one. */
  private switchCarrier (session: Session): void {
    const route = this.routes.get(session.idHex)
    const next = route?.alternates?.find(c => c.open && c !== route.channel)
    if (route == null || next == null) return
    route.alternates = route.alternates?.filter(c => c !== next)
    rememberAlternate(route, route.channel)
    route.channel = next
    this.counters.carrierSwitches++
  }

  private pruneTargets (): void {
    for (const [key, id] of this.byTarget) if (this.table.getByHex(id) == null) this.byTarget.delete(key)
  }

  /**
   * Sends the session's next records on `channel` (another carrier to the same peer): no new
   * handshake, the session is found by its id wherever its frames arrive (attnproto.md Part 2).
   */
  setChannel (session: Session, channel: FrameChannel): void {
    const route = this.routes.get(session.idHex)
    if (route == null || this.table.getByHex(session.idHex) !== session) throw new SessionClosedError(session.idHex)
    if (route.channel !== channel) rememberAlternate(route, route.channel)
    route.channel = channel
  }

  /** Drops a session (both sides then need a new handshake). */
  close (session: Session, reason = 'closed'): void {
    if (this.table.delete(session.id)) {
      this.dropRoute(session.idHex)
      this.init.onSessionClosed?.(session, reason)
    }
  }

  handleFrame (frame: Uint8Array, channel: FrameChannel): void | Promise<void> {
    if (isHandshakeFrame(frame)) return this.handleHandshake(frame, channel)
    const session = this.table.get(frame)
    if (session == null) {
      this.reject(new UnknownSessionError(sessionKey(frame)))
      this.noticeUnknown(frame, channel)
      return
    }
    let record: OpenedFrame
    try {
      record = session.open(frame)
    } catch (err: any) {
      this.reject(err)
      if (err instanceof SaltMismatchError) this.init.onBadSalt?.(session, err, channel)
      return
    }
    this.counters.recordsIn++
    const route = this.routes.get(session.idHex)
    if (route != null) {
      if (route.channel !== channel) rememberAlternate(route, route.channel)
      route.channel = channel
      if (channel.remotePeer != null) this.setRoutePeer(session.idHex, route, channel.remotePeer)
    }
    this.init.onRecord(session, record, channel)
  }

  channelClosed (channel: FrameChannel): void {
    for (const route of this.routes.values()) {
      if (route.alternates?.includes(channel) === true) route.alternates = route.alternates.filter(c => c !== channel)
      if (route.channel === channel) route.channel = route.alternates?.find(c => c.open)
    }
    for (const [id, pending] of this.responders) {
      if (pending.channel === channel) this.dropResponder(id)
    }
  }

  private reject (err: Error & { code?: string }): void {
    const code = err.code ?? 'ERR_UNKNOWN'
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1
    this.log.trace('rejected frame: %s', err.message)
  }

  private addSession (session: Session, route: Route): void {
    // per-peer and per-IP caps first (a Sybil with fresh identities on one peer/IP evicts its own
    // sessions), then the table's per-identity and global caps; the least valuable goes first
    if (route.peer != null) this.makeRoom(this.byPeer.get(route.peer.toString()), this.maxSessionsPerPeer)
    if (route.ip != null) this.makeRoom(this.byIp.get(route.ip), this.maxSessionsPerIp)
    for (const evicted of this.table.add(session)) {
      this.dropRoute(evicted.idHex)
      this.init.onSessionClosed?.(evicted, 'evicted')
    }
    this.routes.set(session.idHex, route)
    if (route.peer != null) this.byPeer.set(route.peer.toString(), (this.byPeer.get(route.peer.toString()) ?? new Set()).add(session.idHex))
    if (route.ip != null) this.byIp.set(route.ip, (this.byIp.get(route.ip) ?? new Set()).add(session.idHex))
    this.init.onSession?.(session)
  }

  /** Evicts sessions of one peer or IP until one more fits under `max`. */
  private makeRoom (ids: Set<string> | undefined, max: number): void {
    while (ids != null && ids.size >= max && ids.size > 0) {
      const sessions = [...ids].map(id => this.table.getByHex(id)).filter(s => s != null)
      if (sessions.length === 0) { ids.clear(); return }
      this.counters.sessionsEvicted++
      this.close(leastValuable(sessions), 'evicted')
    }
  }

  private setRoutePeer (idHex: string, route: Route, peer: PeerId): void {
    if (route.peer?.equals(peer) === true) return
    this.dropRoute(idHex)
    route.peer = peer
    this.routes.set(idHex, route)
    if (route.ip != null) this.byIp.set(route.ip, (this.byIp.get(route.ip) ?? new Set()).add(idHex))
    this.byPeer.set(peer.toString(), (this.byPeer.get(peer.toString()) ?? new Set()).add(idHex))
  }

  private dropRoute (idHex: string): void {
    const route = this.routes.get(idHex)
    const peer = route?.peer?.toString()
    this.routes.delete(idHex)
    if (route?.ip != null) {
      const byIp = this.byIp.get(route.ip)
      byIp?.delete(idHex)
      if (byIp?.size === 0) this.byIp.delete(route.ip)
    }
    if (peer == null) return
    const ids = this.byPeer.get(peer)
    ids?.delete(idHex)
    if (ids?.size === 0) this.byPeer.delete(peer)
  }

  private async channelFor (session: Session, options: AbortOptions): Promise<FrameChannel> {
    const route = this.routes.get(session.idHex)
    if (route?.channel?.open === true) return route.channel
    if (route?.peer == null) throw new SessionClosedError(`${session.idHex}: no channel and no peer to redial`)
    const channel = await this.init.openChannel(route.peer, options)
    route.channel = channel
    return channel
  }

  /** Tells a peer (at most once per interval per session id) that we have no such session. */
  private noticeUnknown (frame: Uint8Array, channel: FrameChannel): void {
    if (frame.byteLength < 8) return
    const id = sessionKey(frame)
    const now = Date.now()
    if ((this.noticeSentAt.get(id) ?? 0) > now - SESSION_UNKNOWN_NOTICE_INTERVAL_MS) return
    if (this.noticeSentAt.size > 4096) this.noticeSentAt.clear()
    this.noticeSentAt.set(id, now)
    channel.send(encodeSessionUnknown(frame.subarray(0, 8))).catch(this.sendFailed)
  }

  private handleHandshake (frame: Uint8Array, channel: FrameChannel): void {
    let type: number
    let hsId: string
    try {
      const h = decodeHandshakeHeader(frame)
      type = h.type
      hsId = Buffer.from(h.hsId).toString('hex')
    } catch (err: any) {
      this.reject(err)
      // unsupported version / unknown type: answered with REJECT and the code (Part 3 §7), never dropped silently
      const answer = rejectForBadHeader(frame, err)
      if (answer != null) channel.send(answer).catch(this.sendFailed)
      return
    }
    switch (type) {
      case HandshakeType.Hello: { this.onHello(frame, hsId, channel); return }
      case HandshakeType.Finish: { this.onFinish(frame, hsId, channel); return }
      case HandshakeType.SessionUnknown: {
        // the peer lost this session (restart, expiry): forget it so the next send handshakes again
        // unauthenticated: honoured only from the libp2p peer the session runs with, so a
        // third party who saw the session id cannot make us drop it
        const session = this.table.getByHex(hsId)
        const route = session == null ? undefined : this.routes.get(session.idHex)
        if (session != null && (route?.channel === channel || (route?.peer != null && channel.remotePeer?.equals(route.peer) === true))) {
          this.close(session, 'unknown at peer')
        } else {
          this.reject(new HandshakeUnknownError('SESSION_UNKNOWN from a peer that does not hold the session'))
        }
        return
      }
      default: {
        const pending = this.initiators.get(hsId)
        if (pending == null) {
          this.reject(new HandshakeUnknownError('no pending handshake with this id'))
          return
        }
        pending.onFrame(frame, type)
      }
    }
  }

  private onHello (frame: Uint8Array, hsId: string, channel: FrameChannel): void {
    if (frame.byteLength !== HELLO_LENGTH) {
      // cheap checks before admission: a malformed HELLO spends no slot and no token
      const err = new HandshakeMalformedError(`HELLO is ${frame.byteLength} bytes, expected ${HELLO_LENGTH}`)
      this.counters.handshakesFailed++
      this.reject(err)
      channel.send(encodeReject(frame.subarray(10, 18), err.code)).catch(this.sendFailed)
      return
    }
    const preferred = channel.remotePeer != null && this.byPeer.has(channel.remotePeer.toString())
    const verdict = this.admission.admit(this.responders, hsId, channel, preferred)
    if (!verdict.admitted) {
      this.reject(verdict.error)
      if (this.admission.answerRefusal(channel)) channel.send(encodeReject(frame.subarray(10, 18), verdict.error.code)).catch(this.sendFailed)
      return
    }
    if (verdict.evict != null) {
      // the pool is full: the oldest pending state of a peer without a session makes room
      const old = this.responders.get(verdict.evict)
      this.dropResponder(verdict.evict)
      this.counters.handshakesFailed++
      old?.channel.send(encodeReject(Buffer.from(verdict.evict, 'hex'), 'ERR_HS_TOO_MANY_PENDING')).catch(this.sendFailed)
    }
    const timer = setTimeout(() => {
      this.responders.delete(hsId)
      this.counters.handshakesFailed++
    }, this.handshakeTimeout)
    timer.unref?.()
    const entry: PendingResponder = { ...verdict.slot, timer }
    this.responders.set(hsId, entry)
    const hello = Uint8Array.from(frame)
    this.queueSigning(() => {
      // dropped while queued (displaced, channel closed, timed out): no signature spent
      if (this.responders.get(hsId) !== entry) return
      try {
        entry.handshake = new ResponderHandshake(hello, { identity: this.init.identity })
      } catch (err: any) {
        this.dropResponder(hsId)
        this.counters.handshakesFailed++
        this.reject(err)
        channel.send(encodeReject(hello.subarray(10, 18), err.code ?? 'ERR_HS_MALFORMED')).catch(this.sendFailed)
        return
      }
      channel.send(entry.handshake.response).catch((err: any) => {
        this.log('could not send RESPONSE: %s', err.message)
      })
    })
  }

  private queueSigning (job: () => void): void {
    this.signing.push(job)
    this.signTimer ??= setImmediate(() => { this.runSigning() })
  }

  private runSigning (): void {
    this.signTimer = undefined
    this.signing.shift()?.()
    if (this.signing.length > 0) this.signTimer = setImmediate(() => { this.runSigning() })
  }

  private dropResponder (hsId: string): void {
    const pending = this.responders.get(hsId)
    if (pending == null) return
    clearTimeout(pending.timer)
    this.responders.delete(hsId)
  }

  private onFinish (frame: Uint8Array, hsId: string, channel: FrameChannel): void {
    const pending = this.responders.get(hsId)
    if (pending?.handshake == null) {
      // (a FINISH before our RESPONSE was even signed cannot be genuine)
      this.reject(new HandshakeUnknownError('FINISH for no pending handshake'))
      return
    }
    this.dropResponder(hsId)
    try {
      const { session, accept } = pending.handshake.onFinish(frame)
      this.addSession(session, { channel, peer: channel.remotePeer, ip: pending.ip })
      this.counters.handshakesCompleted++
      this.log('session %s with %s (responder)', session.idHex, session.remote.address)
      channel.send(accept).catch(this.sendFailed)
    } catch (err: any) {
      this.counters.handshakesFailed++
      this.reject(err)
      this.log('handshake from %s failed: %s', channel.remotePeer?.toString(), err.message)
      channel.send(encodeReject(frame.subarray(10, 18), err.code ?? 'ERR_HS_FAILED')).catch(this.sendFailed)
    }
  }

  private async handshake (target: SessionTarget, options: AbortOptions & { expectedAddress?: string }): Promise<Session> {
    const signal = anySignal(options.signal, AbortSignal.timeout(this.handshakeTimeout))
    const channel = await this.init.openChannel(target, { signal })
    // a responder under a HELLO flood answers "busy" (too many pending, rate limited) at once:
    // try again with backoff until the deadline instead of failing the caller
    for (let backoff = HANDSHAKE_RETRY_INITIAL_MS; ; backoff = Math.min(backoff * 2, HANDSHAKE_RETRY_MAX_MS)) {
      try {
        return await this.attempt(channel, signal, options)
      } catch (err: any) {
        if (!(err instanceof HandshakeRejectedError) || !BUSY_CODES.has(err.remoteCode) || signal.aborted) throw err
        this.log('handshake refused (%s), retrying in %d ms', err.remoteCode, backoff)
        await sleep(backoff * (0.5 + Math.random()), signal).catch(() => {})
        if (signal.aborted) throw options.signal?.aborted === true ? new HandshakeAbortedError() : new HandshakeTimeoutError(this.handshakeTimeout)
        if (!channel.open) throw err
      }
    }
  }

  private async attempt (channel: FrameChannel, signal: AbortSignal, options: AbortOptions & { expectedAddress?: string }): Promise<Session> {
    const handshake = new InitiatorHandshake({ identity: this.init.identity, expectedAddress: options.expectedAddress })
    const hsId = Buffer.from(handshake.hsId).toString('hex')
    try {
      const session = await new Promise<Session>((resolve, reject) => {
        const onAbort = (): void => {
          reject(options.signal?.aborted === true ? new HandshakeAbortedError() : new HandshakeTimeoutError(this.handshakeTimeout))
        }
        if (signal.aborted) { onAbort(); return }
        signal.addEventListener('abort', onAbort, { once: true })
        const fail = (err: Error): void => { signal.removeEventListener('abort', onAbort); reject(err) }
        this.initiators.set(hsId, {
          handshake,
          onFrame: (frame, type) => {
            try {
              if (type === HandshakeType.Reject) {
                fail(new HandshakeRejectedError(decodeReject(frame)))
              } else if (type === HandshakeType.Response) {
                const { finish } = handshake.onResponse(frame)
                channel.send(finish, { signal }).catch(fail)
              } else if (type === HandshakeType.Accept) {
                const session = handshake.onAccept(frame)
                signal.removeEventListener('abort', onAbort)
                resolve(session)
              }
            } catch (err: any) {
              this.reject(err)
              fail(err)
            }
          }
        })
        channel.send(handshake.hello(), { signal }).catch(fail)
      })
      this.addSession(session, { channel, peer: channel.remotePeer, ip: ipKey(channel.remoteAddr?.getComponents()) })
      this.counters.handshakesCompleted++
      this.log('session %s with %s (initiator)', session.idHex, session.remote.address)
      return session
    } catch (err) {
      this.counters.handshakesFailed++
      throw err
    } finally {
      this.initiators.delete(hsId)
    }
  }

  private maintain (now = Date.now()): void {
    for (const session of this.table.expireIdle(now, this.init.table?.idleMs ?? DEFAULT_IDLE_MS)) {
      this.dropRoute(session.idHex)
      this.init.onSessionClosed?.(session, 'idle')
    }
    for (const session of this.table) {
      if (session.needsRekey(now)) {
        // the initiator rekeys (when the upper layer is idle on it); past the hard limits sealing
        // fails and the session is useless to both sides, so it goes
        if (session.isPastHardLimit(now)) this.close(session, 'expired')
        else if (session.role === 'initiator' && this.init.canRekey?.(session) !== false) {
          this.rekey(session).catch((err: any) => { this.log('rekey of %s failed: %s', session.idHex, err.message) })
        }
      } else if (session.role === 'responder' && session.needsSaltRotation(now)) {
        session.rotateSalt(undefined, now)
        this.init.onSaltRotated?.(session)
      }
    }
  }
}

const HELLO_LENGTH = HS_HEADER_LENGTH + EPH_LENGTH + NONCE_LENGTH

/** Channels a session's route keeps besides the current one (one per carrier is plenty). */
const MAX_ALTERNATES = 4

function rememberAlternate (route: Route, channel: FrameChannel | undefined): void {
  if (channel == null || !channel.open) return
  route.alternates = [channel, ...(route.alternates ?? []).filter(c => c !== channel && c.open)].slice(0, MAX_ALTERNATES)
}

/** REJECT codes meaning "busy, try later" (attnproto.md Part 3 §7). */
const BUSY_CODES = new Set(['ERR_HS_TOO_MANY_PENDING', 'ERR_HS_RATE_LIMITED'])

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function peerFromNodeKey (nodePublicKey: Uint8Array): PeerId | undefined {
  try {
    return peerIdFromPublicKey(toSecp256k1PublicKey(nodePublicKey))
  } catch {
    return undefined
  }
}

function targetPeer (target: SessionTarget): PeerId | undefined {
  if (isPeerId(target)) return target
  return undefined
}
