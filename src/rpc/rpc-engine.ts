import { AckBatcher } from './ack-batcher.js'
import { abortEntry, CallContext } from './call-context.js'
import { CallTiming } from './call-timing.js'
import { decodeRpcMessage, encodeInfo, encodeRpcMessage } from './codec.js'
import * as C from './constants.js'
import { ContainerBatcher } from './container-batcher.js'
import {
  PublicRpcError, RpcAbortedError, RpcBadRequestError, RpcDecodeError, RpcHandlerError,
  RpcSessionClosedError, RpcStoppedError, RpcTimeoutError, RpcTooLargeError, remoteError
} from './errors.js'
import { isValidMethodName, MethodEntry, MethodTable } from './methods.js'
import { SlotQueue } from './pending-calls.js'
import { ReceivedCalls } from './received-calls.js'
import { SentRecords } from './sent-records.js'
import { Timers } from './timers.js'
import type { TimerHandle } from './timers.js'
import type { RpcBody, RpcWireError } from './codec.js'
import type { AttnRpcError } from './errors.js'
import type { RpcHandleOptions, RpcHandler } from './methods.js'
import type { PendingCall } from './pending-calls.js'
import type { ReceivedEntry } from './received-calls.js'
import type { RpcLink } from './index.js'
import type { AbortOptions } from '@libp2p/interface'

export type RpcStatus = 'unknown' | 'received' | 'processing' | 'done' | 'failed'
const STATUS_NAMES: RpcStatus[] = ['unknown', 'received', 'processing', 'done', 'failed']

/** Options of `call`, `queryStatus` and `ping`. */
export interface RpcCallOptions extends AbortOptions {
  /** Deadline in ms for the whole operation, including the wait for an in-flight slot. */
  timeout?: number
  /** Called with the call's msg_id once it is allocated (for a later `queryStatus`). */
  onMsgId?: (msgId: bigint) => void
}

export interface RpcEngineInit {
  /** Address/version/protocols served by `attn.info`. */
  info?: () => { address: string, version: string, protocols?: string[], carriers?: string[], mailboxPrice?: string }
  /** A NewSalt arrived on `link`: install `salt` in the session before the engine resends the affected calls. */
  onNewSalt?: (link: RpcLink, salt: Uint8Array, validSince: bigint, badMsgId: bigint) => void
  callTimeout?: number
  /** Resend backoff of unacknowledged calls: initial and maximum interval (ms). */
  resendInitial?: number
  resendMax?: number
  /** First probe (re-sent Call) after an Ack when the Reply is slow or lost. */
  probeInitial?: number
  ackDelay?: number
  maxInFlight?: number
  maxIncoming?: number
  handlerTimeout?: number
  receivedCache?: { maxEntries?: number, maxBytes?: number, ttl?: number }
  /** Clock for msg_id age checks and cache TTLs (ms). */
  now?: () => number
}

/** Counters (monotonic) and gauges (current) of an engine. */
export interface RpcStats {
  callsSent: number
  callsReceived: number
  repliesSent: number
  repliesReceived: number
  resends: number
  duplicatesDropped: number
  /** Ack messages sent (each up to MAX_ACK_IDS ids). */
  acksSent: number
  recordsSent: number
  containersSent: number
  messagesSent: number
  sendErrors: number
  lateReplies: number
  staleDropped: number
  handlerErrors: number
  newSaltsReceived: number
  /** Exceptions thrown by the caller's callbacks (`onMsgId`, `onNewSalt`): counted, never propagated. */
  callbackErrors: number
  /** Records or container items dropped, by RpcDecodeError code. */
  decodeErrors: Record<string, number>
  links: number
  /** Outgoing calls sent and not yet settled. */
  pendingCalls: number
  /** Outgoing calls waiting for an in-flight slot. */
  waitingForSlot: number
  /** Received calls queued or running (counted against maxIncoming). */
  runningHandlers: number
  /** Of those, calls waiting for a handler slot (state `received`). */
  queuedHandlers: number
  receivedCacheEntries: number
  receivedCacheBytes: number
  pendingStatusQueries: number
  pendingPings: number
  queuedOutgoing: number
  activeTimers: number
}

