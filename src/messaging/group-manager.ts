import { randomBytes } from 'node:crypto'
import { toHex } from './protocol/codec.js'
import {
  GroupMessageReceiver, GroupMessageSender, createGroup, createSenderKey, decodeGroupState, decodeSenderKey,
  encodeGroupState, encodeSenderKey, updateGroup, verifyGroupState
} from './protocol/group.js'
import { OCTET_STREAM } from './protocol/message.js'
import { PARCEL_GROUP, encodeParcel, parcelId } from './protocol/parcel.js'
import { ForgedSenderKeyError, InvalidGroupStateError, NotGroupAdminError, UnknownGroupError } from './errors.js'
import { groupIdString, groupInfoOf, parseGroupId } from './views.js'
import type { Outbox } from './outbox.js'
import type { GroupState, SenderKey } from './protocol/group.js'
import type { Parcel } from './protocol/parcel.js'
import type { MessagingStore } from './store.js'
import type { GroupInfo } from './types.js'
import type { Identity } from '../keys/index.js'
import type { Logger } from '@libp2p/interface'

export interface GroupManagerInit {
  store: MessagingStore
  identity: Identity
  outbox: Outbox
  log: Logger
  /** Group state or sender keys changed: parcels waiting for them may open now. */
  onKeysChanged(groupId: Uint8Array): void
}

/**
 * Groups (messaging.md §Groups): signed member lists, one sender key per member and epoch
 * shared over 1:1 envelopes, one ciphertext per message fanned out as a parcel per member, and
 * a new epoch with fresh sender keys at every membership change.
 */
export class GroupManager {
  constructor (private readonly init: GroupManagerInit) {}

  create (name: string, members: string[]): GroupInfo {
    const state = createGroup(this.init.identity, { name, members })
    this.install(state)
    return groupInfoOf(state)
  }

  addMember (groupId: string, address: string): GroupInfo {
    const previous = this.requireAdminOf(groupId)
    if (previous.members.includes(address)) return groupInfoOf(previous)
    return this.change(previous, { members: [...previous.members, address] }, [])
  }

  removeMember (groupId: string, address: string): GroupInfo {
    const previous = this.requireAdminOf(groupId)
    if (!previous.members.includes(address)) return groupInfoOf(previous)
    return this.change(previous, { members: previous.members.filter(m => m !== address) }, [address])
  }

  list (): GroupInfo[] {
    const { store } = this.init
    return store.listGroupIds().map(id => store.getGroupState(id)).filter((s): s is GroupState => s != null).map(groupInfoOf)
  }

  /** Encrypts once with our sender key, then queues one parcel per member. Returns the group message id. */
  send (groupId: Uint8Array, body: Uint8Array, contentType: string): Uint8Array {
    const { store, identity } = this.init
    const state = this.require(groupIdString(groupId))
    let own = store.getOwnSenderKey(groupId, state.epoch, identity.address)
    if (own == null) {
      own = createSenderKey(identity, groupId, state.epoch)
      store.putOwnSenderKey(own)
      this.distributeSenderKey(state, own)
    }
    const sender = new GroupMessageSender(identity, own)
    const id = Uint8Array.from(randomBytes(16))
    const ciphertext = sender.encrypt({ id, contentType, body, groupId, sentAt: Date.now() })
    // stored before anything leaves: an iteration of the chain is never reused
    store.putOwnSenderKey(sender.senderKey)
    for (const member of state.members) {
      if (member === identity.address) continue
      const parcel: Parcel = { kind: PARCEL_GROUP, recipient: member, payload: ciphertext }
      const copyId = parcelId(parcel)
      // no receipts for group copies yet: 'control', so they are not re-probed
      store.enqueueOutbox({ envelopeId: copyId, recipient: member, envelope: encodeParcel(parcel), groupId, kind: 'control' })
      store.recordGroupSend(id, copyId)
    }
    return id
  }

  /** A signed group state from `sender` (a group-update message). */
  onGroupUpdate (body: Uint8Array, sender: string): void {
    const { store, identity } = this.init
    const state = decodeGroupState(body)
    const previous = store.getGroupState(state.groupId)
    if (previous != null && state.epoch <= previous.epoch) return
    verifyGroupState(state, previous)
    if (!state.admins.includes(sender)) throw new InvalidGroupStateError('group update not sent by an admin')
    store.putGroupState(state)
    if (state.members.includes(identity.address)) {
      // our own sender key for the new epoch, to the members of the new epoch only
      const own = createSenderKey(identity, state.groupId, state.epoch)
      store.putOwnSenderKey(own)
      this.distributeSenderKey(state, own)
    }
    this.init.onKeysChanged(state.groupId)
  }

  /** Another member's sender key (a sender-key message), checked against the sealing identity and node key. */
  onSenderKey (body: Uint8Array, sender: string, senderNodeKey: Uint8Array): void {
    const { store } = this.init
    const key = decodeSenderKey(body)
    const state = store.getGroupState(key.groupId)
    if (state == null || key.epoch !== state.epoch) throw new UnknownGroupError(toHex(key.groupId), 'sender key for an unknown group or epoch')
    if (key.senderAddress !== sender || !state.members.includes(key.senderAddress)) throw new ForgedSenderKeyError('sender key from a non-member')
    if (!Buffer.from(key.signingPublicKey).equals(Buffer.from(senderNodeKey))) throw new ForgedSenderKeyError('sender key signing key is not the sender node key')
    store.putReceiver(new GroupMessageReceiver(key))
    this.init.onKeysChanged(key.groupId)
  }

  private install (state: GroupState, removed: string[] = []): void {
    const { store, identity, outbox } = this.init
    store.putGroupState(state)
    const own = createSenderKey(identity, state.groupId, state.epoch)
    store.putOwnSenderKey(own)
    const update = encodeGroupState(state)
    for (const member of [...state.members, ...removed]) {
      if (member === identity.address) continue
      outbox.enqueue(member, { kind: 'group-update', contentType: OCTET_STREAM, body: update, groupId: state.groupId }, { kind: 'control' })
    }
    this.distributeSenderKey(state, own)
  }

  private change (previous: GroupState, changes: { members: string[] }, removed: string[]): GroupInfo {
    // every membership change starts a new epoch with fresh sender keys (removed members get none)
    const state = updateGroup(this.init.identity, previous, changes)
    this.install(state, removed)
    return groupInfoOf(state)
  }

  /** Queues our sender key for the state's epoch to every other member, end to end. */
  private distributeSenderKey (state: GroupState, key: SenderKey): void {
    const { identity, outbox } = this.init
    const encoded = encodeSenderKey(key)
    for (const member of state.members) {
      if (member === identity.address) continue
      outbox.enqueue(member, { kind: 'sender-key', contentType: OCTET_STREAM, body: encoded, groupId: state.groupId }, { kind: 'control' })
    }
  }

  require (groupId: string): GroupState {
    const id = parseGroupId(groupId)
    const state = id == null ? undefined : this.init.store.getGroupState(id)
    if (state == null) throw new UnknownGroupError(groupId)
    return state
  }

  private requireAdminOf (groupId: string): GroupState {
    const state = this.require(groupId)
    if (!state.admins.includes(this.init.identity.address)) throw new NotGroupAdminError(groupId)
    return state
  }
}
