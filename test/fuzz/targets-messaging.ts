/**
 * Fuzz targets of the messaging layer: envelopes, parcels, directory records, messages,
 * receipts, group states, sender keys, group messages, sync bodies, mailbox RPC bodies.
 */
import fc from 'fast-check'
import { sign } from '../../src/keys/index.js'
import {
  DOMAIN_DIRECTORY, DOMAIN_GROUP_MESSAGE, ENVELOPE_INFO, GROUP_MESSAGE_INFO, GroupMessageReceiver, GroupMessageSender,
  createDirectoryRecord, createGroup, createRevocations, createReceipt, createSenderKey, decodeDirectoryRecord, decodeGroupState, decodeMessage,
  decodeReceipt, decodeSenderKey, decodeSync, directoryKey, directoryRecordSignedBytes, encodeDirectoryRecord,
  encodeGroupState, encodeMessage, encodeSenderKey, encodeSync, generatePrekey, messageKeyOf, openEnvelope,
  readEnvelopeHeader, readGroupMessage, sealEnvelope, checkDirectoryRecord, verifyGroupState, verifyReceipt
} from '../../src/messaging/index.js'
import { Writer, concat, utf8 } from '../../src/messaging/protocol/codec.js'
import { PARCEL_ENVELOPE, PARCEL_GROUP, decodeParcel, encodeParcel } from '../../src/messaging/protocol/parcel.js'
import {
  decodeAck, decodeFetchRequest, decodeFetchResponse, encodeAck, encodeFetchRequest, encodeFetchResponse
} from '../../src/messaging/protocol/rpc-methods.js'
import { aesGcmOpen, aesGcmSeal, hkdf, x25519Shared } from '../../src/messaging/primitives.js'
import { deviceIdentity, rootIdentity } from '../helpers/identities.js'
import { InconsistentOutputError, sameBytes } from './harness.js'
import { mutated } from './mutate.js'
import type { FuzzTarget } from './harness.js'
import type { DirectoryRecord } from '../../src/messaging/index.js'
import type { RootIdentity } from '../../src/keys/index.js'

const bytes = (n: number, fill = 0): Uint8Array => new Uint8Array(n).map((_, i) => (i * 29 + fill) & 0xff)
const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0
const nowS = (): number => Math.floor(Date.now() / 1000)

interface World {
  alice: RootIdentity
  bob: RootIdentity
  prekey: ReturnType<typeof generatePrekey>
  envelopes: Uint8Array[]
  groupMessages: Uint8Array[]
  groupKey: ReturnType<typeof createSenderKey>
  group: ReturnType<typeof createGroup>
  record: DirectoryRecord
  now: number
}

let world: Promise<World> | undefined

/** Alice (a device under her root key) and Bob (on his root key), and valid encodings between them. Built once. */
async function theWorld (): Promise<World> {
  world ??= (async () => {
    const aliceRoot = await rootIdentity()
    const alice = await deviceIdentity(aliceRoot.rootKey)
    const bob = await rootIdentity()
    const now = nowS()
    const prekey = generatePrekey(7, now + 86400)
    const envelopes = [
      { body: utf8('hi') },
      { body: bytes(300), contentType: 'application/octet-stream' },
      { body: new Uint8Array(0), kind: 'receipt' as const },
      { body: utf8('to the group'), groupId: bytes(16, 5), kind: 'sender-key' as const }
    ].map(message => sealEnvelope({ sender: alice, recipientAddress: bob.address, recipientPrekey: prekey, message }))
    const group = createGroup(alice, { name: 'friends', members: [bob.address] })
    const groupKey = createSenderKey(alice, group.groupId, group.epoch, bytes(32, 9))
    const sender = new GroupMessageSender(alice, groupKey)
    const groupMessages = [utf8('one'), bytes(100), utf8('three')].map(body => sender.encrypt({ body }))
    const record = createDirectoryRecord(bob, {
      seq: 3n,
      expiresAt: now + 86400,
      prekeys: [prekey],
      mailboxes: [{ peerId: alice.address, multiaddrs: ['/ip4/127.0.0.1/tcp/4001', '/dns4/example.org/tcp/443/wss'] }]
    })
    return { alice, bob, prekey, envelopes, groupMessages, groupKey, group, record, now }
  })()
  return await world
}

// ---------------------------------------------------------------------------------------------
// Envelopes and parcels

