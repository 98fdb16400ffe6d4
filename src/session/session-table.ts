import {
  DEFAULT_IDLE_MS, DEFAULT_MAX_SESSION_BYTES, DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSIONS_PER_IDENTITY, SESSION_ID_LENGTH,
  SESSION_MEMORY_ESTIMATE_BYTES
} from './constants.js'
import { SessionTableFullError } from './errors.js'
import type { Session, SessionPeer } from './session.js'

export interface SessionTableInit {
  /** Most sessions per remote identity (`remote.address`); the least recently active is evicted. Default 8. */
  maxPerIdentity?: number
  /** Most sessions overall; the least recently active is evicted (or, with `evictGlobal: false`, add throws). */
  maxSessions?: number
  evictGlobal?: boolean
  /** Default idle time for `expireIdle`. */
  idleMs?: number
  /**
   * Memory budget of all sessions in bytes (default 256 MiB), at SESSION_MEMORY_ESTIMATE_BYTES
   * per session (measured: bench/session-sybil.ts): caps the count at maxBytes / estimate too.
   */
  maxBytes?: number
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Hex of the first 8 bytes of a frame or a session id: the table key. */
export function sessionKey (bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < SESSION_ID_LENGTH; i++) s += HEX[bytes[i]]
  return s
}

function sameId (id: Uint8Array, frame: Uint8Array): boolean {
  for (let i = 0; i < SESSION_ID_LENGTH; i++) if (id[i] !== frame[i]) return false
  return true
}

/**
 * All live sessions of a node, keyed by session id. Frames are routed by their first 8 bytes,
 * whatever carrier or source address they arrived on (protocols/attnproto.md Part 3 §9, multi-carrier routing).
 */
export class SessionTable<P extends SessionPeer = SessionPeer> implements Iterable<Session<P>> {
  private readonly byId = new Map<string, Session<P>>()
  private readonly byAddr = new Map<string, Set<Session<P>>>()
  /** The session `get` found last (always one in `byId`: `remove` and `clear` forget it). */
  private lastHit?: Session<P>
  readonly maxPerIdentity: number
  readonly maxSessions: number
  readonly maxBytes: number
  readonly evictGlobal: boolean
  readonly idleMs: number

  constructor (init: SessionTableInit = {}) {
    this.maxPerIdentity = init.maxPerIdentity ?? DEFAULT_MAX_SESSIONS_PER_IDENTITY
    this.maxBytes = init.maxBytes ?? DEFAULT_MAX_SESSION_BYTES
    // the memory budget is a count at the measured per-session cost
    this.maxSessions = Math.min(init.maxSessions ?? DEFAULT_MAX_SESSIONS, Math.max(1, Math.floor(this.maxBytes / SESSION_MEMORY_ESTIMATE_BYTES)))
    this.evictGlobal = init.evictGlobal ?? true
    this.idleMs = init.idleMs ?? DEFAULT_IDLE_MS
  }

  get size (): number { return this.byId.size }

  /** Adds a session (replacing one with the same id); returns the sessions evicted to respect the caps. */
  add (session: Session<P>): Array<Session<P>> {
    const evicted: Array<Session<P>> = []
    const existing = this.byId.get(session.idHex)
    if (existing !== undefined) this.remove(existing)
    const peers = this.byAddr.get(session.remote.address)
    while (peers !== undefined && peers.size >= this.maxPerIdentity && peers.size > 0) {
      const lru = leastValuable(peers)
      this.remove(lru)
      evicted.push(lru)
    }
    while (this.byId.size >= this.maxSessions && this.byId.size > 0) {
      if (!this.evictGlobal) throw new SessionTableFullError(this.maxSessions)
      const lru = leastValuable(this.byId.values())
      this.remove(lru)
      evicted.push(lru)
    }
    this.byId.set(session.idHex, session)
    let set = this.byAddr.get(session.remote.address)
    if (set === undefined) this.byAddr.set(session.remote.address, set = new Set())
    set.add(session)
    return evicted
  }

  /** The session for an 8-byte session id, or for a frame (its first 8 bytes). */
  get (sessionIdOrFrame: Uint8Array): Session<P> | undefined {
    if (sessionIdOrFrame.length < SESSION_ID_LENGTH) return undefined
    // a busy session's records come one after another: compare 8 bytes before building a hex key
    const last = this.lastHit
    if (last !== undefined && sameId(last.id, sessionIdOrFrame)) return last
    const s = this.byId.get(sessionKey(sessionIdOrFrame))
    if (s !== undefined) this.lastHit = s
    return s
  }

  getByHex (idHex: string): Session<P> | undefined { return this.byId.get(idHex) }

  has (sessionId: Uint8Array): boolean { return this.get(sessionId) !== undefined }

  /** Removes a session by id (bytes or hex); true if it was there. */
  delete (sessionId: Uint8Array | string): boolean {
    const s = typeof sessionId === 'string' ? this.byId.get(sessionId) : this.get(sessionId)
    if (s === undefined) return false
    this.remove(s)
    return true
  }

  /** Sessions with one remote identity. */
  byAddress (address: string): Array<Session<P>> {
    return [...(this.byAddr.get(address) ?? [])]
  }

  /** Drops sessions idle for `idleMs` (default from init) and returns them. */
  expireIdle (now: number = Date.now(), idleMs: number = this.idleMs): Array<Session<P>> {
    const out: Array<Session<P>> = []
    for (const s of this.byId.values()) if (s.isIdle(now, idleMs)) out.push(s)
    for (const s of out) this.remove(s)
    return out
  }

  clear (): void { this.byId.clear(); this.byAddr.clear(); this.lastHit = undefined }
  values (): IterableIterator<Session<P>> { return this.byId.values() }
  [Symbol.iterator] (): Iterator<Session<P>> { return this.byId.values() }

  private remove (s: Session<P>): void {
    if (this.lastHit === s) this.lastHit = undefined
    this.byId.delete(s.idHex)
    const set = this.byAddr.get(s.remote.address)
    if (set !== undefined) {
      set.delete(s)
      if (set.size === 0) this.byAddr.delete(s.remote.address)
    }
  }
}

/**
 * The session to evict first: one that never carried a record after its handshake (no RPC
 * traffic: an idle Sybil, a handshake nobody used) before any that did; among equals the least
 * recently active.
 */
export function leastValuable<T extends { lastActivity: number, framesReceived: number }> (items: Iterable<T>): T {
  let best: T | undefined
  for (const s of items) {
    if (best === undefined) { best = s; continue }
    const sUsed = s.framesReceived > 0
    const bUsed = best.framesReceived > 0
    if (sUsed !== bUsed ? !sUsed : s.lastActivity < best.lastActivity) best = s
  }
  return best as T
}
