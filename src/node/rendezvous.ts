/**
 * The ATT rendezvous on the public Amino DHT (attnproto.md §Rendezvous): every `--public` node
 * announces itself as a provider of one well-known CID and looks that CID up to find ATT peers,
 * then dials them; once connected, identify tells the ATT DHT about them and the node has joined
 * the ATT network without an ATT bootstrap address.
 */
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import {
  DEFAULT_RENDEZVOUS_RETRY_MS, DEFAULT_RENDEZVOUS_TARGET_PEERS, MAX_RENDEZVOUS_PROVIDERS_PER_LOOKUP,
  RENDEZVOUS_QUERY_TIMEOUT_MS, RENDEZVOUS_STRING
} from './constants.js'
import type { AminoConfig } from './reach-config.js'
import type { KadDHT, SingleKadDHT } from '@libp2p/kad-dht'
import type { ComponentLogger, Logger, PeerId, PeerStore, Startable } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

/** multicodec `raw` and multihash `sha2-256`. */
const RAW_CODEC = 0x55
const SHA2_256 = 0x12

/** The rendezvous CID: CIDv1, codec raw (0x55), multihash sha2-256 of UTF-8 "attn/1 network". */
export function rendezvousCid (text: string = RENDEZVOUS_STRING): CID {
  const digest = createHash('sha256').update(text, 'utf8').digest()
  return CID.createV1(RAW_CODEC, createDigest(SHA2_256, Uint8Array.from(digest)))
}

export interface RendezvousState {
  cid: string
  /** Unix ms of the last announcement some Amino peer accepted (0: none yet). */
  announcedAt: number
  /** Amino peers that took our last announcement. */
  announcedTo: number
  nextAnnounceAt: number
  lookups: number
  lastLookupAt: number
  /** Distinct ATT peers found through the rendezvous, and how many of them we connected to. */
  found: number
  connected: number
  /** Peers in the ATT DHT routing table. */
  attPeers: number
}

export interface RendezvousComponents {
  connectionManager: ConnectionManager
  peerStore: PeerStore
  peerId: PeerId
  logger: ComponentLogger
  aminoDht: KadDHT
  /** The ATT DHT (service `dht`). */
  dht: KadDHT
}

export interface RendezvousInit {
  config: AminoConfig
  targetPeers?: number
  retryInterval?: number
}

export class Rendezvous implements Startable {
  private readonly log: Logger
  private readonly cid = rendezvousCid()
  private abort?: AbortController
  private announceTimer?: ReturnType<typeof setTimeout>
  private lookupTimer?: ReturnType<typeof setTimeout>
  private announceRetry: number
  private lookingUp = false
  /** Delay before the next lookup while we know no ATT peer: minLookupGap, doubling up to lookupInterval. */
  private emptyBackoff = 0
  /** An announcement or lookup found the Amino DHT empty: run it as soon as a peer arrives. */
  private waitingForAmino = false
  private readonly onAminoPeer = (): void => {
    if (!this.waitingForAmino) return
    this.waitingForAmino = false
    if (this.s.announcedAt === 0) this.scheduleAnnounce(0)
    this.scheduleLookup(0)
  }
  private readonly foundPeers = new Set<string>()
  private readonly s = { announcedAt: 0, announcedTo: 0, nextAnnounceAt: 0, lookups: 0, lastLookupAt: 0, connected: 0 }

  constructor (private readonly components: RendezvousComponents, private readonly init: RendezvousInit) {
    this.log = components.logger.forComponent('attn:rendezvous')
    this.announceRetry = init.retryInterval ?? DEFAULT_RENDEZVOUS_RETRY_MS
  }

  readonly [Symbol.toStringTag] = '@attn/rendezvous'

  start (): void {
    this.abort = new AbortController()
  }

  afterStart (): void {
    ((this.components.aminoDht as SingleKadDHT).routingTable as unknown as EventTarget | undefined)?.addEventListener('peer:add', this.onAminoPeer)
    this.scheduleAnnounce(0)
    this.scheduleLookup(0)
  }

  stop (): void {
    ((this.components.aminoDht as SingleKadDHT).routingTable as unknown as EventTarget | undefined)?.removeEventListener('peer:add', this.onAminoPeer)
    this.abort?.abort()
    clearTimeout(this.announceTimer)
    clearTimeout(this.lookupTimer)
  }

  state (): RendezvousState {
    return { cid: this.cid.toString(), ...this.s, found: this.foundPeers.size, attPeers: this.attPeers() }
  }

  private attPeers (): number {
    return (this.components.dht as SingleKadDHT).routingTable?.size ?? 0
  }

  private aminoPeers (): number {
    return (this.components.aminoDht as SingleKadDHT).routingTable?.size ?? 0
  }

  private scheduleAnnounce (ms: number): void {
    if (this.abort?.signal.aborted !== false) return
    clearTimeout(this.announceTimer)
    this.s.nextAnnounceAt = Date.now() + ms
    this.announceTimer = setTimeout(() => { void this.announce() }, ms)
    this.announceTimer.unref?.()
  }

