import { AttnError } from '../errors.js'

/** A directory record (DHT value) cannot be decoded, is not canonical, or breaks a structural rule. */
export class MalformedDirectoryRecordError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_DIRECTORY_MALFORMED', options) }
}
/** The directory record's version is not one this implementation understands. */
export class UnsupportedDirectoryVersionError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DIRECTORY_UNSUPPORTED_VERSION') }
}
/** The DHT key is not `/attn/id/<address>`, or the record's address/root key do not match it. */
export class DirectoryKeyMismatchError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DIRECTORY_KEY_MISMATCH') }
}
/** The root key's signature over the directory record does not verify. */
export class DirectoryBadSignatureError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DIRECTORY_BAD_SIGNATURE') }
}
/** The directory record's expires_at is in the past. */
export class DirectoryExpiredError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DIRECTORY_EXPIRED') }
}
/** A device entry's key chain does not verify, or certifies another identity or another node id. */
export class DirectoryDeviceInvalidError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_DIRECTORY_DEVICE_INVALID', options) }
}
/** A device-signed record's signer_chain does not prove a listed device of the record's address (messaging.md §2). */
export class DirectorySignerInvalidError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_DIRECTORY_SIGNER_INVALID', options) }
}
/** The record's revocation list is not signed by the root key (messaging.md §2.2). */
export class DirectoryBadRevocationsError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DIRECTORY_BAD_REVOCATIONS') }
}
/** The record lists, or is signed by, a device its own revocation list revokes (messaging.md §2.2). */
export class DirectoryDeviceRevokedError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DIRECTORY_DEVICE_REVOKED') }
}
/** selectDirectoryRecord was given no valid record. */
export class NoValidDirectoryRecordError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DIRECTORY_NONE_VALID') }
}

/** An envelope, message, receipt, group state or sender key cannot be parsed. */
export class MalformedMessageError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_MESSAGE_MALFORMED', options) }
}
/** The envelope (or receipt, group state, sender key, group message) has an unknown version byte. */
export class UnsupportedVersionError extends AttnError {
  constructor (message: string) { super(message, 'ERR_UNSUPPORTED_VERSION') }
}
/** The envelope is addressed to another identity. */
export class WrongRecipientError extends AttnError {
  constructor (message: string) { super(message, 'ERR_WRONG_RECIPIENT') }
}
/** The envelope names a prekey id the recipient does not hold (expired or never issued). */
export class UnknownPrekeyError extends AttnError {
  constructor (message: string) { super(message, 'ERR_UNKNOWN_PREKEY') }
}
/** AEAD authentication failed (ERR_DECRYPT_FAILED): the one decryption error, defined by the crypto layer. */
export { DecryptFailedError } from '../crypto/errors.js'
/** The sender's signature over the envelope/group message does not verify. */
export class BadSignatureError extends AttnError {
  constructor (message: string) { super(message, 'ERR_BAD_SIGNATURE') }
}
/** The sender's key chain is invalid or does not prove the claimed sender address. */
export class InvalidSenderChainError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_INVALID_SENDER_CHAIN', options) }
}
/** A message body, envelope or parcel is larger than allowed. */
export class MessageTooLargeError extends AttnError {
  constructor (message: string) { super(message, 'ERR_MESSAGE_TOO_LARGE') }
}
/** A receipt's signature/chain does not verify, or it is for another recipient or envelope. */
export class ForgedReceiptError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_RECEIPT_FORGED', options) }
}

/** A group state is not signed by an admin of the previous state, or is not newer. */
export class InvalidGroupStateError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_GROUP_STATE_INVALID', options) }
}
/** No sender key is known for this (group, epoch, sender, signing key). */
export class UnknownSenderKeyError extends AttnError {
  constructor (message: string) { super(message, 'ERR_UNKNOWN_SENDER_KEY') }
}
/** A group message iteration was already consumed, fell out of the skipped-key window, or jumps too far ahead. */
export class MessageKeyUnavailableError extends AttnError {
  constructor (message: string) { super(message, 'ERR_MESSAGE_KEY_UNAVAILABLE') }
}