type Counter = Exclude<{ [K in keyof RpcStats]: RpcStats[K] extends number ? K : never }[keyof RpcStats],
'links' | 'pendingCalls' | 'waitingForSlot' | 'runningHandlers' | 'queuedHandlers' | 'receivedCacheEntries' |
'receivedCacheBytes' | 'pendingStatusQueries' | 'pendingPings' | 'queuedOutgoing' | 'activeTimers'>

interface PendingQuery {
  msgId: bigint
  body: Uint8Array
  backoff: number
  timer?: TimerHandle
  resolve: (states: RpcStatus[]) => void
  reject: (err: Error) => void
}

interface PendingPing { start: number, resolve: (rtt: number) => void, reject: (err: Error) => void }

/** Everything the engine holds for one link (moves with the link on `linkReplaced`). */
class LinkState {
  link: RpcLink
  closed = false
  /** Why the link state closed (given to callers still waiting for a slot). */
  failure?: AttnRpcError
  readonly out: ContainerBatcher
  readonly acks: AckBatcher
  readonly pending = new Map<bigint, PendingCall>()
  readonly slots: SlotQueue
  readonly received: ReceivedCalls
  incoming = 0
  readonly queries = new Map<bigint, PendingQuery>()
  readonly pings = new Map<bigint, PendingPing>()
  /** record msg_id → calls it carried (bounded FIFO), for NewSalt.bad_msg_id. */
  readonly sentRecords = new SentRecords(C.SENT_RECORD_MEMORY)

  constructor (link: RpcLink, engine: RpcEngine, e: Required<Omit<RpcEngineInit, 'info' | 'onNewSalt' | 'receivedCache'>> & { cache: { maxEntries: number, maxBytes: number, ttl: number } }, timers: Timers) {
    this.link = link
    this.acks = new AckBatcher(e.ackDelay, timers, () => this.out.schedule())
    this.out = new ContainerBatcher({
      nextMsgId: () => this.link.nextMsgId(),
      drainExtra: () => {
        const a = this.acks.drain()
        engine._count('acksSent', a.length)
        return a
      },
      send: (data, msgId, callIds, items, container) => { engine._send(this, data, msgId, callIds, items, container) },
      maxRecordData: () => this.link.maxRecordData?.()
    })
    this.slots = new SlotQueue(e.maxInFlight)
    this.received = new ReceivedCalls(e.cache.maxEntries, e.cache.maxBytes, e.cache.ttl, e.now)
  }
}

/**
 * The RPC engine: calls, replies, acks, resends, dedup, status queries, containers
 * (protocols/attnproto.md Part 5). It owns no sockets: the session layer feeds it authenticated records
 * with `handleRecord` and it sends records through `RpcLink.send`.
 */
export class RpcEngine {
  private readonly cfg: ConstructorParameters<typeof LinkState>[2]
  private readonly infoFn?: RpcEngineInit['info']
  private readonly onNewSalt?: RpcEngineInit['onNewSalt']
  private readonly links = new Map<string, LinkState>()
  private readonly closedLinks = new WeakSet<RpcLink>()
  private readonly methods = new MethodTable()
  private readonly timers = new Timers()
  /** Call latency histograms by direction, method and outcome (for /metrics). */
  readonly timing = new CallTiming()
  private readonly counters: Record<Counter, number> = {
    callsSent: 0, callsReceived: 0, repliesSent: 0, repliesReceived: 0, resends: 0, duplicatesDropped: 0,
    acksSent: 0, recordsSent: 0, containersSent: 0, messagesSent: 0, sendErrors: 0, lateReplies: 0,
    staleDropped: 0, handlerErrors: 0, newSaltsReceived: 0, callbackErrors: 0
  }

  private readonly decodeErrors: Record<string, number> = {}
  private nextPingId = 1n
  private stopped = false

