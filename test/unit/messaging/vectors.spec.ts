/**
 * protocols/vectors/{envelope,directory,group}.json: this file both generates the vectors and
 * checks them. Regenerate with
 * `ATTN_WRITE_VECTORS=1 npx mocha --no-config dist/test/unit/messaging/vectors.spec.js`.
 * All inputs are fixed (keys from sha256 seeds, fixed ephemeral key, ids and times) and signatures
 * are deterministic (RFC 6979), so the files are reproducible byte for byte. Intermediate values
 * are recomputed here with node:crypto directly (independently of src/messaging).
 */
import assert from 'node:assert/strict'
import { createHmac, hkdfSync } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { x25519 } from '@noble/curves/ed25519.js'
import { attAddress, sign } from '../../../src/keys/index.js'
import {
  GroupMessageReceiver, GroupMessageSender, TEXT_PLAIN, checkDirectoryRecord, createDirectoryRecord, createGroup,
  createReceipt, createSenderKey, directoryKey, directoryRecordSignedBytes, encodeDirectoryRecord, encodeGroupState,
  encodeMessage, encodeSenderKey, generatePrekey, openEnvelope, readEnvelopeHeader, sealEnvelope, selectDirectoryRecord,
  utf8, verifyGroupState, verifyReceipt
} from '../../../src/messaging/index.js'
import { NOW, NOW_MS, hex, identity, seedBytes, unhex } from './fixtures.js'

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

