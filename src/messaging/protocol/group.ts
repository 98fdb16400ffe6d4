/**
 * Groups (protocols/messaging.md §6): a signed group state (members, admins, epoch) and
 * Signal-style sender keys — each member encrypts once with its own hash-ratcheted chain key and
 * signs with its node key; the ciphertext fans out to every member. A membership change creates a
 * new epoch in which every member uses a fresh sender key, distributed 1:1 (kind 'sender-key')
 * only to the members of that epoch.
 */
import { sign, verify } from '../../keys/index.js'
import type { Identity } from '../../keys/index.js'
import { Reader, Writer, concat, equalBytes } from './codec.js'
import {
  AES_KEY_LENGTH, PUBLIC_KEY_LENGTH, DOMAIN_GROUP, DOMAIN_GROUP_MESSAGE, GCM_IV_LENGTH, GROUP_ID_LENGTH,
  GROUP_MESSAGE_INFO, GROUP_MESSAGE_VERSION, GROUP_STATE_VERSION, MAX_BODY_BYTES, MAX_GROUP_MEMBERS, MAX_GROUP_NAME_BYTES,
  MAX_SKIPPED_MESSAGE_KEYS, SENDER_KEY_VERSION, SIGNATURE_LENGTH
} from '../constants.js'
import {
  BadSignatureError, InvalidGroupStateError, MalformedMessageError, MessageKeyUnavailableError, UnknownSenderKeyError,
  UnsupportedVersionError
} from '../errors.js'
import { OCTET_STREAM, checkBodySize, decodeMessage, encodeMessage } from './message.js'
import type { Message, MessageInput } from './message.js'
import { aesGcmOpen, aesGcmSeal, hkdf, hmacSha256, randomId } from '../primitives.js'
import { nodeKeyOf, nowSeconds } from './proof.js'
import { utf8 } from './codec.js'

// ---------------------------------------------------------------------------------------------
// Group state

export interface GroupState {
  groupId: Uint8Array
  name: string
  /** Sorted, unique; a subset of members. */
  admins: string[]
  /** Sorted, unique. */
  members: string[]
  epoch: bigint
  /** The admin who signed this state, with the key chain of the node key that signed. */
  signerAddress: string
  signerChain: Uint8Array
  signature: Uint8Array
}

export interface GroupChanges {
  name?: string
  members?: string[]
  admins?: string[]
}

const sortUnique = (list: string[]): string[] => [...new Set(list)].sort((a, b) => a < b ? -1 : a > b ? 1 : 0)

function groupStateBody (s: Omit<GroupState, 'signerChain' | 'signature'>): Uint8Array {
  const w = new Writer().u8(GROUP_STATE_VERSION).bytes(s.groupId).u64(s.epoch).string16(s.name)
  w.u16(s.admins.length)
  for (const a of s.admins) w.string8(a)
  w.u16(s.members.length)
  for (const m of s.members) w.string8(m)
  return w.string8(s.signerAddress).finish()
}

function checkStateShape (s: Pick<GroupState, 'groupId' | 'name' | 'admins' | 'members'>, Err: new (m: string) => Error): void {
  if (s.groupId.byteLength !== GROUP_ID_LENGTH) throw new Err('a group id is 16 bytes')
  if (utf8(s.name).byteLength > MAX_GROUP_NAME_BYTES) throw new Err(`a group name is at most ${MAX_GROUP_NAME_BYTES} bytes`)
  if (s.members.length === 0 || s.members.length > MAX_GROUP_MEMBERS) throw new Err(`a group has 1..${MAX_GROUP_MEMBERS} members`)
  if (s.admins.length === 0) throw new Err('a group has at least one admin')
  for (const list of [s.admins, s.members]) {
    const canon = sortUnique(list)
    if (canon.length !== list.length || canon.some((v, i) => v !== list[i])) throw new Err('admins and members must be sorted and unique')
  }
  const members = new Set(s.members)
  if (!s.admins.every(a => members.has(a))) throw new Err('every admin must be a member')
}

