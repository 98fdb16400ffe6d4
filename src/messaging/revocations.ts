/**
 * Device revocation (messaging.md §2.2): the identity's root-signed list of revoked node ids, as
 * this device knows it. Every publisher carries the highest list it has seen into its record and
 * drops the devices it names; a home holding the root key extends the list (`attn device revoke`)
 * and keeps its own list in `$ATTN_HOME/revocations.json`, so a revocation made while the node is
 * stopped is published at the next start. A device that finds itself in the list stops publishing.
 */
import { readFileSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { parseAttAddress, verify } from '../keys/index.js'
import { DOMAIN_DIRECTORY_REVOCATIONS, MAX_REVOKED_DEVICES, SIGNATURE_LENGTH } from './constants.js'
import { DeviceRevokedError, DirectoryBadRevocationsError, InvalidRevocationError, RevokeNeedsRootKeyError } from './errors.js'
import { isPeerIdString } from './multiaddr-grammar.js'
import { createRevocations, revocationsSignedBytes } from './protocol/directory-record.js'
import type { DirectoryRevocations } from './protocol/directory-record.js'
import type { Identity } from '../keys/index.js'
import type { Logger, PrivateKey } from '@libp2p/interface'

/** The root home's revocation list, in the home directory. */
export const REVOCATIONS_FILE = 'revocations.json'

/** The list as a JSON file: `{"seq": "N", "nodeIds": [...], "signature": hex}` (seq a decimal string: uint64). */
export function encodeRevocationsFile (r: DirectoryRevocations): string {
  return JSON.stringify({ seq: r.seq.toString(), nodeIds: r.nodeIds, signature: Buffer.from(r.signature).toString('hex') }, null, 2) + '\n'
}

/**
 * Parses a revocations file and checks it is the root list of `address`: InvalidRevocationError for
 * a malformed file, DirectoryBadRevocationsError when the signature is not the root key's.
 */
export function parseRevocationsFile (text: string, address: string): DirectoryRevocations {
  let f: any
  try {
    f = JSON.parse(text)
  } catch (err: any) {
    throw new InvalidRevocationError(`the revocations file is not JSON: ${String(err.message)}`)
  }
  if (typeof f !== 'object' || f == null || typeof f.seq !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(f.seq) ||
    !Array.isArray(f.nodeIds) || f.nodeIds.length > MAX_REVOKED_DEVICES || !f.nodeIds.every((n: unknown) => typeof n === 'string' && isPeerIdString(n)) ||
    typeof f.signature !== 'string' || !/^[0-9a-f]+$/.test(f.signature) || f.signature.length !== SIGNATURE_LENGTH * 2) {
    throw new InvalidRevocationError('the revocations file is malformed')
  }
  const r: DirectoryRevocations = { seq: BigInt(f.seq), nodeIds: f.nodeIds, signature: new Uint8Array(Buffer.from(f.signature, 'hex')) }
  if (!verify(parseAttAddress(address), DOMAIN_DIRECTORY_REVOCATIONS, revocationsSignedBytes(r), r.signature)) {
    throw new DirectoryBadRevocationsError('the revocations file is not signed by the root key of this identity')
  }
  return r
}

/** Reads `path`; undefined when it does not exist. */
export function readRevocationsFile (path: string, address: string): DirectoryRevocations | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return undefined
    throw err
  }
  return parseRevocationsFile(text, address)
}

/** Writes the list atomically (temp file + rename), mode 0600. */
export async function writeRevocationsFile (path: string, r: DirectoryRevocations): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, encodeRevocationsFile(r), { mode: 0o600 })
  await rename(tmp, path)
}

/**
 * A new list: `current` plus `nodeIds`, seq one higher, signed by the root key. Throws
 * InvalidRevocationError for an id that is not a peer id, or past MAX_REVOKED_DEVICES ids.
 */
