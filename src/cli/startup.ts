/**
 * What `attn start` says while a node comes up (stderr), and when it is ready: listening,
 * bootstrap peers connected, DHT routing table filled, identity record published, mailboxes
 * chosen. `attn start --detach` returns once this has run (ready, or each attempt reported).
 */
import type { AttnNode } from '../node/create-node.js'

/** How long start-up waits for a bootstrap peer to answer, ms. */
export const STARTUP_BOOTSTRAP_WAIT_MS = 15_000
/** How long start-up waits for the DHT routing table to hold a peer, ms. */
export const STARTUP_DHT_WAIT_MS = 10_000
/** How long start-up keeps trying to get the identity record accepted by a peer, ms. */
export const STARTUP_PUBLISH_WAIT_MS = 30_000
const POLL_MS = 100

export interface StartupReport {
  /** Peers connected once bootstrap was attempted. */
  connected: number
  /** Peers in the DHT routing table. */
  dhtPeers: number
  /** The identity record: seq and how many peers accepted it; `error` when it was not published. */
  published?: { seq: string, accepted: number }
  publishError?: string
  /** Peer ids of the mailboxes listed in our record. */
  mailboxes: string[]
  /** Where the DHT shows this PeerId in a record we did not publish (another node with this identity). */
  twin?: string[]
}

async function until (cond: () => boolean, ms: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() >= deadline || signal?.aborted === true) return false
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
  return true
}

/**
 * Runs the start-up steps after the node started, printing each with `say`. Never throws: every
 * failure is reported and the node keeps running (it retries in the background).
 */
export async function startupProgress (node: AttnNode, opts: { bootstrap: string[], say: (line: string) => void, signal?: AbortSignal }): Promise<StartupReport> {
  const { say, signal } = opts
  const report: StartupReport = { connected: 0, dhtPeers: 0, mailboxes: [] }
  say(`listening on ${node.getMultiaddrs().length} address(es): ${node.getMultiaddrs().map(String).join(', ')}`)
  const connections = (): number => new Set(node.getConnections().map(c => c.remotePeer.toString())).size
  if (opts.bootstrap.length > 0) {
    await until(() => connections() > 0, STARTUP_BOOTSTRAP_WAIT_MS, signal)
    report.connected = connections()
    say(report.connected > 0
      ? `bootstrap: connected to ${report.connected} peer(s)`
      : `bootstrap: none of ${opts.bootstrap.length} bootstrap peer(s) answered within ${STARTUP_BOOTSTRAP_WAIT_MS / 1000} s (re-dialled every 5 s in the background)`)
  } else {
    report.connected = connections()
    say('bootstrap: no bootstrap peers configured (--bootstrap MA): this node waits for others to connect to it')
  }
  const table = (): number => (node.services.dht as unknown as { routingTable?: { size: number } }).routingTable?.size ?? 0
  if (report.connected > 0) await until(() => table() > 0, STARTUP_DHT_WAIT_MS, signal)
  report.dhtPeers = table()
  say(report.dhtPeers > 0 ? `DHT ready: ${report.dhtPeers} peer(s) in the routing table` : 'DHT: no peers yet')
  const messaging = node.services.messaging
  if (report.dhtPeers === 0) {
    report.publishError = 'no DHT peers yet'
    say('identity record: not published yet (no DHT peers); run "attn publish" once peers are connected')
  } else {
    const deadline = Date.now() + STARTUP_PUBLISH_WAIT_MS
    while (signal?.aborted !== true) {
      try {
        report.published = await messaging.publish({ signal })
        delete report.publishError
        if (report.published.accepted > 0) break
      } catch (err: any) {
        report.publishError = err.message
        // a revoked device does not publish again (messaging.md §2.2): no point retrying
        if (err.code === 'ERR_DEVICE_REVOKED') break
      }
      if (Date.now() >= deadline) break
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    if (report.published != null && report.published.accepted > 0) {
      say(`identity record published to ${report.published.accepted} peer(s) (seq ${report.published.seq})`)
    } else {
      report.publishError ??= 'no peer accepted it'
      say(`identity record: not published (${report.publishError}); the node retries, or run "attn publish"`)
    }
  }
  const twin = messaging.twin()
  if (twin != null) {
    report.twin = twin
    say(`WARNING: the DHT shows this node's PeerId (${node.peerId.toString()}) at ${twin.join(', ')}, in a record this node did not publish: ` +
      'another node runs with a copy of this identity.json. Only the node that published last receives messages. ' +
      'Stop the other node; a second device needs its own device key (not a copy of identity.json).')
  }
  report.mailboxes = messaging.publishedRecord()?.mailboxes.map(m => m.peerId) ?? []
  say(report.mailboxes.length > 0 ? `mailboxes: ${report.mailboxes.join(', ')}` : 'mailboxes: none chosen yet')
  return report
}

/** The next steps printed on the first run of a new identity. */
export function firstRunHelp (address: string, api: string, home: string): string {
  const h = home === '' ? '' : ` --home ${home}`
  return [
    'first run: a new identity was created. Next steps:',
    `  your ATT address (give it to others): ${address}`,
    `  save a contact:   attn contacts add${h} NAME ADDRESS`,
    `  send a message:   attn send${h} NAME-OR-ADDRESS 'hello'`,
    `  read messages:    attn inbox${h}   (attn inbox --follow waits for new ones)`,
    ...(api === ''
      ? []
      : [`  local API:        ${api}/v1/  (OpenAPI document: ${api}/v1/openapi.json; token in ${home === '' ? '$ATTN_HOME' : home}/api-token)`]),
    '  stop the node:    Ctrl-C here, or "attn stop" from another terminal'
  ].join('\n')
}