  constructor (init: RpcEngineInit = {}) {
    this.infoFn = init.info
    this.onNewSalt = init.onNewSalt
    this.cfg = {
      callTimeout: init.callTimeout ?? C.DEFAULT_CALL_TIMEOUT_MS,
      resendInitial: init.resendInitial ?? C.DEFAULT_RESEND_INITIAL_MS,
      resendMax: init.resendMax ?? C.DEFAULT_RESEND_MAX_MS,
      probeInitial: init.probeInitial ?? C.DEFAULT_PROBE_INITIAL_MS,
      ackDelay: init.ackDelay ?? C.DEFAULT_ACK_DELAY_MS,
      maxInFlight: init.maxInFlight ?? C.DEFAULT_MAX_IN_FLIGHT,
      maxIncoming: init.maxIncoming ?? C.DEFAULT_MAX_INCOMING,
      handlerTimeout: init.handlerTimeout ?? C.DEFAULT_HANDLER_TIMEOUT_MS,
      now: init.now ?? Date.now,
      cache: {
        maxEntries: init.receivedCache?.maxEntries ?? C.DEFAULT_RECEIVED_CACHE_ENTRIES,
        maxBytes: init.receivedCache?.maxBytes ?? C.DEFAULT_RECEIVED_CACHE_BYTES,
        ttl: init.receivedCache?.ttl ?? C.DEFAULT_RECEIVED_CACHE_TTL_MS
      }
    }
    this.handle(C.METHOD_PING, params => params)
    this.handle(C.METHOD_INFO, () => {
      const i = this.infoFn?.() ?? { address: '', version: '' }
      return encodeInfo({ version: i.version, address: i.address, methods: this.methods.names(), protocols: i.protocols ?? [], carriers: i.carriers ?? [], ...(i.mailboxPrice != null ? { mailboxPrice: i.mailboxPrice } : {}) })
    })
  }

  // ------------------------------------------------------------------ public API

  /** Registers (or replaces) the handler of `method`. Throws RpcBadRequestError for an invalid name. */
  handle (method: string, handler: RpcHandler, options: RpcHandleOptions = {}): void {
    if (!isValidMethodName(method)) throw new RpcBadRequestError(`invalid method name "${method}"`)
    this.methods.set(new MethodEntry(method, handler, options.timeout ?? this.cfg.handlerTimeout,
      options.maxConcurrent ?? Infinity, options.maxQueued ?? 0))
  }

  /** Removes the handler of `method`; later calls get UNKNOWN_METHOD. Running calls finish. */
  unhandle (method: string): void {
    this.methods.delete(method)
  }

  /**
   * Calls `method` on the peer of `link` and resolves with the result bytes. Rejects with an
   * AttnRpcError subclass: remote errors (UNKNOWN_METHOD, HANDLER_ERROR, …, `remote === true`) or
   * local ones (TIMEOUT, ABORTED, TOO_LARGE, SESSION_CLOSED, BAD_REQUEST, STOPPED).
   */
  async call (link: RpcLink, method: string, params: Uint8Array, options: RpcCallOptions = {}): Promise<Uint8Array> {
    if (this.stopped) throw new RpcStoppedError()
    if (!isValidMethodName(method)) throw new RpcBadRequestError(`invalid method name "${method}"`)
    if (params.byteLength > C.MAX_PAYLOAD_BYTES) throw new RpcTooLargeError(`params of ${params.byteLength} bytes exceed ${C.MAX_PAYLOAD_BYTES}`)
    const ls = this.open(link, options)
    const body = encodeRpcMessage({ kind: 'call', method, params })
    const started = performance.now()
    const observe = (outcome: string): void => { this.timing.observe('out', method, outcome, performance.now() - started) }
    return await this.settle<Uint8Array>(options, method, settled => {
      const finish = (outcome: Uint8Array | Error): void => {
        observe(outcome instanceof Error ? ((outcome as { code?: string }).code ?? 'ERROR') : 'ok')
        settled(outcome)
      }
      let pc: PendingCall | undefined
      let cancelWait: () => void = () => {}
      cancelWait = ls.slots.acquire(() => {
        cancelWait = () => {}
        const msgId = ls.link.nextMsgId()
        try { options.onMsgId?.(msgId) } catch { this.counters.callbackErrors++ }
        pc = { msgId, method, body, acked: false, backoff: this.cfg.resendInitial, timer: undefined, resent: false, resolve: finish, reject: finish }
        ls.pending.set(msgId, pc)
        this.counters.callsSent++
        ls.out.push({ msgId, body, callId: msgId })
        this.armResend(ls, pc)
      }, () => { cancelWait = () => {}; finish(ls.failure ?? new RpcSessionClosedError()) })
      return () => {
        cancelWait()
        if (pc == null) return
        pc.timer = this.timers.clear(pc.timer)
        if (ls.pending.get(pc.msgId) === pc) {
          ls.pending.delete(pc.msgId)
          ls.slots.release()
        }
      }
    })
  }

