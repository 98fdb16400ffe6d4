/**
 * The reach part of the node config (issue 14): `public` (Amino DHT + rendezvous), `amino`,
 * `noListen` and `nat` (AutoNAT, circuit relay, DCUtR, UPnP). Kept apart from config.ts so that
 * file only registers it.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidConfigError } from '../errors.js'
import {
  DEFAULT_RELAY_CIRCUIT_DATA_BYTES, DEFAULT_RELAY_CIRCUIT_DURATION_MS, DEFAULT_RELAY_CIRCUITS_PER_PEER_PER_MINUTE,
  DEFAULT_RELAY_MAX_CIRCUITS, DEFAULT_RELAY_MAX_RESERVATIONS, DEFAULT_RELAY_RESERVATION_TTL_MS,
  DEFAULT_RELAY_RESERVATIONS_PER_PEER_PER_HOUR, DEFAULT_RENDEZVOUS_ANNOUNCE_MS, DEFAULT_RENDEZVOUS_LOOKUP_MS,
  DEFAULT_RENDEZVOUS_MIN_LOOKUP_GAP_MS, MAX_AMINO_BOOTSTRAP
} from './constants.js'

export type Reachability = 'public' | 'private' | 'unknown'

export interface AminoConfig {
  /** Amino bootstrap multiaddrs (with /p2p/<peer-id>); empty = the public bootstrap peers. */
  bootstrap: string[]
  /** Keep private/loopback addresses in Amino peer and provider answers (tests, LANs only). */
  allowPrivateAddresses: boolean
  /** Rendezvous re-announcement interval, ms. */
  announceInterval: number
  /** Rendezvous lookup interval while we know too few ATT peers, ms. */
  lookupInterval: number
  /** Minimum gap between two rendezvous lookups, ms. */
  minLookupGap: number
}

export interface RelayServerConfig {
  /** Serve as a circuit relay: 'auto' = when mailbox.enabled and reachability is public. */
  enabled: 'auto' | boolean
  maxReservations: number
  reservationTtl: number
  /** Bytes per relayed connection. */
  circuitDataLimit: number
  /** ms per relayed connection. */
  circuitDurationLimit: number
  circuitsPerPeerPerMinute: number
  reservationsPerPeerPerHour: number
  /** Relayed connections at once. */
  maxCircuits: number
}

export interface NatConfig {
  /** 'auto' = learn it from AutoNAT; 'public'/'private' = the operator knows (also tests on loopback). */
  reachability: 'auto' | 'public' | 'private'
  /** Map ports on the home router with UPnP (opt-in). */
  upnp: boolean
  /** Reserve relay slots: 'auto' = when reachability is private and we listen on more than loopback (always with noListen). */
  reserve: 'auto' | boolean
  relay: RelayServerConfig
}

export interface ReachConfig {
  /** Join the public Amino DHT and the rendezvous. */
  public: boolean
  amino: AminoConfig
  /** No listen address at all: reachable only through relays. */
  noListen: boolean
  nat: NatConfig
}

export const DEFAULT_REACH_CONFIG: ReachConfig = {
  public: false,
  amino: {
    bootstrap: [],
    allowPrivateAddresses: false,
    announceInterval: DEFAULT_RENDEZVOUS_ANNOUNCE_MS,
    lookupInterval: DEFAULT_RENDEZVOUS_LOOKUP_MS,
    minLookupGap: DEFAULT_RENDEZVOUS_MIN_LOOKUP_GAP_MS
  },
  noListen: false,
  nat: {
    reachability: 'auto',
    upnp: false,
    reserve: 'auto',
    relay: {
      enabled: 'auto',
      maxReservations: DEFAULT_RELAY_MAX_RESERVATIONS,
      reservationTtl: DEFAULT_RELAY_RESERVATION_TTL_MS,
      circuitDataLimit: DEFAULT_RELAY_CIRCUIT_DATA_BYTES,
      circuitDurationLimit: DEFAULT_RELAY_CIRCUIT_DURATION_MS,
      circuitsPerPeerPerMinute: DEFAULT_RELAY_CIRCUITS_PER_PEER_PER_MINUTE,
      reservationsPerPeerPerHour: DEFAULT_RELAY_RESERVATIONS_PER_PEER_PER_HOUR,
      maxCircuits: DEFAULT_RELAY_MAX_CIRCUITS
    }
  }
}

export const REACH_KEYS = ['public', 'amino', 'noListen', 'nat'] as const

/** Deep-merges the reach keys of `over` into `base` (one level for amino, two for nat.relay). */
export function mergeReach (base: ReachConfig, over: DeepPartialReach): ReachConfig {
  return {
    public: over.public ?? base.public,
    noListen: over.noListen ?? base.noListen,
    amino: { ...base.amino, ...defined(over.amino) },
    nat: { ...base.nat, ...defined(over.nat), relay: { ...base.nat.relay, ...defined(over.nat?.relay) } }
  }
}

