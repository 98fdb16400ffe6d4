import { directoryKey } from './protocol/directory-record.js'
import { DEFAULT_PUBLISH_TIMEOUT_MS } from './constants.js'
import { anySignal } from '../utils/signals.js'
import type { DirectoryClient } from './directory-client.js'
import type { RevocationState } from './revocations.js'
import type { PeerBook } from './peer-book.js'
import type { DirectoryDevice, DirectoryMailbox, DirectoryRecord } from './protocol/directory-record.js'
import type { SignedPrekeyPublic } from './protocol/device-prekeys.js'
import type { Identity } from '../keys/index.js'
import type { KadDHT } from '@libp2p/kad-dht'
import type { AbortOptions, Logger } from '@libp2p/interface'

export interface RecordPublisherInit {
  identity: Identity
  /** Our libp2p peer id string (this device's `nodeId`). */
  self: string
  dht: KadDHT
  directory: DirectoryClient
  peers: PeerBook
  log: Logger
  recordTtlSeconds: number
  /** Configured mailbox peer ids; empty: the DHT-closest peers to our record key. */
  mailboxes: string[]
  mailboxCount: number
  /** Our last published record, kept across restarts: its seq is where ours continue. */
  lastPublished?: DirectoryRecord
  /** This device's identity key and current signed prekey (rotated as it is read). */
  deviceBundle: () => { identityKey: Uint8Array, signedPrekey: SignedPrekeyPublic }
  /** Our UDP/HTTP carrier endpoints as multiaddrs, listed first among our device's addresses. */
  carrierAddresses?(): string[]
  /** This node's mailbox price as advertised (decimal base units), or undefined when free (rewards.md §6). */
  mailboxPrice?(): string | undefined
  /**
   * Whether a peer answers as a mailbox (`mailbox.terms`); candidates that do not (a node with the
   * mailbox role off) are not listed while enough others do. Absent: every candidate is listed.
   */
  servesMailbox?(peerId: string, options: AbortOptions): Promise<boolean>
  /** A record was published (to keep it across restarts). */
  onPublished?(record: DirectoryRecord): void
  /**
   * The DHT shows this very device (our PeerId) at other addresses in a record we did not publish:
   * another node runs with a copy of this identity (only the last publisher would receive).
   */
  onTwin?(multiaddrs: string[]): void
  /** The identity's revocation list as known here (messaging.md §2.2): carried forward, its devices dropped. */
  revocations?: RevocationState
}

/** Relayed (/p2p-circuit) addresses always kept among a device's listed addresses. */
const MAX_LISTED_RELAYED = 2

/**
 * At most MAX_LISTED_ADDRS addresses, in order, but never cutting our relayed addresses: behind
 * a NAT they are the only way in, and they come last (after carrier endpoints and every local one).
 */
export function listedAddresses (addrs: string[]): string[] {
  const relayed = addrs.filter(a => a.includes('/p2p-circuit')).slice(0, MAX_LISTED_RELAYED)
  const direct = addrs.filter(a => !a.includes('/p2p-circuit')).slice(0, MAX_LISTED_ADDRS - relayed.length)
  return [...direct, ...relayed]
}

/** Most multiaddrs listed per device or mailbox in a record. */
const MAX_LISTED_ADDRS = 8
const CLOSEST_PEERS_TIMEOUT_MS = 15_000
/** How long the candidates have to answer as mailboxes, ms. */
const MAILBOX_PROBE_TIMEOUT_MS = 5_000
/** Candidates probed at most (kad-dht's K closest). */
const MAX_MAILBOX_CANDIDATES = 20

/**
 * Publishes this identity's directory record (messaging.md §Publishing): every device of the
 * identity (merged with the record in the DHT, so devices do not drop each other), this device with
 * its identity key and current signed prekey (§10.1), and the mailboxes.
 */
export class RecordPublisher {
  /** The seq of the last record we published or saw; strictly increasing. */
  private seq = BigInt(Date.now())

  /** The seq of the last record this home published (0 for none): a newer one listing our PeerId is not ours. */
  private ownSeq: bigint

  constructor (private readonly init: RecordPublisherInit) {
    const last = init.lastPublished?.seq
    if (last != null && last > this.seq) this.seq = last
    this.ownSeq = last ?? 0n
  }

