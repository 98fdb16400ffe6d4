/**
 * Forward-secrecy figures (protocols/messaging.md §10), CPU only, one process:
 *   envelope_ratchet          1:1 message seal + open as a v2 bundle for one device on an established
 *                             ratchet session, one direction (symmetric chain steps only)
 *   envelope_ratchet_pingpong the same, directions alternating every message (a DH ratchet step each)
 * Baseline for both, measured in the same run: today's v1 envelope (sealEnvelope + openEnvelope to a
 * root-derived prekey, the prekey derived per open as the receiver did).
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { attAddress, encodeCertificate, encodeChain, issueCertificate } from '../src/keys/index.js'
import type { RootIdentity } from '../src/keys/index.js'
import {
  decodeBundle, decodeRatchetState, deviceContext, derivePrekey, encodeBundle, encodeMessage, encodeRatchetState, initiateSession,
  openBundleBody, openEnvelope, prekeyIdAt, prekeyResolver, ratchetDecrypt, ratchetEncrypt, readRatchetHeader, respondSession, sealBundleBody,
  sealEnvelope, splitDeviceEnvelope
} from '../src/messaging/index.js'
import type { RatchetState } from '../src/messaging/index.js'
import { x25519KeyPair } from '../src/messaging/primitives.js'
import { Reader } from '../src/messaging/protocol/codec.js'
import { compare, type Figure, type HarnessOptions } from './harness.js'
import { result } from './types.js'

const BODY_BYTES = 256

async function deviceId (label: string): Promise<RootIdentity> {
  const root = await generateKeyPair('secp256k1')
  const node = await generateKeyPair('secp256k1')
  const certificate = encodeCertificate(issueCertificate(root, node.publicKey, { label }))
  return { address: attAddress(root.publicKey), rootKey: root, nodeKey: node, certificate, chain: encodeChain([certificate]) }
}

interface Side { id: RootIdentity, device: string, state?: RatchetState }

/** Two devices with an established session (one message each way already exchanged). */
async function pair (): Promise<{ a: Side, b: Side }> {
  const [ai, bi] = await Promise.all([deviceId('a'), deviceId('b')])
  const a: Side = { id: ai, device: attAddress(ai.nodeKey.publicKey) }
  const b: Side = { id: bi, device: attAddress(bi.nodeKey.publicKey) }
  const ikA = x25519KeyPair(); const ikB = x25519KeyPair(); const spk = x25519KeyPair()
  a.state = initiateSession({ identity: ikA, remote: { identityKey: ikB.publicKey, signedPrekeyId: 1, signedPrekey: spk.publicKey } })
  const first = ratchetEncrypt(a.state, new Uint8Array(32), new Uint8Array(0))
  a.state = first.state
  const h = readRatchetHeader(new Reader(first.header, 'h'))
  b.state = respondSession({ identity: ikB, signedPrekey: () => spk, oneTimePrekey: () => undefined, start: h.start as any }, w => new Error(w)).state
  b.state = ratchetDecrypt(b.state, h, first.ciphertext, new Uint8Array(0), { nowMs: Date.now() }).state
  const back = ratchetEncrypt(b.state, new Uint8Array(32), new Uint8Array(0))
  b.state = back.state
  a.state = ratchetDecrypt(a.state, readRatchetHeader(new Reader(back.header, 'h')), back.ciphertext, new Uint8Array(0), { nowMs: Date.now() }).state
  return { a, b }
}

/** One message from `s` to `r`: seal (body + device envelope + bundle), open (parse, ratchet, body, signature); states go through their at-rest encoding as the store does. */
function oneMessage (s: Side, r: Side, body: Uint8Array): void {
  const envelopeId = randomBytes(16)
  const message = encodeMessage({ id: envelopeId, kind: 'message', sentAt: Date.now(), contentType: 'text/plain', body })
  const { contentKey, body: sealed } = sealBundleBody(s.id, r.id.address, envelopeId, message)
  const out = ratchetEncrypt(decodeRatchetState(encodeRatchetState(s.state as RatchetState)), contentKey, deviceContext(r.id.address, envelopeId, r.device, sealed))
  s.state = out.state
  const bytes = encodeBundle({ recipientAddress: r.id.address, envelopeId, devices: [{ deviceId: r.device, envelope: Buffer.concat([out.header, out.ciphertext]) }], body: sealed })
  const b = decodeBundle(bytes)
  const { header, sealedKey } = splitDeviceEnvelope(b.devices[0].envelope)
  const opened = ratchetDecrypt(decodeRatchetState(encodeRatchetState(r.state as RatchetState)), header, sealedKey, deviceContext(b.recipientAddress, b.envelopeId, r.device, b.body), { nowMs: Date.now() })
  r.state = opened.state
  openBundleBody(b, opened.plaintext)
}

function sizes (opts: HarnessOptions): { rounds: number, ms: number } {
  if (opts.smoke) return { rounds: 1, ms: 20 }
  return opts.quick ? { rounds: 5, ms: 300 } : { rounds: 9, ms: 800 }
}

async function figure (name: string, pingpong: boolean, opts: HarnessOptions): Promise<ReturnType<typeof result>> {
  const { rounds, ms } = sizes(opts)
  const { a, b } = await pair()
  const body = randomBytes(BODY_BYTES)
  // the baseline: today's envelope to the recipient's root-derived prekey, opened as the receiver did
  const v1Recipient = await deviceId('v1')
  const prekey = derivePrekey(v1Recipient.rootKey, prekeyIdAt(Math.floor(Date.now() / 1000)))
  let flip = false
  const ours = (): void => {
    flip = pingpong ? !flip : false
    if (flip) oneMessage(b, a, body); else oneMessage(a, b, body)
  }
  const base = (): void => {
    const env = sealEnvelope({ sender: a.id, recipientAddress: v1Recipient.address, recipientPrekey: prekey, message: { body } })
    openEnvelope({ recipient: { address: v1Recipient.address, prekey: prekeyResolver(v1Recipient.rootKey, Math.floor(Date.now() / 1000)) }, envelope: env })
  }
  // compare() reports bytes/s / 1e6: with bytes = 1e6 that is ops/s
  const [o, bl] = compare([ours, base], 1e6, rounds, ms)
  return result(name, o, bl, 'msg/s', '>= 0.5',
    `seal + open of a ${BODY_BYTES} B message, one process, CPU only (no store, no network). ours = v2 bundle for one device on an established ` +
    `session${pingpong ? ', directions alternating every message (one DH ratchet step, i.e. one X25519 key generation and two DH, per message)' : ', one direction (chain steps only, no DH)'}; ` +
    'sender: ECDSA signature, AES-GCM body, KDF_CK + HKDF + AES-GCM of the content key, state encode/decode; receiver: the same plus the ' +
    'sender chain and signature check. baseline = v1 envelope (fresh X25519 ephemeral + DH + HKDF on seal; prekey HKDF + DH + HKDF + ' +
    `signature check on open). Median of ${rounds} interleaved rounds of ~${ms} ms each.`)
}

export const envelopeRatchet: Figure = {
  name: 'envelope_ratchet',
  unit: 'msg/s',
  goal: '>= 0.5',
  async run (opts) { return await figure(this.name, false, opts) }
}

export const envelopeRatchetPingpong: Figure = {
  name: 'envelope_ratchet_pingpong',
  unit: 'msg/s',
  goal: '>= 0.5',
  async run (opts) { return await figure(this.name, true, opts) }
}
