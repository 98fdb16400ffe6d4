import { MessageType } from '@libp2p/kad-dht'
import { checkDirectoryRecord, createDirectoryRecord, directoryKey, encodeDirectoryRecord } from './protocol/directory-record.js'
import { AttnError } from '../errors.js'
import { DEFAULT_LOOKUP_TIMEOUT_MS } from './constants.js'
import type { DirectoryRecord, DirectoryRecordFields } from './protocol/directory-record.js'
import type { Identity } from '../keys/index.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** No valid directory record was found for an address. */
export class RecipientUnknownError extends AttnError {
  constructor (address: string, cause?: unknown) {
    super(`no directory record found for ${address} (has it published? is the DHT reachable?)`, 'ERR_RECIPIENT_UNKNOWN', { cause })
  }
}

const CACHE_MS = 30_000

/**
 * Publishes and looks up identity records under `/attn/id/<address>` in the ATT DHT.
 * kad-dht reports a put as done even when every peer rejected the record, so
 * `publish` counts the peers that answered PUT_VALUE with our record.
 */
export class DirectoryClient {
  private readonly cache = new Map<string, { record: DirectoryRecord, at: number }>()

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
    this.cache.set(identity.address, { record, at: Date.now() })
    this.log('published directory record seq %s: %d peers accepted, %d errors', record.seq, accepted, errors)
    return { record, accepted }
  }

  /** The best valid record for the address (cached briefly). Throws RecipientUnknownError, at the latest after the lookup timeout. */
  async lookup (address: string, options: AbortOptions & { fresh?: boolean } = {}): Promise<DirectoryRecord> {
    const cached = this.cache.get(address)
    if (options.fresh !== true && cached != null && Date.now() - cached.at < CACHE_MS) return cached.record
    const deadline = AbortSignal.timeout(this.lookupTimeout)
    const signal = options.signal == null ? deadline : AbortSignal.any([options.signal, deadline])
    let best: DirectoryRecord | undefined
    try {
      for await (const event of this.dht.get(directoryKey(address), { signal })) {
        if (event.name !== 'VALUE') continue
        try {
          const record = checkDirectoryRecord(directoryKey(address), event.value)
          if (best == null || record.seq > best.seq) best = record
        } catch (err: any) {
          this.log('ignoring invalid directory record from %p: %s', event.from, err.message)
        }
        // a sender needs a valid record, not the whole query (which costs ~0.3 s on 20 nodes);
        // publishing (fresh) walks it to the end so no device of ours is left out of the merge
        if (best != null && options.fresh !== true) break
      }
    } catch (err) {
      if (best == null) throw new RecipientUnknownError(address, err)
    }
    if (best == null) throw new RecipientUnknownError(address)
    this.cache.set(address, { record: best, at: Date.now() })
    return best
  }

  /** Our own last published record, if any (from the cache or the DHT). */
  cached (address: string): DirectoryRecord | undefined {
    return this.cache.get(address)?.record
  }
}
