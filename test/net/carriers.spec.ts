import assert from 'node:assert/strict'
import { createSocket, type Socket } from 'node:dgram'
import { request } from 'node:http'
import { NodeSet, waitFor } from '../helpers/nodes.js'
import { carrierUrlToMultiaddr, encodeDatagram, UDP_TYPE_DATA, HTTP_PATH } from '../../src/carriers/index.js'
import { decodeInfo } from '../../src/rpc/index.js'
import { DirectoryClient } from '../../src/messaging/index.js'
import { SessionStore } from '../../src/session/index.js'
import { hkdfSha256, secretKey } from '../../src/crypto/index.js'
import { rootIdentity } from '../helpers/identities.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AttnNode } from '../../src/node/create-node.js'
import type { UdpCarrierStats, HttpCarrierStats } from '../../src/carriers/index.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const LOOP = { host: '127.0.0.1', port: 0 }

function udpUrl (n: AttnNode): string { return n.services.attn.endpoints().find(e => e.startsWith('udp://')) ?? assert.fail('no udp endpoint') }
function httpUrl (n: AttnNode): string { return n.services.attn.endpoints().find(e => e.startsWith('http://')) ?? assert.fail('no http endpoint') }
function udpStats (n: AttnNode): UdpCarrierStats { return n.services.attn.carrierStats().find(c => c.kind === 'udp') as UdpCarrierStats }
function httpStats (n: AttnNode): HttpCarrierStats { return n.services.attn.carrierStats().find(c => c.kind === 'http') as HttpCarrierStats }

async function bindSocket (): Promise<Socket> {
  const s = createSocket('udp4')
  await new Promise<void>(resolve => s.bind(0, '127.0.0.1', resolve))
  return s
}

/** A UDP relay that drops and duplicates datagrams by a fixed pattern (both directions). */
class LossyProxy {
  front!: Socket
  back!: Socket
  client?: { address: string, port: number }
  private n = 0
  dropped = 0
  duplicated = 0
  constructor (private readonly target: { host: string, port: number }, private readonly drop: (i: number) => boolean, private readonly dup: (i: number) => boolean) {}
  async start (): Promise<void> {
    this.front = await bindSocket()
    this.back = await bindSocket()
    this.front.on('message', (msg, rinfo) => {
      this.client = { address: rinfo.address, port: rinfo.port }
      this.relay(msg, (m) => this.back.send(m, this.target.port, this.target.host))
    })
    this.back.on('message', (msg) => {
      const c = this.client
      if (c != null) this.relay(msg, (m) => this.front.send(m, c.port, c.address))
    })
  }

  private relay (msg: Buffer, send: (m: Buffer) => void): void {
    const i = this.n++
    if (this.drop(i)) { this.dropped++; return }
    send(msg)
    if (this.dup(i)) { this.duplicated++; send(msg) }
  }

  get url (): string { return `udp://127.0.0.1:${this.front.address().port}` }
  stop (): void { this.front.close(); this.back.close() }
}

