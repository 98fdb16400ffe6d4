/**
 * The datastore kad-dht writes its records to (protocols/messaging.md §2.1). kad-dht's PUT_VALUE
 * handler validates a record and then overwrites the stored one without running the selector, and
 * stores whatever validates, without limit. This wrapper sits between kad-dht and the real store
 * (SqliteDatastore) and refuses, with a typed error that aborts the PUT_VALUE stream:
 * - a directory record the selector ranks below the stored one (a replayed older seq);
 * - records outside `/attn/` and provider records from peers;
 * - from peers: values over the size limit, and records over the per-node or per-source-peer caps.
 * The source peer is known because the DHT protocol handler runs inside an AsyncLocalStorage
 * context (see `components`); puts without one are this node's own (publish, self-correction).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { Record as Libp2pRecord } from '@libp2p/kad-dht'
import { Key } from 'interface-datastore'
import type { Batch, Datastore, KeyQuery, Pair, Query } from 'interface-datastore'
import type { AbortOptions, ComponentLogger, Logger, Startable, StreamHandler } from '@libp2p/interface'
import { equalBytes } from '../messaging/protocol/codec.js'
import { DIRECTORY_KEY_PREFIX } from '../messaging/constants.js'
import { decodeDirectoryRecord, selectDirectoryRecord } from '../messaging/protocol/directory-record.js'
import {
  DEFAULT_DHT_MAX_BYTES, DEFAULT_DHT_MAX_BYTES_PER_PEER, DEFAULT_DHT_MAX_RECORD_BYTES, DEFAULT_DHT_MAX_RECORDS,
  DEFAULT_DHT_MAX_RECORDS_PER_PEER, DHT_RECORD_PREFIX, DHT_RECORD_VALIDITY_MS, DHT_STORED_NAMESPACE
} from './constants.js'
import {
  DhtNamespaceRefusedError, DhtPeerQuotaError, DhtRecordMalformedError, DhtRecordRollbackError, DhtRecordTooLargeError,
  DhtStoreFullError
} from './errors.js'
import type { AttnError } from '../errors.js'

export interface DhtStorageLimits {
  /** Records held for the DHT (default DEFAULT_DHT_MAX_RECORDS). */
  maxRecords: number
  /** Bytes of stored values (default DEFAULT_DHT_MAX_BYTES). */
  maxBytes: number
  /** Records one source peer may have stored here. */
  maxRecordsPerPeer: number
  /** Bytes one source peer may have stored here. */
  maxBytesPerPeer: number
  /** Largest record value (the directory record bytes) accepted from a peer. */
  maxRecordBytes: number
}

export const DEFAULT_DHT_LIMITS: DhtStorageLimits = {
  maxRecords: DEFAULT_DHT_MAX_RECORDS,
  maxBytes: DEFAULT_DHT_MAX_BYTES,
  maxRecordsPerPeer: DEFAULT_DHT_MAX_RECORDS_PER_PEER,
  maxBytesPerPeer: DEFAULT_DHT_MAX_BYTES_PER_PEER,
  maxRecordBytes: DEFAULT_DHT_MAX_RECORD_BYTES
}

/** A store the guard can open and close with the node (SqliteDatastore). */
export type InnerDatastore = Datastore & { open?: () => void, close?: () => void }

export interface DhtStoreStats {
  records: number
  bytes: number
  /** Records stored (new or replacing) since start. */
  accepted: number
  /** Refused puts by error code. */
  rejected: Record<string, number>
}

interface Entry {
  /** Peer id string of the sender; '' for this node's own puts and records loaded from disk. */
  source: string
  size: number
  /** When the record may be pruned (directory expiry, or kad-dht's 48 h validity). */
  expiresAtMs: number
}

/** Prune expired records at most this often when a cap is reached (a full store is an attack surface). */
const PRUNE_MIN_INTERVAL_MS = 5_000
const PRUNE_INTERVAL_MS = 10 * 60 * 1000
const LOCAL = ''

