import type { Multiaddr } from '@multiformats/multiaddr'
import { defaultHome } from '../node/locations.js'
import { CliError, readRuntimeInfo } from './io.js'
import { print } from './command.js'
import type { Command } from './command.js'
import type { PeerId } from '@libp2p/interface'
import type { Session } from '../session/index.js'

const DEFAULT_TIMEOUT_MS = 10_000
const MAX_COUNT = 1000

/** What ping needs of libp2p and the carriers, loaded when it runs (the other commands start without them). */
async function lib () {
  const [{ multiaddr }, { peerIdFromString }, { carrierEndpoint, carrierUrlToMultiaddr }, { parseAttAddress }] = await Promise.all([
    import('@multiformats/multiaddr'), import('@libp2p/peer-id'), import('../carriers/target.js'), import('../keys/address.js')
  ])
  return { multiaddr, peerIdFromString, carrierEndpoint, carrierUrlToMultiaddr, parseAttAddress }
}

export const ping: Command = {
  help: `Usage: attn ping TARGET [--count N] [--timeout MS] [--json] [--bootstrap MA]... [--home DIR]

Runs a handshake with TARGET (as a throw-away client identity) and then N attn.ping
round trips in that session, over the carrier TARGET names, and prints each round trip
and a summary. TARGET is:
  udp://HOST:PORT         the node's UDP carrier (attn start --udp)
  http://HOST:PORT        the node's HTTP carrier (attn start --http)
  /ip4/.../tcp/.../p2p/…  a libp2p multiaddr (TCP, WebSocket, QUIC); /ip4/H/udp/P and
                          /ip4/H/tcp/P/http are the UDP and HTTP carriers
  ATT ADDRESS             looked up in the directory (DHT), through --bootstrap peers or,
                          without them, the node running in --home; pinged over libp2p

  --count N               round trips (default 3, at most ${MAX_COUNT})
  --timeout MS            for the handshake and for each round trip (default ${DEFAULT_TIMEOUT_MS})
  --bootstrap MA          peer to join the DHT through (ATT address targets), repeatable
  --home DIR              where to find a running node for ATT address targets
  --json                  print {"address","carrier","rttMs":[…],"sessionId"}

An unreachable target fails with a non-zero exit within the timeout.`,
  options: {
    count: { type: 'string' },
    timeout: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    home: { type: 'string' },
    json: { type: 'boolean' }
  },
  async run (flags, positionals) {
    const raw = positionals[0]
    if (raw == null || positionals.length > 1) throw new CliError('expected one TARGET', 'ERR_CLI_USAGE', 2)
    const count = intFlag(flags.count, 3, 1, MAX_COUNT, '--count')
    const timeout = intFlag(flags.timeout, DEFAULT_TIMEOUT_MS, 1, 600_000, '--timeout')
    const target = await parseTarget(raw, flags)
    const { carrierEndpoint } = await lib()
    const kind = target.addresses == null ? 'libp2p' : (carrierEndpoint(target.addresses)?.kind ?? 'libp2p')
    const bootstrap = target.bootstrap ?? []

    const client = kind === 'libp2p' ? await libp2pClient(bootstrap) : await carrierClient()
    try {
      const deadline = AbortSignal.timeout(timeout)
      const dialTarget: PeerId | Multiaddr = target.addresses ?? (await client.resolve(raw, deadline))
      const session = await client.connect(dialTarget, deadline, target.expectedAddress).catch((err: any) => {
        const why = deadline.aborted ? `no answer within ${timeout} ms` : err.message
        throw new CliError(`cannot reach ${raw}: ${why}`, 'ERR_UNREACHABLE')
      })
      const rttMs: number[] = []
      for (let i = 0; i < count; i++) {
        const rtt = await client.ping(session, timeout).catch((err: any) => {
          throw new CliError(`ping ${i + 1} to ${raw} failed: ${err.message}`, err.code ?? 'ERR_PING')
        })
        rttMs.push(Math.round(rtt * 1000) / 1000)
        if (flags.json !== true) process.stdout.write(`${kind} ${session.remote.address}: seq=${i + 1} time=${rttMs[i].toFixed(3)} ms\n`)
      }
      const out = { address: session.remote.address, carrier: kind, rttMs, sessionId: session.idHex }
      const sorted = [...rttMs].sort((a, b) => a - b)
      print(out, flags.json === true, () => `--- ${raw}: ${count} round trips over ${kind}, session ${session.idHex}\nmin/avg/max = ${sorted[0].toFixed(3)}/${(rttMs.reduce((a, b) => a + b, 0) / count).toFixed(3)}/${sorted[count - 1].toFixed(3)} ms`)
      return 0
    } finally {
      await client.stop()
    }
  }
}

/** What ping needs of a client: a session with the target, and attn.ping round trips in it. */
interface PingClient {
  resolve(address: string, signal: AbortSignal): Promise<PeerId | Multiaddr>
  connect(target: PeerId | Multiaddr, signal: AbortSignal, expectedAddress?: string): Promise<Session>
  ping(session: Session, timeout: number): Promise<number>
  stop(): Promise<void>
}

