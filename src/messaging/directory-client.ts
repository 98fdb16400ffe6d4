import { MessageType } from '@libp2p/kad-dht'
import { checkDirectoryRecord, compareDirectoryRecords, createDirectoryRecord, directoryKey, encodeDirectoryRecord, revocationSeq } from './protocol/directory-record.js'
import { RecipientUnknownError } from './errors.js'
import { DEFAULT_LOOKUP_TIMEOUT_MS, DIRECTORY_CACHE_MAX_ENTRIES, DIRECTORY_CACHE_MS } from './constants.js'
import { anySignal } from '../utils/signals.js'
import type { DirectoryRecord, DirectoryRecordFields } from './protocol/directory-record.js'
import type { Identity } from '../keys/index.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { AbortOptions, Logger } from '@libp2p/interface'

/**
 * Publishes and looks up identity records under `/attn/id/<address>` in the ATT DHT.
 * kad-dht reports a put as done even when every peer rejected the record, so
 * `publish` counts the peers that answered PUT_VALUE with our record.
 */
export class DirectoryClient {
  private readonly cache = new Map<string, { record: DirectoryRecord, at: number }>()
  /** Lookups under way, by address (joined by concurrent callers). */
  private readonly inflight = new Map<string, Promise<DirectoryRecord>>()

  constructor (private readonly dht: KadDHT, private readonly log: Logger, private readonly lookupTimeout = DEFAULT_LOOKUP_TIMEOUT_MS) {}

  async publish (identity: Identity, fields: DirectoryRecordFields, options: AbortOptions = {}): Promise<{ record: DirectoryRecord, accepted: number }> {
    const record = createDirectoryRecord(identity, fields)
    const value = encodeDirectoryRecord(record)
    let accepted = 0
    let errors = 0
    for await (const event of this.dht.put(directoryKey(identity.address), value, options)) {
      if (event.name === 'PEER_RESPONSE' && event.messageType === MessageType.PUT_VALUE) accepted++
      if (event.name === 'QUERY_ERROR') errors++
    }
    this.put(identity.address, record, Date.now())
    this.log('published directory record seq %s: %d peers accepted, %d errors', record.seq, accepted, errors)
    return { record, accepted }
  }

  /**
   * The best valid record for the address (cached briefly). Throws RecipientUnknownError, at the
   * latest after the lookup timeout. Concurrent lookups of one address share one DHT query (an
   * outbox pass of a hundred messages to one recipient must not start a hundred DHT walks); each
   * caller's own signal still ends its wait.
   */
  async lookup (address: string, options: AbortOptions & { fresh?: boolean } = {}): Promise<DirectoryRecord> {
    const cached = this.cache.get(address)
    if (options.fresh !== true && cached != null && Date.now() - cached.at < DIRECTORY_CACHE_MS) return cached.record
    if (options.fresh === true) return await this.query(address, true, anySignal(options.signal, AbortSignal.timeout(this.lookupTimeout)))
    let shared = this.inflight.get(address)
    if (shared == null) {
      shared = this.query(address, false, AbortSignal.timeout(this.lookupTimeout)).finally(() => { this.inflight.delete(address) })
      this.inflight.set(address, shared)
      // every caller may have stopped waiting: the query's failure must not go unhandled
      shared.catch((err: Error) => { this.log.trace('lookup of %s failed: %s', address, err.message) })
    }
    return await raceSignal(shared, options.signal)
  }

