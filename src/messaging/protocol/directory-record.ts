/**
 * Directory records (protocols/messaging.md §2): an identity's signed entry in the kad-dht under
 * `/attn/id/<address>`, listing its devices (key chains), X25519 prekeys and mailbox nodes.
 * validateDirectoryRecord / selectDirectoryRecord plug into kad-dht as `validators.attn` /
 * `selectors.attn`.
 */
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { peerIdFromStringFast } from '../../keys/libp2p-key.js'
import { attAddress, decodeChain, parseAttAddress, sign, verify, verifyChain } from '../../keys/index.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Identity } from '../../keys/index.js'
import { compareBytes, equalBytes, utf8 } from './codec.js'
import {
  CLOCK_SKEW_SECONDS, PUBLIC_KEY_LENGTH, DIRECTORY_KEY_PREFIX, DIRECTORY_RECORD_VERSION, DOMAIN_DIRECTORY, DOMAIN_DIRECTORY_REVOCATIONS, MAX_REVOKED_DEVICES,
  MAX_ADDRESS_LENGTH, MAX_DIRECTORY_DEVICES, MAX_DIRECTORY_MAILBOXES, MAX_DIRECTORY_PREKEYS, MAX_DIRECTORY_RECORD_BYTES,
  MAX_MAILBOX_MULTIADDRS, MAX_MULTIADDR_LENGTH, SIGNATURE_LENGTH, X25519_KEY_LENGTH
} from '../constants.js'
import {
  DirectoryBadRevocationsError, DirectoryBadSignatureError, DirectoryDeviceInvalidError, DirectoryDeviceRevokedError, DirectoryExpiredError, DirectoryKeyMismatchError, DirectorySignerInvalidError,
  MalformedDirectoryRecordError, NoValidDirectoryRecordError, UnsupportedDirectoryVersionError
} from '../errors.js'
import { isDirectoryMultiaddr, isPeerIdString } from '../multiaddr-grammar.js'
import { DirectoryRecord as PB } from '../pb/directory.js'
import '../../utils/protons-uint64.js' // protons-runtime writes 2^31..2^32-1 wrongly
import { nowSeconds } from './proof.js'
import { isAdvertisedPrice } from '../../utils/price.js'
import { PREKEY_TYPE_SIGNED, verifyPrekey } from './device-prekeys.js'
import type { SignedPrekeyPublic } from './device-prekeys.js'

export interface DirectoryDevice {
  /** keys' encodeChain bytes: root → node certificate (empty chain: the node runs on the root key). */
  chain: Uint8Array
  /** libp2p peer id string of the device's node key. */
  nodeId: string
  /** Where the device can be dialled (senders then need no DHT peer lookup); may be empty. */
  multiaddrs?: string[]
  /** The device's X25519 identity key (32 B) and its current signed prekey (§10.1): both or neither. */
  identityKey?: Uint8Array
  signedPrekey?: SignedPrekeyPublic
  /** What this device asks per parcel as a mailbox (decimal base units, 1 … 2^128-1); absent = not advertised. A hint: mailbox.terms binds. */
  mailboxPrice?: string
}

export interface DirectoryPrekey {
  /** 32-byte X25519 public key. */
  publicKey: Uint8Array
  id: number
  /** Unix seconds. */
  expiresAt: number
}

export interface DirectoryMailbox {
  peerId: string
  multiaddrs: string[]
}

export interface DirectoryRecord {
  version: number
  address: string
  /** 33-byte compressed secp256k1 root public key. */
  rootPublicKey: Uint8Array
  seq: bigint
  /** Unix seconds. */
  expiresAt: number
  devices: DirectoryDevice[]
  prekeys: DirectoryPrekey[]
  mailboxes: DirectoryMailbox[]
  /** The identity's root-signed revocation list (§2.2); absent: nothing revoked. */
  revocations?: DirectoryRevocations
  /** Absent: the root key signed. Present: the chain of the listed device whose node key signed (§2). */
  signerChain?: Uint8Array
  /** 64-byte signature by the root key (or the signer_chain's device key), domain "directory", over the encoding without this field. */
  signature: Uint8Array
}

/** A root-signed list of revoked devices (messaging.md §2.2). */
export interface DirectoryRevocations {
  /** Increases with every new list: selection prefers the record with the higher one. */
  seq: bigint
  /** Revoked node ids (peer id strings), strictly ascending in byte order, at most MAX_REVOKED_DEVICES. */
  nodeIds: string[]
  /** 64 bytes: sign(root key, "directory-revocations", the list encoded without this field). */
  signature: Uint8Array
}

