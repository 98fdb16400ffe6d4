/**
 * protocols/vectors/{envelope,directory,group,prekeys}.json: this file both generates the vectors and
 * checks them. JSON form (protocols/README.md "Vector conventions"): snake_case names, bytes as
 * lowercase hex, u64 wire fields as decimal strings, other integers as numbers. Regenerate with
 * `ATTN_WRITE_VECTORS=1 npx mocha --no-config dist/test/unit/messaging/vectors.spec.js`.
 * All inputs are fixed (keys from sha256 seeds, fixed ephemeral key, ids and times) and signatures
 * are deterministic (RFC 6979), so the files are reproducible byte for byte. Intermediate values
 * are recomputed here with node:crypto directly (independently of src/messaging).
 */
import assert from 'node:assert/strict'
import { createHmac, hkdfSync } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { x25519 } from '@noble/curves/ed25519.js'
import { attAddress, encodeCertificate, encodeChain, issueCertificate, parseAttAddress, sign, verify } from '../../../src/keys/index.js'
import {
  GroupMessageReceiver, GroupMessageSender, TEXT_PLAIN, checkDirectoryRecord, createDirectoryRecord, createGroup, createRevocations, revocationsSignedBytes,
  createReceipt, createSenderKey, directoryKey, directoryRecordSignedBytes, encodeDirectoryRecord, encodeGroupState,
  derivePrekey, encodeMessage, encodeSenderKey, isAcceptedPrekeyId, openEnvelope, prekeyIdAt, prekeyResolver, readEnvelopeHeader,
  sealEnvelope, selectDirectoryRecord, utf8, verifyGroupState, verifyReceipt
} from '../../../src/messaging/index.js'
import { DIRECTORY_MULTIADDR_PROTOCOLS } from '../../../src/messaging/multiaddr-grammar.js'
import { NOW, NOW_MS, hex, identity, keyFrom, seedBytes, unhex } from './fixtures.js'

const file = (name: string): string => fileURLToPath(new URL(`../../../../protocols/vectors/${name}`, import.meta.url))
const WRITE = process.env.ATTN_WRITE_VECTORS === '1'

const alice = identity('alice')
const bob = identity('bob')
const mallory = identity('mallory')
const hmac = (k: Uint8Array, d: Uint8Array): Uint8Array => new Uint8Array(createHmac('sha256', k).update(d).digest())

function codeOf (fn: () => unknown): string {
  try { fn() } catch (err: any) { return err.code ?? `untyped: ${String(err)}` }
  return 'OK'
}

/** Bob's current prekey at NOW, derived from his root key as messaging.md §9 says (id 2922). */
const PREKEY_ID = prekeyIdAt(NOW)
const bobPrekey = (id = PREKEY_ID): ReturnType<typeof derivePrekey> => derivePrekey(bob.rootKey, id)

