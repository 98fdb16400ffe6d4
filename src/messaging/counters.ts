/** What the messaging layer accepted and refused, for the status API and tests. */
export interface MessagingStats {
  parcelsIn: number
  messagesIn: number
  receiptsIn: number
  mailboxStored: number
  mailboxFetched: number
  /** Parcels fetched from a mailbox that could never be opened: acknowledged (so they stop blocking) and dropped. */
  junkDropped: number
  /** Parcels (fetched or delivered directly) that cannot be opened yet (group message before its state or sender key): kept locally and acknowledged. */
  quarantined: number
  /** Group-update envelopes queued (one per member and removed member of each new epoch). */
  groupUpdatesSent: number
  /** Sender-key envelopes queued (one per other member, with a member's first message of an epoch). */
  senderKeysSent: number
  /** Receipts queued again because a duplicate of an already received message arrived. */
  receiptsRequeued: number
  /** Delivered-but-unacknowledged messages sent again to re-trigger a lost receipt. */
  reprobes: number
  /** Ratchet sessions started with a peer device, as initiator or responder (messaging.md §10). */
  sessionsStarted: number
  /** Sessions dropped because this device or its peer lost ratchet state; undelivered messages are resealed. */
  sessionsReset: number
  /** Bundles whose envelope id this device had already opened (same parcel from two mailboxes, a re-probe). */
  duplicates: number
  /** `devices` messages sent: a sender's bundle left out devices of ours (§10.4.1). */
  staleDevicesHinted: number
  /** Messages of ours sealed again for devices a `devices` message told us about. */
  staleDevicesResealed: number
  /** `devices` hints not acted on: same sender within 10 s, no newer record (§10.4.1). */
  staleDevicesHintsIgnored: number
  rejected: Record<string, number>
}

export class MessagingCounters {
  private readonly s: MessagingStats = {
    parcelsIn: 0, messagesIn: 0, receiptsIn: 0, mailboxStored: 0, mailboxFetched: 0,
    junkDropped: 0, quarantined: 0, groupUpdatesSent: 0, senderKeysSent: 0, receiptsRequeued: 0, reprobes: 0, sessionsStarted: 0, sessionsReset: 0, duplicates: 0, staleDevicesHinted: 0, staleDevicesResealed: 0, staleDevicesHintsIgnored: 0, rejected: {}
  }

  add (name: Exclude<keyof MessagingStats, 'rejected'>, n = 1): void {
    this.s[name] += n
  }

  /** Counts refused input by its error code. */
  reject (err: { code?: string }): void {
    const code = err.code ?? 'ERR_UNKNOWN'
    this.s.rejected[code] = (this.s.rejected[code] ?? 0) + 1
  }

  snapshot (): MessagingStats {
    return { ...this.s, rejected: { ...this.s.rejected } }
  }
}