export const envelopeHeader: FuzzTarget = {
  name: 'envelope-header',
  decoder: 'messaging/protocol/envelope.ts readEnvelopeHeader',
  async setup () {
    const w = await theWorld()
    return {
      seeds: w.envelopes,
      decode (input) {
        const h = readEnvelopeHeader(input)
        sameBytes(concat(h.bytes, h.ciphertext), input, 'header | ciphertext')
        sameBytes(new Writer().u8(h.version).string8(h.recipientAddress).u32(h.prekeyId).bytes(h.ephemeralPublicKey).bytes(h.envelopeId).finish(), h.bytes, 'envelope header')
      }
    }
  }
}

export const envelopeOpen: FuzzTarget = {
  name: 'envelope-open',
  decoder: 'messaging/protocol/envelope.ts openEnvelope (incl. random inner plaintexts sealed to the right key)',
  async setup () {
    const w = await theWorld()
    const recipient = { address: w.bob.address, prekey: (id: number) => id === w.prekey.id ? w.prekey.privateKey : undefined }
    // the envelope key schedule (messaging.md §3), to seal arbitrary inner plaintexts under a real header
    const keyOf = (env: Uint8Array): { key: Uint8Array, nonce: Uint8Array, header: Uint8Array } => {
      const h = readEnvelopeHeader(env)
      const shared = x25519Shared(w.prekey.privateKey, h.ephemeralPublicKey)
      const okm = hkdf(shared, concat(h.ephemeralPublicKey, w.prekey.publicKey), concat(utf8(ENVELOPE_INFO), utf8(h.recipientAddress)), 44)
      return { key: okm.subarray(0, 32), nonce: okm.subarray(32), header: h.bytes }
    }
    const k = keyOf(w.envelopes[0])
    const inner = aesGcmOpen(k.key, k.nonce, readEnvelopeHeader(w.envelopes[0]).ciphertext, k.header)
    const extra = fc.oneof(mutated([inner]), fc.uint8Array({ maxLength: 600 }))
      .map(pt => concat(k.header, aesGcmSeal(k.key, k.nonce, pt, k.header)))
    return {
      seeds: w.envelopes,
      extra,
      maxLength: 300,
      decode (input) {
        const opened = openEnvelope({ recipient, envelope: input, now: w.now })
        if (opened.senderAddress !== w.alice.address) throw new InconsistentOutputError(`an envelope signed by nobody we know opened as ${opened.senderAddress}`)
        if (!eq(opened.message.id, opened.envelopeId)) throw new InconsistentOutputError('message id differs from the envelope id')
      }
    }
  }
}