function signState (admin: Identity, unsigned: Omit<GroupState, 'signerAddress' | 'signerChain' | 'signature'>): GroupState {
  const s = { ...unsigned, admins: sortUnique(unsigned.admins), members: sortUnique(unsigned.members), signerAddress: admin.address }
  checkStateShape(s, RangeError)
  const signature = sign(admin.nodeKey, DOMAIN_GROUP, groupStateBody(s))
  return { ...s, signerChain: admin.chain, signature }
}

/** Creates epoch 0 of a new group, `admin` being its first admin (and a member). */
export function createGroup (admin: Identity, options: { name: string, members: string[], admins?: string[], groupId?: Uint8Array }): GroupState {
  return signState(admin, {
    groupId: options.groupId ?? randomId(GROUP_ID_LENGTH),
    name: options.name,
    admins: [admin.address, ...(options.admins ?? [])],
    members: [admin.address, ...options.members, ...(options.admins ?? [])],
    epoch: 0n
  })
}

/** The next epoch of `previous`, signed by `admin` (who must be an admin of `previous`). */
export function updateGroup (admin: Identity, previous: GroupState, changes: GroupChanges): GroupState {
  if (!previous.admins.includes(admin.address)) throw new InvalidGroupStateError(`${admin.address} is not an admin of the group`)
  return signState(admin, {
    groupId: previous.groupId,
    name: changes.name ?? previous.name,
    admins: changes.admins ?? previous.admins.filter(a => changes.members == null || changes.members.includes(a)),
    members: changes.members ?? previous.members,
    epoch: previous.epoch + 1n
  })
}

/**
 * A membership change: the next group state plus the admin's own new sender key for the new epoch.
 * Every other member, on accepting the new state, calls createSenderKey for the new epoch and sends
 * the distribution (kind 'sender-key') to the new members only.
 */
export function rotateGroup (admin: Identity, previous: GroupState, changes: GroupChanges): { state: GroupState, senderKey: SenderKey } {
  const state = updateGroup(admin, previous, changes)
  return { state, senderKey: createSenderKey(admin, state.groupId, state.epoch) }
}

/** `body | chain_len(u16) | chain | signature(64)`. */
export function encodeGroupState (s: GroupState): Uint8Array {
  return new Writer().bytes(groupStateBody(s)).bytes16(s.signerChain).bytes(s.signature).finish()
}

/** Parses a group state (structure only). Total: MalformedMessageError / UnsupportedVersionError. */
export function decodeGroupState (bytes: Uint8Array): GroupState {
  const r = new Reader(bytes, 'group state')
  const version = r.u8()
  if (version !== GROUP_STATE_VERSION) throw new UnsupportedVersionError(`unsupported group state version ${version}`)
  const groupId = r.bytes(GROUP_ID_LENGTH).slice()
  const epoch = r.u64()
  const name = r.string16()
  const admins: string[] = []
  const members: string[] = []
  for (let n = r.u16(); n > 0; n--) admins.push(r.string8())
  for (let n = r.u16(); n > 0; n--) members.push(r.string8())
  const signerAddress = r.string8()
  const signerChain = r.bytes16().slice()
  const signature = r.bytes(SIGNATURE_LENGTH).slice()
  r.end()
  const s = { groupId, name, admins, members, epoch, signerAddress, signerChain, signature }
  checkStateShape(s, MalformedMessageError)
  return s
}

/**
 * Verifies a group state: its structure, the signer's key chain and signature, and — given the
 * current state `previous` — same group id, a higher epoch, and a signer who is an admin of
 * `previous`. Without `previous` (the first state one learns of) the signer must be an admin of the
 * state itself. Throws InvalidGroupStateError (or MalformedMessageError / UnsupportedVersionError).
 */
