import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { NodeSet, waitFor } from '../helpers/nodes.js'
import { encodeFrame, FrameDecoder, PROTOCOL } from '../../src/carriers/index.js'
import { AttnService } from '../../src/service/index.js'
import type { AttnServiceComponents } from '../../src/service/index.js'
import type { AttnNode } from '../../src/node/create-node.js'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/*
 * HELLO floods (issue 11 breaks 4 and 5) against a real node on loopback. Attackers come from ::1,
 * legitimate peers from 127.0.0.1, so per-IP limits tell them apart as they would on the Internet.
 * An attacker is a libp2p node with raw `/attn/1.0.0` streams: it writes HELLOs (random ephemeral
 * key and nonce, 82 bytes) and never a valid FINISH.
 */

const HELLO = 0x01
const RESPONSE = 0x02
const FINISH = 0x03
const REJECT = 0x7f

function hello (hsId = randomBytes(8)): Uint8Array {
  const f = new Uint8Array(82)
  f[8] = HELLO
  f[9] = 1
  f.set(hsId, 10)
  f.set(randomBytes(64), 18)
  return f
}

/** A FINISH for `hsId` whose sealed part is random bytes (fails GCM at the responder). */
function garbageFinish (hsId: Uint8Array): Uint8Array {
  const sealed = randomBytes(200)
  const f = new Uint8Array(20 + sealed.length)
  f[8] = FINISH
  f[9] = 1
  f.set(hsId, 10)
  f[18] = sealed.length >> 8
  f[19] = sealed.length & 0xff
  f.set(sealed, 20)
  return f
}

/** One raw stream: counts what the responder answered. */
class RawStream {
  responses = 0
  readonly rejects: Record<string, number> = {}
  private readonly decoder = new FrameDecoder()
  constructor (readonly stream: Stream) {
    stream.addEventListener('message', (evt) => {
      for (const frame of this.decoder.decode(evt.data)) {
        if (frame[8] === RESPONSE) this.responses++
        else if (frame[8] === REJECT) {
          const code = new TextDecoder().decode(frame.subarray(19))
          this.rejects[code] = (this.rejects[code] ?? 0) + 1
        }
      }
    })
  }

  get answered (): number { return this.responses + Object.values(this.rejects).reduce((a, b) => a + b, 0) }
  send (frame: Uint8Array): void { if (this.stream.status === 'open') this.stream.send(encodeFrame(frame)) }
}

type Light = Libp2p<{ attn: AttnService }>

/**
 * A light peer: TCP/noise/yamux/identify and the attn service, no DHT or messaging (a dozen full
 * nodes in one process spend the CPU of a loaded test machine on DHT upkeep, not on the flood).
 */
async function lightNode (listen: string[]): Promise<Light> {
  return await createLibp2p({
    privateKey: await generateKeyPair('secp256k1'),
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), attn: (components: AttnServiceComponents) => new AttnService(components) }
  })
}

const ip6 = (node: AttnNode): Multiaddr[] => node.getMultiaddrs().filter(ma => ma.toString().startsWith('/ip6/'))
const ip4 = (node: AttnNode): Multiaddr[] => node.getMultiaddrs().filter(ma => ma.toString().startsWith('/ip4/'))