  /** Asks the peer for the state of calls it received from us (by their msg_ids). */
  async queryStatus (link: RpcLink, msgIds: bigint[], options: RpcCallOptions = {}): Promise<RpcStatus[]> {
    if (this.stopped) throw new RpcStoppedError()
    if (msgIds.length === 0) return []
    if (msgIds.length > C.MAX_STATUS_IDS) throw new RpcBadRequestError(`at most ${C.MAX_STATUS_IDS} ids per status query`)
    const ls = this.open(link, options)
    const msgId = ls.link.nextMsgId()
    const body = encodeRpcMessage({ kind: 'statusQuery', msgIds })
    return await this.settle<RpcStatus[]>(options, 'status query', finish => {
      const q: PendingQuery = { msgId, body, backoff: this.cfg.resendInitial, resolve: finish, reject: finish }
      ls.queries.set(msgId, q)
      ls.out.push({ msgId, body })
      const resend = (): void => {
        q.timer = this.timers.set(() => {
          q.timer = undefined
          this.counters.resends++
          ls.out.push({ msgId, body })
          q.backoff = Math.min(q.backoff * 2, this.cfg.resendMax)
          resend()
        }, q.backoff)
      }
      resend()
      return () => {
        q.timer = this.timers.clear(q.timer)
        ls.queries.delete(msgId)
      }
    })
  }

  /** Sends a Ping and resolves with the round-trip time in ms (Pings are not resent). */
  async ping (link: RpcLink, options: RpcCallOptions = {}): Promise<number> {
    if (this.stopped) throw new RpcStoppedError()
    const ls = this.open(link, options)
    const pingId = this.nextPingId++
    return await this.settle<number>(options, 'ping', finish => {
      ls.pings.set(pingId, { start: performance.now(), resolve: finish, reject: finish })
      ls.out.push({ body: encodeRpcMessage({ kind: 'ping', pingId }) })
      return () => { ls.pings.delete(pingId) }
    })
  }

  /** Tells the peer of `link` which salt to use (the session layer calls this after rejecting a record's salt). */
  sendNewSalt (link: RpcLink, salt: Uint8Array, validSince: bigint, badMsgId: bigint): void {
    if (salt.byteLength !== C.SALT_LENGTH) throw new RpcBadRequestError(`salt must be ${C.SALT_LENGTH} bytes`)
    const ls = this.state(link)
    if (ls.closed || this.stopped) return
    ls.out.push({ body: encodeRpcMessage({ kind: 'newSalt', salt, validSince, badMsgId }) })
  }

  /** Feeds one authenticated record (its msg_id and data). Never throws. */
  handleRecord (link: RpcLink, msgId: bigint, data: Uint8Array): void {
    if (this.stopped) return
    try {
      const ls = this.state(link)
      if (ls.closed) return
      let msg
      try {
        msg = decodeRpcMessage(data)
      } catch (err) {
        this.countDecodeError(err instanceof RpcDecodeError ? err.code : 'ERR_RPC_INTERNAL')
        return
      }
      if (msg.kind !== 'container') {
        this.dispatch(ls, msgId, msg)
        return
      }
      for (const item of msg.messages) {
        // inner ids were allocated before the record's: a larger one is a forgery or a bug
        if (item.msgId >= msgId) { this.countDecodeError('ERR_RPC_BAD_ITEM_ID'); continue }
        this.dispatch(ls, item.msgId, item.message)
      }
    } catch {
      this.countDecodeError('ERR_RPC_INTERNAL')
    }
  }