/** A full (listen-less) node: libp2p targets, and the DHT for ATT addresses. */
async function libp2pClient (bootstrap: string[]): Promise<PingClient> {
  const { createAttnNode } = await import('../node/create-node.js')
  const node = await createAttnNode({ listen: [], api: '', bootstrap, messaging: { publishOnStart: false }, mailbox: { enabled: false, nodes: [] } })
  // the session is found again by the same target (peer id, or the multiaddr it was opened with)
  let dialled: PeerId | Multiaddr | undefined
  return {
    resolve: async (address, signal) => await resolveAddress(node, address, signal),
    connect: async (target, signal, expectedAddress) => { dialled = target; return await node.services.attn.connect(target, { signal, expectedAddress }) },
    ping: async (_session, timeout) => await node.services.attn.ping(dialled as PeerId | Multiaddr, { timeout }),
    stop: async () => { await node.stop() }
  }
}

/**
 * UDP and HTTP targets need no libp2p: the session layer, the RPC engine and the two carriers,
 * with a throw-away identity (starts in a fraction of a full node's time).
 */
async function carrierClient (): Promise<PingClient> {
  const [{ SessionRpcBridge }, { CarrierSet }, { generateKeyPair }, { defaultLogger }, keys] = await Promise.all([
    import('../service/session-rpc-bridge.js'), import('../service/carrier-set.js'), import('@libp2p/crypto/keys'),
    import('@libp2p/logger'), import('../keys/index.js')
  ])
  const key = await generateKeyPair('secp256k1')
  const identity = { address: keys.attAddress(key.publicKey), nodeKey: key, rootKey: key, chain: keys.encodeChain([]) }
  const logger = defaultLogger()
  let carriers: InstanceType<typeof CarrierSet> | undefined
  const bridge = new SessionRpcBridge({
    identity,
    logger,
    rpc: {},
    openChannel: async (target) => {
      if (carriers == null || Array.isArray(target) || !('getComponents' in target)) throw new CliError('not a UDP or HTTP target', 'ERR_CLI_USAGE', 2)
      return await carriers.openChannel(target)
    }
  })
  carriers = new CarrierSet(logger, {}, bridge.sessions)
  bridge.start()
  await carriers.start()
  return {
    resolve: async () => { throw new CliError('an ATT address needs the libp2p client', 'ERR_CLI_USAGE', 2) },
    connect: async (target, signal, expectedAddress) => await bridge.sessions.connect(target, { signal, expectedAddress }),
    ping: async (session, timeout) => await bridge.rpc.ping(bridge.linkFor(session), { timeout }),
    stop: async () => { bridge.stop(); await carriers?.stop() }
  }
}

function intFlag (v: string | undefined, dflt: number, min: number, max: number, name: string): number {
  if (v == null) return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${name} must be an integer ${min}..${max}`, 'ERR_CLI_USAGE', 2)
  return n
}

interface ParsedTarget {
  /** A multiaddr to dial (libp2p, UDP or HTTP), unless the target is an ATT address. */
  addresses?: Multiaddr
  expectedAddress?: string
  bootstrap?: string[]
}

async function parseTarget (raw: string, flags: Record<string, any>): Promise<ParsedTarget> {
  const { carrierUrlToMultiaddr, multiaddr, parseAttAddress } = await lib()
  if (/^(udp|http):\/\//.test(raw)) {
    try {
      return { addresses: carrierUrlToMultiaddr(raw) }
    } catch (err: any) {
      throw new CliError(err.message, 'ERR_CLI_USAGE', 2)
    }
  }
  if (raw.startsWith('/')) {
    try {
      return { addresses: multiaddr(raw) }
    } catch (err: any) {
      throw new CliError(`invalid multiaddr ${raw}: ${err.message}`, 'ERR_CLI_USAGE', 2)
    }
  }
  try {
    parseAttAddress(raw)
  } catch (err: any) {
    throw new CliError(`TARGET must be udp://HOST:PORT, http://HOST:PORT, a multiaddr or an ATT address: ${err.message}`, 'ERR_CLI_USAGE', 2)
  }
  let bootstrap: string[] = flags.bootstrap ?? []
  if (bootstrap.length === 0) {
    const running = await readRuntimeInfo(flags.home ?? defaultHome())
    bootstrap = (running?.addresses ?? []).filter(a => a.includes('/p2p/') && !a.includes('/ws') && !a.includes('quic'))
  }
  if (bootstrap.length === 0) throw new CliError('an ATT address needs --bootstrap MA or a running node in --home to look it up', 'ERR_CLI_USAGE', 2)
  return { bootstrap, expectedAddress: raw }
}

/** The libp2p dial target of an ATT address: its directory record's first device, else the address as a PeerId. */
async function resolveAddress (node: import('../node/create-node.js').AttnNode, address: string, signal: AbortSignal): Promise<PeerId | Multiaddr> {
  const [{ DirectoryClient }, { carrierEndpoint, multiaddr, peerIdFromString }] = await Promise.all([import('../messaging/index.js'), lib()])
  // wait for the bootstrap connection: the DHT has nobody to ask before it
  while (node.getConnections().length === 0) {
    if (signal.aborted) throw new CliError(`no bootstrap peer reachable to look up ${address}`, 'ERR_UNREACHABLE')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  try {
    const record = await new DirectoryClient(node.services.dht, node.logger.forComponent('attn:ping')).lookup(address, { signal })
    const device = record.devices[0]
    const ma = device?.multiaddrs?.find(a => carrierEndpoint(multiaddr(a)) == null)
    if (device != null && ma != null) return multiaddr(ma.includes('/p2p/') ? ma : `${ma}/p2p/${device.nodeId}`)
    if (device != null) return peerIdFromString(device.nodeId)
  } catch (err: any) {
    if (signal.aborted) throw new CliError(`cannot look up ${address}: ${err.message}`, 'ERR_UNREACHABLE')
  }
  return peerIdFromString(address)
}
