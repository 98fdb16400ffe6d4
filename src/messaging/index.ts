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
export { TEXT_PLAIN, OCTET_STREAM, encodeMessage, decodeMessage } from './protocol/message.js'
export type { Message, MessageInput, MessageKind } from './protocol/message.js'
export { sealEnvelope, openEnvelope, readEnvelopeHeader, generatePrekey } from './protocol/envelope.js'
export type { EnvelopeHeader, SealEnvelopeOptions, OpenEnvelopeOptions, OpenedEnvelope, EnvelopeRecipient } from './protocol/envelope.js'
export {
  directoryKey, createDirectoryRecord, encodeDirectoryRecord, decodeDirectoryRecord, directoryRecordSignedBytes,
  checkDirectoryRecord, validateDirectoryRecord, selectDirectoryRecord, pickPrekey,
  createRevocations, revocationsSignedBytes, revocationSeq, isRevoked, compareDirectoryRecords
} from './protocol/directory-record.js'
export type {
  DirectoryRecord, DirectoryRecordFields, DirectoryDevice, DirectoryPrekey, DirectoryMailbox, DirectoryRevocations, ValidateOptions
} from './protocol/directory-record.js'
export { createReceipt, decodeReceipt, verifyReceipt } from './protocol/receipt.js'
export type { Receipt, ReceiptFields } from './protocol/receipt.js'
export {
  createGroup, updateGroup, rotateGroup, encodeGroupState, decodeGroupState, verifyGroupState, createSenderKey,
  encodeSenderKey, decodeSenderKey, messageKeyOf, nextChainKey, readGroupMessage, GroupMessageSender, GroupMessageReceiver
} from './protocol/group.js'
export type { GroupState, GroupChanges, SenderKey, GroupMessageHeader, OpenedGroupMessage } from './protocol/group.js'
export { MessagingStore, STORE_SCHEMA_VERSION, MAILBOX_TABLE_DDL, outboxTransitionAllowed } from './store.js'
export type {
  OutboxState, OutboxKind, OutboxEntry, InboxEntry, MailboxEntry, MailboxQuotas, StoredPrekey, MessagingStoreOptions,
  QuarantineTrust, QuarantineCaps
} from './store.js'
export { utf8 } from './protocol/codec.js'
export { MessagingService, messaging } from './messaging-service.js'
export type { MessagingServiceComponents, MessagingEvents } from './messaging-service.js'
export type { MessagingServiceInit, InboxMessage, MessageState, MessageStatus, GroupInfo } from './types.js'
export type { MessagingStats } from './counters.js'
export { encodeSync, decodeSync } from './protocol/sync.js'
export type { SyncBody } from './protocol/sync.js'
export { DirectoryClient } from './directory-client.js'
export { encodeParcel, decodeParcel, parcelId, PARCEL_ENVELOPE, PARCEL_GROUP, PARCEL_BUNDLE } from './protocol/parcel.js'
export type { Parcel } from './protocol/parcel.js'
export { derivePrekey, prekeyIdAt, isAcceptedPrekeyId, prekeyResolver } from './protocol/prekeys.js'
export * from './protocol/rpc-methods.js'
export { DeviceSessions } from './device-sessions.js'
export type { DeviceSessionsInit, OpenedBundle } from './device-sessions.js'
export { MessagingCounters } from './counters.js'
export { encodeBundle, decodeBundle, sealBundleBody, openBundleBody, bundlePrefix, deviceContext, splitDeviceEnvelope } from './protocol/bundle.js'
export type { Bundle, DeviceEnvelope, OpenedBundleBody } from './protocol/bundle.js'
export { prekeyStatement, signPrekey, verifyPrekey, PREKEY_TYPE_SIGNED, PREKEY_TYPE_ONE_TIME } from './protocol/device-prekeys.js'
export type { SignedPrekeyPublic } from './protocol/device-prekeys.js'
export {
  initiateSession, respondSession, ratchetEncrypt, ratchetDecrypt, readRatchetHeader, encodeRatchetHeader, kdfRoot, kdfChain,
  messageCipherKey, sessionIdOf, encodeRatchetState, decodeRatchetState, SESSION_ID_LENGTH
} from './protocol/ratchet.js'
export type { RatchetState, RatchetHeader, SessionStart, RemoteBundle, KeyPair } from './protocol/ratchet.js'