/** Reach overrides as config.json, CLI flags and createAttnNode give them: any field may be missing. */
export interface DeepPartialReach {
  public?: boolean
  noListen?: boolean
  amino?: Partial<AminoConfig>
  nat?: Partial<Omit<NatConfig, 'relay'>> & { relay?: Partial<RelayServerConfig> }
}

/** The fields of `obj` that are not undefined (a flag not given must not erase a config.json value). */
function defined<T extends object> (obj: T | undefined): Partial<T> {
  if (obj == null || typeof obj !== 'object') return obj as any
  return Object.fromEntries(Object.entries(obj).filter(([k, v]) => v !== undefined && k !== 'relay')) as Partial<T>
}

const MAX_INTERVAL_MS = 7 * 86_400_000

function positiveInt (v: unknown, max: number): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max
}

function checkKeys (obj: unknown, allowed: readonly string[], where: string): void {
  if (obj == null || typeof obj !== 'object' || Array.isArray(obj)) throw new InvalidConfigError(`"${where}" must be an object`)
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new InvalidConfigError(`unknown key "${where}.${k}"`)
}

/** Throws InvalidConfigError naming the first bad reach field. */
export function validateReachConfig (c: ReachConfig): void {
  if (typeof c.public !== 'boolean') throw new InvalidConfigError('"public" must be a boolean')
  if (typeof c.noListen !== 'boolean') throw new InvalidConfigError('"noListen" must be a boolean')
  checkKeys(c.amino, Object.keys(DEFAULT_REACH_CONFIG.amino), 'amino')
  const { bootstrap } = c.amino
  if (!Array.isArray(bootstrap) || bootstrap.length > MAX_AMINO_BOOTSTRAP || bootstrap.some(v => typeof v !== 'string')) {
    throw new InvalidConfigError(`"amino.bootstrap" must be an array of at most ${MAX_AMINO_BOOTSTRAP} multiaddr strings`)
  }
  for (const ma of bootstrap) {
    try {
      multiaddr(ma)
    } catch (err: any) {
      throw new InvalidConfigError(`"amino.bootstrap": invalid multiaddr "${ma}": ${err.message}`)
    }
    if (!ma.includes('/p2p/')) throw new InvalidConfigError(`"amino.bootstrap": "${ma}" must end with /p2p/<peer-id>`)
  }
  if (typeof c.amino.allowPrivateAddresses !== 'boolean') throw new InvalidConfigError('"amino.allowPrivateAddresses" must be a boolean')
  for (const f of ['announceInterval', 'lookupInterval', 'minLookupGap'] as const) {
    if (!positiveInt(c.amino[f], MAX_INTERVAL_MS)) throw new InvalidConfigError(`"amino.${f}" must be an integer number of milliseconds from 1 to ${MAX_INTERVAL_MS}`)
  }
  checkKeys(c.nat, Object.keys(DEFAULT_REACH_CONFIG.nat), 'nat')
  if (!['auto', 'public', 'private'].includes(c.nat.reachability)) throw new InvalidConfigError('"nat.reachability" must be "auto", "public" or "private"')
  if (typeof c.nat.upnp !== 'boolean') throw new InvalidConfigError('"nat.upnp" must be a boolean')
  if (c.nat.reserve !== 'auto' && typeof c.nat.reserve !== 'boolean') throw new InvalidConfigError('"nat.reserve" must be "auto" or a boolean')
  checkKeys(c.nat.relay, Object.keys(DEFAULT_REACH_CONFIG.nat.relay), 'nat.relay')
  const r = c.nat.relay
  if (r.enabled !== 'auto' && typeof r.enabled !== 'boolean') throw new InvalidConfigError('"nat.relay.enabled" must be "auto" or a boolean')
  for (const f of ['maxReservations', 'circuitsPerPeerPerMinute', 'reservationsPerPeerPerHour', 'maxCircuits'] as const) {
    if (!positiveInt(r[f], 1_000_000)) throw new InvalidConfigError(`"nat.relay.${f}" must be a positive integer`)
  }
  for (const f of ['reservationTtl', 'circuitDurationLimit'] as const) {
    if (!positiveInt(r[f], MAX_INTERVAL_MS)) throw new InvalidConfigError(`"nat.relay.${f}" must be an integer number of milliseconds from 1 to ${MAX_INTERVAL_MS}`)
  }
  if (!positiveInt(r.circuitDataLimit, Number.MAX_SAFE_INTEGER)) throw new InvalidConfigError('"nat.relay.circuitDataLimit" must be a positive integer (bytes)')
}
