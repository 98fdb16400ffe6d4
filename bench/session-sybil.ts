/**
 * Per-session memory of a real node under a Sybil attack (issue 11 break 10), measured, not
 * estimated: one server (createAttnNode, full stack) and one raw client that runs N handshakes
 * from N fresh identities over one `/attn/1.0.0` stream, keeping nothing afterwards. With
 * `--rpc`, each session also carries one RPC Ping, so the server allocates its RPC link state.
 *
 *   node --expose-gc dist/bench/session-sybil.js [N] [--rpc]
 *
 * Prints the server's heapUsed / external / rss deltas per session (gc before both snapshots).
 * Both ends share the process; the client holds no session after its handshake completes, and
 * the per-peer / per-IP / global session caps are lifted so every session stays.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createAttnNode } from '../src/node/create-node.js'
import { encodeFrame, FrameDecoder, PROTOCOL } from '../src/carriers/index.js'
import { InitiatorHandshake, isHandshakeFrame } from '../src/session/index.js'
import { attAddress, encodeChain } from '../src/keys/index.js'
import { encodeRpcMessage } from '../src/rpc/index.js'

const n = Number(process.argv.find(a => /^\d+$/.test(a)) ?? 2000)
const withRpc = process.argv.includes('--rpc')
const gc = (globalThis as { gc?: () => void }).gc
if (gc == null) throw new Error('run with node --expose-gc')

// identities first: generating them takes long on a busy machine and must not idle the stream
const keys = await Promise.all(Array.from({ length: n }, async () => await generateKeyPair('secp256k1')))
const big = 1_000_000
const server = await createAttnNode({
  listen: ['/ip4/127.0.0.1/tcp/0'],
  api: '',
  attn: { sessionLimits: { maxSessionsPerPeer: big, maxSessionsPerIp: big, responseRatePerPeer: { burst: big, perSecond: big }, responseRatePerIp: { burst: big, perSecond: big }, responseRate: { burst: big, perSecond: big } }, sessionTable: { maxSessions: big, maxBytes: Number.MAX_SAFE_INTEGER } }
})
const client = await createAttnNode({ listen: ['/ip4/127.0.0.1/tcp/0'], api: '', attn: { rawFrames: true } })
const stream = await client.dialProtocol(server.getMultiaddrs(), PROTOCOL)
const decoder = new FrameDecoder()
// the server may also send records on a new session (its upper layers): each step waits for its kind
let waiting: { handshake: boolean, resolve: (frame: Uint8Array) => void } | undefined
stream.addEventListener('message', (evt) => {
  for (const f of decoder.decode(evt.data)) {
    if (waiting != null && isHandshakeFrame(f) === waiting.handshake) { const w = waiting; waiting = undefined; w.resolve(f) }
  }
})
const next = async (handshake = true): Promise<Uint8Array> => await new Promise(resolve => { waiting = { handshake, resolve } })

const snapshot = (): NodeJS.MemoryUsage => { gc(); gc(); return process.memoryUsage() }
const before = snapshot()
const t0 = performance.now()
for (const key of keys) {
  const hs = new InitiatorHandshake({ identity: { address: attAddress(key.publicKey), nodeKey: key, chain: encodeChain([]) } })
  let reply = next()
  stream.send(encodeFrame(hs.hello()))
  const { finish } = hs.onResponse(await reply)
  reply = next()
  stream.send(encodeFrame(finish))
  const session = hs.onAccept(await reply)
  if (withRpc) {
    reply = next(false)
    stream.send(encodeFrame(session.seal(encodeRpcMessage({ kind: 'ping', pingId: 1n })).frame))
    await reply // the Pong
  }
}
const elapsed = performance.now() - t0
const sessions = server.services.attn.sessionStats()?.sessions ?? 0
const after = snapshot()
const per = (k: keyof NodeJS.MemoryUsage): number => Math.round((after[k] - before[k]) / sessions)
console.log(JSON.stringify({
  sessions,
  rpc: withRpc,
  heapUsedPerSession: per('heapUsed'),
  externalPerSession: per('external'),
  arrayBuffersPerSession: per('arrayBuffers'),
  rssPerSession: per('rss'),
  handshakesPerSecond: Math.round(n / (elapsed / 1000))
}))
await client.stop()
await server.stop()