export class DhtRecordGuard implements Datastore, Startable {
  readonly limits: DhtStorageLimits
  private readonly source = new AsyncLocalStorage<string>()
  private readonly entries = new Map<string, Entry>()
  private readonly perSource = new Map<string, { count: number, bytes: number }>()
  private readonly totals = { count: 0, bytes: 0 }
  private readonly counters: DhtStoreStats = { records: 0, bytes: 0, accepted: 0, rejected: {} }
  private lastPrune = 0
  private timer?: ReturnType<typeof setInterval>
  private ready: Promise<void>
  private stopped = false
  /** Set from the libp2p components when kad-dht is built (see `components`). */
  private log: Logger = silentLogger()
  /** Told about every directory record stored (the messaging layer learns of its own identity's newer records). */
  private readonly directoryListeners = new Set<(key: string, value: Uint8Array) => void>()

  constructor (private readonly inner: InnerDatastore, limits: Partial<DhtStorageLimits> = {}) {
    this.limits = { ...DEFAULT_DHT_LIMITS, ...limits }
    this.ready = this.load()
  }

  readonly [Symbol.toStringTag] = '@attn/dht-record-guard'

  /** Calls `listener` with the key (`/attn/id/<address>`) and value of every directory record stored from now on (validated by kad-dht before); returns the unsubscribe. */
  onDirectoryRecord (listener: (key: string, value: Uint8Array) => void): () => void {
    this.directoryListeners.add(listener)
    return () => { this.directoryListeners.delete(listener) }
  }

  async start (): Promise<void> {
    if (this.stopped) {
      // started again after a stop: reopen the file and rebuild the index
      this.stopped = false
      this.inner.open?.()
      this.ready = this.load()
    }
    await this.ready
    this.timer = setInterval(() => { void this.prune(true) }, PRUNE_INTERVAL_MS)
    this.timer.unref?.()
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    this.entries.clear()
    this.perSource.clear()
    this.totals.count = 0
    this.totals.bytes = 0
    this.stopped = true
    this.inner.close?.()
  }

  stats (): DhtStoreStats {
    return { ...this.counters, records: this.totals.count, bytes: this.totals.bytes, rejected: { ...this.counters.rejected } }
  }

  /**
   * The components kad-dht should see: this guard as its datastore, and a registrar whose handler
   * for `protocol` runs each inbound DHT stream with its remote peer as the source of every put.
   */
  components<C extends { datastore: unknown, registrar: unknown, logger: ComponentLogger }> (components: C, protocol: string): C {
    const guard = this
    this.log = components.logger.forComponent('attn:dht-store')
    const registrar = new Proxy(components.registrar as object, {
      get (target, prop) {
        const value = Reflect.get(target, prop)
        if (prop === 'handle') {
          return async (protocols: string | string[], handler: StreamHandler, options?: unknown) => {
            const list = Array.isArray(protocols) ? protocols : [protocols]
            const wrapped: StreamHandler = list.includes(protocol)
              ? async (stream, connection) => { await guard.source.run(connection.remotePeer.toString(), async () => { await handler(stream, connection) }) }
              : handler
            return await (value as Function).call(target, protocols, wrapped, options)
          }
        }
        return typeof value === 'function' ? value.bind(target) : value
      }
    })
    return new Proxy(components, {
      get (target, prop) {
        if (prop === 'datastore') return guard
        if (prop === 'registrar') return registrar
        return Reflect.get(target, prop)
      }
    })
  }

  /** Runs `fn` with `peer` as the source of the puts it makes (what the wrapped DHT handler does). */
  async withSource<T> (peer: string, fn: () => Promise<T>): Promise<T> {
    return await this.source.run(peer, fn)
  }

  private async load (): Promise<void> {
    for await (const { key, value } of this.inner.query({ prefix: DHT_RECORD_PREFIX })) {
      this.index(key.toString(), LOCAL, value)
    }
    this.log('loaded %d DHT records (%d bytes)', this.totals.count, this.totals.bytes)
  }

  private index (key: string, source: string, value: Uint8Array): void {
    this.unindex(key)
    let expiresAtMs = Date.now() + DHT_RECORD_VALIDITY_MS
    try {
      const rec = Libp2pRecord.deserialize(value)
      if (rec.timeReceived != null) expiresAtMs = rec.timeReceived.getTime() + DHT_RECORD_VALIDITY_MS
      const dirExpiry = directoryExpiryMs(rec)
      if (dirExpiry != null) expiresAtMs = Math.min(expiresAtMs, dirExpiry)
    } catch (err: any) {
      this.log('stored value under %s does not decode (%s): pruned at the next pass', key, err.message)
      expiresAtMs = 0
    }
    const entry: Entry = { source, size: value.byteLength, expiresAtMs }
    this.entries.set(key, entry)
    const s = this.perSource.get(source) ?? { count: 0, bytes: 0 }
    s.count++
    s.bytes += entry.size
    this.perSource.set(source, s)
    this.totals.count++
    this.totals.bytes += entry.size
  }

