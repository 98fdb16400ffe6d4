import { MAX_DELIVERY_PATHS } from './constants.js'

/**
 * How the first successful hand-off of a sent message travelled (message-status `path`):
 * `direct` or `relayed` (a libp2p circuit relay) to a recipient device, or `mailbox`.
 */
export type DeliveryPath = 'direct' | 'relayed' | 'mailbox'

/**
 * The delivery path of recent outgoing messages, by envelope id hex: set once, at the first
 * hand-off; kept in memory only (bounded; lost at restart, where the status then has no path).
 */
export class DeliveryPaths {
  private readonly paths = new Map<string, DeliveryPath>()

  constructor (private readonly max = MAX_DELIVERY_PATHS) {}

  /** Records the path unless one is known already; true when it was recorded. */
  record (idHex: string, path: DeliveryPath): boolean {
    if (this.paths.has(idHex)) return false
    this.paths.set(idHex, path)
    if (this.paths.size > this.max) this.paths.delete(this.paths.keys().next().value as string)
    return true
  }

  get (idHex: string): DeliveryPath | undefined {
    return this.paths.get(idHex)
  }
}