/** A mailbox insert would exceed a per-recipient or per-sender quota. */
export class QuotaExceededError extends AttnError {
  readonly scope: 'recipient' | 'sender'
  constructor (message: string, scope: 'recipient' | 'sender') { super(message, 'ERR_QUOTA_EXCEEDED'); this.scope = scope }
}
/** The mailbox node holds as much as it will for everyone (global byte cap). */
export class MailboxFullError extends AttnError {
  constructor (message: string) { super(message, 'ERR_MAILBOX_FULL') }
}
/** A peer sends mailbox.put faster than its rate limit allows. */
export class RateLimitedError extends AttnError {
  constructor (message: string) { super(message, 'ERR_RATE_LIMITED') }
}
/** This mailbox does not hold mail for that recipient: its directory record does not list us, or cannot be found. */
export class NotMailboxForRecipientError extends AttnError {
  constructor (message: string) { super(message, 'ERR_NOT_MAILBOX') }
}
/** A parcel names a prekey its recipient's directory record does not list: provably junk. */
export class UnlistedPrekeyError extends AttnError {
  constructor (message: string) { super(message, 'ERR_PREKEY_UNLISTED') }
}
/** The store's at-rest encryption key is wrong, or a stored blob was altered. */
export class StoreCorruptError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_STORE_CORRUPT', options) }
}
/** The database has a schema version newer than this code knows. */
export class StoreVersionError extends AttnError {
  constructor (message: string) { super(message, 'ERR_STORE_VERSION') }
}

// ---- messaging service (sending, groups, delivery) ----

/** No valid directory record (or no usable prekey in it) was found for an address. */
export class RecipientUnknownError extends AttnError {
  constructor (address: string, cause?: unknown, reason = 'no directory record found (has it published? is the DHT reachable?)') {
    super(`${address}: ${reason}`, 'ERR_RECIPIENT_UNKNOWN', { cause })
  }
}
/** A send target is neither an ATT address nor a group id (`grp_` + 32 lowercase hex digits). */
export class InvalidRecipientError extends AttnError {
  constructor (to: string) { super(`"${to}" is neither an ATT address nor a group id (grp_ + 32 hex)`, 'ERR_INVALID_ADDRESS') }
}
/** No sent message (outbox entry) has this id. */
export class MessageNotFoundError extends AttnError {
  constructor (id: string) { super(`no sent message with id ${id}`, 'ERR_MESSAGE_NOT_FOUND') }
}
/** The group is unknown here, or this identity is not a member of it. */
export class UnknownGroupError extends AttnError {
  /** The group id as given (`grp_…` or 32 hex digits). */
  readonly group: string
  /** For a sender key that arrived ahead of its group state: the authenticated sender of the envelope. */
  readonly sender?: string
  constructor (id: string, message = `unknown group ${id}`, sender?: string) { super(message, 'ERR_UNKNOWN_GROUP'); this.group = id; this.sender = sender }
}
/** Only an admin of the group may change its membership. */
export class NotGroupAdminError extends AttnError {
  constructor (id: string) { super(`this identity is not an admin of group ${id}`, 'ERR_NOT_GROUP_ADMIN') }
}
/** A `sync` copy was sealed by another identity than our own. */
export class ForgedSyncError extends AttnError {
  constructor (message = 'sync copy from another identity') { super(message, 'ERR_FORGED_SYNC') }
}
/** A `devices` message (§10.4.1) whose body is not an envelope id and a valid directory record of its sender. */
export class StaleDevicesHintError extends AttnError {
  constructor (message: string, options?: ErrorOptions) { super(message, 'ERR_DEVICES_HINT_INVALID', options) }
}
/** A sender key from a non-member, or whose signing key is not the envelope's sender node key. */
export class ForgedSenderKeyError extends AttnError {
  constructor (message: string) { super(message, 'ERR_FORGED_SENDER_KEY') }
}
/** A method that needs a started service was called before start() or after stop() (shared by every service). */
export { NotStartedError } from '../errors.js'

/** A v2 device header names a session this device does not hold and carries no session start. */
export class UnknownSessionError extends AttnError {
  constructor (message: string) { super(message, 'ERR_UNKNOWN_SESSION') }
}
/**
 * A message on a known session needs ratchet keys this device no longer has (it was restored from
 * an older backup, or its state was lost): the sender must start a new session.
 */