function envelopeVectors (): unknown {
  const prekey = bobPrekey()
  const ephemeral = seedBytes('attn/1 messaging vectors: ephemeral')
  const envelopeId = unhex('000102030405060708090a0b0c0d0e0f')
  const body = utf8('hello, Bob')
  const envelope = sealEnvelope({
    sender: alice, recipientAddress: bob.address, recipientPrekey: prekey,
    message: { contentType: TEXT_PLAIN, body, sentAt: NOW_MS }, ephemeralPrivateKey: ephemeral, envelopeId
  })
  const h = readEnvelopeHeader(envelope)
  const ephPub = x25519.getPublicKey(ephemeral)
  const shared = x25519.getSharedSecret(ephemeral, prekey.publicKey)
  const salt = Buffer.concat([ephPub, prekey.publicKey])
  const info = Buffer.concat([utf8('attn/1 envelope'), utf8(bob.address)])
  const okm = new Uint8Array(hkdfSync('sha256', shared, salt, info, 44))
  const message = encodeMessage({ id: envelopeId, kind: 'message', sentAt: NOW_MS, contentType: TEXT_PLAIN, body })
  const signed = Buffer.concat([h.bytes, Uint8Array.of(utf8(bob.address).byteLength), utf8(bob.address), message])
  const signature = sign(alice.nodeKey, 'envelope', signed)
  const recipient = { address: bob.address, prekey: prekeyResolver(bob.rootKey, NOW) }
  const flip = (i: number): Uint8Array => { const t = envelope.slice(); t[i] ^= 1; return t }
  const v2 = envelope.slice(); v2[0] = 2
  const hl = h.bytes.byteLength
  const sealTo = (p: ReturnType<typeof derivePrekey>, sender = alice): Uint8Array => sealEnvelope({ sender, recipientAddress: bob.address, recipientPrekey: p, message: { contentType: TEXT_PLAIN, body, sentAt: NOW_MS }, ephemeralPrivateKey: ephemeral, envelopeId })
  const invalid = [
    { name: 'unsupported version', envelope: v2, recipient_address: bob.address },
    { name: 'wrong recipient', envelope, recipient_address: mallory.address },
    { name: 'unknown prekey id', envelope: (() => { const t = envelope.slice(); t[h.bytes.byteLength - 52] ^= 1; return t })(), recipient_address: bob.address },
    { name: 'tampered ciphertext', envelope: flip(envelope.byteLength - 30), recipient_address: bob.address },
    { name: 'tampered tag', envelope: flip(envelope.byteLength - 1), recipient_address: bob.address },
    { name: 'tampered envelope id (AAD)', envelope: flip(h.bytes.byteLength - 1), recipient_address: bob.address },
    { name: 'truncated: 10 bytes after the header, shorter than the 16-byte GCM tag (a header parse failure)', envelope: envelope.subarray(0, hl + 10), recipient_address: bob.address },
    { name: 'truncated: 15 bytes after the header', envelope: envelope.subarray(0, hl + 15), recipient_address: bob.address },
    { name: 'truncated below the tag and addressed to another recipient: the header parse fails first', envelope: envelope.subarray(0, hl + 10), recipient_address: mallory.address },
    { name: 'exactly 16 bytes after the header (a tag, empty ciphertext): parses, fails authentication', envelope: envelope.subarray(0, hl + 16), recipient_address: bob.address },
    { name: 'sealed to a well-formed prekey outside the acceptance window (current − 4)', envelope: sealTo(bobPrekey(PREKEY_ID - 4)), recipient_address: bob.address },
    { name: 'sealed to a prekey id inside the window but with a key not derived for it', envelope: sealEnvelope({ sender: alice, recipientAddress: bob.address, recipientPrekey: { ...bobPrekey(PREKEY_ID + 1), id: PREKEY_ID }, message: { contentType: TEXT_PLAIN, body, sentAt: NOW_MS }, ephemeralPrivateKey: ephemeral, envelopeId }), recipient_address: bob.address },
    {
      name: 'signature by a key the chain does not certify',
      envelope: sealEnvelope({ sender: { ...alice, nodeKey: mallory.nodeKey }, recipientAddress: bob.address, recipientPrekey: prekey, message: { contentType: TEXT_PLAIN, body, sentAt: NOW_MS }, ephemeralPrivateKey: ephemeral, envelopeId }),
      recipient_address: bob.address
    },
    {
      name: 'chain of another identity',
      envelope: sealEnvelope({ sender: { ...alice, nodeKey: mallory.nodeKey, chain: mallory.chain }, recipientAddress: bob.address, recipientPrekey: prekey, message: { contentType: TEXT_PLAIN, body, sentAt: NOW_MS }, ephemeralPrivateKey: ephemeral, envelopeId }),
      recipient_address: bob.address
    }
  ].map(c => ({ name: c.name, recipient_address: c.recipient_address, envelope: hex(c.envelope), error: codeOf(() => openEnvelope({ recipient: { ...recipient, address: c.recipient_address }, envelope: c.envelope, now: NOW })) }))
  const opened = openEnvelope({ recipient, envelope, now: NOW })
  assert.equal(opened.senderAddress, alice.address)
  // the sender key: the certificate's node_pubkey, or for the empty chain the key in sender_address
  const carol = identity('carol', false)
  const fromRoot = sealTo(prekey, carol)
  const openedRoot = openEnvelope({ recipient, envelope: fromRoot, now: NOW })
  assert.equal(hex(openedRoot.senderNodePublicKey.raw), hex(carol.rootKey.publicKey.raw))
  const valid = [
    { name: 'sender on a device key: the signature verifies under the certificate\'s node_pubkey', sender_address: alice.address, sender_chain: hex(alice.chain), sender_node_public_key: hex(opened.senderNodePublicKey.raw), envelope: hex(envelope) },
    { name: 'sender on its root key (chain 00): the signature verifies under the key embedded in sender_address', sender_address: carol.address, sender_chain: hex(carol.chain), sender_node_public_key: hex(openedRoot.senderNodePublicKey.raw), envelope: hex(fromRoot) }
  ]
  const receipt = createReceipt(bob, { envelopeId, senderAddress: alice.address, deliveredAt: NOW_MS + 1000 })
  verifyReceipt(receipt, bob.address, envelopeId, NOW)
  return {
    description: 'ATT 1:1 envelope (protocols/messaging.md §3). Open `envelope` as recipient_address at unix time now, holding the prekeys derived from recipient.root_private_key (§9; prekey_id is the current one, accepted ids are current − 3 … current + 2); expect the message, or the error code of each invalid case. `valid`: envelopes that open, with the sender node key the signature verifies under. Receipt: §5.',
    now: NOW,
    sender: { address: alice.address, node_private_key: hex(alice.nodeKey.raw), chain: hex(alice.chain) },
    recipient: { address: bob.address, root_private_key: hex(bob.rootKey.raw), prekey_id: PREKEY_ID, prekey_private_key: hex(prekey.privateKey), prekey_public_key: hex(prekey.publicKey) },
    ephemeral_private_key: hex(ephemeral),
    ephemeral_public_key: hex(ephPub),
    envelope_id: hex(envelopeId),
    message: { kind: 'message', sent_at_ms: String(NOW_MS), content_type: TEXT_PLAIN, body: hex(body), encoded: hex(message) },
    header: hex(h.bytes),
    shared_secret: hex(shared),
    hkdf_salt: hex(salt),
    hkdf_info: hex(info),
    aes_key: hex(okm.subarray(0, 32)),
    nonce: hex(okm.subarray(32)),
    signed_bytes: hex(signed),
    signature: hex(signature),
    inner_plaintext: hex(Buffer.concat([Uint8Array.of(utf8(alice.address).byteLength), utf8(alice.address), u16(alice.chain.byteLength), alice.chain, u32(message.byteLength), message, signature])),
    envelope: hex(envelope),
    valid,
    invalid,
    receipt: { recipient_node_private_key: hex(bob.nodeKey.raw), recipient_chain: hex(bob.chain), delivered_at_ms: String(NOW_MS + 1000), bytes: hex(receipt) }
  }
}

