import assert from 'node:assert/strict'
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { loadConfig } from '../../../src/node/config.js'
import { DEFAULT_REACH_CONFIG } from '../../../src/node/reach-config.js'
import { RelayGate } from '../../../src/node/nat.js'
import { rendezvousCid } from '../../../src/node/rendezvous.js'
import { reachFlags, reachStatusLines } from '../../../src/cli/reach.js'
import { DeliveryPaths } from '../../../src/messaging/delivery-paths.js'
import { listedAddresses } from '../../../src/messaging/record-publisher.js'

const VECTORS = new URL('../../../../protocols/vectors/rendezvous.json', import.meta.url)
const PEER_A = peerIdFromString('12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf')
const PEER_B = peerIdFromString('12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp')

describe('reach: rendezvous id, reach config, relay gate', () => {
  let home: string
  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'attn-reach-config-')) })
  afterEach(async () => { await rm(home, { recursive: true, force: true }) })

  it('the rendezvous CID matches vectors/rendezvous.json', async () => {
    const v = JSON.parse(await readFile(VECTORS, 'utf8'))
    const cid = rendezvousCid(v.text)
    assert.equal(cid.toString(), v.cid)
    assert.equal(Buffer.from(cid.bytes).toString('hex'), v.cid_bytes)
    assert.equal(Buffer.from(cid.multihash.bytes).toString('hex'), v.multihash)
    assert.equal(Buffer.from(cid.multihash.digest).toString('hex'), v.sha256)
    assert.equal(rendezvousCid().toString(), v.cid, 'the default text is the spec text')
  })

  it('config.json reach keys merge deeply; CLI flags override only what they name', async () => {
    await writeFile(join(home, 'config.json'), JSON.stringify({ public: true, amino: { lookupInterval: 1000 }, nat: { relay: { maxReservations: 3 } } }))
    const c = await loadConfig(home, reachFlags({ 'amino-bootstrap': ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'], upnp: true }) as any)
    assert.equal(c.public, true)
    assert.equal(c.amino.lookupInterval, 1000)
    assert.equal(c.amino.announceInterval, DEFAULT_REACH_CONFIG.amino.announceInterval)
    assert.equal(c.amino.bootstrap.length, 1)
    assert.equal(c.nat.upnp, true)
    assert.equal(c.nat.relay.maxReservations, 3)
    assert.equal(c.nat.relay.circuitDataLimit, DEFAULT_REACH_CONFIG.nat.relay.circuitDataLimit)
    assert.equal(c.noListen, false)
  })

  it('refuses bad reach config, naming the key', async () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ public: 'yes' }, /"public" must be a boolean/],
      [{ amino: { bootstrap: ['/ip4/1.2.3.4/tcp/1'] } }, /must end with \/p2p\/<peer-id>/],
      [{ amino: { bootstrap: ['not a multiaddr'] } }, /invalid multiaddr/],
      [{ amino: { lookupInterval: 0 } }, /"amino.lookupInterval" must be an integer/],
      [{ amino: { foo: 1 } }, /unknown key "amino.foo"/],
      [{ nat: { reachability: 'maybe' } }, /"nat.reachability" must be/],
      [{ nat: { relay: { circuitDataLimit: -1 } } }, /"nat.relay.circuitDataLimit"/],
      [{ nat: { relay: { enabled: 'sometimes' } } }, /"nat.relay.enabled"/]
    ]
    for (const [config, message] of bad) {
      await writeFile(join(home, 'config.json'), JSON.stringify(config))
      await assert.rejects(loadConfig(home), (err: any) => err.code === 'ERR_INVALID_CONFIG' && message.test(err.message), JSON.stringify(config))
    }
    assert.throws(() => reachFlags({ reachability: 'sometimes' }), { code: 'ERR_USAGE' })
    assert.throws(() => reachFlags({ 'relay-server': 'maybe' }), { code: 'ERR_USAGE' })
  })

  it('relay gate: serves only while public under "auto", caps reservations and circuits per peer, counts refusals', () => {
    const gate = new RelayGate({ ...DEFAULT_REACH_CONFIG.nat.relay, reservationsPerPeerPerHour: 2, circuitsPerPeerPerMinute: 3 })
    const g = gate.gater()
    // not public: nothing is relayed
    assert.equal(g.denyInboundRelayReservation?.(PEER_A), true)
    gate.reachability = () => 'public'
    assert.equal(g.denyInboundRelayReservation?.(PEER_A), false)
    assert.equal(g.denyInboundRelayReservation?.(PEER_A), false)
    assert.equal(g.denyInboundRelayReservation?.(PEER_A), true, 'third reservation request within the hour')
    assert.equal(g.denyInboundRelayReservation?.(PEER_B), false, 'another peer is not affected')
    for (let i = 0; i < 3; i++) assert.equal(g.denyOutboundRelayedConnection?.(PEER_A, PEER_B), false)
    assert.equal(g.denyOutboundRelayedConnection?.(PEER_A, PEER_B), true, 'fourth circuit within the minute')
    assert.equal(g.denyOutboundRelayedConnection?.(PEER_B, PEER_A), false)
    assert.deepEqual(gate.stats, { reservationsDenied: 2, circuitsDenied: 1 })
    const forced = new RelayGate({ ...DEFAULT_REACH_CONFIG.nat.relay, enabled: true })
    assert.equal(forced.serving(), true, 'enabled: true serves whatever the reachability')
  })

  it('delivery paths: set once at the first hand-off with its carrier, bounded (the oldest forgotten first)', () => {
    const paths = new DeliveryPaths(2)
    assert.equal(paths.record('a', 'relayed', 'libp2p'), true)
    assert.equal(paths.record('a', 'mailbox', 'udp'), false, 'a later mailbox copy does not change the first path or carrier')
    assert.deepEqual(paths.get('a'), { path: 'relayed', carrier: 'libp2p' })
    paths.record('b', 'direct', 'http')
    paths.record('c', 'mailbox')
    assert.equal(paths.get('a'), undefined)
    assert.deepEqual(paths.get('b'), { path: 'direct', carrier: 'http' })
    assert.deepEqual(paths.get('c'), { path: 'mailbox' }, 'an unknown carrier is left out')
  })

  it('a record lists at most 8 addresses per device but never cuts the relayed ones (the only way in behind a NAT)', () => {
    const direct = Array.from({ length: 10 }, (_, i) => `/ip4/10.0.0.${i + 1}/tcp/7745`)
    const relayed = ['/ip4/198.51.100.1/tcp/7745/p2p/16Uiu2HAmR/p2p-circuit', '/ip4/198.51.100.2/tcp/7745/p2p/16Uiu2HAmS/p2p-circuit', '/ip4/198.51.100.3/tcp/7745/p2p/16Uiu2HAmT/p2p-circuit']
    const listed = listedAddresses([...direct, ...relayed])
    assert.equal(listed.length, 8)
    assert.deepEqual(listed.slice(6), relayed.slice(0, 2))
    assert.deepEqual(listed.slice(0, 6), direct.slice(0, 6))
    assert.deepEqual(listedAddresses(direct.slice(0, 3)), direct.slice(0, 3))
  })

  it('attn status lines for the reach object (and none from an older node)', () => {
    assert.deepEqual(reachStatusLines({}), [])
    const lines = reachStatusLines({
      reach: {
        reachability: 'private',
        relayAddresses: ['/ip4/1.2.3.4/tcp/1/p2p/R/p2p-circuit/p2p/H'],
        reservations: ['R'],
        relayServer: { included: false, serving: false, reservationsHeld: 0 },
        amino: { status: 'ready', mode: 'client', routingTablePeers: 12, rendezvous: { announcedAt: 1, announcedTo: 3, lookups: 2, found: 1 } }
      }
    })
    assert.deepEqual(lines, [
      'reachability: private',
      'relay reservations: 1',
      '  /ip4/1.2.3.4/tcp/1/p2p/R/p2p-circuit/p2p/H',
      'relay server: off',
      'amino dht: ready, client mode, 12 peers',
      'rendezvous: announced to 3 peers, 2 lookups, 1 ATT peers found'
    ])
  })
})
