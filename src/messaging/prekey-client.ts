/**
 * The device side of one-time prekeys (messaging.md §10.8): keep each of our mailboxes stocked
 * (`prekey.put` when one holds fewer than ONE_TIME_PREKEY_LOW_WATER of ours), and take one per
 * recipient device before starting a session with it (`prekey.take`; none left → the signed
 * prekey alone).
 */
import { peerIdOf } from './peer-ids.js'
import { MAX_LOCAL_ONE_TIME_PREKEYS, ONE_TIME_PREKEY_BATCH, ONE_TIME_PREKEY_CHECK_INTERVAL_MS, ONE_TIME_PREKEY_LOW_WATER } from './constants.js'
import { PREKEY_TYPE_ONE_TIME, verifyPrekey } from './protocol/device-prekeys.js'
import { METHOD_PREKEY_PUT, METHOD_PREKEY_TAKE, decodeHeld, decodeTaken, encodePrekeyPut, encodePrekeyTake } from './protocol/prekey-rpc.js'
import type { DeviceSessions } from './device-sessions.js'
import type { DirectoryRecord } from './protocol/directory-record.js'
import type { Attn } from '../service/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

export interface PrekeyClientInit {
  attn: Attn
  sessions: DeviceSessions
  /** This device's node id. */
  self: string
  log: Logger
  callTimeout: number
  /** Keys uploaded per mailbox when it runs low (0: never upload). */
  batch?: number
}

export class PrekeyClient {
  /** When every mailbox last answered a stock check (unix ms); 0: never, or the last check failed somewhere. */
  private checkedAt = 0
  /** The check in progress: a second caller joins it (two at once would both upload a batch). */
  private running?: Promise<number>

  constructor (private readonly init: PrekeyClientInit) {}

  /** replenish, unless every mailbox answered one within ONE_TIME_PREKEY_CHECK_INTERVAL_MS (called at each mailbox poll). */
  async maybeReplenish (own: DirectoryRecord, options: AbortOptions = {}): Promise<number> {
    if (Date.now() - this.checkedAt < ONE_TIME_PREKEY_CHECK_INTERVAL_MS) return 0
    return await this.replenish(own, options)
  }

  /** Tops up every mailbox of our record that holds fewer than the low-water mark of this device's keys. Returns how many keys were uploaded. */
  async replenish (own: DirectoryRecord, options: AbortOptions = {}): Promise<number> {
    this.running ??= this.check(own, options).finally(() => { this.running = undefined })
    return await this.running
  }

  private async check (own: DirectoryRecord, options: AbortOptions): Promise<number> {
    const { attn, sessions, self, log, callTimeout } = this.init
    const batch = this.init.batch ?? ONE_TIME_PREKEY_BATCH
    if (batch <= 0) return 0
    let uploaded = 0
    let failed = false
    for (const m of own.mailboxes) {
      if (m.peerId === self) continue
      try {
        const peer = peerIdOf(m.peerId)
        const held = decodeHeld(await attn.call(peer, METHOD_PREKEY_PUT, encodePrekeyPut(self, []), { timeout: callTimeout, signal: options.signal }))
        if (held >= ONE_TIME_PREKEY_LOW_WATER) continue
        if (sessions.oneTimePrekeyCount() + batch > MAX_LOCAL_ONE_TIME_PREKEYS) {
          log('%d unused one-time prekeys already: no upload to %s', sessions.oneTimePrekeyCount(), m.peerId)
          continue
        }
        const keys = sessions.makeOneTimePrekeys(batch)
        decodeHeld(await attn.call(peer, METHOD_PREKEY_PUT, encodePrekeyPut(self, keys), { timeout: callTimeout, signal: options.signal }))
        uploaded += keys.length
      } catch (err: any) {
        failed = true
        log('one-time prekey upload to %s failed: %s', m.peerId, err.message)
      }
    }
    this.checkedAt = failed ? 0 : Date.now()
    return uploaded
  }

  /** One verified one-time prekey per device (from the first mailbox that has one); devices without any are left out. */
  async take (record: DirectoryRecord, devices: string[], options: AbortOptions = {}): Promise<Map<string, { id: number, publicKey: Uint8Array }>> {
    const { attn, self, log, callTimeout } = this.init
    const out = new Map<string, { id: number, publicKey: Uint8Array }>()
    for (const deviceId of devices) {
      const d = record.devices.find(x => x.nodeId === deviceId)
      if (d?.identityKey == null) continue
      for (const m of record.mailboxes) {
        if (m.peerId === self) continue
        try {
          const k = decodeTaken(await attn.call(peerIdOf(m.peerId), METHOD_PREKEY_TAKE, encodePrekeyTake(record.address, deviceId), { timeout: callTimeout, signal: options.signal }))
          if (k == null) continue
          const nodeKey = peerIdOf(deviceId).publicKey
          if (nodeKey == null || !verifyPrekey(nodeKey, PREKEY_TYPE_ONE_TIME, d.identityKey, k) || k.expiresAt <= Math.floor(Date.now() / 1000)) {
            log('mailbox %s handed out a one-time prekey of %s that does not verify', m.peerId, deviceId)
            continue
          }
          out.set(deviceId, { id: k.id, publicKey: k.publicKey })
          break
        } catch (err: any) {
          log.trace('prekey.take at %s failed: %s', m.peerId, err.message)
        }
      }
    }
    return out
  }
}
