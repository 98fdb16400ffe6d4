import { multiaddr } from '@multiformats/multiaddr'
import type { ComponentLogger, Logger, Startable } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

/** How often a node with no connection at all re-dials its bootstrap peers, ms. */
export const DEFAULT_BOOTSTRAP_REDIAL_MS = 5_000

export interface BootstrapRedialComponents {
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

export interface BootstrapRedialInit {
  /** Bootstrap multiaddrs (with /p2p/<peer-id>). */
  list: string[]
  /** Check interval, ms (default DEFAULT_BOOTSTRAP_REDIAL_MS). */
  interval?: number
}

/**
 * Re-dials the bootstrap peers while the node has no connection at all. libp2p's bootstrap
 * dials once at start: a node started while its bootstrap peers were down (a mailbox restarting)
 * would otherwise stay alone until someone dials it — its DHT queries wait for a peer, so it can
 * neither find recipients nor publish, and its messages stay queued.
 */
export class BootstrapRedial implements Startable {
  private readonly log: Logger
  private readonly interval: number
  private timer?: ReturnType<typeof setInterval>
  private dialing = false

  constructor (private readonly components: BootstrapRedialComponents, private readonly init: BootstrapRedialInit) {
    this.log = components.logger.forComponent('attn:bootstrap-redial')
    this.interval = init.interval ?? DEFAULT_BOOTSTRAP_REDIAL_MS
  }

  readonly [Symbol.toStringTag] = '@attn/bootstrap-redial'

  start (): void {
    if (this.init.list.length === 0) return
    this.timer = setInterval(() => { void this.check() }, this.interval)
    this.timer.unref?.()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private async check (): Promise<void> {
    const { connectionManager } = this.components
    if (this.dialing || connectionManager.getConnections().length > 0) return
    this.dialing = true
    try {
      await Promise.all(this.init.list.map(async (ma) => {
        try {
          await connectionManager.openConnection(multiaddr(ma), { signal: AbortSignal.timeout(this.interval) })
          this.log('alone: re-dialled bootstrap peer %s', ma)
        } catch (err: any) {
          this.log('alone: bootstrap peer %s still unreachable: %s', ma, err.message)
        }
      }))
    } finally {
      this.dialing = false
    }
  }
}

/** libp2p service factory. */
export function bootstrapRedial (init: BootstrapRedialInit): (components: BootstrapRedialComponents) => BootstrapRedial {
  return (components) => new BootstrapRedial(components, init)
}
