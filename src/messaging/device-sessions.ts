/**
 * This device's end of forward-secret messaging (protocols/messaging.md §10): its X25519 identity
 * key and signed prekeys (rotated weekly, kept for a grace period), one ratchet session per peer
 * device (Sesame: the session last received on is the one sent on), sealing a message into a
 * bundle for every device of a recipient, and opening the device envelope meant for this device.
 * All state lives in the store, sealed at rest; `open` decrypts in memory and returns a `commit`
 * that the caller runs in the same transaction as whatever the message causes.
 */
import { randomInt } from 'node:crypto'
import { attAddress } from '../keys/index.js'
import {
  MAX_SESSIONS_PER_DEVICE, MAX_SESSIONS_TOTAL, NO_ONE_TIME_PREKEY, ONE_TIME_PREKEY_TTL_SECONDS, SIGNED_PREKEY_GRACE_SECONDS, SIGNED_PREKEY_ROTATE_SECONDS
} from './constants.js'
import {
  DecryptFailedError, DuplicateEnvelopeError, MessageKeyUnavailableError, NotForThisDeviceError, RecipientUnknownError,
  SessionPeerMismatchError, SessionStateLostError, UnknownPrekeyError, UnknownSessionError, WrongRecipientError
} from './errors.js'
import { decodeBundle, deviceContext, encodeBundle, openBundleBody, sealBundleBody, splitDeviceEnvelope } from './protocol/bundle.js'
import { PREKEY_TYPE_ONE_TIME, PREKEY_TYPE_SIGNED, signPrekey } from './protocol/device-prekeys.js'
import {
  decodeRatchetState, encodeRatchetState, initiateSession, ratchetDecrypt, ratchetEncrypt, respondSession
} from './protocol/ratchet.js'
import { equalBytes, toHex } from './protocol/codec.js'
import { x25519KeyPair } from './primitives.js'
import type { DeviceEnvelope, OpenedBundleBody } from './protocol/bundle.js'
import type { SignedPrekeyPublic } from './protocol/device-prekeys.js'
import type { DirectoryRecord } from './protocol/directory-record.js'
import type { KeyPair, RatchetState } from './protocol/ratchet.js'
import type { MessagingCounters } from './counters.js'
import type { MessagingStore } from './store.js'
import type { Identity } from '../keys/index.js'
import type { Logger } from '@libp2p/interface'

export interface DeviceSessionsInit {
  store: MessagingStore
  identity: Identity
  /** This device's node id (libp2p peer id string). */
  self: string
  counters: MessagingCounters
  log: Logger
  /** Clock, unix ms (tests). */
  now?: () => number
}

export interface OpenedBundle extends OpenedBundleBody {
  envelopeId: Uint8Array
  /** The sender's device (node id). */
  senderDevice: string
  /** A new session from a device that had another active session with us: it lost its state. */
  peerReset: boolean
  /** The devices (node ids) the bundle was sealed for: the sender's view of our directory record. */
  bundleDevices: string[]
  /** Writes the new session state, marks the envelope id seen, deletes a used one-time prekey. Run it in the transaction that stores the message. */
  commit: () => void
}

export class DeviceSessions {
  private readonly now: () => number

  constructor (private readonly init: DeviceSessionsInit) {
    this.now = init.now ?? Date.now
  }

  private get nowSeconds (): number { return Math.floor(this.now() / 1000) }

  /** This device's X25519 identity key pair (created once). */
  identityKey (): KeyPair {
    const { store } = this.init
    const k = store.getDeviceKey('identity', 0)
    if (k != null) return { privateKey: k.privateKey, publicKey: k.publicKey }
    const pair = x25519KeyPair()
    store.putDeviceKey({ kind: 'identity', id: 0, ...pair, createdAt: this.nowSeconds, expiresAt: 0xffffffff })
    return pair
  }

  /**
   * The identity key and current signed prekey for our directory record: a new signed prekey when
   * the newest is SIGNED_PREKEY_ROTATE_SECONDS old; private keys of replaced ones are deleted once
   * past their expiry plus SIGNED_PREKEY_GRACE_SECONDS (mail sealed to them may still be in flight).
   */
  publicBundle (): { identityKey: Uint8Array, signedPrekey: SignedPrekeyPublic } {
    const { store, identity } = this.init
    const ik = this.identityKey()
    const now = this.nowSeconds
    store.deleteDeviceKeysExpiredBefore('signed', now - SIGNED_PREKEY_GRACE_SECONDS)
    store.deleteDeviceKeysExpiredBefore('one-time', now)
    let current = store.listDeviceKeys('signed')[0]
    if (current == null || current.createdAt + SIGNED_PREKEY_ROTATE_SECONDS <= now) {
      const pair = x25519KeyPair()
      const id = (current == null ? randomInt(0, 0x7fffffff) : current.id + 1) >>> 0
      const expiresAt = now + SIGNED_PREKEY_ROTATE_SECONDS + SIGNED_PREKEY_GRACE_SECONDS
      const signature = signPrekey(identity.nodeKey, PREKEY_TYPE_SIGNED, ik.publicKey, { id, publicKey: pair.publicKey, expiresAt })
      store.putDeviceKey({ kind: 'signed', id, ...pair, signature, createdAt: now, expiresAt })
      this.init.log('new signed prekey %d', id)
      return { identityKey: ik.publicKey, signedPrekey: { id, publicKey: pair.publicKey, expiresAt, signature } }
    }
    return { identityKey: ik.publicKey, signedPrekey: { id: current.id, publicKey: current.publicKey, expiresAt: current.expiresAt, signature: current.signature ?? new Uint8Array(0) } }
  }

