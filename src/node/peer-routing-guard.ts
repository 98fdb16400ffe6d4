/**
 * libp2p dials a bare peer id it has no address for by asking its peer routers (the DHTs) first,
 * and every later dial of that peer, with addresses or not, joins that dial until it ends. A
 * kad-dht query with an empty routing table waits for a first peer; when the peer being dialled is
 * the only one there is (a restarted node dialling its bootstrap peer by id before the bootstrap
 * address reached its peer store), the query waits for itself: the dial, and every dial joining
 * it, hangs until the last caller gives up (the kill -9 fault suite showed a node that never
 * connected again). With this guard a DHT whose routing table is empty answers a peer lookup at
 * once with NotFoundError; the DHT's own queries (the self-query that fills the table) still wait.
 */
import { NotFoundError, peerRoutingSymbol } from '@libp2p/interface'
import type { PeerRouting } from '@libp2p/interface'

interface WithRoutingTable { routingTable?: { size: number } }

export function withNonWaitingPeerRouting<T extends object> (dht: T): T {
  let guarded: PeerRouting | undefined
  return new Proxy(dht, {
    get (target, prop) {
      const value = Reflect.get(target, prop, target)
      if (prop === peerRoutingSymbol && value != null) {
        const routing = value as unknown as PeerRouting
        guarded ??= {
          findPeer: async (id, options) => {
            if ((target as WithRoutingTable).routingTable?.size === 0) throw new NotFoundError('no DHT peer to ask yet (empty routing table)')
            return await routing.findPeer(id, options)
          },
          getClosestPeers: (key, options) => routing.getClosestPeers(key, options)
        }
        return guarded
      }
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}