export function extendRevocations (rootKey: PrivateKey, current: DirectoryRevocations | undefined, nodeIds: string[], minSeq = 0n): DirectoryRevocations {
  for (const id of nodeIds) if (!isPeerIdString(id)) throw new InvalidRevocationError(`"${id}" is not a device node id (a peer id)`)
  const ids = new Set([...(current?.nodeIds ?? []), ...nodeIds])
  if (ids.size > MAX_REVOKED_DEVICES) throw new InvalidRevocationError(`an identity revokes at most ${MAX_REVOKED_DEVICES} devices`)
  const base = current?.seq ?? 0n
  return createRevocations(rootKey, (base > minSeq ? base : minSeq) + 1n, ids)
}

export interface RevocationStateInit {
  identity: Identity
  /** This device's node id. */
  self: string
  log: Logger
  /** The root home's list file (read at start, written on revoke); absent: not kept. */
  path?: string
  /** Lists known at start (e.g. in our last published record). */
  known?: Array<DirectoryRevocations | undefined>
}

/** The highest revocation list this device has seen, and whether it names this device. */
export class RevocationState {
  private list?: DirectoryRevocations
  /** The root home's own list (from its file): carried into every list it publishes. */
  private own?: DirectoryRevocations
  private selfRevoked?: bigint

  constructor (private readonly init: RevocationStateInit) {
    for (const r of init.known ?? []) this.observe(r)
    if (init.path != null) {
      try {
        this.own = readRevocationsFile(init.path, init.identity.address)
        this.observe(this.own)
      } catch (err: any) {
        init.log.error('ignoring %s: %s', init.path, err.message)
      }
    }
  }

  /** The highest list seen, if any. */
  current (): DirectoryRevocations | undefined {
    return this.list
  }

  /** Takes `r` when its seq is higher than the list held; reports (once) a list that revokes this device. */
  observe (r: DirectoryRevocations | undefined): void {
    if (r == null || (this.list != null && r.seq <= this.list.seq)) return
    this.list = r
    if (this.selfRevoked == null && r.nodeIds.includes(this.init.self)) {
      this.selfRevoked = r.seq
      this.init.log.error('this device (%s) is revoked by the identity\'s revocation list (seq %s): it no longer publishes its directory record; link it again with a new bundle from a device holding the root key', this.init.self, r.seq)
    }
  }

  isRevoked (nodeId: string): boolean {
    return this.list?.nodeIds.includes(nodeId) ?? false
  }

  /** The seq of the list that revoked this device, if it is revoked. */
  revokedSelf (): bigint | undefined {
    return this.selfRevoked
  }

  /** Throws DeviceRevokedError when this device is revoked. */
  assertNotRevoked (): void {
    if (this.selfRevoked != null) throw new DeviceRevokedError(`this device is revoked (revocation list seq ${this.selfRevoked}): it does not publish`)
  }

  /**
   * The list to publish: the highest seen, except that a root home whose own list names a device
   * the highest list does not (a list made elsewhere) signs their union, one seq higher.
   */
  forPublish (): DirectoryRevocations | undefined {
    const { rootKey } = this.init.identity
    if (rootKey == null || this.own == null || this.list == null) return this.list
    if (this.own.nodeIds.every(id => this.list?.nodeIds.includes(id))) return this.list
    const merged = extendRevocations(rootKey, this.list, this.own.nodeIds)
    this.own = merged
    this.observe(merged)
    return merged
  }

  /**
   * Adds `nodeId` to the list (root key only), keeps the new list in the home's file and returns
   * it; the caller publishes. RevokeNeedsRootKeyError on a linked device; InvalidRevocationError
   * for this device itself, an id that is not a peer id, or a full list.
   */
  async revoke (nodeId: string): Promise<DirectoryRevocations> {
    const { rootKey } = this.init.identity
    if (rootKey == null) throw new RevokeNeedsRootKeyError()
    if (nodeId === this.init.self) throw new InvalidRevocationError('a device cannot revoke itself (it holds the root key)')
    if (this.list?.nodeIds.includes(nodeId) === true && this.own?.nodeIds.includes(nodeId) === true) return this.list
    const next = extendRevocations(rootKey, this.list, [...(this.own?.nodeIds ?? []), nodeId])
    if (this.init.path != null) await writeRevocationsFile(this.init.path, next)
    this.own = next
    this.observe(next)
    return next
  }
}
