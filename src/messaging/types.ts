import type { DeliveryPath } from './delivery-paths.js'
import type { CarrierKind } from '../carriers/channel.js'
import type { OutboxState } from './store.js'
import type { RpcStatus } from '../rpc/index.js'

/** A received message as applications see it. */
export interface InboxMessage {
  id: string
  from: string
  to: string
  group: string | null
  contentType: string
  /** UTF-8 text for text/* content, base64 otherwise. */
  body: string
  sentAt: number
  receivedAt: number
  /** Whether the user marked it read. */
  read: boolean
  /** The sender's contact name, when the sender is a contact. */
  fromName?: string
}

/** A sent message in the list of sent messages. */
export interface SentMessage {
  id: string
  /** The recipient's address, or the group id. */
  to: string
  toName?: string
  state: MessageState
  reason?: string
  createdAt: number
  updatedAt: number
}

export type MessageState = OutboxState

export interface MessageStatus {
  id: string
  state: MessageState
  reason?: string
  to: string
  /** The recipient's contact name, when the recipient is a contact. */
  toName?: string
  updatedAt: number
  /** A group message: each current member's copy and its state. */
  members?: Array<{ address: string, state: MessageState }>
  /** While a direct delivery call is in flight: its state at each device (RPC status query). */
  transit?: Array<{ peer: string, state: RpcStatus }>
  /** How the first hand-off travelled: to a device `direct` or `relayed`, or to a `mailbox` (absent before it, and after a restart). */
  path?: DeliveryPath
  /** The carrier of the call that made that hand-off (`libp2p`, `udp` or `http`), when known (absent with `path`). */
  carrier?: CarrierKind
}

export interface GroupInfo {
  id: string
  name: string
  admins: string[]
  members: string[]
  epoch: number
  /** This identity in the group: a member, removed by an admin, or left. */
  membership?: 'member' | 'removed' | 'left'
}

export interface MessagingServiceInit {
  /** SQLite file of the messaging store (default: in memory, lost at stop). */
  dbPath?: string
  /** The root home's revocation list file (messaging.md §2.2; `$ATTN_HOME/revocations.json`); default: none kept. */
  revocationsPath?: string
  /** Serve as a mailbox for other identities (default true). */
  mailbox?: boolean
  /** Mailbox nodes to list in our directory record (peer id strings); default: the DHT-closest peers. */
  mailboxes?: string[]
  /** How many mailboxes to pick from the DHT when none are configured (default 3). */
  mailboxCount?: number
  /** Mailbox TTL, seconds (default 7 days). */
  mailboxTtlSeconds?: number
  /** Mailbox quotas (per recipient, per sender, in all). */
  mailboxQuotas?: Partial<import('./store.js').MailboxQuotas>
  /** mailbox.put rate limits: per sending identity and per network source, tokens/s and burst. */
  mailboxPutRate?: { perSender?: number, perSenderBurst?: number, perSource?: number, perSourceBurst?: number }
  /** One-time prekeys uploaded to each mailbox when it runs low (default 50; 0: none, senders use the signed prekey alone). */
  oneTimePrekeyBatch?: number
  /** Publish the directory record at start (default true). */
  publishOnStart?: boolean
  /** Directory record lifetime, seconds (default 24 h; republished at half-life). */
  recordTtlSeconds?: number
  /** How often to poll our mailboxes, ms (default 30 s). */
  fetchInterval?: number
  /** Outbox retry backoff: first and longest delay, ms (defaults 2 s and 5 min). */
  retryInitial?: number
  retryMax?: number
  /** A delivered (sent/stored) message without a receipt is redelivered after this, doubling up to probeMax, ms (defaults 30 s, 30 min). */
  probeInitial?: number
  probeMax?: number
  /** How long undeliverable messages are retried before `failed`, ms (default 7 days). */
  giveUpAfter?: number
  /** Deadline of one directory lookup, ms (default 15 s). */
  lookupTimeout?: number
  /** Per-attempt RPC timeout, ms (default 10 s). */
  callTimeout?: number
  /** How long direct delivery may take before the mailboxes are used in parallel, ms (default 1.5 s). */
  mailboxGrace?: number
  /** Rewards: the ledger, this mailbox's price per parcel and the most postage paid per parcel (protocols/rewards.md §6). */
  postage?: import('./postage.js').PostageInit
}