export function verifyGroupState (state: Uint8Array | GroupState, previous?: GroupState, now: number = nowSeconds()): GroupState {
  const s = state instanceof Uint8Array ? decodeGroupState(state) : decodeGroupState(encodeGroupState(state))
  if (previous != null) {
    if (!equalBytes(s.groupId, previous.groupId)) throw new InvalidGroupStateError('the state is for another group')
    if (s.epoch <= previous.epoch) throw new InvalidGroupStateError(`epoch ${s.epoch} is not after ${previous.epoch}`)
    if (!previous.admins.includes(s.signerAddress)) throw new InvalidGroupStateError(`${s.signerAddress} is not an admin of epoch ${previous.epoch}`)
  } else if (!s.admins.includes(s.signerAddress)) {
    throw new InvalidGroupStateError(`${s.signerAddress} is not an admin of the group`)
  }
  let nodeKey
  try {
    nodeKey = nodeKeyOf(s.signerAddress, s.signerChain, now)
  } catch (err) {
    throw new InvalidGroupStateError(`the signer's key chain does not prove ${s.signerAddress}: ${(err as Error).message}`, { cause: err })
  }
  if (!verify(nodeKey, DOMAIN_GROUP, groupStateBody(s), s.signature)) throw new InvalidGroupStateError('the group state signature does not verify')
  return s
}

// ---------------------------------------------------------------------------------------------
// Sender keys and the chain ratchet

export interface SenderKey {
  groupId: Uint8Array
  epoch: bigint
  senderAddress: string
  /** 33-byte compressed secp256k1 node key that signs this sender's group messages. */
  signingPublicKey: Uint8Array
  /** ck_i: chain key at `iteration`. */
  chainKey: Uint8Array
  /** Index of the next message key (i of ck_i). */
  iteration: number
}

/** A fresh sender key of `identity` for (groupId, epoch): random ck_0, iteration 0, signed by its node key. */
export function createSenderKey (identity: Identity, groupId: Uint8Array, epoch: bigint, chainKey: Uint8Array = randomId(32)): SenderKey {
  if (groupId.byteLength !== GROUP_ID_LENGTH || chainKey.byteLength !== 32) throw new RangeError('bad group id or chain key length')
  return { groupId, epoch, senderAddress: identity.address, signingPublicKey: identity.nodeKey.publicKey.raw, chainKey, iteration: 0 }
}

/** `version(1)=1 | group_id(16) | epoch(u64) | sender(u8 len | utf8) | signing_key(33) | chain_key(32) | iteration(u32)`. */
export function encodeSenderKey (k: SenderKey): Uint8Array {
  return new Writer().u8(SENDER_KEY_VERSION).bytes(k.groupId).u64(k.epoch).string8(k.senderAddress)
    .bytes(k.signingPublicKey).bytes(k.chainKey).u32(k.iteration).finish()
}

export function decodeSenderKey (bytes: Uint8Array): SenderKey {
  const r = new Reader(bytes, 'sender key')
  const version = r.u8()
  if (version !== SENDER_KEY_VERSION) throw new UnsupportedVersionError(`unsupported sender key version ${version}`)
  const k: SenderKey = {
    groupId: r.bytes(GROUP_ID_LENGTH).slice(),
    epoch: r.u64(),
    senderAddress: r.string8(),
    signingPublicKey: r.bytes(PUBLIC_KEY_LENGTH).slice(),
    chainKey: r.bytes(32).slice(),
    iteration: r.u32()
  }
  r.end()
  return k
}

const ONE = Uint8Array.of(0x01)
const TWO = Uint8Array.of(0x02)
/** mk_i = HMAC-SHA256(ck_i, 0x01). */
export const messageKeyOf = (chainKey: Uint8Array): Uint8Array => hmacSha256(chainKey, ONE)
/** ck_{i+1} = HMAC-SHA256(ck_i, 0x02). */
export const nextChainKey = (chainKey: Uint8Array): Uint8Array => hmacSha256(chainKey, TWO)

function messageCipher (mk: Uint8Array): { key: Uint8Array, nonce: Uint8Array } {
  const okm = hkdf(mk, new Uint8Array(32), utf8(GROUP_MESSAGE_INFO), AES_KEY_LENGTH + GCM_IV_LENGTH)
  return { key: okm.subarray(0, AES_KEY_LENGTH), nonce: okm.subarray(AES_KEY_LENGTH) }
}