function u16 (n: number): Uint8Array { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }
function u32 (n: number): Uint8Array { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }

function directoryVectors (): unknown {
  const prekeys = [bobPrekey(), bobPrekey(PREKEY_ID + 1)]
  const relay = identity('relay', false)
  const mailboxes = [{ peerId: relay.address, multiaddrs: ['/ip4/192.0.2.1/tcp/4001', '/dns4/relay.example/tcp/443/wss'] }]
  const record = createDirectoryRecord(bob, { seq: 3, expiresAt: NOW + 86400, prekeys, mailboxes })
  const bytes = encodeDirectoryRecord(record)
  const key = directoryKey(bob.address)
  const resign = (r: typeof record, signer = bob): Uint8Array => encodeDirectoryRecord({ ...r, signature: sign(signer.rootKey, 'directory', directoryRecordSignedBytes(r)) })
  const withMailbox = (peerId: string, ...multiaddrs: string[]): Uint8Array => resign({ ...record, mailboxes: [{ peerId, multiaddrs }] })
  const withDeviceAddrs = (...multiaddrs: string[]): Uint8Array => resign({ ...record, devices: record.devices.map(d => ({ ...d, multiaddrs })) })
  const withDevicePrice = (mailboxPrice: string): Uint8Array => resign({ ...record, devices: record.devices.map(d => ({ ...d, mailboxPrice })) })
  const caseInputs: Array<{ name: string, key?: Uint8Array, value: Uint8Array }> = [
    { name: 'valid', value: bytes },
    { name: 'DHT key with another prefix (/attn/xx/<address>)', key: utf8(`/attn/xx/${bob.address}`), value: bytes },
    { name: 'version 2 (re-signed)', value: resign({ ...record, version: 2 }) },
    { name: 'root_public_key is not the key of the address (re-signed by that other key)', value: resign({ ...record, rootPublicKey: mallory.rootKey.publicKey.raw }, mallory) },
    { name: 'expires_at + 60 = now: still valid (expiry boundary)', value: resign({ ...record, expiresAt: NOW - 60 }) },
    { name: 'expires_at + 61 = now: expired', value: resign({ ...record, expiresAt: NOW - 61 }) },
    { name: 'duplicate prekey ids', value: resign({ ...record, prekeys: [prekeys[0], { ...prekeys[1], id: prekeys[0].id }] }) },
    {
      name: 'every protocol of the multiaddr grammar',
      value: withMailbox(relay.address, '/ip6/2001:db8::1/udp/4001/quic-v1', '/dns/relay.example/tcp/443/tls/ws', '/dns6/relay.example/tcp/443/wss',
        '/dnsaddr/relay.example', `/ip4/192.0.2.1/udp/4001/quic-v1/webtransport/certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g/p2p/${relay.address}`,
        `/ip4/192.0.2.1/tcp/4001/p2p/${relay.address}/p2p-circuit`, '/ip4/0.0.0.0/tcp/0', '/ip4/255.255.255.255/tcp/65535')
    },
    { name: 'mailbox multiaddr with a protocol outside the grammar (/unix)', value: withMailbox(relay.address, '/unix/tmp%2Fattn.sock') },
    { name: 'mailbox multiaddr /ip4 with a leading zero', value: withMailbox(relay.address, '/ip4/192.0.2.01/tcp/4001') },
    { name: 'mailbox multiaddr /tcp port 65536', value: withMailbox(relay.address, '/ip4/192.0.2.1/tcp/65536') },
    { name: 'mailbox multiaddr /ip6 with a zone', value: withMailbox(relay.address, '/ip6/fe80::1%eth0/tcp/4001') },
    { name: 'mailbox multiaddr missing the value of /tcp', value: withMailbox(relay.address, '/ip4/192.0.2.1/tcp') },
    { name: 'mailbox multiaddr with a trailing slash', value: withMailbox(relay.address, '/ip4/192.0.2.1/tcp/4001/') },
    { name: 'mailbox multiaddr /dns4 with an underscore', value: withMailbox(relay.address, '/dns4/relay_1.example/tcp/443/wss') },
    { name: 'mailbox peer id that does not parse', value: withMailbox('not-a-peer-id', '/ip4/192.0.2.1/tcp/4001') },
    { name: 'mailbox peer id in its CIDv1 form (bafz…): only the base58btc form is allowed', value: withMailbox(peerIdFromString(relay.address).toCID().toString(), '/ip4/192.0.2.1/tcp/4001') },
    { name: 'device multiaddr outside the grammar (/ip4/…/sctp/…)', value: withDeviceAddrs('/ip4/192.0.2.1/sctp/4001') },
    { name: 'signed by another key', value: resign(record, mallory) },
    { name: 'seq changed after signing', value: encodeDirectoryRecord({ ...record, seq: 4n }) },
    { name: 'expired', value: encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 3, expiresAt: NOW - 3600, prekeys })) },
    { name: 'another identity\'s valid record under this key', value: encodeDirectoryRecord(createDirectoryRecord(mallory, { seq: 9, expiresAt: NOW + 86400 })) },
    { name: 'device chain of another identity', value: resign({ ...record, devices: [{ chain: mallory.chain, nodeId: attAddress(mallory.nodeKey.publicKey) }] }) },
    { name: 'trailing unknown field', value: new Uint8Array([...bytes, 0x80, 0x01, 0x00]) },
    { name: 'not protobuf', value: new Uint8Array([0xff, 0xff]) },
    { name: 'device mailbox_price 2^128-1 (the largest advertised price)', value: withDevicePrice(((1n << 128n) - 1n).toString()) },
    { name: 'device mailbox_price "0" (price 0 is said by absence)', value: withDevicePrice('0') },
    { name: 'device mailbox_price with a leading zero', value: withDevicePrice('07') },
    { name: 'device mailbox_price 2^128 (above u128)', value: withDevicePrice((1n << 128n).toString()) },
    { name: 'device mailbox_price not decimal', value: withDevicePrice('1e3') },
    ...deviceSignedCases(record)
  ]
  const cases = caseInputs.map(c => ({ name: c.name, ...(c.key != null ? { key: new TextDecoder().decode(c.key) } : {}), value: hex(c.value), error: codeOf(() => checkDirectoryRecord(c.key ?? key, c.value, NOW)) }))
  const s1 = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 1, expiresAt: NOW + 86400 }))
  const s5a = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 5, expiresAt: NOW + 100 }))
  const s5b = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 5, expiresAt: NOW + 200 }))
  const forged9 = resign(createDirectoryRecord(bob, { seq: 9, expiresAt: NOW + 86400 }), mallory)
  const candidates = [s1, s5b, forged9, s5a]
  // §2.2: the revocation seq ranks first. The phone, revoked by list 2, publishes again with list 1 and seq 9: it loses.
  const laptop = { chain: bob.chain, nodeId: attAddress(bob.nodeKey.publicKey) }
  const phoneDevice = { chain: bobPhone.chain, nodeId: attAddress(bobPhone.nodeKey.publicKey) }
  const list1 = createRevocations(bob.rootKey, 1, [])
  const list2 = createRevocations(bob.rootKey, 2, [phoneDevice.nodeId])
  const byRoot = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 5, expiresAt: NOW + 86400, devices: [laptop], revocations: list2 }))
  const byPhone = encodeDirectoryRecord(createDirectoryRecord(bobPhone, { seq: 9, expiresAt: NOW + 86400, devices: [laptop, phoneDevice], revocations: list1 }, { signer: 'device' }))
  const noList = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 10, expiresAt: NOW + 86400, devices: [laptop, phoneDevice] }))
  const revocationCandidates = [byPhone, noList, byRoot]
  return {
    description: 'ATT directory records (protocols/messaging.md §2). Validate each case\'s `value` under DHT key `key` (UTF-8; the case\'s own `key` when it has one) at unix time now; expect "OK" or the error code. Selection: index of the best valid candidate.',
    now: NOW,
    key: new TextDecoder().decode(key),
    root_private_key: hex(bob.rootKey.raw),
    multiaddr_protocols: DIRECTORY_MULTIADDR_PROTOCOLS,
    record: {
      version: 1,
      address: bob.address,
      root_public_key: hex(bob.rootKey.publicKey.raw),
      seq: '3',
      expires_at: String(NOW + 86400),
      devices: record.devices.map(d => ({ chain: hex(d.chain), node_id: d.nodeId, multiaddrs: d.multiaddrs ?? [] })),
      prekeys: prekeys.map(p => ({ public_key: hex(p.publicKey), id: p.id, expires_at: String(p.expiresAt) })),
      mailboxes: mailboxes.map(m => ({ peer_id: m.peerId, multiaddrs: m.multiaddrs }))
    },
    signed_bytes: hex(directoryRecordSignedBytes(record)),
    signature: hex(record.signature),
    encoded: hex(bytes),
    cases,
    selection: { candidates: candidates.map(hex), best: selectDirectoryRecord(key, candidates, NOW) },
    revocations: {
      description: 'messaging.md §2.2: Revocations{seq = 2, node_ids = [bob\'s phone]} signed by root_private_key under domain "directory-revocations" over signed_bytes (the encoding without field 15). Selection: the phone (revoked by list 2) publishes again with list 1 and a higher seq (9), a record without a list has seq 10; the record with list 2 wins.',
      seq: '2',
      node_ids: list2.nodeIds,
      signed_bytes: hex(revocationsSignedBytes(list2)),
      signature: hex(list2.signature),
      selection: { candidates: revocationCandidates.map(hex), best: selectDirectoryRecord(key, revocationCandidates, NOW) }
    }
  }
}