export const parcel: FuzzTarget = {
  name: 'parcel',
  decoder: 'messaging/protocol/parcel.ts decodeParcel (+ encodeParcel round trip)',
  async setup () {
    const w = await theWorld()
    return {
      seeds: [
        ...w.envelopes.slice(0, 2).map(payload => encodeParcel({ kind: PARCEL_ENVELOPE, recipient: w.bob.address, payload })),
        encodeParcel({ kind: PARCEL_GROUP, recipient: w.bob.address, payload: w.groupMessages[0] })
      ],
      decode (input) {
        sameBytes(encodeParcel(decodeParcel(input)), input, 'parcel')
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Directory records

export const directoryDecode: FuzzTarget = {
  name: 'directory-record-decode',
  decoder: 'messaging/protocol/directory-record.ts decodeDirectoryRecord (+ canonical round trip)',
  async setup () {
    const w = await theWorld()
    const alone = createDirectoryRecord(w.alice, { seq: 0n, expiresAt: w.now + 100 })
    // device-signed (signer_chain) with a revocation list: fields 9 and 10 (messaging.md §2.2)
    const deviceSigned = createDirectoryRecord(w.alice, { seq: 1n, expiresAt: w.now + 100, revocations: createRevocations(w.alice.rootKey, 3, [w.bob.address]) }, { signer: 'device' })
    return {
      seeds: [encodeDirectoryRecord(w.record), encodeDirectoryRecord(alone), encodeDirectoryRecord(deviceSigned)],
      decode (input) {
        sameBytes(encodeDirectoryRecord(decodeDirectoryRecord(input)), input, 'directory record')
      }
    }
  }
}

export const directoryCheck: FuzzTarget = {
  name: 'directory-record-check',
  decoder: 'messaging/protocol/directory-record.ts checkDirectoryRecord (incl. validly signed records with random devices/mailboxes)',
  async setup () {
    const w = await theWorld()
    const key = directoryKey(w.bob.address)
    const valid = encodeDirectoryRecord(w.record)
    const text = fc.oneof(
      fc.constantFrom(w.alice.address, w.bob.address, '/ip4/127.0.0.1/tcp/1', '/ip6/::1/udp/2/quic-v1', '/dns4/x/tcp/1/p2p/' + w.alice.address),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.constantFrom(w.alice.address, '/ip4/1.2.3.4/tcp/80').chain(s => fc.nat({ max: s.length - 1 }).map(i => s.slice(0, i) + 'x' + s.slice(i + 1)))
    )
    const chain = fc.oneof(fc.constant(w.bob.chain), fc.constant(w.alice.chain), mutated([w.alice.chain]))
    // every field random but the record validly signed by bob's root key: the checks after the signature are reached
    const extra = fc.record({
      devices: fc.array(fc.record({ chain, nodeId: text, multiaddrs: fc.array(text, { maxLength: 3 }) }), { maxLength: 3 }),
      mailboxes: fc.array(fc.record({ peerId: text, multiaddrs: fc.array(text, { maxLength: 3 }) }), { maxLength: 3 }),
      expiresAt: fc.oneof(fc.constant(w.now + 100), fc.nat()),
      revocations: fc.option(fc.oneof(
        fc.array(text, { maxLength: 3 }).map(ids => createRevocations(w.bob.rootKey, 1, ids)),
        fc.record({ seq: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), nodeIds: fc.array(text, { maxLength: 3 }), signature: fc.uint8Array({ minLength: 64, maxLength: 64 }) })
      ), { nil: undefined }),
      signerChain: fc.option(chain, { nil: undefined })
    }).map(f => {
      const unsigned = { ...w.record, ...f }
      const signature = sign(w.bob.rootKey, DOMAIN_DIRECTORY, directoryRecordSignedBytes(unsigned))
      return encodeDirectoryRecord({ ...unsigned, signature })
    })
    return {
      seeds: [valid],
      extra,
      decode (input) {
        const r = checkDirectoryRecord(key, input, w.now)
        if (r.address !== w.bob.address) throw new InconsistentOutputError(`a record for ${r.address} passed under bob's key`)
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Messages, receipts, sync bodies

export const message: FuzzTarget = {
  name: 'message',
  decoder: 'messaging/protocol/message.ts decodeMessage (+ encodeMessage round trip)',
  async setup () {
    const seeds = [
      encodeMessage({ id: bytes(16), kind: 'message', sentAt: 1_700_000_000_000, contentType: 'text/plain;charset=utf-8', body: utf8('hello') }),
      encodeMessage({ id: bytes(16, 1), kind: 'sender-key', sentAt: 0, contentType: '', body: bytes(200), groupId: bytes(16, 2) })
    ]
    return { seeds, decode: (input) => { sameBytes(encodeMessage(decodeMessage(input)), input, 'message') } }
  }
}

export const receipt: FuzzTarget = {
  name: 'receipt',
  decoder: 'messaging/protocol/receipt.ts decodeReceipt (+ round trip), verifyReceipt',
  async setup () {
    const w = await theWorld()
    const envelopeId = bytes(16, 3)
    const valid = createReceipt(w.alice, { envelopeId, senderAddress: w.bob.address, deliveredAt: w.now * 1000 })
    const validBody = decodeReceipt(valid).body
    return {
      seeds: [valid, createReceipt(w.bob, { envelopeId, senderAddress: w.alice.address })],
      decode (input) {
        const r = decodeReceipt(input)
        sameBytes(new Writer().u8(1).string8(r.recipientAddress).string8(r.senderAddress).bytes(r.envelopeId).u64(r.deliveredAt).finish(), r.body, 'receipt body')
        sameBytes(new Writer().bytes(r.body).bytes16(r.chain).bytes(r.signature).finish(), input, 'receipt')
        const v = verifyReceipt(input, w.alice.address, envelopeId, w.now)
        if (!eq(v.body, validBody)) throw new InconsistentOutputError('a receipt body alice never signed verified')
      }
    }
  }
}

export const sync: FuzzTarget = {
  name: 'sync',
  decoder: 'messaging/protocol/sync.ts decodeSync (+ round trip)',
  async setup () {
    return {
      seeds: [encodeSync({ to: 'grp_' + '0'.repeat(32), contentType: 'text/plain', body: utf8('copy') }), encodeSync({ to: '', contentType: '', body: new Uint8Array(0) })],
      decode: (input) => { sameBytes(encodeSync(decodeSync(input)), input, 'sync body') }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Groups

export const groupState: FuzzTarget = {
  name: 'group-state',
  decoder: 'messaging/protocol/group.ts decodeGroupState (+ round trip), verifyGroupState',
  async setup () {
    const w = await theWorld()
    const valid = encodeGroupState(w.group)
    return {
      seeds: [valid],
      decode (input) {
        sameBytes(encodeGroupState(decodeGroupState(input)), input, 'group state')
        const s = verifyGroupState(input, undefined, w.now)
        if (s.signerAddress !== w.alice.address) throw new InconsistentOutputError(`a group state signed as ${s.signerAddress} verified`)
      }
    }
  }
}

export const senderKey: FuzzTarget = {
  name: 'sender-key',
  decoder: 'messaging/protocol/group.ts decodeSenderKey (+ round trip)',
  async setup () {
    const w = await theWorld()
    return { seeds: [encodeSenderKey(w.groupKey)], decode: (input) => { sameBytes(encodeSenderKey(decodeSenderKey(input)), input, 'sender key') } }
  }
}

export const groupMessage: FuzzTarget = {
  name: 'group-message',
  decoder: 'messaging/protocol/group.ts readGroupMessage, GroupMessageReceiver.decrypt (incl. signed random ciphertexts under the right message key)',
  async setup () {
    const w = await theWorld()
    const header = readGroupMessage(w.groupMessages[0]).bytes
    // iteration 0's message key (messaging.md §6): seal any plaintext, sign it with alice's node key
    const okm = hkdf(messageKeyOf(w.groupKey.chainKey), new Uint8Array(32), utf8(GROUP_MESSAGE_INFO), 44)
    const plain = aesGcmOpen(okm.subarray(0, 32), okm.subarray(32), readGroupMessage(w.groupMessages[0]).ciphertext, header)
    const extra = fc.oneof(mutated([plain]), fc.uint8Array({ maxLength: 300 })).map(pt => {
      const ct = aesGcmSeal(okm.subarray(0, 32), okm.subarray(32), pt, header)
      return new Writer().bytes(header).bytes32(ct).bytes(sign(w.alice.nodeKey, DOMAIN_GROUP_MESSAGE, concat(header, ct))).finish()
    })
    return {
      seeds: w.groupMessages,
      extra,
      decode (input) {
        const m = readGroupMessage(input)
        sameBytes(new Writer().bytes(m.bytes).bytes32(m.ciphertext).bytes(m.signature).finish(), input, 'group message')
        const opened = new GroupMessageReceiver(w.groupKey).decrypt(input)
        if (opened.senderAddress !== w.alice.address || opened.message.groupId == null || !eq(opened.message.groupId, w.group.groupId)) {
          throw new InconsistentOutputError('a group message opened for another sender or group')
        }
      }
    }
  }
}

export const receiverState: FuzzTarget = {
  name: 'group-receiver-state',
  decoder: 'messaging/protocol/group.ts GroupMessageReceiver.fromBytes (toBytes idempotent)',
  async setup () {
    const w = await theWorld()
    const r = new GroupMessageReceiver(w.groupKey)
    const fresh = r.toBytes()
    r.decrypt(w.groupMessages[2]) // skips 0 and 1
    return {
      seeds: [fresh, r.toBytes()],
      decode (input) {
        const once = GroupMessageReceiver.fromBytes(input).toBytes()
        sameBytes(GroupMessageReceiver.fromBytes(once).toBytes(), once, 'receiver state')
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Mailbox RPC bodies

export const fetchRequest: FuzzTarget = {
  name: 'mailbox-fetch-request',
  decoder: 'messaging/protocol/rpc-methods.ts decodeFetchRequest (+ round trip)',
  async setup () {
    return { seeds: [encodeFetchRequest(1), encodeFetchRequest(64)], maxLength: 8, decode: (input) => { sameBytes(encodeFetchRequest(decodeFetchRequest(input).limit), input, 'fetch request') } }
  }
}

export const fetchResponse: FuzzTarget = {
  name: 'mailbox-fetch-response',
  decoder: 'messaging/protocol/rpc-methods.ts decodeFetchResponse (+ round trip)',
  async setup () {
    const w = await theWorld()
    return {
      seeds: [encodeFetchResponse([], false), encodeFetchResponse(w.envelopes.slice(0, 3), true)],
      decode (input) {
        const r = decodeFetchResponse(input)
        sameBytes(encodeFetchResponse(r.parcels, r.more), input, 'fetch response')
      }
    }
  }
}

export const ack: FuzzTarget = {
  name: 'mailbox-ack',
  decoder: 'messaging/protocol/rpc-methods.ts decodeAck (+ round trip)',
  async setup () {
    return { seeds: [encodeAck([]), encodeAck([bytes(16), bytes(16, 1), bytes(16, 2)])], decode: (input) => { sameBytes(encodeAck(decodeAck(input)), input, 'ack') } }
  }
}

export const MESSAGING_TARGETS = [envelopeHeader, envelopeOpen, parcel, directoryDecode, directoryCheck, message, receipt, sync, groupState, senderKey, groupMessage, receiverState, fetchRequest, fetchResponse, ack]
