/**
 * A persistent interface-datastore Datastore in one node:sqlite file (WAL): what kad-dht keeps
 * (records, provider entries) survives a restart. `:memory:` gives the same code without a file.
 */
import { DatabaseSync } from 'node:sqlite'
import type { StatementSync } from 'node:sqlite'
import { NotFoundError } from '@libp2p/interface'
import { Key } from 'interface-datastore'
import type { Batch, Datastore, KeyQuery, Pair, Query } from 'interface-datastore'
import type { AbortOptions } from '@libp2p/interface'
import { StoreOpenError } from './errors.js'

const SCHEMA_VERSION = 1

export class SqliteDatastore implements Datastore {
  private db?: DatabaseSync
  private stmts?: {
    put: StatementSync
    get: StatementSync
    has: StatementSync
    del: StatementSync
    range: StatementSync
    keys: StatementSync
  }

  constructor (readonly path: string) {
    this.open()
  }

  /** Opens the file (again after close). Throws StoreOpenError naming the file. */
  open (): void {
    if (this.db != null) return
    let db: DatabaseSync | undefined
    try {
      db = new DatabaseSync(this.path)
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000')
      const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
      if (version > SCHEMA_VERSION) throw new Error(`schema version ${version}; this code knows up to ${SCHEMA_VERSION}`)
      db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID')
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)
      // a corrupt page would otherwise surface later, in the middle of a DHT request
      const check = db.prepare('PRAGMA quick_check').all() as Array<{ quick_check: string }>
      if (check.length !== 1 || check[0].quick_check !== 'ok') throw new Error(`integrity check failed: ${check.map(r => r.quick_check).join('; ')}`)
    } catch (err: any) {
      try { db?.close() } catch { /* already failing: the open error is the one to report */ }
      throw new StoreOpenError(`cannot open the DHT record store ${this.path}: ${err.message}`, { cause: err })
    }
    this.db = db
    this.stmts = {
      put: db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      get: db.prepare('SELECT value FROM kv WHERE key = ?'),
      has: db.prepare('SELECT 1 AS x FROM kv WHERE key = ?'),
      del: db.prepare('DELETE FROM kv WHERE key = ?'),
      // keys are ASCII paths; every key with the prefix sorts in [prefix, prefix + U+FFFF)
      range: db.prepare('SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key'),
      keys: db.prepare('SELECT key FROM kv WHERE key >= ? AND key < ? ORDER BY key')
    }
  }

  close (): void {
    this.db?.close()
    this.db = undefined
    this.stmts = undefined
  }

  private get s (): NonNullable<SqliteDatastore['stmts']> {
    if (this.stmts == null) throw new StoreOpenError(`the DHT record store ${this.path} is closed`)
    return this.stmts
  }

  put (key: Key, val: Uint8Array, options?: AbortOptions): Key {
    options?.signal?.throwIfAborted()
    this.s.put.run(key.toString(), val)
    return key
  }

  get (key: Key, options?: AbortOptions): Uint8Array {
    options?.signal?.throwIfAborted()
    const row = this.s.get.get(key.toString()) as { value: Uint8Array } | undefined
    if (row == null) throw new NotFoundError(`no value for ${key.toString()}`)
    return new Uint8Array(row.value)
  }

  has (key: Key, options?: AbortOptions): boolean {
    options?.signal?.throwIfAborted()
    return this.s.has.get(key.toString()) != null
  }

  delete (key: Key, options?: AbortOptions): void {
    options?.signal?.throwIfAborted()
    this.s.del.run(key.toString())
  }

  async * putMany (source: Iterable<Pair> | AsyncIterable<Pair>, options?: AbortOptions): AsyncGenerator<Key> {
    for await (const { key, value } of source) yield this.put(key, value, options)
  }

  async * getMany (source: Iterable<Key> | AsyncIterable<Key>, options?: AbortOptions): AsyncGenerator<Pair> {
    for await (const key of source) yield { key, value: this.get(key, options) }
  }

  async * deleteMany (source: Iterable<Key> | AsyncIterable<Key>, options?: AbortOptions): AsyncGenerator<Key> {
    for await (const key of source) {
      this.delete(key, options)
      yield key
    }
  }

  batch (): Batch {
    const ops: Array<{ key: Key, value?: Uint8Array }> = []
    return {
      put: (key, value) => { ops.push({ key, value }) },
      delete: (key) => { ops.push({ key }) },
      commit: (options) => {
        options?.signal?.throwIfAborted()
        const db = this.db
        if (db == null) throw new StoreOpenError(`the DHT record store ${this.path} is closed`)
        db.exec('BEGIN')
        try {
          for (const op of ops) {
            if (op.value != null) this.s.put.run(op.key.toString(), op.value)
            else this.s.del.run(op.key.toString())
          }
          db.exec('COMMIT')
        } catch (err) {
          db.exec('ROLLBACK')
          throw err
        }
        ops.length = 0
      }
    }
  }

  * query (q: Query, options?: AbortOptions): Generator<Pair> {
    const prefix = q.prefix ?? ''
    let rows = (this.s.range.all(prefix, prefix + '\uffff') as Array<{ key: string, value: Uint8Array }>)
      .map(r => ({ key: new Key(r.key), value: new Uint8Array(r.value) }))
    for (const f of q.filters ?? []) rows = rows.filter(f)
    for (const o of q.orders ?? []) rows = rows.sort(o)
    rows = rows.slice(q.offset ?? 0, q.limit != null ? (q.offset ?? 0) + q.limit : undefined)
    for (const row of rows) {
      options?.signal?.throwIfAborted()
      yield row
    }
  }

  * queryKeys (q: KeyQuery, options?: AbortOptions): Generator<Key> {
    const prefix = q.prefix ?? ''
    let keys = (this.s.keys.all(prefix, prefix + '\uffff') as Array<{ key: string }>).map(r => new Key(r.key))
    for (const f of q.filters ?? []) keys = keys.filter(f)
    for (const o of q.orders ?? []) keys = keys.sort(o)
    keys = keys.slice(q.offset ?? 0, q.limit != null ? (q.offset ?? 0) + q.limit : undefined)
    for (const key of keys) {
      options?.signal?.throwIfAborted()
      yield key
    }
  }
}