/** Bob's second device ("phone"): its own node key, certified by Bob's root key at NOW. */
const bobPhone = (() => {
  const nodeKey = keyFrom('attn/1 messaging vectors: bob phone node')
  const certificate = encodeCertificate(issueCertificate(bob.rootKey, nodeKey.publicKey, { now: NOW, label: 'phone' }))
  return { address: bob.address, nodeKey, certificate, chain: encodeChain([certificate]) }
})()

/** messaging.md §2 rules 2 and 4–7: device-signed records (signer_chain) and revocation lists. */
function deviceSignedCases (record: ReturnType<typeof createDirectoryRecord>): Array<{ name: string, value: Uint8Array }> {
  const laptop = { chain: bob.chain, nodeId: attAddress(bob.nodeKey.publicKey) }
  const phone = { chain: bobPhone.chain, nodeId: attAddress(bobPhone.nodeKey.publicKey) }
  const fields = { seq: 3, expiresAt: NOW + 86400, prekeys: record.prekeys, mailboxes: record.mailboxes }
  const signedBy = (key: typeof bob.nodeKey, r: Omit<typeof record, 'signature'>): Uint8Array =>
    encodeDirectoryRecord({ ...r, signature: sign(key, 'directory', directoryRecordSignedBytes(r)) })
  const { signature: _s, ...unsigned } = record
  const revokePhone = createRevocations(bob.rootKey, 1, [phone.nodeId])
  const malloryList = createRevocations(mallory.rootKey, 1, [phone.nodeId])
  const both = createRevocations(bob.rootKey, 1, [laptop.nodeId, phone.nodeId])
  return [
    { name: 'device-signed: signer_chain of a listed device, signed by its node key', value: encodeDirectoryRecord(createDirectoryRecord(bobPhone, { ...fields, devices: [laptop, phone] }, { signer: 'device' })) },
    { name: 'device-signed: the signer is not listed in devices', value: signedBy(bobPhone.nodeKey, { ...unsigned, devices: [laptop], signerChain: bobPhone.chain }) },
    { name: 'device-signed: signer_chain proves a device of another address', value: signedBy(mallory.nodeKey, { ...unsigned, devices: [laptop, { chain: mallory.chain, nodeId: attAddress(mallory.nodeKey.publicKey) }], signerChain: mallory.chain }) },
    { name: 'device-signed: signer_chain with no certificate (the root key)', value: signedBy(bob.rootKey, { ...unsigned, signerChain: encodeChain([]) }) },
    { name: 'device-signed: signer_chain present but signed by the root key', value: signedBy(bob.rootKey, { ...unsigned, devices: [laptop, phone], signerChain: bobPhone.chain }) },
    { name: 'revocation list naming a device the record does not list', value: encodeDirectoryRecord(createDirectoryRecord(bob, { ...fields, devices: [laptop], revocations: revokePhone })) },
    { name: 'revoked device listed among devices', value: encodeDirectoryRecord(createDirectoryRecord(bob, { ...fields, devices: [laptop, phone], revocations: revokePhone })) },
    { name: 'signed by a revoked device', value: signedBy(bobPhone.nodeKey, { ...unsigned, devices: [laptop, phone], revocations: revokePhone, signerChain: bobPhone.chain }) },
    { name: 'revocation list signed by another root key', value: encodeDirectoryRecord(createDirectoryRecord(bob, { ...fields, devices: [laptop], revocations: malloryList })) },
    { name: 'revoked node ids not in ascending order', value: signedBy(bob.rootKey, { ...unsigned, devices: [], revocations: { ...both, nodeIds: [...both.nodeIds].reverse() } }) }
  ]
}

