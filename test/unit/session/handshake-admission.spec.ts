import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { HandshakeAdmission } from '../../../src/session/handshake-admission.js'
import { ipKey, KeyedBuckets } from '../../../src/session/rate-limit.js'
import type { PendingSlot } from '../../../src/session/handshake-admission.js'
import type { FrameChannel } from '../../../src/carriers/index.js'
import type { PeerId } from '@libp2p/interface'

function channel (id: string, peer: string, addr: string): FrameChannel {
  return {
    id,
    kind: 'libp2p',
    open: true,
    remotePeer: { toString: () => peer } as unknown as PeerId,
    remoteAddr: multiaddr(addr),
    send: async () => {},
    close: async () => {}
  }
}

describe('handshake admission (HELLO floods)', () => {
  it('token buckets: burst, then refill at the rate; least recently used keys forgotten past the key cap', () => {
    let t = 0
    const b = new KeyedBuckets({ burst: 2, perSecond: 4 }, 2, () => t)
    for (let i = 0; i < 2; i++) { assert.equal(b.has('a'), true); b.take('a') }
    assert.equal(b.has('a'), false)
    t += 250
    assert.equal(b.has('a'), true)
    b.take('a')
    assert.equal(b.has('a'), false)
    b.has('b'); b.has('c')
    assert.equal(b.size, 2)
  })

  it('per-IP keys: the IPv4 address, the /64 of an IPv6 address', () => {
    assert.equal(ipKey(multiaddr('/ip4/10.1.2.3/tcp/4').getComponents()), '10.1.2.3')
    assert.equal(ipKey(multiaddr('/ip6/2001:db8:0:1:aaaa::1/tcp/4').getComponents()), '2001:db8:0:1::/64')
    assert.equal(ipKey(multiaddr('/ip6/2001:db8:0:1:bbbb::2/tcp/4').getComponents()), '2001:db8:0:1::/64')
    assert.equal(ipKey(multiaddr('/ip6/::1/tcp/4').getComponents()), '0:0:0:0::/64')
    assert.equal(ipKey(multiaddr('/dns4/example.com/tcp/4').getComponents()), undefined)
  })

  it('caps pending states per channel, per peer and per IP before the node-wide pool', () => {
    const a = new HandshakeAdmission({ maxPending: 100, maxPendingPerChannel: 2, maxPendingPerPeer: 3, maxPendingPerIp: 4 })
    const pending = new Map<string, PendingSlot>()
    let n = 0
    const hello = (ch: FrameChannel): string => {
      const r = a.admit(pending, String(n), ch, false)
      if (r.admitted) pending.set(String(n), r.slot)
      n++
      return r.admitted ? 'ok' : r.error.code
    }
    const c1 = channel('c1', 'p1', '/ip4/1.1.1.1/tcp/1')
    const c2 = channel('c2', 'p1', '/ip4/1.1.1.1/tcp/1')
    const c3 = channel('c3', 'p2', '/ip4/1.1.1.1/tcp/2')
    const c4 = channel('c4', 'p3', '/ip4/2.2.2.2/tcp/1')
    assert.deepEqual([hello(c1), hello(c1), hello(c1)], ['ok', 'ok', 'ERR_HS_TOO_MANY_PENDING']) // per channel
    assert.deepEqual([hello(c2), hello(c2)], ['ok', 'ERR_HS_TOO_MANY_PENDING']) // per peer (3)
    assert.deepEqual([hello(c3), hello(c3)], ['ok', 'ERR_HS_TOO_MANY_PENDING']) // per IP (4)
    assert.equal(hello(c4), 'ok') // another IP is unaffected
    assert.equal(a.admit(pending, '0', c4, false).admitted, false, 'a pending hs_id is refused')
  })

  it('limits RESPONSEs per peer, per IP and node-wide; a peer with a session skips the node-wide bucket', () => {
    const a = new HandshakeAdmission({
      responseRatePerPeer: { burst: 2, perSecond: 0 },
      responseRatePerIp: { burst: 3, perSecond: 0 },
      responseRate: { burst: 4, perSecond: 0 }
    })
    const empty = new Map<string, PendingSlot>()
    const code = (ch: FrameChannel, preferred = false): string => { const r = a.admit(empty, 'x', ch, preferred); return r.admitted ? 'ok' : r.error.code }
    const p1 = channel('c1', 'p1', '/ip4/1.1.1.1/tcp/1')
    const p2 = channel('c2', 'p2', '/ip4/1.1.1.1/tcp/2')
    const p3 = channel('c3', 'p3', '/ip4/2.2.2.2/tcp/1')
    const p4 = channel('c4', 'p4', '/ip4/3.3.3.3/tcp/1')
    assert.deepEqual([code(p1), code(p1), code(p1)], ['ok', 'ok', 'ERR_HS_RATE_LIMITED'])
    assert.deepEqual([code(p2), code(p2)], ['ok', 'ERR_HS_RATE_LIMITED']) // IP 1.1.1.1 spent (3)
    assert.deepEqual([code(p3), code(p4)], ['ok', 'ERR_HS_RATE_LIMITED']) // node-wide spent (4)
    assert.equal(code(p4, true), 'ok', 'a peer with an established session is still served')
    assert.equal(a.counters.rateLimited, 3)
  })

  it('refused HELLOs are answered with a REJECT only within a per-peer budget', () => {
    const a = new HandshakeAdmission({ refusalRejectRatePerPeer: { burst: 2, perSecond: 0 } })
    const c1 = channel('c1', 'p1', '/ip4/1.1.1.1/tcp/1')
    assert.deepEqual([a.answerRefusal(c1), a.answerRefusal(c1), a.answerRefusal(c1)], [true, true, false])
    assert.equal(a.answerRefusal(channel('c2', 'p2', '/ip4/1.1.1.1/tcp/2')), true, 'another peer has its own budget')
  })

  it('a full pool: a new HELLO displaces the oldest pending state of a peer without a session, never one with a session', () => {
    let t = 0
    const a = new HandshakeAdmission({ maxPending: 2, now: () => t++ })
    const pending = new Map<string, PendingSlot>()
    const add = (id: string, ch: FrameChannel, preferred: boolean): ReturnType<HandshakeAdmission['admit']> => {
      const r = a.admit(pending, id, ch, preferred)
      if (r.admitted) {
        if (r.evict != null) pending.delete(r.evict)
        pending.set(id, r.slot)
      }
      return r
    }
    add('old-preferred', channel('c1', 'p1', '/ip4/1.1.1.1/tcp/1'), true)
    add('old', channel('c2', 'p2', '/ip4/2.2.2.2/tcp/1'), false)
    const r = add('new', channel('c3', 'p3', '/ip4/3.3.3.3/tcp/1'), false)
    assert.equal(r.admitted && r.evict, 'old')
    assert.deepEqual([...pending.keys()].sort(), ['new', 'old-preferred'])
    add('new2', channel('c4', 'p4', '/ip4/4.4.4.4/tcp/1'), true)
    assert.deepEqual([...pending.keys()].sort(), ['new2', 'old-preferred'])
    const refused = a.admit(pending, 'new3', channel('c5', 'p5', '/ip4/5.5.5.5/tcp/1'), false)
    assert.equal(refused.admitted, false, 'only sessions\' handshakes are pending: nothing to displace')
  })
})
