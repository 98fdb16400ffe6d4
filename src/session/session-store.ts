import { DatabaseSync, type StatementSync } from 'node:sqlite'
import type { KeyObject } from 'node:crypto'
import { aes256GcmOpen, aes256GcmSeal, GCM_IV_LENGTH, randomBytes } from '../crypto/index.js'
import { AttnError } from '../errors.js'
import { SessionStateError } from './errors.js'
import { Session, type SessionPeer } from './session.js'

/** Result details of the last `loadAll`. */
export interface LoadReport { loaded: number; corrupt: number; corruptIds: string[] }

/**
 * Persists sessions in SQLite (node:sqlite, WAL). Each row holds the session id, remote address,
 * updated_at and iv(12) | AES-256-GCM(toState()) | tag with aad = session id, so a row cannot be
 * moved to another id and a tampered or truncated row is detected (and skipped) on load.
 */
export class SessionStore {
  private readonly db: DatabaseSync
  private readonly key: KeyObject
  private readonly upsert: StatementSync
  private readonly selectAll: StatementSync
  private readonly remove: StatementSync
  /** Report of the most recent `loadAll()`. */
  lastLoad: LoadReport = { loaded: 0, corrupt: 0, corruptIds: [] }

  constructor (path: string, key: KeyObject) {
    this.key = key
    this.db = new DatabaseSync(path)
    this.db.exec('PRAGMA journal_mode = WAL')
    this.db.exec('PRAGMA synchronous = NORMAL')
    this.db.exec(`CREATE TABLE IF NOT EXISTS attn_sessions (
      id BLOB PRIMARY KEY,
      remote_address TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      state BLOB NOT NULL
    ) WITHOUT ROWID`)
    this.upsert = this.db.prepare('INSERT OR REPLACE INTO attn_sessions (id, remote_address, updated_at, state) VALUES (?, ?, ?, ?)')
    this.selectAll = this.db.prepare('SELECT id, state FROM attn_sessions')
    this.remove = this.db.prepare('DELETE FROM attn_sessions WHERE id = ?')
  }

  /** Inserts or replaces the session's current state. */
  save (session: Session<any>, now: number = Date.now()): void {
    const iv = randomBytes(GCM_IV_LENGTH)
    const sealed = aes256GcmSeal(this.key, iv, session.toState(), session.id)
    const blob = new Uint8Array(iv.length + sealed.length)
    blob.set(iv, 0)
    blob.set(sealed, iv.length)
    this.upsert.run(session.id, session.remote.address, now, blob)
  }

  /** Every stored session that decrypts and parses; bad rows are skipped and counted in `lastLoad`. */
  loadAll (): Array<Session<SessionPeer>> {
    const out: Array<Session<SessionPeer>> = []
    const report: LoadReport = { loaded: 0, corrupt: 0, corruptIds: [] }
    const rows = this.selectAll.all()
    for (const row of rows) {
      const id = row.id
      try {
        if (!(id instanceof Uint8Array) || !(row.state instanceof Uint8Array)) throw new SessionStateError('bad row types')
        const blob = row.state
        const state = aes256GcmOpen(this.key, blob.subarray(0, GCM_IV_LENGTH), blob.subarray(GCM_IV_LENGTH), id)
        const s = Session.fromState(state)
        if (Buffer.compare(s.id, id) !== 0) throw new SessionStateError('id mismatch')
        out.push(s)
        report.loaded++
      } catch (err) {
        if (!(err instanceof AttnError) && !(err instanceof Error)) throw err
        report.corrupt++
        report.corruptIds.push(id instanceof Uint8Array ? Buffer.from(id).toString('hex') : String(id))
      }
    }
    this.lastLoad = report
    return out
  }

  /** Deletes a stored session; true if a row was removed. */
  delete (sessionId: Uint8Array): boolean {
    const r = this.remove.run(sessionId)
    return Number(r.changes) > 0
  }

  close (): void { this.db.close() }
}
