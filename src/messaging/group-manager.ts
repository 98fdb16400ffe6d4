import { randomBytes } from 'node:crypto'
import { toHex } from './protocol/codec.js'
import {
  GroupMessageReceiver, GroupMessageSender, createGroup, createSenderKey, decodeGroupState, decodeSenderKey,
  encodeGroupState, encodeSenderKey, updateGroup, verifyGroupState
} from './protocol/group.js'
import { OCTET_STREAM } from './protocol/message.js'
import { PARCEL_GROUP, encodeParcel, parcelId } from './protocol/parcel.js'
import { ForgedSenderKeyError, InvalidGroupStateError, LastAdminError, NoSuchMemberError, NotGroupAdminError, NotGroupMemberError, UnknownGroupError } from './errors.js'
import { groupIdString, groupInfoOf, parseGroupId } from './views.js'
import type { Outbox } from './outbox.js'
import type { GroupChanges, GroupState, SenderKey } from './protocol/group.js'
import type { Parcel } from './protocol/parcel.js'
import type { MessagingStore } from './store.js'
import type { MessagingCounters } from './counters.js'
import type { GroupInfo } from './types.js'
import type { Identity } from '../keys/index.js'
import type { Logger } from '@libp2p/interface'

export interface GroupManagerInit {
  store: MessagingStore
  identity: Identity
  outbox: Outbox
  log: Logger
  /** Counts the group-update and sender-key envelopes queued (issue 17: what a group costs). */
  counters?: MessagingCounters
  /** Group state or sender keys changed: parcels waiting for them may open now. */
  onKeysChanged(groupId: Uint8Array): void
}

/**
 * Groups (messaging.md §Groups): signed member lists, one sender key per member and epoch
 * shared over 1:1 envelopes, one ciphertext per message fanned out as a parcel per member, and
 * a new epoch with fresh sender keys at every membership change. Sender keys travel lazily: a
 * member sends its key for an epoch with its first message in that epoch (nobody answers a
 * group-update with one), so a new group of N costs N group-update envelopes, not N².
 */
export class GroupManager {
  constructor (private readonly init: GroupManagerInit) {}

  create (name: string, members: string[]): GroupInfo {
    const state = createGroup(this.init.identity, { name, members })
    this.install(state)
    return this.info(state)
  }

  /** The group as the user sees it: with this identity's membership (member, removed by an admin, or left). */
  info (state: GroupState): GroupInfo {
    const left = this.init.store.getMeta(leftKey(state.groupId)) != null
    return { ...groupInfoOf(state), membership: left ? 'left' : state.members.includes(this.init.identity.address) ? 'member' : 'removed' }
  }

  /** Whether this identity has left the group (its messages are then ignored). */
  hasLeft (groupId: Uint8Array): boolean {
    return this.init.store.getMeta(leftKey(groupId)) != null
  }

  /** Renames the group (admins only): a new epoch with the new name. */
  rename (groupId: string, name: string): GroupInfo {
    const previous = this.requireAdminOf(groupId)
    if (previous.name === name) return this.info(previous)
    return this.change(previous, { name }, [])
  }

  /**
   * Leaves the group. An admin leaves by a new epoch without itself (the other members learn it;
   * refused for the only admin of a group with other members); a member leaves locally: the node
   * stops sending to the group and ignores its messages (the admins are not told).
   */
  leave (groupId: string): GroupInfo {
    const { store, identity } = this.init
    const state = this.require(groupId)
    const me = identity.address
    if (this.hasLeft(state.groupId) || !state.members.includes(me)) return this.info(state)
    const others = state.members.filter(m => m !== me)
    let next = state
    if (state.admins.includes(me) && others.length > 0) {
      if (state.admins.every(a => a === me)) throw new LastAdminError(groupId)
      this.change(state, { members: others }, [me])
      next = store.getGroupState(state.groupId) ?? state
    }
    store.setMeta(leftKey(state.groupId), Uint8Array.of(1))
    return this.info(next)
  }

  addMember (groupId: string, address: string): GroupInfo {
    const previous = this.requireAdminOf(groupId)
    if (previous.members.includes(address)) return this.info(previous)
    return this.change(previous, { members: [...previous.members, address] }, [])
  }

  removeMember (groupId: string, address: string): GroupInfo {
    const previous = this.requireAdminOf(groupId)
    if (!previous.members.includes(address)) throw new NoSuchMemberError(groupId, address)
    return this.change(previous, { members: previous.members.filter(m => m !== address) }, [address])
  }

