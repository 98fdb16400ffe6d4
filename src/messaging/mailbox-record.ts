/**
 * The directory record of an identity this node serves as a mailbox for, shared by the mailbox
 * (mailbox.put/fetch) and prekey (prekey.put/take) servers: the record must list this node as
 * one of its mailboxes.
 */
import { MAILBOX_RECORD_LOOKUP_TIMEOUT_MS } from './constants.js'
import { NotMailboxForRecipientError, RateLimitedError } from './errors.js'
import type { DirectoryClient } from './directory-client.js'
import type { DirectoryRecord } from './protocol/directory-record.js'
import type { RateLimiter } from './rate-limiter.js'

export interface MailboxRecordInit {
  directory: DirectoryClient
  /** This node's PeerId string. */
  self: string
  /** The node-wide budget of fresh lookups (a stranger naming random identities must not make us walk the DHT at will). */
  lookups: RateLimiter
  /** The RateLimitedError message when that budget is spent. */
  busy: string
  /** Look again even when the cached record lists us (it lacks a device the caller names: added since). */
  refresh?: boolean
  /** Counts and turns the error into the server's public RPC error. */
  refuse: (err: Error & { code?: string }) => never
}

/**
 * `address`'s record, which must list this node as one of its mailboxes. The cached record is
 * used when it lists us (unless `refresh`); otherwise one fresh lookup, within the node-wide budget.
 */
export async function mailboxRecord (address: string, init: MailboxRecordInit): Promise<DirectoryRecord> {
  const { directory, self, refuse } = init
  const cached = directory.cached(address)
  if (init.refresh !== true && cached != null && cached.mailboxes.some(m => m.peerId === self)) return cached
  if (!init.lookups.take('')) return refuse(new RateLimitedError(init.busy))
  let record: DirectoryRecord
  try {
    record = await directory.lookup(address, { fresh: cached != null, signal: AbortSignal.timeout(MAILBOX_RECORD_LOOKUP_TIMEOUT_MS) })
  } catch (err: any) {
    return refuse(new NotMailboxForRecipientError(`no directory record found for ${address}: ${err.message as string}`))
  }
  if (!record.mailboxes.some(m => m.peerId === self)) return refuse(new NotMailboxForRecipientError(`${address} does not list this node as a mailbox`))
  return record
}