// ---------------------------------------------------------------------------------------------
// Group messages

export interface GroupMessageHeader {
  version: number
  groupId: Uint8Array
  epoch: bigint
  senderAddress: string
  signingPublicKey: Uint8Array
  iteration: number
  bytes: Uint8Array
}

function encodeGroupHeader (k: SenderKey): Uint8Array {
  return new Writer().u8(GROUP_MESSAGE_VERSION).bytes(k.groupId).u64(k.epoch).string8(k.senderAddress)
    .bytes(k.signingPublicKey).u32(k.iteration).finish()
}

/** Parses a group message: `header | ct_len(u32) | ciphertext | signature(64)`. Total. */
export function readGroupMessage (bytes: Uint8Array): GroupMessageHeader & { ciphertext: Uint8Array, signature: Uint8Array } {
  const r = new Reader(bytes, 'group message')
  const version = r.u8()
  if (version !== GROUP_MESSAGE_VERSION) throw new UnsupportedVersionError(`unsupported group message version ${version}`)
  const groupId = r.bytes(GROUP_ID_LENGTH)
  const epoch = r.u64()
  const senderAddress = r.string8()
  const signingPublicKey = r.bytes(PUBLIC_KEY_LENGTH)
  const iteration = r.u32()
  const headerBytes = bytes.subarray(0, r.offset)
  const ciphertext = r.bytes32(MAX_BODY_BYTES + 1024)
  const signature = r.bytes(SIGNATURE_LENGTH)
  r.end()
  return { version, groupId, epoch, senderAddress, signingPublicKey, iteration, bytes: headerBytes, ciphertext, signature }
}

/** The sending side of one sender key. Persist `senderKey` after each encrypt. */
export class GroupMessageSender {
  private key: SenderKey

  constructor (private readonly identity: Identity, senderKey: SenderKey) {
    if (senderKey.senderAddress !== identity.address || !equalBytes(senderKey.signingPublicKey, identity.nodeKey.publicKey.raw)) {
      throw new RangeError('the sender key belongs to another identity or node key')
    }
    this.key = { ...senderKey }
  }

  /** The current state (chain key at the next iteration), to persist and to distribute to new receivers. */
  get senderKey (): SenderKey { return { ...this.key } }

  /** Encrypts once for all members; the result fans out unchanged. The message id is random. */
  encrypt (input: MessageInput & { id?: Uint8Array }): Uint8Array {
    checkBodySize(input.body)
    if (this.key.iteration >= 0xffffffff) throw new RangeError('sender key exhausted: rotate')
    const header = encodeGroupHeader(this.key)
    const plaintext = encodeMessage({
      id: input.id ?? randomId(16),
      kind: input.kind ?? 'message',
      sentAt: input.sentAt ?? Date.now(),
      contentType: input.contentType ?? OCTET_STREAM,
      body: input.body,
      groupId: this.key.groupId
    })
    const { key, nonce } = messageCipher(messageKeyOf(this.key.chainKey))
    const ciphertext = aesGcmSeal(key, nonce, plaintext, header)
    const signature = sign(this.identity.nodeKey, DOMAIN_GROUP_MESSAGE, concat(header, ciphertext))
    this.key = { ...this.key, chainKey: nextChainKey(this.key.chainKey), iteration: this.key.iteration + 1 }
    return new Writer().bytes(header).bytes32(ciphertext).bytes(signature).finish()
  }
}

export interface OpenedGroupMessage {
  message: Message
  senderAddress: string
  iteration: number
  epoch: bigint
}

/**
 * The receiving side of one member's sender key (learned from a 'sender-key' envelope whose
 * authenticated sender node key must equal signingPublicKey — the caller checks that). Keeps up to
 * MAX_SKIPPED_MESSAGE_KEYS skipped message keys for out-of-order delivery; a message more than that
 * far ahead, already read, or evicted from the window is rejected (ERR_MESSAGE_KEY_UNAVAILABLE).
 * A failed decrypt leaves the state unchanged.
 */
export class GroupMessageReceiver {
  private key: SenderKey
  private readonly skipped = new Map<number, Uint8Array>()