function groupVectors (): unknown {
  const ben = identity('ben')
  const state = createGroup(alice, { name: 'vectors', members: [bob.address, ben.address], groupId: unhex('67726f75702d69642d30303030303031') })
  const chainKey = seedBytes('attn/1 messaging vectors: alice chain key')
  const senderKey = createSenderKey(alice, state.groupId, state.epoch, chainKey)
  const sender = new GroupMessageSender(alice, senderKey)
  const ratchet: Array<{ iteration: number, chain_key: string, message_key: string }> = []
  let ck = chainKey
  for (let i = 0; i < 3; i++) {
    ratchet.push({ iteration: i, chain_key: hex(ck), message_key: hex(hmac(ck, Uint8Array.of(1))) })
    ck = hmac(ck, Uint8Array.of(2))
  }
  const mk0 = unhex(ratchet[0].message_key)
  const okm = new Uint8Array(hkdfSync('sha256', mk0, new Uint8Array(32), utf8('attn/1 group message'), 44))
  const messages = [0, 1, 2].map(i => sender.encrypt({ id: new Uint8Array(16).fill(i), sentAt: NOW_MS + i, contentType: TEXT_PLAIN, body: utf8(`group message ${i}`) }))
  const rx = new GroupMessageReceiver(senderKey)
  for (const i of [2, 0, 1]) rx.decrypt(messages[i])
  const next = verifyGroupState(encodeGroupState(createGroup(alice, { name: 'vectors', members: [bob.address, ben.address], groupId: state.groupId })), undefined, NOW)
  void next
  return {
    description: 'ATT groups (protocols/messaging.md §6): signed group state, sender key, chain ratchet mk_i = HMAC(ck_i, 0x01), ck_{i+1} = HMAC(ck_i, 0x02), message key schedule HKDF(mk, salt = 32 zero bytes, info = "attn/1 group message", 44) → aes_key | nonce, and three group messages (iterations 0..2).',
    now: NOW,
    admin: { address: alice.address, node_private_key: hex(alice.nodeKey.raw), chain: hex(alice.chain) },
    group_state: { group_id: hex(state.groupId), name: state.name, epoch: '0', admins: state.admins, members: state.members, encoded: hex(encodeGroupState(state)) },
    sender_key: { encoded: hex(encodeSenderKey(senderKey)), chain_key: hex(chainKey), signing_public_key: hex(senderKey.signingPublicKey) },
    ratchet,
    message_0_keys: { aes_key: hex(okm.subarray(0, 32)), nonce: hex(okm.subarray(32)) },
    messages: messages.map((m, i) => ({ iteration: i, plaintext_body: hex(utf8(`group message ${i}`)), bytes: hex(m) }))
  }
}

