import { toHex } from './protocol/codec.js'
import type { InboxEntry, OutboxStatusFields } from './store.js'
import type { GroupState } from './protocol/group.js'
import type { GroupInfo, InboxMessage, MessageStatus } from './types.js'

/** Group ids as applications write them: `grp_` + 32 hex digits. */
export const GROUP_PREFIX = 'grp_'

export function groupIdString (id: Uint8Array): string {
  return GROUP_PREFIX + toHex(id)
}

/** The 16-byte group id of a `grp_…` string, or undefined when it is not one. */
export function parseGroupId (s: string): Uint8Array | undefined {
  if (!s.startsWith(GROUP_PREFIX)) return undefined
  const hex = s.slice(GROUP_PREFIX.length)
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** UTF-8 text for text/* content, base64 otherwise. */
export function bodyString (contentType: string, body: Uint8Array): string {
  return contentType.toLowerCase().startsWith('text/') ? new TextDecoder().decode(body) : Buffer.from(body).toString('base64')
}

export function inboxMessageOf (e: InboxEntry): InboxMessage {
  return {
    id: toHex(e.envelopeId),
    from: e.from,
    to: e.to,
    group: e.groupId == null ? null : groupIdString(e.groupId),
    contentType: e.contentType,
    body: bodyString(e.contentType, e.body),
    sentAt: e.sentAtMs,
    receivedAt: e.receivedAtMs,
    read: e.readAtMs != null
  }
}

export function statusOf (entry: OutboxStatusFields, id: string): MessageStatus {
  return { id, state: entry.state, reason: entry.failureReason, to: entry.recipient, updatedAt: entry.updatedAtMs }
}

export function groupInfoOf (s: GroupState): GroupInfo {
  return { id: groupIdString(s.groupId), name: s.name, admins: s.admins, members: s.members, epoch: Number(s.epoch) }
}
