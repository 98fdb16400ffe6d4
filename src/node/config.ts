import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidConfigError } from '../errors.js'
import {
  DEFAULT_DHT_MAX_BYTES, DEFAULT_DHT_MAX_BYTES_PER_PEER, DEFAULT_DHT_MAX_RECORD_BYTES, DEFAULT_DHT_MAX_RECORDS,
  DEFAULT_DHT_MAX_RECORDS_PER_PEER
} from './constants.js'
import { DEFAULT_REACH_CONFIG, REACH_KEYS, mergeReach, validateReachConfig } from './reach-config.js'
import type { ReachConfig } from './reach-config.js'
import { parseHostPort } from './locations.js'
import { DEFAULT_FETCH_INTERVAL_MS, DEFAULT_MAILBOX_GRACE_MS, DEFAULT_PROBE_INITIAL_MS, DEFAULT_PROBE_MAX_MS, DEFAULT_RETRY_INITIAL_MS, DEFAULT_RETRY_MAX_MS } from '../messaging/constants.js'

// defined apart so the CLI can use them without loading multiaddr; re-exported for importers of this module
export { defaultHome, parseHostPort } from './locations.js'

/** Everything a node reads from `$ATTN_HOME/config.json`; CLI flags override it. */
export interface AttnConfig extends ReachConfig {
  /** libp2p listen multiaddrs (TCP, WebSocket, QUIC). */
  listen: string[]
  /** Multiaddrs (with /p2p/<peer-id>) dialled at start-up. */
  bootstrap: string[]
  /** Local HTTP API, `HOST:PORT`; port 0 picks a free one. Empty string disables it. */
  api: string
  /** Extra multiaddrs to announce (e.g. a public address behind NAT). */
  announce: string[]
  /** ATTN over raw UDP, `HOST:PORT` (attnproto.md Part 2 §5); empty string (default) = off. */
  udp: string
  /** ATTN over plain HTTP, a public listener `HOST:PORT` (attnproto.md Part 2 §6); empty string (default) = off. */
  http: string
  dht: {
    /** Keep private/loopback addresses in DHT peer records (needed on a LAN or loopback). */
    allowPrivateAddresses: boolean
    /** Records this node holds for the DHT; puts from peers over it are refused (ERR_DHT_STORE_FULL). */
    maxRecords: number
    /** Bytes of records this node holds for the DHT. */
    maxBytes: number
    /** Records one source peer may have stored on this node (ERR_DHT_PEER_QUOTA). */
    maxRecordsPerPeer: number
    /** Bytes one source peer may have stored on this node. */
    maxBytesPerPeer: number
    /** Largest record value accepted from a peer (ERR_DHT_RECORD_TOO_LARGE). */
    maxRecordBytes: number
  }
  /** Inbound connections accepted per second per remote host. */
  inboundConnectionThreshold: number
  maxConnections: number
  mailbox: {
    /** Hold mail for other identities (the mailbox role). */
    enabled: boolean
    /** Peer ids of the mailbox nodes to list in our directory record; empty = the DHT-closest peers. */
    nodes: string[]
  }
  /** Messaging timings, ms; unset keys keep the service defaults (MessagingServiceInit). */
  messaging: MessagingTimings
  /** Rewards (protocols/rewards.md §7): chain JSON-RPC URL ('' = ledger only). */
  chainRpc: string
  /** Chain id of the rewards contract; 0 = ask chainRpc at start. */
  chainId: number
  /** AttRewards contract address ('' = no rewards: free mailbox, free senders only). */
  rewardsContract: string
  /** Price per parcel as a mailbox, base units, decimal string ("0" = free; needs rewardsContract). */
  price: string
  /** Most postage paid per parcel as a sender, base units, decimal string. */
  maxPostage: string
}

/** Outbox retry and re-probe backoff and the mailbox poll interval, ms. */
export interface MessagingTimings {
  retryInitial?: number
  retryMax?: number
  probeInitial?: number
  probeMax?: number
  fetchInterval?: number
  /** How long direct delivery may take before the mailboxes are used in parallel. */
  mailboxGrace?: number
}

const MESSAGING_TIMING_KEYS = ['retryInitial', 'retryMax', 'probeInitial', 'probeMax', 'fetchInterval', 'mailboxGrace'] as const
const DEFAULT_MESSAGING_TIMINGS: Required<MessagingTimings> = {
  retryInitial: DEFAULT_RETRY_INITIAL_MS,
  retryMax: DEFAULT_RETRY_MAX_MS,
  probeInitial: DEFAULT_PROBE_INITIAL_MS,
  probeMax: DEFAULT_PROBE_MAX_MS,
  fetchInterval: DEFAULT_FETCH_INTERVAL_MS,
  mailboxGrace: DEFAULT_MAILBOX_GRACE_MS
}
/** A timing longer than this (24 h) is surely a unit mistake (setTimeout also overflows at 2^31 ms). */
const MAX_TIMING_MS = 86_400_000