/** messaging.md §9: prekeys derived from the root key, and the ids a receiver accepts at `now`. */
function prekeyVectors (): unknown {
  const current = prekeyIdAt(NOW)
  const info = (id: number): Uint8Array => Buffer.concat([utf8('attn/1 prekey'), u32(id)])
  const prekeys = [-4, -3, -2, -1, 0, 1, 2, 3].map(d => {
    const id = current + d
    const p = derivePrekey(bob.rootKey, id)
    const priv = new Uint8Array(hkdfSync('sha256', bob.rootKey.raw, new Uint8Array(0), info(id), 32))
    assert.equal(hex(priv), hex(p.privateKey)) // independent HKDF
    assert.equal(hex(x25519.getPublicKey(priv)), hex(p.publicKey))
    return { id, hkdf_info: hex(info(id)), private_key: hex(p.privateKey), public_key: hex(p.publicKey), expires_at: String(p.expiresAt), accepted: isAcceptedPrekeyId(id, NOW) }
  })
  return {
    description: 'ATT prekeys (protocols/messaging.md §9): private_key = HKDF-SHA256(ikm = root_private_key, salt = empty, info = hkdf_info = "attn/1 prekey" | u32be(id), L = 32), public_key = X25519(private_key), expires_at = (id + 2) · 604800. At unix time now the current id is floor(now / 604800); a receiver opens envelopes sealed to ids current − 3 … current + 2 (`accepted`) and refuses the others with ERR_UNKNOWN_PREKEY; a directory record lists the current and the next prekey.',
    now: NOW,
    period_seconds: 604800,
    root_private_key: hex(bob.rootKey.raw),
    current_id: current,
    published_ids: [current, current + 1],
    prekeys
  }
}