  constructor (senderKey: SenderKey, skipped?: Iterable<[number, Uint8Array]>) {
    this.key = { ...senderKey }
    for (const [i, mk] of skipped ?? []) this.skipped.set(i, mk)
  }

  get senderKey (): SenderKey { return { ...this.key } }
  get skippedCount (): number { return this.skipped.size }

  matches (h: Pick<GroupMessageHeader, 'groupId' | 'epoch' | 'senderAddress' | 'signingPublicKey'>): boolean {
    return equalBytes(h.groupId, this.key.groupId) && h.epoch === this.key.epoch && h.senderAddress === this.key.senderAddress &&
      equalBytes(h.signingPublicKey, this.key.signingPublicKey)
  }

  decrypt (bytes: Uint8Array): OpenedGroupMessage {
    const m = readGroupMessage(bytes)
    if (!this.matches(m)) throw new UnknownSenderKeyError('the message is not under this sender key (group, epoch, sender or signing key differ)')
    if (!verify(this.key.signingPublicKey, DOMAIN_GROUP_MESSAGE, concat(m.bytes, m.ciphertext), m.signature)) {
      throw new BadSignatureError('the group message signature does not verify')
    }
    // Find mk_i without committing.
    let mk: Uint8Array
    let newChain = this.key.chainKey
    let newIteration = this.key.iteration
    const newlySkipped: Array<[number, Uint8Array]> = []
    if (m.iteration < this.key.iteration) {
      const k = this.skipped.get(m.iteration)
      if (k == null) throw new MessageKeyUnavailableError(`message key ${m.iteration} was already used or fell out of the window`)
      mk = k
    } else {
      if (m.iteration - this.key.iteration > MAX_SKIPPED_MESSAGE_KEYS) {
        throw new MessageKeyUnavailableError(`message ${m.iteration} is more than ${MAX_SKIPPED_MESSAGE_KEYS} ahead of ${this.key.iteration}`)
      }
      while (newIteration < m.iteration) {
        newlySkipped.push([newIteration, messageKeyOf(newChain)])
        newChain = nextChainKey(newChain)
        newIteration++
      }
      mk = messageKeyOf(newChain)
      newChain = nextChainKey(newChain)
      newIteration++
    }
    const { key, nonce } = messageCipher(mk)
    const plaintext = aesGcmOpen(key, nonce, m.ciphertext, m.bytes)
    const message = decodeMessage(plaintext)
    if (message.groupId == null || !equalBytes(message.groupId, this.key.groupId)) throw new MalformedMessageError('the inner message names another group')
    // Commit.
    if (m.iteration < this.key.iteration) {
      this.skipped.delete(m.iteration)
    } else {
      for (const [i, k] of newlySkipped) this.skipped.set(i, k)
      this.key = { ...this.key, chainKey: newChain, iteration: newIteration }
      // Evict the oldest keys beyond the window (Map keeps insertion = iteration order).
      for (const i of this.skipped.keys()) {
        if (this.skipped.size <= MAX_SKIPPED_MESSAGE_KEYS) break
        this.skipped.delete(i)
      }
    }
    return { message, senderAddress: this.key.senderAddress, iteration: m.iteration, epoch: m.epoch }
  }

  /** `sender_key_len(u16) | sender_key | count(u16) | (iteration(u32) | mk(32))*` — for the store. */
  toBytes (): Uint8Array {
    const w = new Writer().bytes16(encodeSenderKey(this.key)).u16(this.skipped.size)
    for (const [i, mk] of this.skipped) w.u32(i).bytes(mk)
    return w.finish()
  }

  static fromBytes (bytes: Uint8Array): GroupMessageReceiver {
    const r = new Reader(bytes, 'receiver state')
    const key = decodeSenderKey(r.bytes16())
    const skipped: Array<[number, Uint8Array]> = []
    for (let n = r.u16(); n > 0; n--) skipped.push([r.u32(), r.bytes(32).slice()])
    r.end()
    return new GroupMessageReceiver(key, skipped)
  }
}