export const DEFAULT_API = '127.0.0.1:7746'

export const DEFAULT_CONFIG: AttnConfig = {
  listen: [
    '/ip4/0.0.0.0/tcp/7745',
    '/ip4/0.0.0.0/tcp/7747/ws',
    '/ip4/0.0.0.0/udp/7745/quic-v1'
  ],
  bootstrap: [],
  api: DEFAULT_API,
  announce: [],
  udp: '',
  http: '',
  dht: {
    allowPrivateAddresses: true,
    maxRecords: DEFAULT_DHT_MAX_RECORDS,
    maxBytes: DEFAULT_DHT_MAX_BYTES,
    maxRecordsPerPeer: DEFAULT_DHT_MAX_RECORDS_PER_PEER,
    maxBytesPerPeer: DEFAULT_DHT_MAX_BYTES_PER_PEER,
    maxRecordBytes: DEFAULT_DHT_MAX_RECORD_BYTES
  },
  inboundConnectionThreshold: 100,
  maxConnections: 300,
  mailbox: { enabled: true, nodes: [] },
  messaging: {},
  chainRpc: '',
  chainId: 0,
  rewardsContract: '',
  price: '0',
  maxPostage: '100',
  ...DEFAULT_REACH_CONFIG
}

export function configPath (home: string): string {
  return join(home, 'config.json')
}

/** Reads `config.json` under `home` (missing file = defaults) and validates it. */
export async function loadConfig (home: string, overrides: Partial<AttnConfig> = {}): Promise<AttnConfig> {
  let fromFile: unknown = {}
  try {
    fromFile = JSON.parse(await readFile(configPath(home), 'utf8'))
  } catch (err: any) {
    if (err.code !== 'ENOENT') {
      throw new InvalidConfigError(`cannot read ${configPath(home)}: ${err.message}`)
    }
  }
  const merged = mergeConfig(DEFAULT_CONFIG, validatePartial(fromFile, configPath(home)))
  return mergeConfig(merged, overrides)
}

function mergeConfig (base: AttnConfig, over: Partial<AttnConfig>): AttnConfig {
  const out: AttnConfig = { ...base, dht: { ...base.dht }, mailbox: { ...base.mailbox }, messaging: { ...base.messaging }, ...mergeReach(base, over) }
  for (const [key, value] of Object.entries(over) as Array<[keyof AttnConfig, any]>) {
    if (value === undefined || (REACH_KEYS as readonly string[]).includes(key)) continue
    if (key === 'dht') out.dht = { ...out.dht, ...value }
    else if (key === 'mailbox') out.mailbox = { ...out.mailbox, ...value }
    else if (key === 'messaging') out.messaging = { ...out.messaging, ...value }
    // amounts may be JSON numbers; they are kept as decimal strings (base units can pass 2^53)
    else if ((key === 'price' || key === 'maxPostage') && typeof value === 'number' && Number.isSafeInteger(value)) out[key] = String(value)
    else (out as any)[key] = value
  }
  validateConfig(out)
  return out
}

const DHT_KEYS = new Set(['allowPrivateAddresses', 'maxRecords', 'maxBytes', 'maxRecordsPerPeer', 'maxBytesPerPeer', 'maxRecordBytes'])
const KNOWN_KEYS = new Set(['listen', 'bootstrap', 'api', 'announce', 'udp', 'http', 'dht', 'inboundConnectionThreshold', 'maxConnections', 'mailbox', 'messaging',
  'chainRpc', 'chainId', 'rewardsContract', 'price', 'maxPostage', ...REACH_KEYS])
/** A base-unit amount: a decimal integer below 2^128. */
const AMOUNT = /^(0|[1-9][0-9]{0,38})$/
const MAX_AMOUNT = (1n << 128n) - 1n

function validatePartial (value: unknown, where: string): Partial<AttnConfig> {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidConfigError(`${where}: expected a JSON object`)
  }
  for (const key of Object.keys(value)) {
    if (!KNOWN_KEYS.has(key)) throw new InvalidConfigError(`${where}: unknown key "${key}"`)
  }
  const messaging = (value as { messaging?: unknown }).messaging
  if (messaging !== undefined) {
    if (messaging == null || typeof messaging !== 'object' || Array.isArray(messaging)) throw new InvalidConfigError(`${where}: "messaging" must be an object`)
    for (const key of Object.keys(messaging)) {
      if (!(MESSAGING_TIMING_KEYS as readonly string[]).includes(key)) throw new InvalidConfigError(`${where}: unknown key "messaging.${key}"`)
    }
  }
  return value as Partial<AttnConfig>
}

