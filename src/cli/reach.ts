/** The reach flags of `attn start` and the reach lines of `attn status` (issue 14). */
import { CliError } from './io.js'
import type { DeepPartialReach } from '../node/reach-config.js'

const RELAY_MODES: Record<string, 'auto' | boolean> = { auto: 'auto', on: true, off: false }

/** Config overrides from the flags given (a flag not given leaves config.json alone). */
export function reachFlags (flags: Record<string, any>): DeepPartialReach {
  const reachability = flags.reachability as string | undefined
  if (reachability != null && !['auto', 'public', 'private'].includes(reachability)) {
    throw new CliError(`--reachability must be auto, public or private (got "${reachability}")`, 'ERR_USAGE', 2)
  }
  const relayMode = flags['relay-server'] as string | undefined
  if (relayMode != null && !(relayMode in RELAY_MODES)) {
    throw new CliError(`--relay-server must be auto, on or off (got "${relayMode}")`, 'ERR_USAGE', 2)
  }
  return {
    public: flags.public === true ? true : undefined,
    noListen: flags['no-listen'] === true ? true : undefined,
    amino: flags['amino-bootstrap'] != null ? { bootstrap: flags['amino-bootstrap'] } : undefined,
    nat: {
      upnp: flags.upnp === true ? true : undefined,
      reachability: reachability as 'auto' | 'public' | 'private' | undefined,
      relay: relayMode != null ? { enabled: RELAY_MODES[relayMode] } : undefined
    }
  }
}

/** Human lines for the `reach` object of GET /v1/status (absent on older nodes). */
export function reachStatusLines (status: any): string[] {
  const r = status.reach
  if (r == null) return []
  const lines = [
    `reachability: ${String(r.reachability)}`,
    `relay reservations: ${r.reservations.length}`, ...r.relayAddresses.map((a: string) => `  ${a}`),
    `relay server: ${r.relayServer.serving === true ? `serving (${String(r.relayServer.reservationsHeld)} reservations held)` : r.relayServer.included === true ? 'idle (not publicly reachable)' : 'off'}`
  ]
  if (r.amino != null) {
    const a = r.amino
    lines.push(`amino dht: ${String(a.status)}, ${String(a.mode)} mode, ${String(a.routingTablePeers)} peers`)
    if (a.rendezvous != null) {
      const z = a.rendezvous
      lines.push(`rendezvous: ${z.announcedAt > 0 ? `announced to ${String(z.announcedTo)} peers` : 'not announced yet'}, ${String(z.lookups)} lookups, ${String(z.found)} ATT peers found`)
    }
  }
  return lines
}