async function check (name: string, generated: unknown): Promise<void> {
  const text = JSON.stringify(generated, null, 2) + '\n'
  if (WRITE) await writeFile(file(name), text)
  assert.equal(await readFile(file(name), 'utf8'), text, `${name} differs from the generator output`)
}

describe('messaging/vectors (protocols/vectors/{envelope,directory,group}.json)', () => {
  it('envelope.json is reproduced byte for byte, and each invalid case fails with its code', async () => {
    const v = envelopeVectors() as any
    await check('envelope.json', v)
    assert.deepEqual(v.invalid.map((c: any) => c.error), [
      'ERR_UNSUPPORTED_VERSION', 'ERR_WRONG_RECIPIENT', 'ERR_UNKNOWN_PREKEY', 'ERR_DECRYPT_FAILED', 'ERR_DECRYPT_FAILED',
      'ERR_DECRYPT_FAILED', 'ERR_MESSAGE_MALFORMED', 'ERR_MESSAGE_MALFORMED', 'ERR_MESSAGE_MALFORMED', 'ERR_DECRYPT_FAILED',
      'ERR_UNKNOWN_PREKEY', 'ERR_DECRYPT_FAILED', 'ERR_BAD_SIGNATURE', 'ERR_INVALID_SENDER_CHAIN'
    ])
    // every case is rechecked from the file, with the prekeys derived from the published root key
    const recipientKey = privateKeyFromRaw(unhex(v.recipient.root_private_key))
    for (const c of [...v.invalid, ...v.valid.map((x: any) => ({ ...x, recipient_address: v.recipient.address, error: 'OK' }))]) {
      assert.equal(codeOf(() => openEnvelope({ recipient: { address: c.recipient_address, prekey: prekeyResolver(recipientKey, v.now) }, envelope: unhex(c.envelope), now: v.now })), c.error, c.name)
    }
    assert.equal(v.recipient.prekey_id, prekeyIdAt(v.now))
    assert.equal(hex(derivePrekey(recipientKey, v.recipient.prekey_id).privateKey), v.recipient.prekey_private_key)
    // Independent decryption with the published key and nonce.
    const { createDecipheriv } = await import('node:crypto')
    const env = unhex(v.envelope); const header = unhex(v.header)
    const d = createDecipheriv('aes-256-gcm', unhex(v.aes_key), unhex(v.nonce))
    d.setAAD(header); d.setAuthTag(env.subarray(env.byteLength - 16))
    const inner = Buffer.concat([d.update(env.subarray(header.byteLength, env.byteLength - 16)), d.final()])
    assert.equal(inner.toString('hex'), v.inner_plaintext)
  })

  it('directory.json is reproduced byte for byte', async () => {
    const v = directoryVectors() as any
    await check('directory.json', v)
    assert.deepEqual(v.cases.map((c: any) => c.error), [
      'OK', 'ERR_DIRECTORY_KEY_MISMATCH', 'ERR_DIRECTORY_UNSUPPORTED_VERSION', 'ERR_DIRECTORY_KEY_MISMATCH', 'OK', 'ERR_DIRECTORY_EXPIRED',
      'ERR_DIRECTORY_MALFORMED', 'OK', 'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED',
      'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED',
      'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_DEVICE_INVALID',
      'ERR_DIRECTORY_BAD_SIGNATURE', 'ERR_DIRECTORY_BAD_SIGNATURE', 'ERR_DIRECTORY_EXPIRED', 'ERR_DIRECTORY_KEY_MISMATCH',
      'ERR_DIRECTORY_DEVICE_INVALID', 'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED',
      'OK', 'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED',
      'OK', 'ERR_DIRECTORY_SIGNER_INVALID', 'ERR_DIRECTORY_SIGNER_INVALID', 'ERR_DIRECTORY_SIGNER_INVALID', 'ERR_DIRECTORY_BAD_SIGNATURE',
      'OK', 'ERR_DIRECTORY_DEVICE_REVOKED', 'ERR_DIRECTORY_DEVICE_REVOKED', 'ERR_DIRECTORY_BAD_REVOCATIONS', 'ERR_DIRECTORY_MALFORMED'
    ])
    // every case is rechecked from the file (not only from the generator's own run)
    for (const c of v.cases) assert.equal(codeOf(() => checkDirectoryRecord(utf8(c.key ?? v.key), unhex(c.value), v.now)), c.error, c.name)
    assert.equal(v.selection.best, 1)
    // §2.2: the record with the higher revocation seq wins over higher seqs; recomputed from the file
    assert.equal(v.revocations.selection.best, 2)
    assert.equal(selectDirectoryRecord(utf8(v.key), v.revocations.selection.candidates.map(unhex), v.now), 2)
    assert.ok(verify(parseAttAddress(v.record.address), 'directory-revocations', unhex(v.revocations.signed_bytes), unhex(v.revocations.signature)))
  })

  it('prekeys.json is reproduced byte for byte, and the acceptance window is current − 3 … current + 2', async () => {
    const v = prekeyVectors() as any
    await check('prekeys.json', v)
    assert.deepEqual(v.prekeys.filter((p: any) => p.accepted).map((p: any) => p.id - v.current_id), [-3, -2, -1, 0, 1, 2])
    const root = privateKeyFromRaw(unhex(v.root_private_key))
    for (const p of v.prekeys) {
      assert.equal(hex(derivePrekey(root, p.id).publicKey), p.public_key)
      assert.equal(prekeyResolver(root, v.now)(p.id) != null, p.accepted)
    }
  })

  it('group.json is reproduced byte for byte', async () => {
    await check('group.json', groupVectors())
  })
})