describe('handshake floods between real nodes', function () {
  const nodes = new NodeSet()
  const light: Light[] = []
  afterEach(async () => {
    await nodes.stopAll()
    await Promise.all(light.splice(0).map(async n => { await n.stop() }))
  })

  async function peer (listen = ['/ip4/127.0.0.1/tcp/0']): Promise<Light> {
    const n = await lightNode(listen)
    light.push(n)
    return n
  }

  async function server (init: Parameters<NodeSet['create']>[0] = {}): Promise<AttnNode> {
    return await nodes.create({ listen: ['/ip4/127.0.0.1/tcp/0', '/ip6/::1/tcp/0'], ...init })
  }

  /** `count` attacker nodes on ::1, each with one connection carrying `streamsEach` raw /attn streams. */
  async function attackers (target: AttnNode, count: number, streamsEach: number): Promise<RawStream[]> {
    const out: RawStream[] = []
    for (let i = 0; i < count; i++) {
      const attacker = await peer(['/ip6/::1/tcp/0'])
      const connection = await attacker.dial(ip6(target))
      for (let k = 0; k < streamsEach; k++) out.push(new RawStream(await connection.newStream(PROTOCOL)))
    }
    return out
  }

  it('8 connections of HELLOs that never FINISH do not block handshakes or RPC of other peers', async () => {
    // every refusal answered (the default answers a few per peer, then drops silently): the test counts replies
    const s = await server({ attn: { sessionLimits: { refusalRejectRatePerPeer: { burst: 1e6, perSecond: 0 } } } })
    s.services.attn.handle('test.echo', p => p)
    // a peer with a session before the flood keeps calling throughout
    const established = await peer()
    await established.services.attn.connect(ip4(s))
    const legit: Light[] = []
    for (let i = 0; i < 24; i++) {
      // libp2p connections first, one at a time (two dozen noise handshakes at once in one process
      // on a loaded machine can exceed libp2p's dial timeout): the flood below targets ATTN handshakes
      const n = await peer()
      await n.dial(ip4(s))
      legit.push(n)
    }

    // the flood of the report: 8 connections × 4 streams × 8 HELLOs (= the old node-wide pool of 256)
    const raw = await attackers(s, 8, 4)
    for (const r of raw) for (let i = 0; i < 8; i++) r.send(hello())
    // (a stream the muxer reset under load just stops counting)
    await waitFor(() => raw.every(r => r.answered === 8 || r.stream.status !== 'open'), { what: 'every HELLO answered (RESPONSE or REJECT)' })
    // ... and it keeps coming while the legitimate peers work
    let flooding = true
    const flood = (async () => {
      while (flooding) {
        for (const r of raw) r.send(hello())
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    })()
    try {
      const calls = (async () => {
        for (let i = 0; i < 20; i++) {
          const out = await established.services.attn.call(s.peerId, 'test.echo', Uint8Array.of(i))
          assert.deepEqual([...out], [i])
        }
      })()
      const sessions = await Promise.all(legit.map(async n => await n.services.attn.connect(s.peerId)))
      await calls
      assert.equal(sessions.length, 24)
      for (const [i, n] of legit.entries()) assert.equal(sessions[i].remote.address, s.services.attn.address, `legit peer ${i}`)
    } finally {
      flooding = false
      await flood
    }
    const stats = s.services.attn.sessionStats()
    assert.ok(stats != null)
    // the attack was refused at its source: all its streams together got at most the per-IP pending cap
    assert.ok(stats.handshakesRefused + stats.handshakesRateLimited > 0, 'the flood was refused')
    const attackResponses = raw.reduce((n, r) => n + r.responses, 0)
    const attackRejects = raw.reduce((n, r) => n + (r.rejects.ERR_HS_TOO_MANY_PENDING ?? 0) + (r.rejects.ERR_HS_RATE_LIMITED ?? 0), 0)
    assert.ok(attackRejects > attackResponses, `attack: ${attackResponses} RESPONSEs, ${attackRejects} refusals`)
    assert.ok(stats.sessions >= 25)
  })

  it('HELLO + garbage FINISH: RESPONSEs (signatures) are bounded per peer and per IP; other peers still handshake', async () => {
    // no refill: the budgets are exactly the bursts, so the counts below are exact
    const s = await server({ attn: { sessionLimits: { responseRatePerPeer: { burst: 4, perSecond: 0 }, responseRatePerIp: { burst: 6, perSecond: 0 }, refusalRejectRatePerPeer: { burst: 1e6, perSecond: 0 } } } })
    const [a] = await attackers(s, 1, 1)
    const [b] = await attackers(s, 1, 1)
    const ids = new Map([[a, [] as Uint8Array[]], [b, [] as Uint8Array[]]])
    for (const r of [a, b]) {
      for (let i = 0; i < 10; i++) {
        const id = randomBytes(8)
        ids.get(r)?.push(id)
        r.send(hello(id))
      }
    }
    const helloAnswers = (r: RawStream): number => r.responses + (r.rejects.ERR_HS_RATE_LIMITED ?? 0)
    await waitFor(() => helloAnswers(a) === 10 && helloAnswers(b) === 10, { what: 'every HELLO answered' })
    // then a garbage FINISH for every HELLO (only the admitted ones have state to fail against)
    for (const r of [a, b]) for (const id of ids.get(r) ?? []) r.send(garbageFinish(id))
    await waitFor(() => (s.services.attn.sessionStats()?.rejected.ERR_HS_DECRYPT ?? 0) + (s.services.attn.sessionStats()?.rejected.ERR_HS_UNKNOWN ?? 0) === 20, { what: 'every FINISH processed' })
    assert.ok(a.responses <= 4 && b.responses <= 4, `per-peer budget: 4 signatures each (${a.responses}, ${b.responses})`)
    assert.equal(a.responses + b.responses, 6, 'per-IP budget: 6 signatures for the whole IP')
    const stats = s.services.attn.sessionStats()
    assert.equal(stats?.handshakesRateLimited, 14)
    assert.equal(stats?.sessions, 0)
    // the garbage FINISHes of the admitted ones failed authentication; the others had no state
    assert.equal(stats?.rejected.ERR_HS_DECRYPT, 6)
    assert.equal(stats?.rejected.ERR_HS_UNKNOWN, 14)

    // a peer from another address is not affected
    const good = await peer()
    const session = await good.services.attn.connect(ip4(s))
    assert.equal(session.remote.address, s.services.attn.address)
  })
})
