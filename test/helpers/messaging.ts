import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeSet, waitFor } from './nodes.js'
import { rootIdentity } from './identities.js'
import type { AttnNode, CreateAttnNodeOptions } from '../../src/node/create-node.js'
import type { Identity } from '../../src/keys/index.js'
import { DeviceSessions, MessagingCounters, MessagingStore, PARCEL_BUNDLE, decodeBundle, encodeBundle, encodeMessage, encodeParcel } from '../../src/messaging/index.js'
import { attAddress } from '../../src/keys/index.js'
import type { DirectoryRecord, MessageKind, MessagingServiceInit } from '../../src/messaging/index.js'
import type { AttnServiceInit } from '../../src/service/index.js'

export interface MessagingNodeOptions {
  identity?: Identity
  /** Bootstrap from this node (and wait for the connection). */
  via?: AttnNode
  /** Home directory (messages.db lives there); default: a fresh temp dir. */
  dir?: string
  listen?: string[]
  mailboxes?: string[]
  messaging?: MessagingServiceInit
  attn?: AttnServiceInit
}

export interface TestBundleOptions {
  kind?: MessageKind
  body?: Uint8Array
  envelopeId?: Uint8Array
  /** Flip bytes of the body ciphertext: the bundle passes every check a mailbox can make and opens for nobody. */
  corrupt?: boolean
  /** Rename every device of the bundle (a bundle for devices the recipient does not list). */
  deviceId?: string
}

/**
 * A v2 bundle parcel (messaging.md §10.4) from `sender` to the devices `record` lists, sealed on
 * fresh sessions of a throwaway device state (what an attacker or a test sender can do with a
 * public record).
 */
export function sealTestBundle (sender: Identity, record: DirectoryRecord, o: TestBundleOptions = {}): Uint8Array {
  const store = new MessagingStore(':memory:', { encryptionKey: randomBytes(32) })
  try {
    const noop = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as any
    const sessions = new DeviceSessions({ store, identity: sender, self: attAddress(sender.nodeKey.publicKey), counters: new MessagingCounters(), log: noop })
    const envelopeId = o.envelopeId ?? randomBytes(16)
    const message = encodeMessage({ id: envelopeId, kind: o.kind ?? 'message', sentAt: Date.now(), contentType: 'application/octet-stream', body: o.body ?? randomBytes(64) })
    const payload = sessions.seal(record, message, envelopeId)
    if (payload == null) throw new RangeError('the record lists no device to seal to')
    const b = decodeBundle(payload)
    if (o.corrupt === true) for (let i = 0; i < 20; i++) b.body[b.body.length - 40 + i] ^= 0xff
    if (o.deviceId != null) b.devices = b.devices.map(d => ({ ...d, deviceId: o.deviceId as string }))
    return encodeParcel({ kind: PARCEL_BUNDLE, recipient: record.address, payload: encodeBundle(b) })
  } finally {
    store.close()
  }
}

/**
 * Real messaging nodes for multi-node tests: file stores in temp dirs, quick retries, no publish
 * at start (tests publish when they need to). `cleanup()` in afterEach stops every node and
 * removes every directory.
 */
export class MessagingTestNet {
  readonly nodes = new NodeSet()
  private readonly dirs: string[] = []

  async tempDir (): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'attn-msg-'))
    this.dirs.push(d)
    return d
  }

  async node (opts: MessagingNodeOptions = {}): Promise<AttnNode> {
    const dir = opts.dir ?? await this.tempDir()
    const options: CreateAttnNodeOptions = {
      bootstrap: opts.via == null ? [] : [opts.via.getMultiaddrs()[0].toString()],
      attn: { identity: opts.identity ?? await rootIdentity(), rpc: { callTimeout: 5_000 }, ...opts.attn },
      messaging: { dbPath: join(dir, 'messages.db'), publishOnStart: false, fetchInterval: 500, retryInitial: 200, retryMax: 1_000, callTimeout: 3_000, mailboxes: opts.mailboxes, ...opts.messaging }
    }
    if (opts.listen != null) options.listen = opts.listen
    const n = await this.nodes.create(options)
    if (opts.via != null) await waitFor(() => n.getConnections(opts.via?.peerId).length > 0, { what: 'bootstrap connection' })
    return n
  }

  /** Publishes until at least one DHT peer accepted the record. */
  async publish (n: AttnNode): Promise<void> {
    await waitFor(async () => (await n.services.messaging.publish()).accepted >= 1, { what: 'directory record accepted by a peer', timeout: 30_000 })
  }

  inboxBodies (n: AttnNode): string[] {
    return n.services.messaging.inbox().map(m => m.body)
  }

  async cleanup (): Promise<void> {
    await this.nodes.stopAll()
    await Promise.all(this.dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  }
}