  /** `n` new one-time prekeys (§10.8): private keys kept in the store, the signed public parts returned for prekey.put. */
  makeOneTimePrekeys (n: number): SignedPrekeyPublic[] {
    const { store, identity } = this.init
    const ik = this.identityKey()
    const now = this.nowSeconds
    const out: SignedPrekeyPublic[] = []
    for (let i = 0; i < n; i++) {
      const pair = x25519KeyPair()
      let id = randomInt(0, 0x7fffffff)
      while (store.getDeviceKey('one-time', id) != null) id = randomInt(0, 0x7fffffff)
      const expiresAt = now + ONE_TIME_PREKEY_TTL_SECONDS
      const signature = signPrekey(identity.nodeKey, PREKEY_TYPE_ONE_TIME, ik.publicKey, { id, publicKey: pair.publicKey, expiresAt })
      store.putDeviceKey({ kind: 'one-time', id, ...pair, signature, createdAt: now, expiresAt })
      out.push({ id, publicKey: pair.publicKey, expiresAt, signature })
    }
    return out
  }

  /** Unused one-time prekey private keys this device holds. */
  oneTimePrekeyCount (): number {
    return this.init.store.countDeviceKeys('one-time')
  }

  /** The devices of `record` (but this one) we would start a new session with: candidates for a one-time prekey. */
  devicesWithoutSession (record: DirectoryRecord): string[] {
    return this.targets(record).filter(d => {
      const s = this.activeState(record.address, d.nodeId)
      return s == null || !equalBytes(s.peerIdentityKey, d.identityKey as Uint8Array)
    }).map(d => d.nodeId)
  }

  /** The devices of `record` (but this one) that a bundle is sealed for: listed with an identity key and a current signed prekey. */
  targets (record: DirectoryRecord): DirectoryRecord['devices'] {
    const now = this.nowSeconds
    return record.devices.filter(d => d.nodeId !== this.init.self && d.identityKey != null && d.signedPrekey != null && d.signedPrekey.expiresAt > now)
  }

  /**
   * Seals `message` (encoded §4, id = envelopeId) for every device of `record` but this one: one
   * body under a fresh content key, one ratchet envelope per device. Session states are written to
   * the store: call inside a store transaction with whatever records the sealed bundle. Returns
   * undefined when the record lists no other device with prekeys and it is our own address (a
   * note to self on our only device); throws RecipientUnknownError when another identity lists none.
   */
  seal (record: DirectoryRecord, message: Uint8Array, envelopeId: Uint8Array, oneTime: Map<string, { id: number, publicKey: Uint8Array }> = new Map()): Uint8Array | undefined {
    const { identity, store } = this.init
    const targets = this.targets(record)
    if (targets.length === 0) {
      if (record.address === identity.address) return undefined
      throw new RecipientUnknownError(record.address, undefined, 'lists no device with a current signed prekey')
    }
    const { contentKey, body } = sealBundleBody(identity, record.address, envelopeId, message)
    const ik = this.identityKey()
    const devices: DeviceEnvelope[] = []
    for (const d of targets) {
      let state = this.activeState(record.address, d.nodeId)
      if (state == null || !equalBytes(state.peerIdentityKey, d.identityKey as Uint8Array)) {
        const spk = d.signedPrekey as SignedPrekeyPublic
        state = initiateSession({ identity: ik, remote: { identityKey: d.identityKey as Uint8Array, signedPrekeyId: spk.id, signedPrekey: spk.publicKey, oneTimePrekey: oneTime.get(d.nodeId) } })
        store.setActiveSession(record.address, d.nodeId, state.sessionId)
        store.pruneSessions(record.address, d.nodeId, MAX_SESSIONS_PER_DEVICE)
        this.init.counters.add('sessionsStarted')
      }
      const out = ratchetEncrypt(state, contentKey, deviceContext(record.address, envelopeId, d.nodeId, body))
      store.putSession({ sessionId: out.state.sessionId, peerAddress: record.address, peerDevice: d.nodeId, state: encodeRatchetState(out.state) })
      devices.push({ deviceId: d.nodeId, envelope: concatBytes(out.header, out.ciphertext) })
    }
    return encodeBundle({ recipientAddress: record.address, envelopeId, devices, body })
  }

  private activeState (peerAddress: string, peerDevice: string): RatchetState | undefined {
    const id = this.init.store.activeSessionId(peerAddress, peerDevice)
    if (id == null) return undefined
    const s = this.init.store.getSession(id)
    return s == null ? undefined : decodeRatchetState(s.state)
  }