  /** The session behind `link` closed: pending calls fail with SESSION_CLOSED, handlers are aborted. */
  linkClosed (link: RpcLink): void {
    const ls = this.links.get(link.id)
    if (ls == null) return
    this.links.delete(link.id)
    this.closeState(ls, () => new RpcSessionClosedError())
  }

  /** True while calls, status queries or pings are in flight on the link, or calls from its peer run. */
  busy (link: RpcLink): boolean {
    const ls = this.links.get(link.id)
    if (ls == null || ls.closed) return false
    return ls.pending.size > 0 || ls.slots.waiting > 0 || ls.queries.size > 0 || ls.pings.size > 0 || ls.incoming > 0
  }

  /**
   * The session of `oldLink` continues as `newLink` (same peer, e.g. after a rekey or a new
   * session id): pending calls, dedup cache and queued messages move over, unacked calls are resent.
   */
  linkReplaced (oldLink: RpcLink, newLink: RpcLink): void {
    const ls = this.links.get(oldLink.id)
    if (ls == null || ls.closed) return
    this.links.delete(oldLink.id)
    const existing = this.links.get(newLink.id)
    if (existing != null && existing !== ls) this.closeState(existing, () => new RpcSessionClosedError())
    ls.link = newLink
    // record ids of the new session start afresh; everything older must travel wrapped
    ls.out.lastRecordId = newLink.nextMsgId()
    this.links.set(newLink.id, ls)
    for (const pc of ls.pending.values()) { this.counters.resends++; ls.out.push({ msgId: pc.msgId, body: pc.body, callId: pc.msgId }) }
    for (const q of ls.queries.values()) ls.out.push({ msgId: q.msgId, body: q.body })
  }

  /** Rejects everything with STOPPED, aborts handlers, releases all timers. */
  stop (): void {
    if (this.stopped) return
    this.stopped = true
    for (const ls of this.links.values()) this.closeState(ls, () => new RpcStoppedError())
    this.links.clear()
    this.timers.stop()
  }

  /** Registered method names, sorted (built-ins included). */
  methodNames (): string[] { return this.methods.names() }

  stats (): RpcStats {
    const s: RpcStats = {
      ...this.counters,
      decodeErrors: { ...this.decodeErrors },
      links: this.links.size,
      pendingCalls: 0,
      waitingForSlot: 0,
      runningHandlers: 0,
      queuedHandlers: this.methods.queued,
      receivedCacheEntries: 0,
      receivedCacheBytes: 0,
      pendingStatusQueries: 0,
      pendingPings: 0,
      queuedOutgoing: 0,
      activeTimers: this.timers.active
    }
    for (const ls of this.links.values()) {
      s.pendingCalls += ls.pending.size
      s.waitingForSlot += ls.slots.waiting
      s.runningHandlers += ls.incoming
      s.receivedCacheEntries += ls.received.size
      s.receivedCacheBytes += ls.received.bytes
      s.pendingStatusQueries += ls.queries.size
      s.pendingPings += ls.pings.size
      s.queuedOutgoing += ls.out.queued
    }
    return s
  }

  // ------------------------------------------------------------------ internals

  /** @internal */
  _count (c: Counter, n = 1): void { this.counters[c] += n }

  /** @internal Sends one record built by the link's batcher. */
  _send (ls: LinkState, data: Uint8Array, msgId: bigint, callIds: bigint[], items: number, container: boolean): void {
    this.counters.recordsSent++
    this.counters.messagesSent += items
    if (container) this.counters.containersSent++
    if (callIds.length > 0) {
      ls.sentRecords.set(msgId, callIds)
    }
    // a call that timed out once goes out again on another live carrier, if the link has one
    let resend = false
    for (const id of callIds) if (ls.pending.get(id)?.resent === true) resend = true
    // the carrier sends at once (UDP, an HTTP answer): no promise per record
    if (!resend && ls.link.sendNow != null) {
      try {
        const r = ls.link.sendNow(data, msgId)
        if (r === true) return
        if (r !== false) { r.catch(() => { this.counters.sendErrors++ }); return }
      } catch {
        this.counters.sendErrors++
        return
      }
    }
    try {
      ls.link.send(data, msgId, resend ? { resend } : undefined).catch(() => { this.counters.sendErrors++ })
    } catch {
      this.counters.sendErrors++
    }
  }