  private unindex (key: string): void {
    const old = this.entries.get(key)
    if (old == null) return
    this.entries.delete(key)
    const s = this.perSource.get(old.source)
    if (s != null) {
      s.count--
      s.bytes -= old.size
      if (s.count <= 0) this.perSource.delete(old.source)
    }
    this.totals.count--
    this.totals.bytes -= old.size
  }

  private refuse (err: AttnError): never {
    this.counters.rejected[err.code] = (this.counters.rejected[err.code] ?? 0) + 1
    this.log('refused a DHT put: %s', err.message)
    throw err
  }

  /** Deletes records past their expiry; `force` ignores the minimum interval. */
  private async prune (force = false): Promise<number> {
    const now = Date.now()
    if (!force && now - this.lastPrune < PRUNE_MIN_INTERVAL_MS) return 0
    this.lastPrune = now
    let pruned = 0
    for (const [key, entry] of [...this.entries]) {
      if (entry.expiresAtMs > now) continue
      try {
        await this.inner.delete(new Key(key))
        this.unindex(key)
        pruned++
      } catch (err: any) {
        this.log.error('could not prune DHT record %s: %s', key, err.message)
      }
    }
    if (pruned > 0) this.log('pruned %d expired DHT records', pruned)
    return pruned
  }

  async put (key: Key, val: Uint8Array, options?: AbortOptions): Promise<Key> {
    await this.ready
    const k = key.toString()
    const source = this.source.getStore() ?? LOCAL
    const remote = source !== LOCAL
    if (!k.startsWith(DHT_RECORD_PREFIX)) {
      // provider records (ADD_PROVIDER): ATT has no use for them, and they are one more unbounded table
      if (remote) this.refuse(new DhtNamespaceRefusedError('the ATT DHT stores no provider records'))
      return await this.inner.put(key, val, options)
    }
    let rec: Libp2pRecord
    try {
      rec = Libp2pRecord.deserialize(val)
    } catch (err) {
      this.refuse(new DhtRecordMalformedError('the value is not a libp2p record', { cause: err }))
    }
    const keyText = new TextDecoder().decode(rec.key)
    if (keyText.split('/')[1] !== DHT_STORED_NAMESPACE) {
      this.refuse(new DhtNamespaceRefusedError(`the ATT DHT stores only /${DHT_STORED_NAMESPACE}/ records`))
    }
    if (remote && rec.value.byteLength > this.limits.maxRecordBytes) {
      this.refuse(new DhtRecordTooLargeError(`a record value is at most ${this.limits.maxRecordBytes} bytes, got ${rec.value.byteLength}`))
    }
    const existing = this.entries.get(k)
    if (existing != null && keyText.startsWith(DIRECTORY_KEY_PREFIX) && !await this.notOlder(key, rec)) {
      const err = new DhtRecordRollbackError(`${keyText}: the stored directory record wins the selection (higher revocation seq, then higher seq) over the one offered`)
      if (remote) this.refuse(err)
      // our own put (kad-dht stores locally, then sends to peers): keep the better record here and
      // let the put go on to the network, where each peer decides
      this.counters.rejected[err.code] = (this.counters.rejected[err.code] ?? 0) + 1
      this.log('kept the stored record: %s', err.message)
      return key
    }
    if (remote) await this.checkCaps(source, val.byteLength, existing)
    await this.inner.put(key, val, options)
    this.index(k, source, val)
    this.counters.accepted++
    if (keyText.startsWith(DIRECTORY_KEY_PREFIX)) {
      for (const listener of this.directoryListeners) {
        try {
          listener(keyText, rec.value)
        } catch (err: any) {
          this.log('a directory record listener failed: %s', err.message)
        }
      }
    }
    return key
  }

  /** False when the selector ranks the offered directory record below the stored one (a stored invalid or expired one always loses). */
  private async notOlder (key: Key, rec: Libp2pRecord): Promise<boolean> {
    let stored: Libp2pRecord
    try {
      stored = Libp2pRecord.deserialize(await this.inner.get(key))
    } catch (err: any) {
      this.log('stored record under %s is unreadable (%s): replacing it', key.toString(), err.message)
      return true
    }
    if (equalBytes(stored.value, rec.value)) return true
    try {
      return selectDirectoryRecord(rec.key, [rec.value, stored.value]) === 0
    } catch {
      return true // neither validates (both expired): nothing to protect
    }
  }