  /**
   * Opens the device envelope of a bundle meant for this device. Order (first failure wins):
   * bundle parse; recipient (ERR_WRONG_RECIPIENT); this device listed (ERR_NOT_FOR_THIS_DEVICE);
   * envelope id already opened (ERR_DUPLICATE_ENVELOPE); session known, or a start header whose
   * prekeys we hold (ERR_UNKNOWN_SESSION, ERR_UNKNOWN_PREKEY); ratchet (ERR_MESSAGE_KEY_UNAVAILABLE,
   * ERR_DECRYPT_FAILED — on a known session both become ERR_SESSION_STATE_LOST); body (§10.4);
   * a known session's peer is the signer (ERR_SESSION_PEER_MISMATCH). Nothing is written.
   */
  open (payload: Uint8Array): OpenedBundle {
    const { store, identity, self } = this.init
    const b = decodeBundle(payload)
    if (b.recipientAddress !== identity.address) throw new WrongRecipientError(`bundle is for ${b.recipientAddress}`)
    const mine = b.devices.find(d => d.deviceId === self)
    if (mine == null) throw new NotForThisDeviceError('the bundle holds no envelope for this device')
    if (store.envelopeSeen(b.envelopeId)) throw new DuplicateEnvelopeError(`envelope ${toHex(b.envelopeId)} was already opened`)
    const { header, sealedKey } = splitDeviceEnvelope(mine.envelope)
    const stored = store.getSession(header.sessionId)
    let state: RatchetState
    let usedOneTime: number | undefined
    if (stored != null) {
      state = decodeRatchetState(stored.state)
    } else if (header.start != null) {
      const start = header.start
      state = respondSession({
        identity: this.identityKey(),
        signedPrekey: id => { const k = store.getDeviceKey('signed', id); return k == null ? undefined : { privateKey: k.privateKey, publicKey: k.publicKey } },
        oneTimePrekey: id => { const k = store.getDeviceKey('one-time', id); return k == null ? undefined : { privateKey: k.privateKey, publicKey: k.publicKey } },
        start
      }, what => new UnknownPrekeyError(what)).state
      if (start.oneTimePrekeyId !== NO_ONE_TIME_PREKEY) usedOneTime = start.oneTimePrekeyId
    } else {
      throw new UnknownSessionError(`no session ${toHex(header.sessionId)} and no session start`)
    }
    const ctx = deviceContext(b.recipientAddress, b.envelopeId, self, b.body)
    let out: { state: RatchetState, plaintext: Uint8Array }
    try {
      out = ratchetDecrypt(state, header, sealedKey, ctx, { nowMs: this.now() })
    } catch (err) {
      if (stored != null && (err instanceof DecryptFailedError || err instanceof MessageKeyUnavailableError)) {
        throw new SessionStateLostError(`session ${toHex(header.sessionId)} cannot open this message: ${(err as Error).message}`, stored.peerAddress, stored.peerDevice, { cause: err })
      }
      throw err
    }
    const body = openBundleBody(b, out.plaintext, this.nowSeconds)
    const senderDevice = attAddress(body.senderNodePublicKey)
    if (stored != null && (stored.peerAddress !== body.senderAddress || stored.peerDevice !== senderDevice)) {
      throw new SessionPeerMismatchError(`session ${toHex(header.sessionId)} belongs to another device`)
    }
    const active = store.activeSessionId(body.senderAddress, senderDevice)
    const peerReset = stored == null && active != null && !equalBytes(active, header.sessionId)
    const next = out.state
    return {
      ...body,
      envelopeId: b.envelopeId.slice(),
      senderDevice,
      peerReset,
      bundleDevices: b.devices.map(d => d.deviceId),
      commit: () => {
        store.putSession({ sessionId: next.sessionId, peerAddress: body.senderAddress, peerDevice: senderDevice, state: encodeRatchetState(next) })
        // Sesame: the session last received on is the one we send on
        store.setActiveSession(body.senderAddress, senderDevice, next.sessionId)
        store.pruneSessions(body.senderAddress, senderDevice, MAX_SESSIONS_PER_DEVICE)
        if (stored == null) store.pruneSessionsTotal(MAX_SESSIONS_TOTAL)
        store.markEnvelopeSeen(b.envelopeId)
        if (usedOneTime != null) store.deleteDeviceKey('one-time', usedOneTime)
        if (stored == null) this.init.counters.add('sessionsStarted')
      }
    }
  }

  /** Drops our session with a peer device (its state or ours is lost): the next message starts a new one. */
  reset (peerAddress: string, peerDevice: string): void {
    const { store } = this.init
    const id = store.activeSessionId(peerAddress, peerDevice)
    if (id != null) store.deleteSession(id)
    store.clearActiveSession(peerAddress, peerDevice)
    this.init.counters.add('sessionsReset')
  }
}

function concatBytes (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a)
  out.set(b, a.byteLength)
  return out
}