  private state (link: RpcLink): LinkState {
    let ls = this.links.get(link.id)
    if (ls == null) {
      ls = new LinkState(link, this, this.cfg, this.timers)
      if (this.closedLinks.has(link)) ls.closed = true
      else this.links.set(link.id, ls)
    }
    return ls
  }

  /** The link state for an operation that may start: throws if the caller already aborted or the link is closed. */
  private open (link: RpcLink, options: RpcCallOptions): LinkState {
    if (options.signal?.aborted === true) throw new RpcAbortedError()
    const ls = this.state(link)
    if (ls.closed) throw new RpcSessionClosedError()
    return ls
  }

  /**
   * The one finish/abort/deadline path of `call`, `queryStatus` and `ping`: `begin` starts the
   * operation with a `finish` callback (result or error, first one wins) and returns its cleanup.
   * The caller's signal joins the deadline (`timeout`, else the engine's callTimeout): either ends it.
   */
  private async settle<T> (options: RpcCallOptions, what: string, begin: (finish: (outcome: T | Error) => void) => () => void): Promise<T> {
    const signal = options.signal
    return await new Promise<T>((resolve, reject) => {
      let done = false
      let cleanup: (() => void) | undefined
      let deadline: TimerHandle | undefined
      const onAbort = (): void => { finish(new RpcAbortedError()) }
      const finish = (outcome: T | Error): void => {
        if (done) return
        done = true
        deadline = this.timers.clear(deadline)
        signal?.removeEventListener('abort', onAbort)
        cleanup?.()
        if (outcome instanceof Error) reject(outcome)
        else resolve(outcome)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      deadline = this.timers.set(() => { deadline = undefined; finish(new RpcTimeoutError(`${what} timed out`)) }, options.timeout ?? this.cfg.callTimeout)
      const c = begin(finish)
      // begin may have finished synchronously (no slot: link already failed)
      if (done) c()
      else cleanup = c
    })
  }

  private countDecodeError (code: string): void {
    this.decodeErrors[code] = (this.decodeErrors[code] ?? 0) + 1
  }

  private closeState (ls: LinkState, err: () => AttnRpcError): void {
    ls.closed = true
    ls.failure = err()
    this.closedLinks.add(ls.link)
    ls.out.clear()
    ls.acks.clear()
    ls.slots.failAll()
    for (const pc of [...ls.pending.values()]) pc.reject(err())
    for (const q of [...ls.queries.values()]) q.reject(err())
    for (const p of [...ls.pings.values()]) p.reject(err())
    for (const e of ls.received.active()) {
      e.timer = this.timers.clear(e.timer)
      abortEntry(e, err())
    }
    ls.received.clear()
    ls.sentRecords.clear()
  }

  /** Schedules the next resend (unacked) or probe (acked) of a pending call. */
  private armResend (ls: LinkState, pc: PendingCall): void {
    pc.timer = this.timers.clear(pc.timer)
    pc.timer = this.timers.set(() => {
      pc.timer = undefined
      if (ls.pending.get(pc.msgId) !== pc || ls.closed) return
      this.counters.resends++
      pc.resent = true
      ls.out.push({ msgId: pc.msgId, body: pc.body, callId: pc.msgId })
      pc.backoff = Math.min(pc.backoff * 2, this.cfg.resendMax)
      this.armResend(ls, pc)
    }, pc.backoff)
  }

  private markAcked (ls: LinkState, pc: PendingCall): void {
    if (pc.acked) return
    pc.acked = true
    pc.backoff = Math.max(pc.backoff, this.cfg.probeInitial)
    this.armResend(ls, pc)
  }

  private dispatch (ls: LinkState, msgId: bigint, msg: RpcBody): void {
    switch (msg.kind) {
      case 'call': this.onCall(ls, msgId, msg.method, msg.params); break
      case 'reply': this.onReply(ls, msgId, msg.reqMsgId, msg.result, msg.error); break
      case 'ack':
        for (const id of msg.msgIds) {
          const pc = ls.pending.get(id)
          if (pc != null) this.markAcked(ls, pc)
          else ls.received.replyAcked(id)
        }
        break
      case 'statusQuery': {
        const states = Uint8Array.from(msg.msgIds, id => ls.received.status(id))
        ls.out.push({ body: encodeRpcMessage({ kind: 'statusInfo', reqMsgId: msgId, msgIds: msg.msgIds, states }) })
        break
      }
      case 'statusInfo': {
        msg.msgIds.forEach((id, i) => {
          const pc = ls.pending.get(id)
          const st = msg.states[i]
          if (pc != null && (st === C.STATUS_RECEIVED || st === C.STATUS_PROCESSING)) this.markAcked(ls, pc)
        })
        ls.queries.get(msg.reqMsgId)?.resolve(Array.from(msg.states, b => STATUS_NAMES[b]))
        break
      }
      case 'newSalt': {
        this.counters.newSaltsReceived++
        try { this.onNewSalt?.(ls.link, msg.salt, msg.validSince, msg.badMsgId) } catch { this.counters.callbackErrors++ }
        if (ls.closed) return
        const ids = ls.sentRecords.get(msg.badMsgId)
        const affected = ids != null
          ? ids.map(id => ls.pending.get(id)).filter(pc => pc != null)
          : [...ls.pending.values()].filter(pc => !pc.acked)
        for (const pc of affected) {
          this.counters.resends++
          ls.out.push({ msgId: pc.msgId, body: pc.body, callId: pc.msgId })
          this.armResend(ls, pc)
        }
        break
      }
      case 'ping':
        ls.out.push({ body: encodeRpcMessage({ kind: 'pong', pingId: msg.pingId, reqMsgId: msgId }) })
        break
      case 'pong': {
        const p = ls.pings.get(msg.pingId)
        p?.resolve(performance.now() - p.start)
        break
      }
    }
  }

  private onReply (ls: LinkState, msgId: bigint, reqMsgId: bigint, result: Uint8Array | undefined, error: RpcWireError | undefined): void {
    ls.acks.add(msgId)
    const pc = ls.pending.get(reqMsgId)
    if (pc == null) { this.counters.lateReplies++; return }
    this.counters.repliesReceived++
    if (error != null) pc.reject(remoteError(error.code, error.message))
    else pc.resolve(result as Uint8Array)
  }

  private onCall (ls: LinkState, msgId: bigint, method: string, params: Uint8Array): void {
    const seen = ls.received.get(msgId)
    if (seen != null) {
      this.counters.duplicatesDropped++
      if (seen.reply != null && seen.replyMsgId != null) ls.out.push({ msgId: seen.replyMsgId, body: seen.reply })
      else ls.out.push({ body: encodeRpcMessage({ kind: 'statusInfo', reqMsgId: msgId, msgIds: [msgId], states: Uint8Array.of(ls.received.status(msgId)) }) })
      return
    }
    // older than the dedup window: it may have run already and been forgotten, so never run it
    const timeMs = Number(msgId >> 16n)
    if (this.cfg.now() - timeMs > this.cfg.cache.ttl) { this.counters.staleDropped++; return }

    const entry = ls.received.add(msgId)
    this.counters.callsReceived++
    ls.acks.add(msgId)
    if (!isValidMethodName(method)) { this.finishCall(ls, entry, undefined, new PublicRpcError('BAD_REQUEST', 'invalid method name'), 'unknown'); return }
    const m = this.methods.get(method)
    if (m == null) { this.finishCall(ls, entry, undefined, new PublicRpcError('UNKNOWN_METHOD', `unknown method ${method}`), 'unknown'); return }
    if (ls.incoming >= this.cfg.maxIncoming) { this.finishCall(ls, entry, undefined, new PublicRpcError('OVERLOADED', 'overloaded'), method); return }
    if (m.running >= m.maxConcurrent && m.queue.length >= m.maxQueued) { this.finishCall(ls, entry, undefined, new PublicRpcError('OVERLOADED', 'overloaded'), method); return }

    ls.incoming++
    if (m.running < m.maxConcurrent) this.runHandler(ls, entry, m, method, params)
    else m.queue.push({ start: () => { this.runHandler(ls, entry, m, method, params) }, dropped: () => entry.aborted === true || entry.state !== 'received' })
  }

  private runHandler (ls: LinkState, entry: ReceivedEntry, m: MethodEntry, method: string, params: Uint8Array): void {
    m.running++
    entry.state = 'processing'
    let done = false
    const complete = (result: Uint8Array | undefined, err: Error | undefined): void => {
      if (done) return
      done = true
      entry.timer = this.timers.clear(entry.timer)
      m.running--
      ls.incoming--
      // next queued call of this method (skipping those whose link closed)
      while (m.queue.length > 0 && m.running < m.maxConcurrent) {
        const q = m.queue.shift()
        if (q != null && !q.dropped()) { q.start(); break }
      }
      if (ls.closed) return
      this.finishCall(ls, entry, result, err, method)
    }
    entry.onAbort = () => { complete(undefined, new RpcAbortedError()) }
    entry.timer = this.timers.set(() => {
      entry.timer = undefined
      // the call ends with TIMEOUT, not ABORTED: the handler's signal aborts, the reply says why
      entry.onAbort = undefined
      abortEntry(entry)
      complete(undefined, new PublicRpcError('TIMEOUT', `handler of ${method} timed out`))
    }, m.timeout)
    try {
      const r = m.handler(params, new CallContext(method, ls.link.remoteAddress, ls.link.id, ls.link.remoteDevice,
        ls.link.remoteSource?.(), entry.msgId, entry))
      if (r instanceof Uint8Array) complete(r, undefined)
      else {
        Promise.resolve(r).then(v => { complete(v, undefined) }, e => { complete(undefined, e instanceof Error ? e : new Error(String(e))) })
      }
    } catch (e) {
      complete(undefined, e instanceof Error ? e : new Error(String(e)))
    }
  }

  /** Builds, caches and queues the Reply of a received call. */
  private finishCall (ls: LinkState, entry: ReceivedEntry, result: Uint8Array | undefined, err: Error | undefined, method: string): void {
    entry.controller = undefined
    entry.onAbort = undefined
    let error: RpcWireError | undefined
    if (err == null && !(result instanceof Uint8Array)) {
      this.counters.handlerErrors++
      error = { code: 'HANDLER_ERROR', message: 'handler returned no bytes' }
    } else if (err == null && (result as Uint8Array).byteLength > C.MAX_PAYLOAD_BYTES) {
      error = { code: 'TOO_LARGE', message: `result of ${(result as Uint8Array).byteLength} bytes exceeds ${C.MAX_PAYLOAD_BYTES}` }
    } else if (err != null) {
      error = wireError(err)
      if (error.code === 'HANDLER_ERROR') this.counters.handlerErrors++
    }
    const body = error != null
      ? encodeRpcMessage({ kind: 'reply', reqMsgId: entry.msgId, error })
      : encodeRpcMessage({ kind: 'reply', reqMsgId: entry.msgId, result: result as Uint8Array })
    // `method` is a registered name or `unknown`: a peer cannot grow the label set
    this.timing.observe('in', method, error?.code ?? 'ok', this.cfg.now() - entry.at)
    const replyMsgId = ls.link.nextMsgId()
    ls.received.complete(entry, error != null, body, replyMsgId)
    ls.acks.delete(entry.msgId) // the Reply acknowledges the Call
    this.counters.repliesSent++
    ls.out.push({ msgId: replyMsgId, body })
  }
}

function truncateUtf8 (s: string, max: number): string {
  const b = Buffer.from(s, 'utf8')
  return b.byteLength <= max ? s : b.subarray(0, max).toString('utf8').replace(/\uFFFD+$/, '')
}

/** Only a PublicRpcError (the engine's own conditions use it too) discloses its code and message. */
function wireError (err: Error): RpcWireError {
  if (err instanceof PublicRpcError && C.ERROR_CODE_PATTERN.test(err.code) && err.code.length <= C.MAX_ERROR_CODE_LENGTH) {
    return { code: err.code, message: truncateUtf8(err.message, C.MAX_ERROR_MESSAGE_LENGTH) }
  }
  return { code: new RpcHandlerError().code, message: 'handler error' }
}
