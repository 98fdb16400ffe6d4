import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { NodeSet, nextEvent, waitFor } from '../helpers/nodes.js'
import { rootIdentity } from '../helpers/identities.js'
import type { AttnNode, CreateAttnNodeOptions } from '../../src/node/create-node.js'
import type { Connection, Libp2p } from '@libp2p/interface'

const ECHO = '/test/echo/1.0.0'
const isCircuit = (a: { toString: () => string }): boolean => a.toString().includes('/p2p-circuit')

/** A plain js-libp2p peer that can dial and listen through relays and echoes on ECHO. */
async function plainPeer (listen: string[] = []): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
  await node.handle(ECHO, async (stream) => {
    for await (const chunk of stream) {
      if (!stream.send(chunk.subarray())) await new Promise(resolve => stream.addEventListener('drain', resolve, { once: true }))
    }
    await stream.close()
  }, { runOnLimitedConnection: true })
  return node
}

/** Sends `bytes` on a new ECHO stream and reads them back; rejects if the stream ends early. */
async function echo (conn: Connection, bytes: number): Promise<void> {
  const stream = await conn.newStream(ECHO, { runOnLimitedConnection: true })
  const chunk = new Uint8Array(4096).fill(7)
  let received = 0
  const reading = (async () => {
    for await (const buf of stream) {
      received += buf.byteLength
      if (received >= bytes) break
    }
    if (received < bytes) throw new Error(`echo ended after ${received} of ${bytes} bytes`)
  })()
  for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
    if (!stream.send(chunk)) await new Promise((resolve, reject) => {
      stream.addEventListener('drain', resolve, { once: true })
      stream.addEventListener('close', () => { reject(new Error('stream closed while sending')) }, { once: true })
    })
  }
  await reading
  await stream.close()
}