  /** Publishes (or republishes) the record; returns its seq and how many DHT peers accepted it. */
  async publish (options: AbortOptions = {}): Promise<{ seq: string, accepted: number }> {
    const { identity, directory, self, peers } = this.init
    const now = Math.floor(Date.now() / 1000)
    const devices = new Map<string, DirectoryDevice>()
    try {
      const existing = await directory.lookup(identity.address, { ...options, fresh: true })
      this.init.revocations?.observe(existing.revocations)
      for (const d of existing.devices) if (this.init.revocations?.isRevoked(d.nodeId) !== true) devices.set(d.nodeId, d)
      this.checkTwin(existing)
      if (existing.seq >= this.seq) this.seq = existing.seq
    } catch (err: any) {
      // the first record of this identity, or the DHT is not reachable yet
      this.init.log('no existing record of ours to merge: %s', err.message)
    }
    // a revoked device stops publishing (its record would be invalid, and must not win)
    this.init.revocations?.assertNotRevoked()
    // the root key derives no message keys (messaging.md §10): each device lists its own prekeys
    const price = this.init.mailboxPrice?.()
    devices.set(self, { chain: identity.chain, nodeId: self, multiaddrs: listedAddresses([...(this.init.carrierAddresses?.() ?? []), ...peers.ownAddresses()]), ...this.init.deviceBundle(), ...(price != null ? { mailboxPrice: price } : {}) })
    const mailboxes = await this.chooseMailboxes(options)
    this.seq++
    const { record, accepted } = await directory.publish(identity, {
      seq: this.seq,
      expiresAt: now + this.init.recordTtlSeconds,
      devices: [...devices.values()],
      mailboxes,
      revocations: this.init.revocations?.forPublish()
    }, { signal: anySignal(options.signal, AbortSignal.timeout(DEFAULT_PUBLISH_TIMEOUT_MS)) })
    this.ownSeq = this.seq
    this.init.onPublished?.(record)
    return { seq: this.seq.toString(), accepted }
  }

  /** Reports a record newer than our last publication that lists our PeerId at addresses none of which are ours. */
  private checkTwin (existing: DirectoryRecord): void {
    const mine = existing.devices.find(d => d.nodeId === this.init.self)
    if (mine == null || existing.seq <= this.ownSeq || (mine.multiaddrs ?? []).length === 0) return
    const ours = new Set(this.init.peers.ownAddresses())
    if ((mine.multiaddrs ?? []).some(a => ours.has(a))) return
    this.init.log.error('the DHT shows this PeerId at %s in a record this node did not publish: another node runs with this identity', mine.multiaddrs?.join(', '))
    this.init.onTwin?.(mine.multiaddrs ?? [])
  }

  /**
   * The closest candidates (in the DHT's order) that answer as mailboxes, up to mailboxCount. When
   * none answers (the network is not reachable yet), the closest ones are listed anyway: the next
   * publication checks again.
   */
  private async serving (candidates: string[], options: AbortOptions): Promise<string[]> {
    const { mailboxCount, servesMailbox } = this.init
    if (servesMailbox == null) return candidates.slice(0, mailboxCount)
    const signal = anySignal(options.signal, AbortSignal.timeout(MAILBOX_PROBE_TIMEOUT_MS))
    const answers = await Promise.all(candidates.slice(0, MAX_MAILBOX_CANDIDATES).map(async peer => {
      try {
        return await servesMailbox(peer, { signal })
      } catch (err: any) {
        this.init.log.trace('mailbox probe of %s failed: %s', peer, err.message)
        return false
      }
    }))
    const serving = candidates.filter((_, i) => answers[i] === true)
    if (serving.length === 0) {
      this.init.log('no candidate answered as a mailbox: listing the %d closest unchecked', Math.min(mailboxCount, candidates.length))
      return candidates.slice(0, mailboxCount)
    }
    return serving.slice(0, mailboxCount)
  }

  private async chooseMailboxes (options: AbortOptions): Promise<DirectoryMailbox[]> {
    const { self, peers } = this.init
    let chosen = this.init.mailboxes
    if (chosen.length === 0) {
      const found = new Set<string>()
      try {
        for await (const event of this.init.dht.getClosestPeers(directoryKey(this.init.identity.address), { signal: anySignal(options.signal, AbortSignal.timeout(CLOSEST_PEERS_TIMEOUT_MS)) })) {
          if (event.name === 'FINAL_PEER' && event.peer.id.toString() !== self) found.add(event.peer.id.toString())
        }
      } catch (err: any) {
        this.init.log('closest-peer query for mailboxes ended early: %s', err.message)
      }
      chosen = await this.serving([...found], options)
    }
    return chosen.map(p => ({ peerId: p, multiaddrs: peers.peerAddresses(p).slice(0, MAX_LISTED_ADDRS) }))
  }
}