/** Throws InvalidConfigError naming the first bad field. */
export function validateConfig (config: AttnConfig): void {
  for (const field of ['listen', 'bootstrap', 'announce'] as const) {
    const list = config[field]
    if (!Array.isArray(list) || list.some(v => typeof v !== 'string')) {
      throw new InvalidConfigError(`"${field}" must be an array of multiaddr strings`)
    }
    for (const ma of list) {
      try {
        multiaddr(ma)
      } catch (err: any) {
        throw new InvalidConfigError(`"${field}": invalid multiaddr "${ma}": ${err.message}`)
      }
    }
  }
  for (const ma of config.bootstrap) {
    if (!ma.includes('/p2p/')) throw new InvalidConfigError(`"bootstrap": "${ma}" must end with /p2p/<peer-id>`)
  }
  if (typeof config.api !== 'string') throw new InvalidConfigError('"api" must be a string HOST:PORT')
  if (config.api !== '') parseHostPort(config.api)
  for (const field of ['udp', 'http'] as const) {
    if (typeof config[field] !== 'string') throw new InvalidConfigError(`"${field}" must be a string HOST:PORT (empty: off)`)
    if (config[field] !== '') parseHostPort(config[field])
  }
  if (typeof config.dht?.allowPrivateAddresses !== 'boolean') throw new InvalidConfigError('"dht.allowPrivateAddresses" must be a boolean')
  for (const field of ['maxRecords', 'maxBytes', 'maxRecordsPerPeer', 'maxBytesPerPeer', 'maxRecordBytes'] as const) {
    if (!Number.isSafeInteger(config.dht[field]) || config.dht[field] < 1) throw new InvalidConfigError(`"dht.${field}" must be a positive integer`)
  }
  const unknownDht = Object.keys(config.dht).filter(k => !DHT_KEYS.has(k))
  if (unknownDht.length > 0) throw new InvalidConfigError(`unknown key "dht.${unknownDht[0]}"`)
  if (typeof config.mailbox?.enabled !== 'boolean') throw new InvalidConfigError('"mailbox.enabled" must be a boolean')
  if (!Array.isArray(config.mailbox.nodes) || config.mailbox.nodes.some(p => typeof p !== 'string' || !/^[1-9A-HJ-NP-Za-km-z]{40,128}$/.test(p))) {
    throw new InvalidConfigError('"mailbox.nodes" must be an array of peer id strings')
  }
  for (const field of ['inboundConnectionThreshold', 'maxConnections'] as const) {
    if (!Number.isInteger(config[field]) || config[field] < 1) throw new InvalidConfigError(`"${field}" must be a positive integer`)
  }
  if (config.messaging == null || typeof config.messaging !== 'object') throw new InvalidConfigError('"messaging" must be an object')
  for (const field of MESSAGING_TIMING_KEYS) {
    const v = config.messaging[field]
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > MAX_TIMING_MS)) {
      throw new InvalidConfigError(`"messaging.${field}" must be an integer number of milliseconds from 1 to ${MAX_TIMING_MS}`)
    }
  }
  for (const [low, high] of [['retryInitial', 'retryMax'], ['probeInitial', 'probeMax']] as const) {
    const a = config.messaging[low] ?? DEFAULT_MESSAGING_TIMINGS[low]
    const b = config.messaging[high] ?? DEFAULT_MESSAGING_TIMINGS[high]
    if (a > b) throw new InvalidConfigError(`"messaging.${low}" (${a}) must not exceed "messaging.${high}" (${b})`)
  }
  if (typeof config.chainRpc !== 'string' || (config.chainRpc !== '' && !/^https?:\/\/\S+$/.test(config.chainRpc))) {
    throw new InvalidConfigError('"chainRpc" must be an http(s) URL, or empty')
  }
  if (!Number.isSafeInteger(config.chainId) || config.chainId < 0) throw new InvalidConfigError('"chainId" must be a non-negative integer (0 = ask chainRpc)')
  if (typeof config.rewardsContract !== 'string' || (config.rewardsContract !== '' && !/^0x[0-9a-fA-F]{40}$/.test(config.rewardsContract))) {
    throw new InvalidConfigError('"rewardsContract" must be a 0x-prefixed 20-byte hex address, or empty')
  }
  for (const field of ['price', 'maxPostage'] as const) {
    if (typeof config[field] !== 'string' || !AMOUNT.test(config[field]) || BigInt(config[field]) > MAX_AMOUNT) {
      throw new InvalidConfigError(`"${field}" must be a non-negative integer amount in base units, below 2^128`)
    }
  }
  if (config.price !== '0' && config.rewardsContract === '') throw new InvalidConfigError('"price" above 0 needs "rewardsContract" (cheques are signed for a contract)')
  validateReachConfig(config)
}