  /**
   * Walks the DHT query for the address's records. A fresh lookup (publishing) answers with the
   * best record at the end of the walk, so no device of ours is left out of the merge. Any other
   * answers with the first valid record (the whole walk costs ~0.3 s on 20 nodes, and a sender
   * needs a valid record, not the best one), while the walk goes on in the background and caches
   * the best record it meets: a peer that missed the last publication (a new device, a revocation)
   * is outvoted for the next lookups.
   */
  private async query (address: string, fresh: boolean, signal: AbortSignal): Promise<DirectoryRecord> {
    return await new Promise<DirectoryRecord>((resolve, reject) => {
      let best: DirectoryRecord | undefined
      let answered = false
      const walk = async (): Promise<void> => {
        try {
          for await (const event of this.dht.get(directoryKey(address), { signal })) {
            // kad-dht's get yields its VALUE only after the whole query has ended (and correction
            // records are sent); each peer's answer comes earlier as a PEER_RESPONSE with the
            // record, which we check ourselves
            let value: Uint8Array
            if (event.name === 'VALUE') value = event.value
            else if (event.name === 'PEER_RESPONSE' && event.messageType === MessageType.GET_VALUE && event.record != null) value = event.record.value
            else continue
            try {
              const record = checkDirectoryRecord(directoryKey(address), value)
              if (best == null || compareDirectoryRecords(record, best) > 0) best = record
            } catch (err: any) {
              this.log('ignoring invalid directory record from %p: %s', event.from, err.message)
            }
            if (best != null && !fresh && !answered) {
              answered = true
              resolve(this.put(address, best, Date.now()))
            }
          }
        } catch (err) {
          if (best == null) {
            reject(new RecipientUnknownError(address, err))
            return
          }
          this.log.trace('lookup of %s ended early: %s', address, (err as Error).message)
        }
        if (best == null) {
          reject(new RecipientUnknownError(address))
          return
        }
        if (!answered) {
          resolve(this.put(address, best, Date.now()))
          return
        }
        // after the early answer: keep what the walk found unless a newer record arrived meanwhile (learn)
        const held = this.cache.get(address)?.record
        if (held == null || compareDirectoryRecords(best, held) >= 0) this.put(address, best, Date.now())
      }
      void walk()
    })
  }

  /** The last record seen for the address (however old), if any. */
  cached (address: string): DirectoryRecord | undefined {
    return this.cache.get(address)?.record
  }

  /**
   * A valid record learned outside a lookup (a device's stale-devices hint, a record stored in our
   * DHT store): cached as fresh when it is newer (higher seq) than the one we hold; with
   * `onlyIfCached`, only an address already in the cache is updated (a DHT server stores records of
   * many identities it never asked about). Returns whether the cache changed.
   */
  learn (record: DirectoryRecord, options: { onlyIfCached?: boolean } = {}): boolean {
    const cached = this.cache.get(record.address)?.record
    if (cached == null && options.onlyIfCached === true) return false
    // the selection order (§2): a record with an older revocation list never replaces one we hold
    if (cached != null && compareDirectoryRecords(record, cached) <= 0) return false
    this.put(record.address, record, Date.now())
    return true
  }

  /**
   * Seeds the cache with a record known from elsewhere (our own, kept across restarts): `cached`
   * returns it at once, while `lookup` still asks the DHT (it counts as stale).
   */
  remember (record: DirectoryRecord): void {
    this.put(record.address, record, 0)
  }

  /** Cache insert, least recently stored dropped past DIRECTORY_CACHE_MAX_ENTRIES; returns the record kept. */
  private put (address: string, record: DirectoryRecord, at: number): DirectoryRecord {
    // a revocation is never forgotten: a record with an older revocation list (a revoked device
    // publishing again) does not replace one we hold (messaging.md §2.2)
    const held = this.cache.get(address)?.record
    if (held != null && revocationSeq(record) < revocationSeq(held)) record = held
    this.cache.delete(address)
    this.cache.set(address, { record, at })
    if (this.cache.size > DIRECTORY_CACHE_MAX_ENTRIES) {
      const oldest = this.cache.keys().next().value
      if (oldest != null) this.cache.delete(oldest)
    }
    return record
  }
}

/** Waits for `promise`, or rejects with the signal's reason once it aborts (the promise runs on). */
async function raceSignal<T> (promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal == null) return await promise
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        onAbort = () => { reject(signal.reason) }
        signal.addEventListener('abort', onAbort, { once: true })
      })
    ])
  } finally {
    if (onAbort != null) signal.removeEventListener('abort', onAbort)
  }
}
