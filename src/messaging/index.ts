/**
 * ATT messaging primitives (protocols/messaging.md): directory records for the kad-dht, 1:1
 * end-to-end envelopes, delivery receipts, groups with sender keys, and the SQLite stores.
 * Carrier-independent: nothing here does I/O except MessagingStore.
 *
 * @example
 * ```ts
 * const prekey = generatePrekey(1, now + 7 * 86400)
 * const record = createDirectoryRecord(bob, { seq: 1n, expiresAt: now + 86400, prekeys: [prekey] })
 * const env = sealEnvelope({ sender: alice, recipientAddress: bob.address, recipientPrekey: prekey,
 *   message: { contentType: TEXT_PLAIN, body: utf8('hi') } })
 * const opened = openEnvelope({ recipient: { address: bob.address, prekey: id => store.getPrekey(id)?.privateKey }, envelope: env })
 * ```
 */
export * from './constants.js'
export * from './errors.js'
export { TEXT_PLAIN, OCTET_STREAM, encodeMessage, decodeMessage } from './message.js'
export type { Message, MessageInput, MessageKind } from './message.js'
export { sealEnvelope, openEnvelope, readEnvelopeHeader, generatePrekey } from './envelope.js'
export type { EnvelopeHeader, SealEnvelopeOptions, OpenEnvelopeOptions, OpenedEnvelope, EnvelopeRecipient } from './envelope.js'
export {
  directoryKey, createDirectoryRecord, encodeDirectoryRecord, decodeDirectoryRecord, directoryRecordSignedBytes,
  checkDirectoryRecord, validateDirectoryRecord, selectDirectoryRecord, pickPrekey
} from './directory-record.js'
export type {
  DirectoryRecord, DirectoryRecordFields, DirectoryDevice, DirectoryPrekey, DirectoryMailbox, ValidateOptions
} from './directory-record.js'
export { createReceipt, decodeReceipt, verifyReceipt } from './receipt.js'
export type { Receipt, ReceiptFields } from './receipt.js'
export {
  createGroup, updateGroup, rotateGroup, encodeGroupState, decodeGroupState, verifyGroupState, createSenderKey,
  encodeSenderKey, decodeSenderKey, messageKeyOf, nextChainKey, readGroupMessage, GroupMessageSender, GroupMessageReceiver
} from './group.js'
export type { GroupState, GroupChanges, SenderKey, GroupMessageHeader, OpenedGroupMessage } from './group.js'
export { MessagingStore, STORE_SCHEMA_VERSION, outboxTransitionAllowed } from './store.js'
export type {
  OutboxState, OutboxEntry, InboxEntry, MailboxEntry, MailboxQuotas, StoredPrekey, MessagingStoreOptions
} from './store.js'
export { utf8 } from './codec.js'
export { MessagingService, messaging, MessageNotFoundError, NotGroupAdminError, UnknownGroupError, InvalidRecipientError } from './messaging-service.js'
export type { MessagingServiceInit, MessagingServiceComponents, MessagingEvents, InboxMessage, MessageState, MessageStatus, GroupInfo } from './messaging-service.js'
export { DirectoryClient } from './directory-client.js'
export { encodeParcel, decodeParcel, parcelId, PARCEL_ENVELOPE, PARCEL_GROUP } from './parcel.js'
export type { Parcel } from './parcel.js'
export { derivePrekey, prekeyIdAt, isAcceptedPrekeyId, prekeyResolver } from './prekeys.js'
export * from './rpc-methods.js'
