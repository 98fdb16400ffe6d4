import { peerIdOf } from './peer-ids.js'
import { multiaddr } from '@multiformats/multiaddr'
import type { Logger, PeerStore } from '@libp2p/interface'
import type { AddressManager, ConnectionManager } from '@libp2p/interface-internal'

export interface PeerBookComponents {
  connectionManager: ConnectionManager
  peerStore: PeerStore
  addressManager: AddressManager
}

/** The libp2p address facts messaging needs: ours for the directory record, others' for dialling. */
export class PeerBook {
  constructor (private readonly components: PeerBookComponents, private readonly log: Logger) {}

  /** Whether we hold an open libp2p connection to the peer (a peer id string). */
  isConnected (peer: string): boolean {
    return this.components.connectionManager.getConnections().some(c => c.remotePeer.toString() === peer && c.status === 'open')
  }

  /**
   * How we reach a peer now: `direct` when an open connection to it is not relayed, else
   * `relayed` (only circuit-relay connections, which libp2p marks as limited).
   */
  pathTo (peer: string): 'direct' | 'relayed' {
    const open = this.components.connectionManager.getConnections().filter(c => c.remotePeer.toString() === peer && c.status === 'open')
    return open.length > 0 && open.every(c => c.limits != null || c.remoteAddr.toString().includes('/p2p-circuit')) ? 'relayed' : 'direct'
  }

  /** Our own listen/announce multiaddrs (without /p2p), for directory records. */
  ownAddresses (): string[] {
    return this.components.addressManager.getAddresses().map(ma => ma.decapsulateCode(421).toString())
  }

  /** Multiaddrs we are connected to a peer on (for directory records naming mailboxes). */
  peerAddresses (peer: string): string[] {
    return this.components.connectionManager.getConnections()
      .filter(c => c.remotePeer.toString() === peer)
      .map(c => c.remoteAddr.toString())
  }

  /** Adds dialable addresses of a peer (from a directory record) to the peer store. Never throws. */
  async learnAddresses (peer: string, addrs: string[]): Promise<void> {
    try {
      // a device's ATTN carrier endpoints (plain UDP, HTTP) are not libp2p dial addresses
      const dialable = addrs.filter(a => !/\/udp\/\d+$/.test(a) && !/\/http$/.test(a))
      await this.components.peerStore.merge(peerIdOf(peer), { multiaddrs: dialable.map(a => multiaddr(a)) })
    } catch (err: any) {
      this.log('ignoring addresses of %s: %s', peer, err.message)
    }
  }
}
