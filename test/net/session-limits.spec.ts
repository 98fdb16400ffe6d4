import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { NodeSet, waitFor } from '../helpers/nodes.js'
import { encodeFrame, FrameDecoder, PROTOCOL } from '../../src/carriers/index.js'
import { InitiatorHandshake } from '../../src/session/index.js'
import { attAddress, encodeChain } from '../../src/keys/index.js'
import { encodeRpcMessage } from '../../src/rpc/index.js'
import type { Session } from '../../src/session/index.js'
import type { AttnNode } from '../../src/node/create-node.js'

/** A raw client: handshakes from fresh identities (a Sybil) over one /attn stream. */
class SybilClient {
  private readonly decoder = new FrameDecoder()
  private waiting?: (frame: Uint8Array) => void
  private constructor (private readonly stream: Awaited<ReturnType<AttnNode['dialProtocol']>>) {
    stream.addEventListener('message', (evt) => { for (const f of this.decoder.decode(evt.data)) this.waiting?.(f) })
  }

  static async open (from: AttnNode, to: AttnNode): Promise<SybilClient> {
    return new SybilClient(await from.dialProtocol(to.getMultiaddrs(), PROTOCOL))
  }

  private async exchange (frame: Uint8Array): Promise<Uint8Array> {
    const reply = new Promise<Uint8Array>(resolve => { this.waiting = resolve })
    this.stream.send(encodeFrame(frame))
    return await reply
  }

  /** One handshake with a fresh identity; with `rpc`, the session then carries one RPC Ping. */
  async session (rpc = false): Promise<Session> {
    const key = await generateKeyPair('secp256k1')
    const hs = new InitiatorHandshake({ identity: { address: attAddress(key.publicKey), nodeKey: key, chain: encodeChain([]) } })
    const { finish } = hs.onResponse(await this.exchange(hs.hello()))
    const session = hs.onAccept(await this.exchange(finish))
    if (rpc) await this.exchange(session.seal(encodeRpcMessage({ kind: 'ping', pingId: 1n })).frame)
    return session
  }
}

describe('session caps against Sybil identities (real nodes)', function () {
  const nodes = new NodeSet()
  afterEach(async () => { await nodes.stopAll() })

  it('bounds sessions per peer and per IP; sessions that never carried a record are evicted first', async () => {
    const server = await nodes.create({ attn: { sessionLimits: { maxSessionsPerPeer: 3, maxSessionsPerIp: 4 } } })
    const ids = (): string[] => [...(server.services.attn.sessions?.table ?? [])].map(s => s.idHex)
    const a = await SybilClient.open(await nodes.create({ attn: { rawFrames: true } }), server)
    const used = await a.session(true)
    const a2 = await a.session()
    await a.session()
    await a.session() // 4th from this peer: one of its unused sessions goes, the used one stays
    await waitFor(() => ids().length === 3, { what: 'per-peer cap' })
    assert.ok(ids().includes(used.idHex), 'the session with RPC traffic survives')
    assert.ok(!ids().includes(a2.idHex), 'the oldest unused session was evicted')

    // a second peer on the same IP: the IP holds 4 at most, again unused ones go first
    const b = await SybilClient.open(await nodes.create({ attn: { rawFrames: true } }), server)
    for (let i = 0; i < 3; i++) await b.session()
    await waitFor(() => ids().length === 4, { what: 'per-IP cap' })
    assert.ok(ids().includes(used.idHex), 'the session with RPC traffic survives the per-IP cap too')
    assert.equal(server.services.attn.sessionStats()?.sessionsEvicted, 3)
  })

  it('the memory budget caps the table: maxBytes / the per-session estimate', async () => {
    const { SESSION_MEMORY_ESTIMATE_BYTES } = await import('../../src/session/index.js')
    const server = await nodes.create({ attn: { sessionTable: { maxBytes: 3 * SESSION_MEMORY_ESTIMATE_BYTES }, sessionLimits: { responseRatePerPeer: { burst: 100, perSecond: 1 } } } })
    assert.equal(server.services.attn.sessions?.table.maxSessions, 3)
    const c = await SybilClient.open(await nodes.create({ attn: { rawFrames: true } }), server)
    const used = await c.session(true)
    for (let i = 0; i < 4; i++) await c.session()
    await waitFor(() => server.services.attn.sessionStats()?.sessions === 3, { what: 'global cap' })
    assert.ok([...(server.services.attn.sessions?.table ?? [])].some(s => s.idHex === used.idHex))
  })
})