  list (): GroupInfo[] {
    const { store } = this.init
    return store.listGroupIds().map(id => store.getGroupState(id)).filter((s): s is GroupState => s != null).map(s => this.info(s))
  }

  /**
   * Encrypts once with our sender key, then queues one parcel per member. Our first message of an
   * epoch creates our sender key for it and queues it to the epoch's other members first (lazy
   * distribution, messaging.md §6 Rotation): the key entries are older than the parcels, so the
   * outbox starts them first; a member that still gets a parcel before the key quarantines it.
   * One transaction: a key stored but never queued would leave our messages unreadable for good.
   * Returns the group message id.
   */
  send (groupId: Uint8Array, body: Uint8Array, contentType: string): Uint8Array {
    const { store, identity } = this.init
    const state = this.require(groupIdString(groupId))
    // a removed member still holds the old state: its copies would be dropped by every member
    if (this.hasLeft(groupId)) throw new NotGroupMemberError(groupIdString(groupId), 'left')
    if (!state.members.includes(identity.address)) throw new NotGroupMemberError(groupIdString(groupId), 'removed')
    return store.transaction(() => {
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
    })
  }

  /** A signed group state from `sender` (a group-update message). */
  onGroupUpdate (body: Uint8Array, sender: string): void {
    const { store, identity } = this.init
    const state = decodeGroupState(body)
    const previous = store.getGroupState(state.groupId)
    if (previous != null && state.epoch <= previous.epoch) return
    verifyGroupState(state, previous)
    if (!state.admins.includes(sender)) throw new InvalidGroupStateError('group update not sent by an admin')
    // no sender key in answer: ours for this epoch goes out with our first message in it
    store.putGroupState(state)
    this.init.onKeysChanged(state.groupId)
  }

  /** Another member's sender key (a sender-key message), checked against the sealing identity and node key. */
  onSenderKey (body: Uint8Array, sender: string, senderNodeKey: Uint8Array): void {
    const { store } = this.init
    const key = decodeSenderKey(body)
    const state = store.getGroupState(key.groupId)
    if (state == null || key.epoch !== state.epoch) throw new UnknownGroupError(toHex(key.groupId), 'sender key for an unknown group or epoch', sender)
    if (key.senderAddress !== sender || !state.members.includes(key.senderAddress)) throw new ForgedSenderKeyError('sender key from a non-member')
    if (!Buffer.from(key.signingPublicKey).equals(Buffer.from(senderNodeKey))) throw new ForgedSenderKeyError('sender key signing key is not the sender node key')
    store.putReceiver(new GroupMessageReceiver(key))
    this.init.onKeysChanged(key.groupId)
  }

  /** Stores a new epoch and queues its signed state to every member (and the removed ones); no sender key yet. */
  private install (state: GroupState, removed: string[] = []): void {
    const { store, identity, outbox } = this.init
    const update = encodeGroupState(state)
    store.transaction(() => {
      store.putGroupState(state)
      for (const member of [...state.members, ...removed]) {
        if (member === identity.address) continue
        outbox.enqueue(member, { kind: 'group-update', contentType: OCTET_STREAM, body: update, groupId: state.groupId }, { kind: 'control' })
        this.init.counters?.add('groupUpdatesSent')
      }
    })
  }

  private change (previous: GroupState, changes: GroupChanges, removed: string[]): GroupInfo {
    // every membership change starts a new epoch with fresh sender keys (removed members get none)
    const state = updateGroup(this.init.identity, previous, changes)
    this.install(state, removed)
    return this.info(state)
  }

  /** Queues our sender key for the state's epoch to every other member of that epoch, end to end. */
  private distributeSenderKey (state: GroupState, key: SenderKey): void {
    const { identity, outbox } = this.init
    const encoded = encodeSenderKey(key)
    for (const member of state.members) {
      if (member === identity.address) continue
      outbox.enqueue(member, { kind: 'sender-key', contentType: OCTET_STREAM, body: encoded, groupId: state.groupId }, { kind: 'control' })
      this.init.counters?.add('senderKeysSent')
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
    if (this.hasLeft(state.groupId)) throw new NotGroupMemberError(groupId, 'left')
    if (!state.admins.includes(this.init.identity.address)) throw new NotGroupAdminError(groupId)
    return state
  }
}

/** Store meta key marking a group this identity left. */
function leftKey (groupId: Uint8Array): string {
  return `group-left:${toHex(groupId)}`
}