  private async checkCaps (source: string, size: number, existing: Entry | undefined): Promise<void> {
    const over = (): { global: boolean, peer: boolean } => {
      const addCount = existing == null ? 1 : 0
      const totalBytes = this.totals.bytes - (existing?.size ?? 0) + size
      const s = this.perSource.get(source) ?? { count: 0, bytes: 0 }
      const mine = existing?.source === source
      const peerCount = s.count + (mine ? 0 : 1)
      const peerBytes = s.bytes - (mine ? existing.size : 0) + size
      return {
        global: this.totals.count + addCount > this.limits.maxRecords || totalBytes > this.limits.maxBytes,
        peer: peerCount > this.limits.maxRecordsPerPeer || peerBytes > this.limits.maxBytesPerPeer
      }
    }
    let o = over()
    if (o.global || o.peer) {
      if (await this.prune() > 0) o = over()
    }
    if (o.peer) {
      this.refuse(new DhtPeerQuotaError(`${source} has stored its maximum of ${this.limits.maxRecordsPerPeer} records / ${this.limits.maxBytesPerPeer} bytes here`))
    }
    if (o.global) {
      this.refuse(new DhtStoreFullError(`this node holds its maximum of ${this.limits.maxRecords} DHT records / ${this.limits.maxBytes} bytes`))
    }
  }

  async get (key: Key, options?: AbortOptions): Promise<Uint8Array> {
    await this.ready
    return await this.inner.get(key, options)
  }

  async has (key: Key, options?: AbortOptions): Promise<boolean> {
    await this.ready
    return await this.inner.has(key, options)
  }

  async delete (key: Key, options?: AbortOptions): Promise<void> {
    await this.ready
    await this.inner.delete(key, options)
    this.unindex(key.toString())
  }

  async * putMany (source: Iterable<Pair> | AsyncIterable<Pair>, options?: AbortOptions): AsyncGenerator<Key> {
    for await (const { key, value } of source) yield await this.put(key, value, options)
  }

  async * getMany (source: Iterable<Key> | AsyncIterable<Key>, options?: AbortOptions): AsyncGenerator<Pair> {
    for await (const key of source) yield { key, value: await this.get(key, options) }
  }

  async * deleteMany (source: Iterable<Key> | AsyncIterable<Key>, options?: AbortOptions): AsyncGenerator<Key> {
    for await (const key of source) {
      await this.delete(key, options)
      yield key
    }
  }

  /** Batches go through put/delete one by one, so every rule applies to them too. */
  batch (): Batch {
    const ops: Array<{ key: Key, value?: Uint8Array }> = []
    return {
      put: (key, value) => { ops.push({ key, value }) },
      delete: (key) => { ops.push({ key }) },
      commit: async (options) => {
        for (const op of ops.splice(0)) {
          if (op.value != null) await this.put(op.key, op.value, options)
          else await this.delete(op.key, options)
        }
      }
    }
  }

  async * query (q: Query, options?: AbortOptions): AsyncGenerator<Pair> {
    await this.ready
    yield * this.inner.query(q, options)
  }

  async * queryKeys (q: KeyQuery, options?: AbortOptions): AsyncGenerator<Key> {
    await this.ready
    yield * this.inner.queryKeys(q, options)
  }
}

const DIRECTORY_KEY_BYTES = new TextEncoder().encode(DIRECTORY_KEY_PREFIX)

/**
 * Expiry (ms) of a directory record, from its decoded `expires_at` (no signature check: records
 * from peers were validated before the put); undefined for other keys or undecodable values.
 */
function directoryExpiryMs (rec: Libp2pRecord): number | undefined {
  if (!equalBytes(rec.key.subarray(0, DIRECTORY_KEY_BYTES.byteLength), DIRECTORY_KEY_BYTES)) return undefined
  try {
    return decodeDirectoryRecord(rec.value).expiresAt * 1000
  } catch {
    return undefined
  }
}

function silentLogger (): Logger {
  const log = (): void => {}
  return Object.assign(log, { enabled: false, error: log, trace: log, newScope: () => silentLogger() }) as unknown as Logger
}