export class SessionStateLostError extends AttnError {
  constructor (message: string, readonly peerAddress: string, readonly peerDevice: string, options?: ErrorOptions) { super(message, 'ERR_SESSION_STATE_LOST', options) }
}
/** A known session carried a message signed by another identity or device than the one it was opened with. */
export class SessionPeerMismatchError extends AttnError {
  constructor (message: string) { super(message, 'ERR_SESSION_PEER_MISMATCH') }
}
/** The envelope id was already opened by this device (a duplicate, e.g. the same parcel from two mailboxes). */
export class DuplicateEnvelopeError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DUPLICATE_ENVELOPE') }
}
/** A bundle has no device envelope for this device. */
export class NotForThisDeviceError extends AttnError {
  constructor (message: string) { super(message, 'ERR_NOT_FOR_THIS_DEVICE') }
}
/** A device's signed prekey (or one-time prekey) statement does not verify under its node key. */
export class BadPrekeySignatureError extends AttnError {
  constructor (message: string) { super(message, 'ERR_PREKEY_BAD_SIGNATURE') }
}

// ---- contacts and the inbox (issue 15) ----

/** A contact name is empty, too long, has control characters, or could be read as an address or group id. */
export class InvalidContactNameError extends AttnError {
  constructor (name: string, why: string) { super(`"${name}" cannot be a contact name: ${why}`, 'ERR_INVALID_CONTACT_NAME') }
}
/** A contact of this name exists already. */
export class ContactExistsError extends AttnError {
  constructor (name: string, address: string) { super(`a contact named "${name}" exists already (${address}); remove it first`, 'ERR_CONTACT_EXISTS') }
}
/** No contact has this name. */
export class ContactNotFoundError extends AttnError {
  constructor (name: string) { super(`no contact named "${name}"`, 'ERR_CONTACT_NOT_FOUND') }
}
/** The contact list holds MAX_CONTACTS entries. */
export class ContactsFullError extends AttnError {
  constructor (max: number) { super(`at most ${max} contacts`, 'ERR_CONTACTS_FULL') }
}
/** A name where an address was expected that is neither an address, a group id nor a contact. */
export class UnknownRecipientNameError extends AttnError {
  constructor (to: string) { super(`"${to}" is neither an ATT address, a group id (grp_ + 32 hex) nor a contact name`, 'ERR_INVALID_ADDRESS') }
}
/** No received message has this id (or it was deleted). */
export class InboxMessageNotFoundError extends AttnError {
  constructor (id: string) { super(`no received message with id ${id}`, 'ERR_MESSAGE_NOT_FOUND') }
}

/** prekey.put for a device other than the calling one (only a device uploads its own one-time prekeys). */
export class NotOwnDeviceError extends AttnError {
  constructor (message: string) { super(message, 'ERR_NOT_OWN_DEVICE') }
}

// ---- group membership (issue 15) ----

/** Sending to (or acting in) a group this identity was removed from or has left. */
export class NotGroupMemberError extends AttnError {
  constructor (id: string, how: 'removed' | 'left') {
    super(how === 'removed' ? `you were removed from group ${id}: you can no longer send to it` : `you have left group ${id}: you can no longer send to it`, 'ERR_NOT_GROUP_MEMBER')
  }
}
/** `group remove` of an address that is not a member. */
export class NoSuchMemberError extends AttnError {
  constructor (id: string, address: string) { super(`${address} is not a member of group ${id}`, 'ERR_NO_SUCH_MEMBER') }
}
/** The only admin cannot leave a group that has other members (no one could change it any more). */
export class LastAdminError extends AttnError {
  constructor (id: string) { super(`you are the only admin of group ${id} and it has other members: remove them first`, 'ERR_LAST_ADMIN') }
}
/** A parcel from a device our cached record of its address revokes (messaging.md §2.2). */
export class SenderRevokedError extends AttnError {
  constructor (message: string) { super(message, 'ERR_SENDER_REVOKED') }
}
/** This device is revoked by its identity's revocation list: it no longer publishes (messaging.md §2.2). */
export class DeviceRevokedError extends AttnError {
  constructor (message: string) { super(message, 'ERR_DEVICE_REVOKED') }
}
/** Revoking needs the root key, which a linked device does not hold. */
export class RevokeNeedsRootKeyError extends AttnError {
  constructor (message = 'only a home that holds the root key can revoke a device') { super(message, 'ERR_ROOT_KEY_REQUIRED') }
}
/** A revocation that cannot be made: this very device, a malformed id, or the list is full. */
export class InvalidRevocationError extends AttnError {
  constructor (message: string) { super(message, 'ERR_INVALID_REVOCATION') }
}