describe('reach: circuit relay, --no-listen, relay limits', function () {
  this.timeout(180_000)
  const nodes = new NodeSet()
  const plain: Libp2p[] = []
  const dirs: string[] = []

  afterEach(async () => {
    await nodes.stopAll()
    await Promise.all(plain.splice(0).map(async n => { await n.stop() }))
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  async function messagingOpts (): Promise<NonNullable<CreateAttnNodeOptions['messaging']>> {
    const dir = await mkdtemp(join(tmpdir(), 'attn-relay-'))
    dirs.push(dir)
    // the mailbox grace is long here so that a slow relayed delivery under CI load is not
    // overtaken by the mailbox copy: this test is about the relayed path
    return { dbPath: join(dir, 'messages.db'), publishOnStart: false, fetchInterval: 500, retryInitial: 200, retryMax: 1_000, callTimeout: 5_000, mailboxGrace: 20_000 }
  }

  async function attNode (extra: CreateAttnNodeOptions): Promise<AttnNode> {
    return await nodes.create({
      attn: { identity: await rootIdentity(), rpc: { callTimeout: 5_000 } },
      messaging: await messagingOpts(),
      ...extra
    })
  }

  it('a --no-listen node gets a message online through a relay (path "relayed"), and its reply reaches the sender', async () => {
    // loopback is never "public" for AutoNAT: the relay is told it is
    const relay = await attNode({ nat: { reachability: 'public' } })
    const via = [relay.getMultiaddrs()[0].toString()]
    // its mailbox is the relay: it never fetches mail from the sender (which would open a direct connection)
    const hidden = await attNode({ noListen: true, bootstrap: via, messaging: { ...(await messagingOpts()), mailboxes: [relay.peerId.toString()] } })
    const sender = await attNode({ bootstrap: via })
    assert.deepEqual(hidden.getMultiaddrs().filter(a => !isCircuit(a)), [], 'no listening address')
    await waitFor(() => hidden.getMultiaddrs().some(isCircuit), { what: 'a relay reservation', timeout: 60_000 })
    const st = hidden.services.nat.state()
    assert.equal(st.reachability, 'private')
    assert.deepEqual(st.reservations, [relay.peerId.toString()])
    assert.equal(relay.services.nat.state().relayServer.serving, true)
    assert.equal(relay.services.relay?.reservations.size, 1)

    // its record lists the /p2p-circuit address; the sender's DHT finds it
    await waitFor(async () => (await hidden.services.messaging.publish()).accepted >= 1, { what: 'hidden record accepted', timeout: 30_000 })
    await waitFor(async () => (await sender.services.messaging.publish()).accepted >= 1, { what: 'sender record accepted', timeout: 30_000 })
    // a connection the hidden node dialled out (DHT traffic) would be a direct path: the sender
    // must reach it through the relay
    await hidden.hangUp(sender.peerId)
    await waitFor(() => sender.getConnections(hidden.peerId).length === 0, { what: 'no direct connection left' })

    const latencies: number[] = []
    for (const body of ['through the relay 1', 'through the relay 2', 'through the relay 3']) {
      const arrived = nextEvent<any>(hidden.services.messaging, 'message', (m) => m.body === body, 60_000)
      const t0 = performance.now()
      const { id } = await sender.services.messaging.send(hidden.services.messaging.address, body)
      await arrived
      latencies.push(performance.now() - t0)
      await waitFor(async () => (await sender.services.messaging.status(id)).state === 'delivered', { what: 'delivered', timeout: 60_000 })
      const status = await sender.services.messaging.status(id)
      assert.equal(status.path, 'relayed', JSON.stringify(status))
    }
    // every connection the sender opened to it is relayed (the hidden node may dial out to us: receipts)
    assert.ok(sender.getConnections(hidden.peerId).filter(c => c.direction === 'outbound').every(c => isCircuit(c.remoteAddr)), 'the sender dialled only through the relay')
    // baseline in the same run: the same sender to a directly dialable node (the relay's own identity)
    await waitFor(async () => (await relay.services.messaging.publish()).accepted >= 1, { what: 'relay record accepted', timeout: 30_000 })
    const direct: number[] = []
    for (const body of ['direct 1', 'direct 2', 'direct 3']) {
      const arrived = nextEvent<any>(relay.services.messaging, 'message', (m) => m.body === body, 60_000)
      const t0 = performance.now()
      const { id } = await sender.services.messaging.send(relay.services.messaging.address, body)
      await arrived
      direct.push(performance.now() - t0)
      await waitFor(async () => (await sender.services.messaging.status(id)).path != null, { what: 'direct path known' })
      assert.equal((await sender.services.messaging.status(id)).path, 'direct')
    }
    const fmt = (l: number[]): string => `first ${l[0].toFixed(1)} ms, then ${l.slice(1).map(x => x.toFixed(1)).join(' ms, ')} ms`
    console.log(`      send() → recipient's message event: relayed ${fmt(latencies)}; direct (same run) ${fmt(direct)}`)

    const back = await hidden.services.messaging.send(sender.services.messaging.address, 'reply from behind the NAT')
    await waitFor(() => sender.services.messaging.inbox().some(m => m.body === 'reply from behind the NAT'), { what: 'the reply arrives', timeout: 60_000 })
    await waitFor(async () => (await hidden.services.messaging.status(back.id)).state === 'delivered', { what: 'reply delivered', timeout: 60_000 })
  })

  it('a relayed connection is closed by the relay when its duration limit is up', async () => {
    const relay = await attNode({ nat: { reachability: 'public', relay: { circuitDurationLimit: 1_000 } } })
    const circuitAddr = `${relay.getMultiaddrs()[0].toString()}/p2p-circuit`
    const listener = await plainPeer([circuitAddr])
    const dialer = await plainPeer()
    plain.push(listener, dialer)
    await waitFor(() => listener.getMultiaddrs().some(isCircuit), { what: 'reservation' })
    const conn = await dialer.dial(multiaddr(`${circuitAddr}/p2p/${listener.peerId.toString()}`))
    await echo(conn, 4096)
    await waitFor(() => conn.status !== 'open', { what: 'the relay ends the circuit after 1 s', timeout: 30_000 })
  })

  it('relay limits hold: a peer over the reservation limit is refused, a circuit over its data limit is cut, a peer over its circuit rate is refused; others keep being served', async () => {
    const relay = await attNode({ nat: { reachability: 'public', relay: { maxReservations: 1, circuitDataLimit: 64 * 1024, circuitsPerPeerPerMinute: 2 } } })
    const relayAddr = relay.getMultiaddrs()[0]
    const circuitAddr = multiaddr(`${relayAddr.toString()}/p2p-circuit`)

    const listener = await plainPeer([circuitAddr.toString()])
    plain.push(listener)
    await waitFor(() => listener.getMultiaddrs().some(isCircuit), { what: 'first reservation' })
    assert.equal(relay.services.relay?.reservations.size, 1)

    // the relay is full: a second peer's reservation is refused
    const second = await plainPeer()
    plain.push(second)
    await second.dial(relayAddr)
    await assert.rejects((second as any).components.transportManager.listen([circuitAddr]), /RESERVATION_REFUSED/)
    assert.equal(relay.services.relay?.reservations.size, 1)

    // a circuit that carries more than 64 KiB is cut by the relay
    const dialer = await plainPeer()
    plain.push(dialer)
    const target = multiaddr(`${circuitAddr.toString()}/p2p/${listener.peerId.toString()}`)
    const c1 = await dialer.dial(target)
    assert.ok(c1.limits != null, 'a relayed connection is limited')
    await echo(c1, 16 * 1024)
    await assert.rejects(echo(c1, 256 * 1024))
    await waitFor(() => c1.status !== 'open', { what: 'the over-limit circuit closed' })

    // the relay keeps serving: a new circuit works (the dialer's second this minute)
    const c2 = await dialer.dial(target)
    await echo(c2, 16 * 1024)
    await c2.close()
    // the third circuit of this peer within a minute is refused; another peer still gets one
    await assert.rejects(dialer.dial(target, { force: true } as any))
    assert.ok(relay.services.nat.state().relayServer.circuitsDenied >= 1)
    const other = await plainPeer()
    plain.push(other)
    const c3 = await other.dial(target)
    await echo(c3, 16 * 1024)
  })
})