  private scheduleLookup (ms: number): void {
    if (this.abort?.signal.aborted !== false) return
    clearTimeout(this.lookupTimer)
    this.lookupTimer = setTimeout(() => { void this.lookup() }, ms)
    this.lookupTimer.unref?.()
  }

  /** Provides the rendezvous CID; retries (doubling) until an Amino peer takes it, then waits announceInterval. */
  async announce (): Promise<number> {
    const signal = this.abort?.signal
    if (signal == null || signal.aborted) return 0
    const { announceInterval } = this.init.config
    let accepted = 0
    if (this.aminoPeers() > 0) {
      try {
        for await (const event of this.components.aminoDht.provide(this.cid, { signal: AbortSignal.any([signal, AbortSignal.timeout(RENDEZVOUS_QUERY_TIMEOUT_MS)]) })) {
          if (event.name === 'PEER_RESPONSE' && event.messageName === 'ADD_PROVIDER') accepted++
        }
      } catch (err: any) {
        this.log('announcement ended early: %s', err.message)
      }
    }
    if (signal.aborted) return accepted
    if (accepted === 0 && this.aminoPeers() === 0) this.waitingForAmino = true
    if (accepted > 0) {
      this.log('announced the rendezvous %s to %d Amino peers', this.cid, accepted)
      this.s.announcedAt = Date.now()
      this.s.announcedTo = accepted
      this.announceRetry = this.init.retryInterval ?? DEFAULT_RENDEZVOUS_RETRY_MS
      this.scheduleAnnounce(announceInterval)
    } else {
      this.scheduleAnnounce(this.announceRetry)
      this.announceRetry = Math.min(this.announceRetry * 2, announceInterval)
    }
    return accepted
  }

  /**
   * Looks up providers of the rendezvous CID and dials them (at most MAX_RENDEZVOUS_PROVIDERS_PER_LOOKUP).
   * Rate-limited: never two lookups within minLookupGap; repeats every lookupInterval while we know
   * fewer than the target number of ATT peers (retrying sooner while the Amino DHT is still empty).
   */
  async lookup (): Promise<number> {
    const signal = this.abort?.signal
    if (signal == null || signal.aborted || this.lookingUp) return 0
    const { minLookupGap, lookupInterval } = this.init.config
    const target = this.init.targetPeers ?? DEFAULT_RENDEZVOUS_TARGET_PEERS
    const wait = this.s.lastLookupAt + minLookupGap - Date.now()
    if (wait > 0) {
      this.scheduleLookup(wait)
      return 0
    }
    if (this.aminoPeers() === 0) {
      this.waitingForAmino = true
      this.scheduleLookup(Math.max(minLookupGap, this.init.retryInterval ?? DEFAULT_RENDEZVOUS_RETRY_MS))
      return 0
    }
    if (this.attPeers() >= target) {
      this.scheduleLookup(lookupInterval)
      return 0
    }
    this.lookingUp = true
    this.s.lookups++
    this.s.lastLookupAt = Date.now()
    let dialled = 0
    const self = this.components.peerId.toString()
    const seen = new Set<string>()
    try {
      const dials: Array<Promise<void>> = []
      const querySignal = AbortSignal.any([signal, AbortSignal.timeout(RENDEZVOUS_QUERY_TIMEOUT_MS)])
      for await (const event of this.components.aminoDht.findProviders(this.cid, { signal: querySignal })) {
        if (event.name !== 'PROVIDER') continue
        for (const p of event.providers) {
          const id = p.id.toString()
          if (id === self || seen.has(id)) continue
          seen.add(id)
          this.foundPeers.add(id)
          if (seen.size > MAX_RENDEZVOUS_PROVIDERS_PER_LOOKUP) break
          dials.push(this.dial(p.id, p.multiaddrs, querySignal).then(ok => { if (ok) dialled++ }))
        }
        if (seen.size > MAX_RENDEZVOUS_PROVIDERS_PER_LOOKUP) break
      }
      await Promise.all(dials)
    } catch (err: any) {
      this.log('rendezvous lookup ended early: %s', err.message)
    } finally {
      this.lookingUp = false
    }
    this.log('rendezvous lookup: %d providers, %d dialled', seen.size, dialled)
    // alone (e.g. the Amino routing table was still filling): look again soon, backing off
    if (this.attPeers() === 0) {
      this.emptyBackoff = Math.min(Math.max(this.emptyBackoff * 2, minLookupGap), lookupInterval)
      this.scheduleLookup(Math.max(this.emptyBackoff, minLookupGap))
    } else {
      this.emptyBackoff = 0
      this.scheduleLookup(Math.max(lookupInterval, minLookupGap))
    }
    return dialled
  }

  private async dial (peer: PeerId, addrs: Multiaddr[], signal: AbortSignal): Promise<boolean> {
    try {
      if (addrs.length > 0) await this.components.peerStore.merge(peer, { multiaddrs: addrs })
      await this.components.connectionManager.openConnection(peer, { signal })
      this.s.connected++
      return true
    } catch (err: any) {
      this.log('cannot dial ATT peer %p found through the rendezvous: %s', peer, err.message)
      return false
    }
  }
}

export function rendezvous (init: RendezvousInit): (components: RendezvousComponents) => Rendezvous {
  return (components) => new Rendezvous(components, init)
}