async function post (url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number, body: Buffer }> {
  const u = new URL(url)
  return await new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path: HTTP_PATH, headers: { 'content-type': 'application/octet-stream', ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('carriers: UDP and HTTP', function () {
  const nodes = new NodeSet()
  const cleanup: Array<() => void> = []
  afterEach(async () => {
    for (const c of cleanup.splice(0)) c()
    await nodes.stopAll()
  })

  it('handshake and RPC over UDP alone; attn.info lists the carriers', async () => {
    const b = await nodes.create({ attn: { udp: LOOP, http: LOOP } })
    const a = await nodes.create()
    b.services.attn.handle('test.echo', (p) => p)
    const target = carrierUrlToMultiaddr(udpUrl(b))
    assert.equal(text(await a.services.attn.call(target, 'test.echo', bytes('over udp'))), 'over udp')
    const info = decodeInfo(await a.services.attn.call(target, 'attn.info', new Uint8Array(0)))
    assert.equal(info.address, b.services.attn.address)
    assert.deepEqual(info.carriers, [udpUrl(b), httpUrl(b)])
    assert.equal(a.services.attn.sessionStats()?.handshakesCompleted, 1, 'one handshake for both calls')
    assert.equal(a.getConnections().length, 0, 'no libp2p connection was needed')
    const s = udpStats(b)
    assert.equal(s.retriesSent, 1, 'first contact proved its address with a cookie')
    assert.equal(s.cookiesAccepted, 1)
  })

  it('handshake and RPC over HTTP alone', async () => {
    const b = await nodes.create({ attn: { http: LOOP } })
    const a = await nodes.create()
    b.services.attn.handle('test.echo', (p) => p)
    const target = carrierUrlToMultiaddr(httpUrl(b))
    for (let i = 0; i < 5; i++) assert.equal(text(await a.services.attn.call(target, 'test.echo', bytes(`http ${i}`))), `http ${i}`)
    assert.equal(a.services.attn.sessionStats()?.handshakesCompleted, 1)
    assert.equal(a.getConnections().length, 0)
    assert.ok(httpStats(b).framesIn >= 7, 'HELLO, FINISH and the calls came over HTTP')
  })

  it('a session opened over libp2p TCP continues over UDP (from two source ports) and HTTP and back, with no new handshake', async () => {
    const b = await nodes.create({ attn: { udp: LOOP, http: LOOP } })
    const a = await nodes.create()
    b.services.attn.handle('test.echo', (p) => p)
    assert.equal(text(await a.services.attn.call(b.getMultiaddrs(), 'test.echo', bytes('tcp'))), 'tcp')
    const session = a.services.attn.sessions?.sessionWithPeer(b.peerId) ?? assert.fail('no session')

    await a.services.attn.useCarrier(session, carrierUrlToMultiaddr(udpUrl(b)))
    assert.equal(text(await a.services.attn.call(b.peerId, 'test.echo', bytes('udp 1'))), 'udp 1')
    const firstIn = udpStats(b).datagramsIn
    assert.ok(firstIn > 0, 'the call went over UDP')

    // a new source port (a roaming client): a fresh client socket on a
    const carriers = (a.services.attn as any).carriers
    await carriers.udp.stop()
    carriers.udp = undefined
    await a.services.attn.useCarrier(session, carrierUrlToMultiaddr(udpUrl(b)))
    for (let i = 0; i < 3; i++) assert.equal(text(await a.services.attn.call(b.peerId, 'test.echo', bytes(`udp 2.${i}`))), `udp 2.${i}`)
    assert.ok(udpStats(b).addresses >= 2, 'b heard the session from two addresses')

    await a.services.attn.useCarrier(session, carrierUrlToMultiaddr(httpUrl(b)))
    assert.equal(text(await a.services.attn.call(b.peerId, 'test.echo', bytes('http'))), 'http')
    assert.ok(httpStats(b).framesIn > 0, 'the call went over HTTP')

    await a.services.attn.useCarrier(session, b.peerId)
    assert.equal(text(await a.services.attn.call(b.peerId, 'test.echo', bytes('tcp again'))), 'tcp again')
    assert.equal(a.services.attn.sessionStats()?.handshakesCompleted, 1, 'one handshake for every carrier')
    assert.equal(b.services.attn.sessionStats()?.handshakesCompleted, 1)
  })

  it('a record too large for a datagram goes over the libp2p connection of the same session', async () => {
    const b = await nodes.create({ attn: { udp: LOOP } })
    const a = await nodes.create()
    b.services.attn.handle('test.len', (p) => bytes(String(p.byteLength)))
    await a.services.attn.call(b.getMultiaddrs(), 'test.len', new Uint8Array(1))
    const session = a.services.attn.sessions?.sessionWithPeer(b.peerId) ?? assert.fail('no session')
    await a.services.attn.useCarrier(session, carrierUrlToMultiaddr(udpUrl(b)))
    assert.equal(text(await a.services.attn.call(b.peerId, 'test.len', new Uint8Array(4000))), '4000')
    const clientUdp = a.services.attn.carrierStats().find(c => c.kind === 'udp') as UdpCarrierStats
    assert.ok(clientUdp.tooLarge >= 1, 'the UDP carrier refused the big record')
  })

  it('concurrent 1 KiB calls over UDP alone all succeed: containers are cut to fit a datagram', async () => {
    const b = await nodes.create({ attn: { udp: LOOP } })
    const a = await nodes.create()
    b.services.attn.handle('test.echo', (p) => p)
    const target = carrierUrlToMultiaddr(udpUrl(b))
    await a.services.attn.call(target, 'test.echo', new Uint8Array(1))
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => await a.services.attn.call(target, 'test.echo', new Uint8Array(1000).fill(i), { timeout: 20_000 })))
    assert.ok(results.every((r, i) => r.byteLength === 1000 && r[0] === i))
    assert.equal(udpStats(b).tooLarge, 0, 'no record was too large for a datagram')
    assert.equal((a.services.attn.carrierStats().find(c => c.kind === 'udp') as UdpCarrierStats).tooLarge, 0)
  })

  it('two nodes on the same key speak in one UDP session: the peer answers whichever spoke last', async () => {
    const identity = await rootIdentity()
    const dir = await mkdtemp(join(tmpdir(), 'attn-carriers-'))
    cleanup.push(() => { void rm(dir, { recursive: true, force: true }) })
    const b1 = await nodes.create({ attn: { udp: LOOP, identity } })
    const a = await nodes.create()
    b1.services.attn.handle('test.who', () => bytes('b1'))
    a.services.attn.handle('test.hello', () => bytes('hi'))
    const target = carrierUrlToMultiaddr(udpUrl(b1))
    assert.equal(text(await a.services.attn.call(target, 'test.who', new Uint8Array(0))), 'b1')
    // the session's state goes to a second node holding the same key (as a clean restart would resume it)
    const session = [...(b1.services.attn.sessions?.table ?? [])][0] ?? assert.fail('no session at b1')
    const storeKey = secretKey(hkdfSha256(identity.rootKey.raw, new Uint8Array(0), 'attn/1 session-store', 32))
    const store = new SessionStore(join(dir, 'sessions.db'), storeKey)
    store.save(session)
    store.close()
    const b2 = await nodes.create({ attn: { udp: LOOP, identity, sessionStorePath: join(dir, 'sessions.db') } })
    b2.services.attn.handle('test.who', () => bytes('b2'))
    const resumed = b2.services.attn.sessions?.table.getByHex(session.idHex) ?? assert.fail('not resumed at b2')
    const aUdp = a.services.attn.carrierStats().find(c => c.kind === 'udp') as UdpCarrierStats
    const aPort = aUdp.address.split(':').pop() ?? ''

    // b2 speaks in the session from its own address: a now answers (and sends) to b2
    await b2.services.attn.useCarrier(resumed, carrierUrlToMultiaddr(`udp://127.0.0.1:${aPort}`))
    assert.equal(text(await b2.services.attn.callIn(resumed, 'test.hello', new Uint8Array(0))), 'hi')
    assert.equal(text(await a.services.attn.call(target, 'test.who', new Uint8Array(0))), 'b2')
    // b1 speaks again: back to b1
    assert.equal(text(await b1.services.attn.callIn(session, 'test.hello', new Uint8Array(0))), 'hi')
    assert.equal(text(await a.services.attn.call(target, 'test.who', new Uint8Array(0))), 'b1')
    assert.equal(a.services.attn.sessionStats()?.handshakesCompleted, 1, 'one session throughout')
    assert.equal(b2.services.attn.sessionStats()?.handshakesCompleted, 0)
  })

  it('lost and duplicated datagrams still give exactly-once RPC results', async function () {
    this.timeout(120_000)
    const b = await nodes.create({ attn: { udp: LOOP } })
    const a = await nodes.create()
    let executed = 0
    b.services.attn.handle('test.count', () => bytes(String(++executed)))
    const port = Number(udpUrl(b).split(':').pop())
    // drops every 4th datagram and duplicates every 3rd, both ways, from the first one on
    const proxy = new LossyProxy({ host: '127.0.0.1', port }, i => i % 4 === 1, i => i % 3 === 0)
    await proxy.start()
    cleanup.push(() => { proxy.stop() })
    const target = carrierUrlToMultiaddr(proxy.url)
    const results: string[] = []
    for (let i = 0; i < 20; i++) results.push(text(await a.services.attn.call(target, 'test.count', new Uint8Array(0), { timeout: 30_000 })))
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => String(i + 1)))
    assert.equal(executed, 20, 'every call ran exactly once')
    assert.ok(proxy.dropped > 0 && proxy.duplicated > 0)
    assert.equal(a.services.attn.sessionStats()?.handshakesCompleted, 1)
    const s = udpStats(b)
    assert.ok(s.duplicatesSuppressed + (b.services.attn.sessionStats()?.rejected.ERR_REPLAY ?? 0) + (b.services.attn.rpcStats()?.duplicatesDropped ?? 0) > 0, 'duplicates were dropped')
  })

  it('an unvalidated (spoofed) source gets at most 3x the bytes it sent', async () => {
    const b = await nodes.create({ attn: { udp: LOOP } })
    const port = Number(udpUrl(b).split(':').pop())
    const victim = await bindSocket()
    cleanup.push(() => { victim.close() })
    let received = 0
    victim.on('message', (m) => { received += m.byteLength })
    let sent = 0
    const send = async (d: Uint8Array): Promise<void> => { sent += d.byteLength; await new Promise<void>(resolve => victim.send(d, port, '127.0.0.1', () => { resolve() })) }
    // HELLOs (valid layout) and records of unknown sessions, as an attacker spoofing the victim's address would send
    for (let i = 0; i < 20; i++) {
      const hello = new Uint8Array(18 + 32 + 32)
      hello[8] = 0x01; hello[9] = 1; hello[10] = i + 1
      crypto.getRandomValues(hello.subarray(18))
      await send(encodeDatagram({ type: UDP_TYPE_DATA, frame: hello }))
      const record = new Uint8Array(8 + 16 + 48)
      crypto.getRandomValues(record)
      await send(encodeDatagram({ type: UDP_TYPE_DATA, frame: record }))
    }
    await waitFor(() => udpStats(b).datagramsIn === 40, { what: 'all datagrams read' })
    await waitFor(() => received >= udpStats(b).bytesOut, { what: 'answers delivered' })
    assert.ok(udpStats(b).bytesOut <= 3 * sent, `${udpStats(b).bytesOut} bytes sent for ${sent} received`)
    assert.ok(received <= 3 * sent)
    assert.equal(b.services.attn.sessionStats()?.handshakesCompleted, 0)
    assert.equal(b.services.attn.sessionStats()?.pendingHandshakes, 0, 'no signature spent on an unproven address')
    assert.equal(udpStats(b).retriesSent, 20)
  })

  it('junk datagrams and malformed HTTP bodies get their errors and are counted; the node keeps serving', async () => {
    const b = await nodes.create({ attn: { udp: LOOP, http: LOOP } })
    const a = await nodes.create()
    b.services.attn.handle('test.echo', (p) => p)
    const port = Number(udpUrl(b).split(':').pop())
    const s = await bindSocket()
    cleanup.push(() => { s.close() })
    for (const junk of [Uint8Array.of(), Uint8Array.of(0x99, 1, 2), Uint8Array.of(0x01, 1, 2), Uint8Array.of(0x03, 1)]) {
      await new Promise<void>(resolve => s.send(junk, port, '127.0.0.1', () => { resolve() }))
    }
    await waitFor(() => udpStats(b).junk >= 3, { what: 'junk counted' })

    const bad = await post(httpUrl(b), Uint8Array.of(0x05, 1, 2))
    assert.equal(bad.status, 400)
    assert.equal(JSON.parse(bad.body.toString()).error, 'ERR_FRAME_TRUNCATED')
    const empty = await post(httpUrl(b), Uint8Array.of(0x00))
    assert.equal(empty.status, 400)
    assert.equal(JSON.parse(empty.body.toString()).error, 'ERR_FRAME_EMPTY')
    const noId = await post(httpUrl(b), new Uint8Array(0))
    assert.equal(noId.status, 400)
    const badWait = await post(httpUrl(b), new Uint8Array(0), { 'attn-wait': '99999', 'attn-session': '00'.repeat(8) })
    assert.equal(badWait.status, 400)
    assert.equal(JSON.parse(badWait.body.toString()).error, 'ERR_HTTP_BAD_WAIT')
    const errors = httpStats(b).errors
    assert.equal(errors.ERR_FRAME_TRUNCATED, 1)
    assert.equal(errors.ERR_FRAME_EMPTY, 1)
    assert.equal(errors.ERR_HTTP_BAD_WAIT, 1)

    assert.equal(text(await a.services.attn.call(carrierUrlToMultiaddr(udpUrl(b)), 'test.echo', bytes('still up'))), 'still up')
    assert.equal(text(await a.services.attn.call(carrierUrlToMultiaddr(httpUrl(b)), 'test.echo', bytes('still up'))), 'still up')
  })

  it('the directory record lists the UDP and HTTP endpoints among the device multiaddrs', async () => {
    const b = await nodes.create({ attn: { udp: LOOP, http: LOOP }, messaging: { publishOnStart: false } })
    const a = await nodes.create({ messaging: { publishOnStart: false } })
    await a.dial(b.getMultiaddrs())
    await waitFor(async () => (await b.services.messaging.publish()).accepted >= 1, { what: 'record stored at a', timeout: 30_000 })
    const record = await new DirectoryClient(a.services.dht, a.logger.forComponent('test')).lookup(b.services.attn.address)
    const listed = record.devices[0].multiaddrs ?? []
    const port = (u: string): string => u.split(':').pop() ?? ''
    assert.ok(listed.includes(`/ip4/127.0.0.1/udp/${port(udpUrl(b))}`), listed.join(' '))
    assert.ok(listed.includes(`/ip4/127.0.0.1/tcp/${port(httpUrl(b))}/http`), listed.join(' '))
  })

  it('HTTP: CORS preflight and the protocol list at /.well-known/libp2p/protocols', async () => {
    const b = await nodes.create({ attn: { http: LOOP } })
    const res = await fetch(`${httpUrl(b)}/.well-known/libp2p/protocols`)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { '/attn/1.0.0': { path: '/attn/1.0.0/' } })
    const pre = await fetch(`${httpUrl(b)}${HTTP_PATH}`, { method: 'OPTIONS', headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' } })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-origin'), '*')
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /attn-session/)
  })
})