function envelopeVectors (): unknown {
  const prekey = generatePrekey(7, NOW + 7 * 86400, seedBytes('attn/1 messaging vectors: bob prekey 7'))
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
  const recipient = { address: bob.address, prekey: (id: number) => id === 7 ? prekey.privateKey : undefined }
  const flip = (i: number): Uint8Array => { const t = envelope.slice(); t[i] ^= 1; return t }
  const v2 = envelope.slice(); v2[0] = 2
  const invalid = [
    { name: 'unsupported version', envelope: v2, recipient_address: bob.address },
    { name: 'wrong recipient', envelope, recipient_address: mallory.address },
    { name: 'unknown prekey id', envelope: (() => { const t = envelope.slice(); t[h.bytes.byteLength - 52] ^= 1; return t })(), recipient_address: bob.address },
    { name: 'tampered ciphertext', envelope: flip(envelope.byteLength - 30), recipient_address: bob.address },
    { name: 'tampered tag', envelope: flip(envelope.byteLength - 1), recipient_address: bob.address },
    { name: 'tampered envelope id (AAD)', envelope: flip(h.bytes.byteLength - 1), recipient_address: bob.address },
    { name: 'truncated', envelope: envelope.subarray(0, h.bytes.byteLength + 10), recipient_address: bob.address },
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
  const receipt = createReceipt(bob, { envelopeId, senderAddress: alice.address, deliveredAt: NOW_MS + 1000 })
  verifyReceipt(receipt, bob.address, envelopeId, NOW)
  return {
    description: 'ATT 1:1 envelope (protocols/messaging.md §3). Open `envelope` as recipient_address holding prekey_private_key under prekey_id, at unix time now; expect the message, or the error code of each invalid case. Receipt: §5.',
    now: NOW,
    sender: { address: alice.address, node_private_key: hex(alice.nodeKey.raw), chain: hex(alice.chain) },
    recipient: { address: bob.address, prekey_id: 7, prekey_private_key: hex(prekey.privateKey), prekey_public_key: hex(prekey.publicKey) },
    ephemeral_private_key: hex(ephemeral),
    ephemeral_public_key: hex(ephPub),
    envelope_id: hex(envelopeId),
    message: { kind: 'message', sent_at: NOW_MS, content_type: TEXT_PLAIN, body: hex(body), encoded: hex(message) },
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
    invalid,
    receipt: { recipient_node_private_key: hex(bob.nodeKey.raw), recipient_chain: hex(bob.chain), delivered_at: NOW_MS + 1000, bytes: hex(receipt) }
  }
}

function u16 (n: number): Uint8Array { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }
function u32 (n: number): Uint8Array { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }

function directoryVectors (): unknown {
  const prekey = generatePrekey(7, NOW + 7 * 86400, seedBytes('attn/1 messaging vectors: bob prekey 7'))
  const relay = identity('relay', false)
  const mailboxes = [{ peerId: relay.address, multiaddrs: ['/ip4/192.0.2.1/tcp/4001', '/dns4/relay.example/tcp/443/wss'] }]
  const record = createDirectoryRecord(bob, { seq: 3, expiresAt: NOW + 86400, prekeys: [prekey], mailboxes })
  const bytes = encodeDirectoryRecord(record)
  const key = directoryKey(bob.address)
  const resign = (r: typeof record, signer = bob): Uint8Array => encodeDirectoryRecord({ ...r, signature: sign(signer.rootKey, 'directory', directoryRecordSignedBytes(r)) })
  const cases = [
    { name: 'valid', value: bytes },
    { name: 'signed by another key', value: resign(record, mallory) },
    { name: 'seq changed after signing', value: encodeDirectoryRecord({ ...record, seq: 4n }) },
    { name: 'expired', value: encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 3, expiresAt: NOW - 3600, prekeys: [prekey] })) },
    { name: 'another identity\'s valid record under this key', value: encodeDirectoryRecord(createDirectoryRecord(mallory, { seq: 9, expiresAt: NOW + 86400 })) },
    { name: 'device chain of another identity', value: resign({ ...record, devices: [{ chain: mallory.chain, nodeId: attAddress(mallory.nodeKey.publicKey) }] }) },
    { name: 'trailing unknown field', value: new Uint8Array([...bytes, 0x80, 0x01, 0x00]) },
    { name: 'not protobuf', value: new Uint8Array([0xff, 0xff]) }
  ].map(c => ({ name: c.name, value: hex(c.value), error: codeOf(() => checkDirectoryRecord(key, c.value, NOW)) }))
  const s1 = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 1, expiresAt: NOW + 86400 }))
  const s5a = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 5, expiresAt: NOW + 100 }))
  const s5b = encodeDirectoryRecord(createDirectoryRecord(bob, { seq: 5, expiresAt: NOW + 200 }))
  const forged9 = resign(createDirectoryRecord(bob, { seq: 9, expiresAt: NOW + 86400 }), mallory)
  const candidates = [s1, s5b, forged9, s5a]
  return {
    description: 'ATT directory records (protocols/messaging.md §2). Validate `value` under DHT key `key` (UTF-8) at unix time now; expect "OK" or the error code. Selection: index of the best valid candidate.',
    now: NOW,
    key: new TextDecoder().decode(key),
    root_private_key: hex(bob.rootKey.raw),
    record: {
      address: bob.address, seq: 3, expires_at: NOW + 86400,
      devices: record.devices.map(d => ({ chain: hex(d.chain), node_id: d.nodeId })),
      prekeys: [{ id: 7, public_key: hex(prekey.publicKey), expires_at: prekey.expiresAt }],
      mailboxes
    },
    signed_bytes: hex(directoryRecordSignedBytes(record)),
    signature: hex(record.signature),
    encoded: hex(bytes),
    cases,
    selection: { candidates: candidates.map(hex), best: selectDirectoryRecord(key, candidates, NOW) }
  }
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
    group_state: { group_id: hex(state.groupId), name: state.name, epoch: 0, admins: state.admins, members: state.members, encoded: hex(encodeGroupState(state)) },
    sender_key: { encoded: hex(encodeSenderKey(senderKey)), chain_key: hex(chainKey), signing_public_key: hex(senderKey.signingPublicKey) },
    ratchet,
    message_0_keys: { aes_key: hex(okm.subarray(0, 32)), nonce: hex(okm.subarray(32)) },
    messages: messages.map((m, i) => ({ iteration: i, plaintext_body: hex(utf8(`group message ${i}`)), bytes: hex(m) }))
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
      'ERR_DECRYPT_FAILED', 'ERR_MESSAGE_MALFORMED', 'ERR_BAD_SIGNATURE', 'ERR_INVALID_SENDER_CHAIN'
    ])
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
      'OK', 'ERR_DIRECTORY_BAD_SIGNATURE', 'ERR_DIRECTORY_BAD_SIGNATURE', 'ERR_DIRECTORY_EXPIRED', 'ERR_DIRECTORY_KEY_MISMATCH',
      'ERR_DIRECTORY_DEVICE_INVALID', 'ERR_DIRECTORY_MALFORMED', 'ERR_DIRECTORY_MALFORMED'
    ])
    assert.equal(v.selection.best, 1)
  })

  it('group.json is reproduced byte for byte', async () => {
    await check('group.json', groupVectors())
  })
})