export interface DirectoryRecordFields {
  seq: bigint | number
  expiresAt: number
  devices?: DirectoryDevice[]
  prekeys?: DirectoryPrekey[]
  mailboxes?: DirectoryMailbox[]
  revocations?: DirectoryRevocations
}

export type ValidateOptions = { nowSeconds?: number, signal?: AbortSignal }

/** The DHT key of an address: UTF-8 bytes of `/attn/id/<address>`. */
export function directoryKey (address: string): Uint8Array {
  return utf8(DIRECTORY_KEY_PREFIX + address)
}

function toPB (r: Omit<DirectoryRecord, 'signature'> & { signature?: Uint8Array }): PB {
  return {
    version: r.version,
    address: r.address,
    rootPublicKey: r.rootPublicKey as Uint8Array<ArrayBuffer>,
    seq: BigInt(r.seq),
    expiresAt: BigInt(r.expiresAt),
    devices: r.devices.map(d => ({
      chain: d.chain as Uint8Array<ArrayBuffer>,
      nodeId: d.nodeId,
      multiaddrs: [...(d.multiaddrs ?? [])],
      identityKey: (d.identityKey ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
      signedPrekey: d.signedPrekey == null
        ? undefined
        : { id: d.signedPrekey.id, publicKey: d.signedPrekey.publicKey as Uint8Array<ArrayBuffer>, expiresAt: BigInt(d.signedPrekey.expiresAt), signature: d.signedPrekey.signature as Uint8Array<ArrayBuffer> },
      mailboxPrice: d.mailboxPrice ?? ''
    })),
    prekeys: r.prekeys.map(p => ({ publicKey: p.publicKey as Uint8Array<ArrayBuffer>, id: p.id, expiresAt: BigInt(p.expiresAt) })),
    mailboxes: r.mailboxes.map(m => ({ peerId: m.peerId, multiaddrs: [...m.multiaddrs] })),
    revocations: r.revocations == null ? undefined : revocationsToPB(r.revocations),
    signerChain: (r.signerChain ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    signature: (r.signature ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>
  }
}

function revocationsToPB (r: Omit<DirectoryRevocations, 'signature'> & { signature?: Uint8Array }): PB.Revocations {
  return { seq: BigInt(r.seq), nodeIds: [...r.nodeIds], signature: (r.signature ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer> }
}

/** The signed bytes of a revocation list: its canonical encoding with `signature` absent. */
export function revocationsSignedBytes (r: Pick<DirectoryRevocations, 'seq' | 'nodeIds'>): Uint8Array {
  return PB.Revocations.encode(revocationsToPB({ seq: r.seq, nodeIds: r.nodeIds }))
}

/** Byte order of UTF-8 strings (what "strictly ascending" means for node ids). */
function compareUtf8 (a: string, b: string): number {
  return compareBytes(utf8(a), utf8(b))
}

/**
 * Signs a revocation list with the root key: node ids deduplicated and sorted (byte order).
 * RangeError past MAX_REVOKED_DEVICES ids or for a seq outside uint64.
 */
export function createRevocations (rootKey: PrivateKey, seq: bigint | number, nodeIds: Iterable<string>): DirectoryRevocations {
  const ids = [...new Set(nodeIds)].sort(compareUtf8)
  if (ids.length > MAX_REVOKED_DEVICES) throw new RangeError(`a revocation list holds at most ${MAX_REVOKED_DEVICES} node ids`)
  const unsigned = { seq: BigInt(seq), nodeIds: ids }
  if (unsigned.seq < 0n || unsigned.seq > 0xffffffffffffffffn) throw new RangeError('revocation seq is a uint64')
  return { ...unsigned, signature: sign(rootKey, DOMAIN_DIRECTORY_REVOCATIONS, revocationsSignedBytes(unsigned)) }
}

/** The revocation seq of a record (0 without a list): the first selection criterion. */
export function revocationSeq (record: Pick<DirectoryRecord, 'revocations'>): bigint {
  return record.revocations?.seq ?? 0n
}

/** True when the record's revocation list names `nodeId`. */
export function isRevoked (record: Pick<DirectoryRecord, 'revocations'>, nodeId: string): boolean {
  return record.revocations?.nodeIds.includes(nodeId) ?? false
}

/** The signed bytes: the canonical encoding with the signature field absent. */
export function directoryRecordSignedBytes (r: Omit<DirectoryRecord, 'signature'>): Uint8Array {
  return PB.encode(toPB({ ...r, signature: new Uint8Array(0) }))
}

/** Canonical protobuf encoding (fields in number order, defaults omitted). */
export function encodeDirectoryRecord (r: DirectoryRecord): Uint8Array {
  return PB.encode(toPB(r))
}

function safeTime (v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedDirectoryRecordError(`${what} is too large`)
  return Number(v)
}

/**
 * Decodes a directory record. Total: throws only MalformedDirectoryRecordError (size, protobuf,
 * non-canonical bytes, field lengths) or UnsupportedDirectoryVersionError. Does not check the
 * signature or the chains: that is validateDirectoryRecord.
 */
export function decodeDirectoryRecord (bytes: Uint8Array): DirectoryRecord {
  if (!(bytes instanceof Uint8Array)) throw new MalformedDirectoryRecordError('a directory record is bytes')
  if (bytes.byteLength > MAX_DIRECTORY_RECORD_BYTES) {
    throw new MalformedDirectoryRecordError(`a directory record is at most ${MAX_DIRECTORY_RECORD_BYTES} bytes, got ${bytes.byteLength}`)
  }
  let pb: PB
  try {
    pb = PB.decode(bytes, {
      limits: { revocations$: { nodeIds: MAX_REVOKED_DEVICES }, devices: MAX_DIRECTORY_DEVICES, prekeys: MAX_DIRECTORY_PREKEYS, mailboxes: MAX_DIRECTORY_MAILBOXES, mailboxes$: { multiaddrs: MAX_MAILBOX_MULTIADDRS }, devices$: { multiaddrs: MAX_MAILBOX_MULTIADDRS } }
    })
  } catch (err) {
    throw new MalformedDirectoryRecordError('not a DirectoryRecord protobuf', { cause: err })
  }
  if (pb.version !== DIRECTORY_RECORD_VERSION) throw new UnsupportedDirectoryVersionError(`unsupported directory record version ${pb.version}`)
  const bad = (m: string): never => { throw new MalformedDirectoryRecordError(m) }
  if (pb.address.length === 0 || utf8(pb.address).byteLength > MAX_ADDRESS_LENGTH) bad('bad address length')
  if (pb.rootPublicKey.byteLength !== PUBLIC_KEY_LENGTH) bad('root_public_key must be 33 bytes')
  if (pb.signature.byteLength !== SIGNATURE_LENGTH) bad('signature must be 64 bytes')
  const record: DirectoryRecord = {
    version: pb.version,
    address: pb.address,
    rootPublicKey: pb.rootPublicKey,
    seq: pb.seq,
    expiresAt: safeTime(pb.expiresAt, 'expires_at'),
    devices: pb.devices.map(d => {
      if (d.chain.byteLength === 0) bad('a device has an empty chain')
      if (d.nodeId.length === 0 || utf8(d.nodeId).byteLength > MAX_ADDRESS_LENGTH) bad('a device has a bad node id')
      for (const a of d.multiaddrs) if (a.length === 0 || utf8(a).byteLength > MAX_MULTIADDR_LENGTH) bad('a device has a bad multiaddr')
      const device: DirectoryDevice = d.multiaddrs.length > 0 ? { chain: d.chain, nodeId: d.nodeId, multiaddrs: d.multiaddrs } : { chain: d.chain, nodeId: d.nodeId }
      if (d.identityKey.byteLength > 0 || d.signedPrekey != null) {
        const spk = d.signedPrekey
        if (d.identityKey.byteLength !== X25519_KEY_LENGTH || spk == null) throw new MalformedDirectoryRecordError('a device has an identity key without a signed prekey, or the reverse')
        if (spk.publicKey.byteLength !== X25519_KEY_LENGTH || spk.signature.byteLength !== SIGNATURE_LENGTH) bad('a device signed prekey has bad lengths')
        device.identityKey = d.identityKey
        device.signedPrekey = { id: spk.id, publicKey: spk.publicKey, expiresAt: safeTime(spk.expiresAt, 'signed prekey expires_at'), signature: spk.signature }
      }
      if (d.mailboxPrice !== '') {
        if (!isAdvertisedPrice(d.mailboxPrice)) bad('a device mailbox_price is not a decimal amount 1 … 2^128-1 without a leading zero')
        device.mailboxPrice = d.mailboxPrice
      }
      return device
    }),
    prekeys: pb.prekeys.map(p => {
      if (p.publicKey.byteLength !== X25519_KEY_LENGTH) bad('a prekey must be 32 bytes')
      return { publicKey: p.publicKey, id: p.id, expiresAt: safeTime(p.expiresAt, 'prekey expires_at') }
    }),
    mailboxes: pb.mailboxes.map(m => {
      if (m.peerId.length === 0 || utf8(m.peerId).byteLength > MAX_ADDRESS_LENGTH) bad('a mailbox has a bad peer id')
      for (const a of m.multiaddrs) if (a.length === 0 || utf8(a).byteLength > MAX_MULTIADDR_LENGTH) bad('a mailbox has a bad multiaddr')
      return { peerId: m.peerId, multiaddrs: m.multiaddrs }
    }),
    signature: pb.signature
  }
  if (pb.revocations != null) {
    const rv = pb.revocations
    if (rv.signature.byteLength !== SIGNATURE_LENGTH) bad('a revocation list signature must be 64 bytes')
    for (let i = 0; i < rv.nodeIds.length; i++) {
      if (rv.nodeIds[i].length === 0 || utf8(rv.nodeIds[i]).byteLength > MAX_ADDRESS_LENGTH) bad('a revoked node id has a bad length')
      if (i > 0 && compareUtf8(rv.nodeIds[i - 1], rv.nodeIds[i]) >= 0) bad('revoked node ids are not strictly ascending')
    }
    record.revocations = { seq: rv.seq, nodeIds: rv.nodeIds, signature: rv.signature }
  }
  if (pb.signerChain.byteLength > 0) record.signerChain = pb.signerChain
  if (new Set(record.prekeys.map(p => p.id)).size !== record.prekeys.length) bad('duplicate prekey id')
  if (!equalBytes(encodeDirectoryRecord(record), bytes)) bad('not the canonical encoding')
  return record
}

/**
 * Builds and signs a directory record for `identity`: with the root key when the identity holds it
 * (and `signer` is not 'device'), else with its device key, the record then carrying the device's
 * chain as `signer_chain` (a linked device, §2).
 */
export function createDirectoryRecord (identity: Identity, fields: DirectoryRecordFields, options: { signer?: 'root' | 'device' } = {}): DirectoryRecord {
  const byDevice = identity.rootKey == null || options.signer === 'device'
  const unsigned: Omit<DirectoryRecord, 'signature'> = {
    version: DIRECTORY_RECORD_VERSION,
    address: identity.address,
    rootPublicKey: parseAttAddress(identity.address).raw,
    seq: BigInt(fields.seq),
    expiresAt: fields.expiresAt,
    // a publisher keeps only the multiaddrs of the directory grammar (messaging.md §2), so what it
    // publishes validates everywhere, whatever addresses its transports happen to listen on
    devices: (fields.devices ?? [{ chain: identity.chain, nodeId: attAddress(identity.nodeKey.publicKey) }])
      .map(d => d.multiaddrs == null ? d : { ...d, multiaddrs: d.multiaddrs.filter(isDirectoryMultiaddr) }),
    prekeys: fields.prekeys ?? [],
    mailboxes: (fields.mailboxes ?? []).map(m => ({ ...m, multiaddrs: m.multiaddrs.filter(isDirectoryMultiaddr) })),
    ...(fields.revocations != null ? { revocations: fields.revocations } : {}),
    ...(byDevice ? { signerChain: identity.chain } : {})
  }
  if (unsigned.seq < 0n || unsigned.seq > 0xffffffffffffffffn) throw new RangeError('seq is a uint64')
  const signingKey = byDevice ? identity.nodeKey : identity.rootKey as PrivateKey
  const signature = sign(signingKey, DOMAIN_DIRECTORY, directoryRecordSignedBytes(unsigned))
  const record = { ...unsigned, signature }
  // Round trip through the decoder so a record we publish always passes our own structural rules.
  decodeDirectoryRecord(encodeDirectoryRecord(record))
  return record
}

function addressFromKey (key: Uint8Array): string {
  let s: string
  try {
    s = new TextDecoder('utf-8', { fatal: true }).decode(key)
  } catch {
    throw new DirectoryKeyMismatchError('the DHT key is not UTF-8')
  }
  if (!s.startsWith(DIRECTORY_KEY_PREFIX)) throw new DirectoryKeyMismatchError(`the DHT key does not start with ${DIRECTORY_KEY_PREFIX}`)
  return s.slice(DIRECTORY_KEY_PREFIX.length)
}

/**
 * Synchronous core of validateDirectoryRecord: returns the decoded record or throws. Order (first
 * failure wins): key prefix (ERR_DIRECTORY_KEY_MISMATCH), decode (ERR_DIRECTORY_MALFORMED,
 * ERR_DIRECTORY_UNSUPPORTED_VERSION), address = key address and root key = the address's key
 * (ERR_DIRECTORY_KEY_MISMATCH), revocation list signature (ERR_DIRECTORY_BAD_REVOCATIONS),
 * signer chain (ERR_DIRECTORY_SIGNER_INVALID), signature (ERR_DIRECTORY_BAD_SIGNATURE), revoked
 * signer or device (ERR_DIRECTORY_DEVICE_REVOKED), expiry (ERR_DIRECTORY_EXPIRED), device chains
 * (ERR_DIRECTORY_DEVICE_INVALID), mailbox ids/multiaddrs (ERR_DIRECTORY_MALFORMED).
 */
export function checkDirectoryRecord (key: Uint8Array, value: Uint8Array, now: number = nowSeconds()): DirectoryRecord {
  const keyAddress = addressFromKey(key)
  const record = decodeDirectoryRecord(value)
  if (record.address !== keyAddress) throw new DirectoryKeyMismatchError(`the record is for ${record.address}, the key for ${keyAddress}`)
  let root
  try {
    root = parseAttAddress(record.address)
  } catch (err) {
    throw new DirectoryKeyMismatchError(`the record address is not an ATT address: ${(err as Error).message}`)
  }
  if (!equalBytes(root.raw, record.rootPublicKey)) throw new DirectoryKeyMismatchError('root_public_key is not the key of the address')
  const rv = record.revocations
  if (rv != null && !verify(root, DOMAIN_DIRECTORY_REVOCATIONS, revocationsSignedBytes(rv), rv.signature)) {
    throw new DirectoryBadRevocationsError('the revocation list is not signed by the root key')
  }
  const signer = record.signerChain == null ? undefined : checkSigner(record, now)
  if (!verify(signer?.key ?? root, DOMAIN_DIRECTORY, directoryRecordSignedBytes(record), record.signature)) {
    throw new DirectoryBadSignatureError(`the ${signer == null ? 'root' : 'device'} signature over the directory record does not verify`)
  }
  if (signer != null && isRevoked(record, signer.nodeId)) throw new DirectoryDeviceRevokedError(`the record is signed by revoked device ${signer.nodeId}`)
  for (const d of record.devices) {
    if (isRevoked(record, d.nodeId)) throw new DirectoryDeviceRevokedError(`the record lists revoked device ${d.nodeId}`)
  }
  if (record.expiresAt + CLOCK_SKEW_SECONDS < now) throw new DirectoryExpiredError(`the directory record expired at ${record.expiresAt}`)
  for (const d of record.devices) {
    try {
      const nodeKey = peerIdFromStringFast(d.nodeId).publicKey
      if (nodeKey == null) throw new DirectoryDeviceInvalidError('the node id does not embed a public key')
      const v = verifyChain(d.chain, nodeKey, now)
      if (v.address !== record.address) throw new DirectoryDeviceInvalidError(`the chain proves ${v.address}`)
      if (v.nodePublicKey.toString() !== nodeKey.toString()) throw new DirectoryDeviceInvalidError('the chain certifies another node key')
      for (const a of d.multiaddrs ?? []) if (!isDirectoryMultiaddr(a)) throw new DirectoryDeviceInvalidError(`multiaddr "${a}" is outside the directory grammar`)
      if (d.identityKey != null && d.signedPrekey != null && !verifyPrekey(nodeKey, PREKEY_TYPE_SIGNED, d.identityKey, d.signedPrekey)) {
        throw new DirectoryDeviceInvalidError('the signed prekey is not signed by the device key')
      }
    } catch (err) {
      throw new DirectoryDeviceInvalidError(`device ${d.nodeId}: ${(err as Error).message}`, { cause: err })
    }
  }
  for (const m of record.mailboxes) {
    if (!isPeerIdString(m.peerId)) throw new MalformedDirectoryRecordError(`mailbox ${m.peerId}: not a peer id`)
    for (const a of m.multiaddrs) if (!isDirectoryMultiaddr(a)) throw new MalformedDirectoryRecordError(`mailbox ${m.peerId}: multiaddr "${a}" is outside the directory grammar`)
  }
  return record
}

/** The device key a signer_chain proves for the record's address at `now`; it must be a listed device. */
function checkSigner (record: DirectoryRecord, now: number): { key: ReturnType<typeof parseAttAddress>, nodeId: string } {
  let key
  try {
    const certificates = decodeChain(record.signerChain as Uint8Array)
    if (certificates.length !== 1) throw new DirectorySignerInvalidError('a signer_chain holds exactly one certificate (a root-signed record has none)')
    const v = verifyChain(record.signerChain as Uint8Array, certificates[0].nodePublicKey, now)
    if (v.address !== record.address) throw new DirectorySignerInvalidError(`the signer_chain proves a device of ${v.address}`)
    key = v.nodePublicKey
  } catch (err) {
    if (err instanceof DirectorySignerInvalidError) throw err
    throw new DirectorySignerInvalidError(`the signer_chain does not verify: ${(err as Error).message}`, { cause: err })
  }
  const nodeId = peerIdFromPublicKey(key).toString()
  if (!record.devices.some(d => d.nodeId === nodeId)) throw new DirectorySignerInvalidError(`the signing device ${nodeId} is not listed in devices`)
  return { key, nodeId }
}

/**
 * kad-dht ValidateFn for the `attn` namespace. The third argument is kad-dht's AbortOptions, or (for
 * tests) the current unix time in seconds.
 */
export async function validateDirectoryRecord (key: Uint8Array, value: Uint8Array, nowOrOptions?: number | ValidateOptions): Promise<void> {
  const now = typeof nowOrOptions === 'number' ? nowOrOptions : nowOrOptions?.nowSeconds
  checkDirectoryRecord(key, value, now ?? nowSeconds())
}

/**
 * kad-dht SelectFn for the `attn` namespace: index of the best valid record — highest revocation
 * seq (a record carrying an older revocation list loses, whatever its seq), then the highest seq,
 * then the later expires_at, then the lexicographically greatest bytes. Invalid records never win; throws
 * NoValidDirectoryRecordError when none is valid.
 */
export function selectDirectoryRecord (key: Uint8Array, records: Uint8Array[], now: number = nowSeconds()): number {
  let best = -1
  let bestRecord: DirectoryRecord | undefined
  for (let i = 0; i < records.length; i++) {
    let r: DirectoryRecord
    try {
      r = checkDirectoryRecord(key, records[i], now)
    } catch {
      continue
    }
    if (bestRecord == null || better(r, records[i], bestRecord, records[best])) {
      best = i
      bestRecord = r
    }
  }
  if (best < 0) throw new NoValidDirectoryRecordError('no valid directory record among the candidates')
  return best
}

function better (a: DirectoryRecord, aBytes: Uint8Array, b: DirectoryRecord, bBytes: Uint8Array): boolean {
  const c = compareDirectoryRecords(a, b)
  if (c !== 0) return c > 0
  return compareBytes(aBytes, bBytes) > 0
}

/** Selection order of two valid records of one address without the final bytes tie-break: > 0 when `a` wins. */
export function compareDirectoryRecords (a: DirectoryRecord, b: DirectoryRecord): number {
  const ra = revocationSeq(a)
  const rb = revocationSeq(b)
  if (ra !== rb) return ra > rb ? 1 : -1
  if (a.seq !== b.seq) return a.seq > b.seq ? 1 : -1
  return a.expiresAt - b.expiresAt
}

/** The usable prekey of a record: unexpired at `now`, the latest expiry (then the highest id). */
export function pickPrekey (record: DirectoryRecord, now: number = nowSeconds()): DirectoryPrekey | undefined {
  let best: DirectoryPrekey | undefined
  for (const p of record.prekeys) {
    if (p.expiresAt <= now) continue
    if (best == null || p.expiresAt > best.expiresAt || (p.expiresAt === best.expiresAt && p.id > best.id)) best = p
  }
  return best
}
