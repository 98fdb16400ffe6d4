/**
 * Stale device lists (messaging.md §10.4.1). A sender seals for the devices of the directory
 * record it holds; a record cached a few seconds before we added a device (or answered by a DHT
 * peer that missed our last publication) leaves that device out, and the first receipt marks the
 * message delivered. The device that did receive the bundle notices the gap (it knows our own
 * record) and tells the sender with a `devices` message: our current record, self-authenticating.
 * The sender caches it and seals its recent messages to us again, for the missing devices only.
 */
import { randomBytes } from 'node:crypto'
import { ENVELOPE_ID_LENGTH, MAX_STALE_DEVICES_HINTED, MAX_STALE_DEVICES_MESSAGES, STALE_DEVICES_HINT_INTERVAL_MS, STALE_DEVICES_WINDOW_MS } from './constants.js'
import { StaleDevicesHintError } from './errors.js'
import { RateLimiter } from './rate-limiter.js'
import { Reader, Writer, toHex } from './protocol/codec.js'
import { decodeBundle } from './protocol/bundle.js'
import { checkDirectoryRecord, directoryKey, encodeDirectoryRecord } from './protocol/directory-record.js'
import { OCTET_STREAM } from './protocol/message.js'
import { PARCEL_BUNDLE, decodeParcel, encodeParcel } from './protocol/parcel.js'
import type { MessagingCounters } from './counters.js'
import type { DeviceSessions } from './device-sessions.js'
import type { DirectoryClient } from './directory-client.js'
import type { Outbox } from './outbox.js'
import type { PrekeyClient } from './prekey-client.js'
import type { DirectoryRecord } from './protocol/directory-record.js'
import type { MessagingStore } from './store.js'
import type { Identity } from '../keys/index.js'
import type { Logger } from '@libp2p/interface'

export interface StaleDevicesInit {
  identity: Identity
  /** This device's node id. */
  self: string
  directory: DirectoryClient
  store: MessagingStore
  sessions: DeviceSessions
  outbox: Outbox
  prekeys?: PrekeyClient
  counters: MessagingCounters
  log: Logger
  signal: AbortSignal
}

/** `devices` body: `envelope_id(16) | directory record (§2)`. */
export function encodeDevicesHint (envelopeId: Uint8Array, record: Uint8Array): Uint8Array {
  return new Writer().bytes(envelopeId).bytes(record).finish()
}

export class StaleDevices {
  /** One hint per sender address per interval (a token bucket of one). */
  private readonly hinted = new RateLimiter(1000 / STALE_DEVICES_HINT_INTERVAL_MS, 1, MAX_STALE_DEVICES_HINTED)
  /** `envelope id hex / device` sealed again already (each at most once). */
  private readonly resealed = new Set<string>()
  /** The reseal run per sender address (a second hint joins it). */
  private readonly running = new Map<string, Promise<void>>()
  /** One reseal run per sender address per interval for hints that bring no newer record. */
  private readonly answered = new RateLimiter(1000 / STALE_DEVICES_HINT_INTERVAL_MS, 1, MAX_STALE_DEVICES_HINTED)

  constructor (private readonly init: StaleDevicesInit) {}

  /**
   * Receiving side, after a bundle from another identity opened: when our own record lists a device
   * (with a current signed prekey) that the bundle was not sealed for, queue a `devices` message to
   * the sender with our record. At most once per STALE_DEVICES_HINT_INTERVAL_MS per sender. Run it
   * inside the transaction that stores the message (the hint is queued with it).
   */
  notice (senderAddress: string, envelopeId: Uint8Array, bundleDevices: string[]): void {
    const { identity, directory, sessions, outbox, counters } = this.init
    if (senderAddress === identity.address) return
    const own = directory.cached(identity.address)
    if (own == null) return
    const sealedFor = new Set(bundleDevices)
    const missing = sessions.targets(own).filter(d => !sealedFor.has(d.nodeId))
    if (missing.length === 0) return
    if (!this.hinted.take(senderAddress)) return
    this.init.log('%s sealed %s for %d of our devices; telling it about %s', senderAddress, toHex(envelopeId), bundleDevices.length, missing.map(d => d.nodeId).join(', '))
    outbox.enqueue(senderAddress, { kind: 'devices', contentType: OCTET_STREAM, body: encodeDevicesHint(envelopeId, encodeDirectoryRecord(own)) }, { kind: 'control' })
    counters.add('staleDevicesHinted')
  }

