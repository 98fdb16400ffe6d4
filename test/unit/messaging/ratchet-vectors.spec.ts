/**
 * protocols/vectors/ratchet.json (messaging.md §10): prekey statements and signatures, a directory
 * record device entry, the session start, a conversation of bundles in both directions with an
 * out-of-order and a duplicate delivery. Generated and checked here; every key is fixed (sha256
 * seeds), signatures are deterministic (RFC 6979), so the file is reproducible byte for byte.
 * Regenerate with `ATTN_WRITE_VECTORS=1 npx mocha --no-config dist/test/unit/messaging/ratchet-vectors.spec.js`.
 * The session start and the first message keys are recomputed with node:crypto and noble directly.
 */
import assert from 'node:assert/strict'
import { createHmac, hkdfSync, createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { x25519 } from '@noble/curves/ed25519.js'
import { attAddress } from '../../../src/keys/index.js'
import {
  PREKEY_TYPE_ONE_TIME, PREKEY_TYPE_SIGNED, checkDirectoryRecord, createDirectoryRecord, decodeBundle, deviceContext, directoryKey,
  encodeBundle, encodeDirectoryRecord, encodeMessage, initiateSession, openBundleBody, prekeyStatement, ratchetDecrypt, ratchetEncrypt,
  respondSession, sealBundleBody, signPrekey, splitDeviceEnvelope, utf8, verifyPrekey, TEXT_PLAIN
} from '../../../src/messaging/index.js'
import type { KeyPair, RatchetState } from '../../../src/messaging/index.js'
import { NOW, NOW_MS, hex, identity, seedBytes, unhex } from './fixtures.js'

const file = fileURLToPath(new URL('../../../../protocols/vectors/ratchet.json', import.meta.url))
const WRITE = process.env.ATTN_WRITE_VECTORS === '1'

const alice = identity('alice')
const bob = identity('bob')
const aliceDevice = attAddress(alice.nodeKey.publicKey)
const bobDevice = attAddress(bob.nodeKey.publicKey)
const pair = (seed: string): KeyPair => { const privateKey = seedBytes(`attn/2 ratchet vectors: ${seed}`); return { privateKey, publicKey: x25519.getPublicKey(privateKey) } }
const kp = (k: KeyPair): unknown => ({ private_key: hex(k.privateKey), public_key: hex(k.publicKey) })

function codeOf (fn: () => unknown): string {
  try { fn() } catch (err: any) { return err.code ?? `untyped: ${String(err)}` }
  return 'OK'
}

const IK_A = pair('alice identity')
const IK_B = pair('bob identity')
const SPK_B = pair('bob signed prekey')
const OPK_B = pair('bob one-time prekey')
const EK_A = pair('alice ephemeral')
const SPK_ID = 1000
const OPK_ID = 7
const SPK_EXPIRES = NOW + 21 * 86400

function generate (): any {
  const spkSig = signPrekey(bob.nodeKey, PREKEY_TYPE_SIGNED, IK_B.publicKey, { id: SPK_ID, publicKey: SPK_B.publicKey, expiresAt: SPK_EXPIRES })
  const opkSig = signPrekey(bob.nodeKey, PREKEY_TYPE_ONE_TIME, IK_B.publicKey, { id: OPK_ID, publicKey: OPK_B.publicKey, expiresAt: SPK_EXPIRES })
  const record = createDirectoryRecord(bob, {
    seq: 1,
    expiresAt: NOW + 86400,
    devices: [{ chain: bob.chain, nodeId: bobDevice, identityKey: IK_B.publicKey, signedPrekey: { id: SPK_ID, publicKey: SPK_B.publicKey, expiresAt: SPK_EXPIRES, signature: spkSig } }]
  })
  const recordBytes = encodeDirectoryRecord(record)

  // deterministic ratchet keys: a list per side, consumed in order
  const ratchetKeys = { a: [pair('alice ratchet 0'), pair('alice ratchet 1'), pair('alice ratchet 2')], b: [pair('bob ratchet 0'), pair('bob ratchet 1'), pair('bob ratchet 2')] }
  let ai = 1; let bi = 0
  const nextA = (): KeyPair => ratchetKeys.a[ai++]
  const nextB = (): KeyPair => ratchetKeys.b[bi++]
  let a: RatchetState = initiateSession({
    identity: IK_A, ephemeral: EK_A, ratchetKey: ratchetKeys.a[0],
    remote: { identityKey: IK_B.publicKey, signedPrekeyId: SPK_ID, signedPrekey: SPK_B.publicKey, oneTimePrekey: { id: OPK_ID, publicKey: OPK_B.publicKey } }
  })
  let b: RatchetState | undefined

  const messages: any[] = []
  let counter = 0
  const send = (fromA: boolean, text: string): any => {
    const sender = fromA ? alice : bob
    const to = fromA ? bob : alice
    const device = fromA ? bobDevice : aliceDevice
    const envelopeId = new Uint8Array(16).fill(++counter)
    const contentKey = seedBytes(`attn/2 ratchet vectors: content key ${counter}`)
    const message = encodeMessage({ id: envelopeId, kind: 'message', sentAt: NOW_MS + counter, contentType: TEXT_PLAIN, body: utf8(text) })
    const { body } = sealBundleBody(sender, to.address, envelopeId, message, contentKey)
    const out = ratchetEncrypt(fromA ? a : b as RatchetState, contentKey, deviceContext(to.address, envelopeId, device, body))
    if (fromA) a = out.state; else b = out.state
    const bundle = encodeBundle({ recipientAddress: to.address, envelopeId, devices: [{ deviceId: device, envelope: new Uint8Array([...out.header, ...out.ciphertext]) }], body })
    const m = { name: `${fromA ? 'a' : 'b'}${counter}`, from: fromA ? 'alice' : 'bob', text, envelope_id: hex(envelopeId), content_key: hex(contentKey), message: hex(message), header: hex(out.header), bundle: hex(bundle) }
    messages.push(m)
    return m
  }
  const deliveries: any[] = []
  const receive = (m: any): void => {
    const toB = m.from === 'alice'
    const bundle = decodeBundle(unhex(m.bundle))
    const { header, sealedKey } = splitDeviceEnvelope(bundle.devices[0].envelope)
    const ctx = deviceContext(bundle.recipientAddress, bundle.envelopeId, bundle.devices[0].deviceId, bundle.body)
    let result = 'OK'
    let text: string | undefined
    try {
      let state = toB ? b : a
      if (state == null && header.start != null) {
        state = respondSession({
          identity: IK_B, start: header.start,
          signedPrekey: id => id === SPK_ID ? SPK_B : undefined,
          oneTimePrekey: id => id === OPK_ID ? OPK_B : undefined
        }, what => new Error(what)).state
      }
      const out = ratchetDecrypt(state as RatchetState, header, sealedKey, ctx, { nowMs: NOW_MS, nextRatchetKey: toB ? nextB : nextA })
      const opened = openBundleBody(bundle, out.plaintext, NOW)
      text = new TextDecoder().decode(opened.message.body)
      if (toB) b = out.state; else a = out.state
    } catch (err: any) {
      result = err.code ?? String(err)
    }
    deliveries.push({ message: m.name, to: toB ? 'bob' : 'alice', result, ...(text != null ? { text } : {}) })
  }

  const m1 = send(true, 'hello bob (1)')
  const m2 = send(true, 'second (2)')
  const m3 = send(true, 'third (3)')
  receive(m1)
  receive(m3) // out of order: key 1 is skipped and kept
  receive(m2) // the skipped key, used once
  receive(m2) // duplicate: ERR_MESSAGE_KEY_UNAVAILABLE, state unchanged
  const r1 = send(false, 'hi alice (4)')
  const r2 = send(false, 'more (5)')
  receive(r2)
  receive(r1)
  const m4 = send(true, 'answered: no start header (6)')
  receive(m4)
  const r3 = send(false, 'third ratchet step (7)')
  receive(r3)

  return {
    description: 'ATT forward secrecy (protocols/messaging.md §10): device prekey statements (domain "prekey"), a directory record device entry, the X3DH-style session start with a one-time prekey, and a conversation of v2 bundles both ways (each device envelope seals the bundle content key on the double ratchet); deliveries list an out-of-order and a duplicate delivery with their results. Ratchet key pairs are consumed in order from alice.ratchet_keys / bob.ratchet_keys (alice\'s first is used at the session start, bob\'s first at his first DH step).',
    now: NOW,
    alice: { address: alice.address, device_id: aliceDevice, node_private_key: hex(alice.nodeKey.raw), chain: hex(alice.chain), identity_key: kp(IK_A), ephemeral_key: kp(EK_A), ratchet_keys: ratchetKeys.a.map(kp) },
    bob: { address: bob.address, device_id: bobDevice, node_private_key: hex(bob.nodeKey.raw), chain: hex(bob.chain), identity_key: kp(IK_B), signed_prekey: { id: SPK_ID, expires_at: SPK_EXPIRES, ...kp(SPK_B) as object }, one_time_prekey: { id: OPK_ID, expires_at: SPK_EXPIRES, ...kp(OPK_B) as object }, ratchet_keys: ratchetKeys.b.map(kp) },
    prekey_statements: [
      { name: 'signed prekey', type: PREKEY_TYPE_SIGNED, statement: hex(prekeyStatement(PREKEY_TYPE_SIGNED, IK_B.publicKey, { id: SPK_ID, publicKey: SPK_B.publicKey, expiresAt: SPK_EXPIRES })), signature: hex(spkSig) },
      { name: 'one-time prekey', type: PREKEY_TYPE_ONE_TIME, statement: hex(prekeyStatement(PREKEY_TYPE_ONE_TIME, IK_B.publicKey, { id: OPK_ID, publicKey: OPK_B.publicKey, expiresAt: SPK_EXPIRES })), signature: hex(opkSig) }
    ],
    directory_record: { key: `/attn/id/${bob.address}`, value: hex(recordBytes) },
    session_start: sessionStart(),
    messages,
    deliveries
  }
}

/** The session start recomputed with node:crypto and noble only. */
function sessionStart (): unknown {
  const dh = (a: KeyPair, b: KeyPair): Buffer => Buffer.from(x25519.getSharedSecret(a.privateKey, b.publicKey))
  const dh1 = dh(IK_A, SPK_B); const dh2 = dh(EK_A, IK_B); const dh3 = dh(EK_A, SPK_B); const dh4 = dh(EK_A, OPK_B)
  const sk = Buffer.from(hkdfSync('sha256', Buffer.concat([Buffer.alloc(32, 0xff), dh1, dh2, dh3, dh4]), Buffer.alloc(32), Buffer.concat([Buffer.from('attn/2 x3dh'), IK_A.publicKey, IK_B.publicKey]), 32))
  const sessionId = createHash('sha256').update('attn/2 session id').update(EK_A.publicKey).digest().subarray(0, 16)
  const idKey = Buffer.from(hkdfSync('sha256', dh3, EK_A.publicKey, 'attn/2 start identity', 44))
  const a0 = pair('alice ratchet 0')
  const root = Buffer.from(hkdfSync('sha256', dh(a0, SPK_B), sk, 'attn/2 ratchet root', 64))
  const ck = root.subarray(32)
  const mk = createHmac('sha256', ck).update(Buffer.of(1)).digest()
  const cipher = Buffer.from(hkdfSync('sha256', mk, Buffer.alloc(32), 'attn/2 message key', 44))
  return {
    dh1: dh1.toString('hex'), dh2: dh2.toString('hex'), dh3: dh3.toString('hex'), dh4: dh4.toString('hex'),
    shared_secret: sk.toString('hex'), session_id: sessionId.toString('hex'),
    start_identity_key: idKey.subarray(0, 32).toString('hex'), start_identity_nonce: idKey.subarray(32).toString('hex'),
    root_key_1: root.subarray(0, 32).toString('hex'), send_chain_key_0: ck.toString('hex'),
    message_key_0: mk.toString('hex'), message_0_aes_key: cipher.subarray(0, 32).toString('hex'), message_0_nonce: cipher.subarray(32).toString('hex')
  }
}

describe('messaging/vectors ratchet (protocols/vectors/ratchet.json)', () => {
  it('ratchet.json is reproduced byte for byte; deliveries open, skip, and refuse the duplicate as listed', async () => {
    const v = generate()
    const text = JSON.stringify(v, null, 2) + '\n'
    if (WRITE) await writeFile(file, text)
    assert.equal(await readFile(file, 'utf8'), text, 'ratchet.json differs from the generator output')
    assert.deepEqual(v.deliveries.map((d: any) => d.result), ['OK', 'OK', 'OK', 'ERR_MESSAGE_KEY_UNAVAILABLE', 'OK', 'OK', 'OK', 'OK'])
    for (const d of v.deliveries) if (d.result === 'OK') assert.equal(d.text, v.messages.find((m: any) => m.name === d.message).text)
    // the published statements verify under bob's node key, the record validates
    for (const s of v.prekey_statements) {
      const p = s.type === PREKEY_TYPE_SIGNED ? v.bob.signed_prekey : v.bob.one_time_prekey
      assert.ok(verifyPrekey(bob.nodeKey.publicKey, s.type, unhex(v.bob.identity_key.public_key), { id: p.id, publicKey: unhex(p.public_key), expiresAt: p.expires_at, signature: unhex(s.signature) }))
    }
    const rec = checkDirectoryRecord(directoryKey(bob.address), unhex(v.directory_record.value), v.now)
    assert.equal(hex(rec.devices[0].identityKey as Uint8Array), v.bob.identity_key.public_key)
    // the first header carries the session id of the independent computation, and the start
    const first = splitDeviceEnvelope(decodeBundle(unhex(v.messages[0].bundle)).devices[0].envelope).header
    assert.equal(hex(first.sessionId), v.session_start.session_id)
    assert.equal(first.start?.oneTimePrekeyId, OPK_ID)
    // message 0's content key opens with the independently derived AES key and nonce
    const { createDecipheriv } = await import('node:crypto')
    const env = decodeBundle(unhex(v.messages[0].bundle)).devices[0].envelope
    const aad = Buffer.concat([first.bytes, deviceContext(bob.address, unhex(v.messages[0].envelope_id), bobDevice, decodeBundle(unhex(v.messages[0].bundle)).body)])
    const d = createDecipheriv('aes-256-gcm', unhex(v.session_start.message_0_aes_key), unhex(v.session_start.message_0_nonce))
    d.setAAD(aad); d.setAuthTag(env.subarray(env.byteLength - 16))
    const k = Buffer.concat([d.update(env.subarray(first.bytes.byteLength, env.byteLength - 16)), d.final()])
    assert.equal(k.toString('hex'), v.messages[0].content_key)
    assert.equal(codeOf(() => decodeBundle(unhex(v.messages[0].bundle))), 'OK')
  })
})