  /**
   * Sending side: a `devices` message from `senderAddress` (its own current record). The record must
   * validate for that address (StaleDevicesHintError otherwise); a newer one replaces our cached copy,
   * and our recent messages to that address are sealed again for the devices their bundles left out.
   */
  onHint (body: Uint8Array, senderAddress: string): void {
    let record: DirectoryRecord
    try {
      const r = new Reader(body, 'devices')
      r.bytes(ENVELOPE_ID_LENGTH)
      record = checkDirectoryRecord(directoryKey(senderAddress), r.rest())
    } catch (err: any) {
      throw new StaleDevicesHintError(`devices message from ${senderAddress}: ${err.message as string}`, { cause: err })
    }
    const newer = this.init.directory.learn(record)
    if (this.running.has(senderAddress)) return
    // a hint costs us a scan of our recent messages to that address: one run per sender per
    // interval, unless the hint brings a record newer than the one we hold (§10.4.1)
    // (a newer record is acted on whatever the bucket holds; it still takes the token if there is one)
    if (!this.answered.take(senderAddress) && !newer) {
      this.init.counters.add('staleDevicesHintsIgnored')
      return
    }
    const run = this.reseal(record)
      .catch((err: any) => { this.init.log('sealing again for the devices of %s failed: %s', senderAddress, err.message) })
      .finally(() => { this.running.delete(senderAddress) })
    this.running.set(senderAddress, run)
  }

  /** Waits for the reseal runs under way (tests, stop). */
  async idle (): Promise<void> {
    await Promise.all([...this.running.values()])
  }

  private async reseal (record: DirectoryRecord): Promise<void> {
    const { store, sessions, outbox, prekeys, counters, signal } = this.init
    const targets = sessions.targets(record)
    const work: Array<{ envelopeId: Uint8Array, message: Uint8Array, devices: DirectoryRecord['devices'] }> = []
    for (const m of store.recentSealedMessages(record.address, Date.now() - STALE_DEVICES_WINDOW_MS, MAX_STALE_DEVICES_MESSAGES)) {
      let sealedFor: Set<string>
      try {
        const parcel = decodeParcel(m.parcel)
        if (parcel.kind !== PARCEL_BUNDLE) continue
        sealedFor = new Set(decodeBundle(parcel.payload).devices.map(d => d.deviceId))
      } catch (err: any) {
        this.init.log('outbox parcel %s does not decode: %s', toHex(m.envelopeId), err.message)
        continue
      }
      const devices = targets.filter(d => !sealedFor.has(d.nodeId) && !this.resealed.has(`${toHex(m.envelopeId)}/${d.nodeId}`))
      if (devices.length > 0) work.push({ envelopeId: m.envelopeId, message: m.message(), devices })
    }
    if (work.length === 0) return
    const subset = (devices: DirectoryRecord['devices']): DirectoryRecord => ({ ...record, devices })
    // one-time prekeys for the devices we have no session with (the first reseal starts the session)
    const fresh = sessions.devicesWithoutSession(subset([...new Map(work.flatMap(w => w.devices).map(d => [d.nodeId, d])).values()]))
    const oneTime = prekeys != null && fresh.length > 0 ? await prekeys.take(record, fresh, { signal }) : new Map()
    signal.throwIfAborted()
    for (const w of work) {
      store.transaction(() => {
        const bundle = sessions.seal(subset(w.devices), w.message, w.envelopeId, oneTime)
        if (bundle == null) return
        // its own outbox row (the message's row keeps its state): the parcel keeps the message's id
        store.enqueueOutbox({ envelopeId: Uint8Array.from(randomBytes(16)), recipient: record.address, envelope: encodeParcel({ kind: PARCEL_BUNDLE, recipient: record.address, payload: bundle }), kind: 'control' })
      })
      for (const d of w.devices) this.resealed.add(`${toHex(w.envelopeId)}/${d.nodeId}`)
      // a one-time prekey serves one session start only
      for (const d of w.devices) oneTime.delete(d.nodeId)
      counters.add('staleDevicesResealed')
    }
    if (this.resealed.size > MAX_STALE_DEVICES_HINTED * 16) this.resealed.clear()
    outbox.kick()
  }
}
