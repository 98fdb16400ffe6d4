import assert from 'node:assert/strict'
import { readFile, mkdtemp, rm, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { NodeSet, waitFor } from '../helpers/nodes.js'
import { deviceIdentity, rootIdentity } from '../helpers/identities.js'
import { createDirectoryRecord, directoryKey, encodeDirectoryRecord, sealEnvelope, encodeParcel, PARCEL_ENVELOPE, METHOD_DELIVER, createReceipt, pickPrekey } from '../../src/messaging/index.js'
import type { AttnNode, CreateAttnNodeOptions } from '../../src/node/create-node.js'
import type { Identity } from '../../src/keys/index.js'

describe('messaging between real nodes', function () {
  this.timeout(120_000)
  const nodes = new NodeSet()
  const dirs: string[] = []
  afterEach(async () => {
    await nodes.stopAll()
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  async function tempDir (): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'attn-msg-'))
    dirs.push(d)
    return d
  }

  /** A node with messaging on a file store, bootstrapping from `via`, quick retries for tests. */
  async function node (opts: { identity?: Identity, via?: AttnNode, dir?: string, listen?: string[], mailboxes?: string[] } = {}): Promise<AttnNode> {
    const dir = opts.dir ?? await tempDir()
    const options: CreateAttnNodeOptions = {
      bootstrap: opts.via == null ? [] : [opts.via.getMultiaddrs()[0].toString()],
      attn: { identity: opts.identity ?? await rootIdentity(), rpc: { callTimeout: 5_000 } },
      messaging: { dbPath: join(dir, 'messages.db'), publishOnStart: false, fetchInterval: 500, retryInitial: 200, retryMax: 1_000, callTimeout: 3_000, mailboxes: opts.mailboxes }
    }
    if (opts.listen != null) options.listen = opts.listen
    const n = await nodes.create(options)
    if (opts.via != null) await waitFor(() => n.getConnections(opts.via?.peerId).length > 0, { what: 'bootstrap connection' })
    return n
  }

  async function publish (n: AttnNode): Promise<void> {
    await waitFor(async () => (await n.services.messaging.publish()).accepted >= 1, { what: 'directory record accepted by a peer', timeout: 30_000 })
  }

  const inboxBodies = (n: AttnNode): string[] => n.services.messaging.inbox().map(m => m.body)

  it('online 1:1 both ways: delivered directly, receipts turn the status to delivered', async () => {
    const relay = await node()
    const a = await node({ via: relay })
    const b = await node({ via: relay })
    await publish(a)
    await publish(b)
    const { id } = await a.services.messaging.send(b.services.messaging.address, 'hello bob')
    await waitFor(() => inboxBodies(b).includes('hello bob'), { what: 'bob receives' })
    const got = b.services.messaging.inbox().find(m => m.body === 'hello bob')
    assert.equal(got?.from, a.services.messaging.address)
    assert.equal(got?.to, b.services.messaging.address)
    assert.equal(got?.id, id)
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: 'delivered status' })

    const back = await b.services.messaging.send(a.services.messaging.address, 'hello alice')
    await waitFor(() => inboxBodies(a).includes('hello alice'), { what: 'alice receives' })
    await waitFor(async () => (await b.services.messaging.status(back.id)).state === 'delivered', { what: 'delivered back' })
    await assert.rejects(a.services.messaging.send(b.services.messaging.address, 'x'.repeat(256 * 1024 + 1)), { code: 'TOO_LARGE' })
    await assert.rejects(a.services.messaging.status('00'.repeat(16)), { code: 'NOT_FOUND' })
  })

  it('recipient offline: stored at 2 mailboxes, fetched exactly once after restart, sender sees delivered; the relay holds only ciphertext', async () => {
    const relay = await node()
    const m1Dir = await tempDir()
    const m1 = await node({ via: relay, dir: m1Dir })
    const m2 = await node({ via: relay })
    const a = await node({ via: relay })
    const bIdentity = await rootIdentity()
    const bDir = await tempDir()
    let b = await node({ via: relay, identity: bIdentity, dir: bDir, mailboxes: [m1.peerId.toString(), m2.peerId.toString()] })
    await publish(a)
    await publish(b)
    await b.stop()

    const secret = 'meet me at the old mill at nine'
    const { id } = await a.services.messaging.send(bIdentity.address, secret)
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'stored', { what: 'stored at mailboxes' })

    // the mailboxes hold ciphertext only (and m1 going away leaves the copy at m2)
    await m1.stop()
    const files = await readdir(m1Dir)
    assert.ok(files.includes('messages.db'))
    for (const file of files) {
      const raw = await readFile(join(m1Dir, file))
      assert.equal(raw.includes(Buffer.from(secret)), false, `${file} contains the plaintext`)
    }
    assert.ok((await readFile(join(m1Dir, 'messages.db'))).length > 0)

    b = await node({ via: relay, identity: bIdentity, dir: bDir, mailboxes: [m1.peerId.toString(), m2.peerId.toString()] })
    await publish(b)
    await waitFor(() => inboxBodies(b).includes(secret), { what: 'b fetches from the mailbox' })
    await waitFor(async () => (await a.services.messaging.status(id)).state === 'delivered', { what: 'delivered after fetch' })
    await b.services.messaging.fetchMailboxes()
    assert.equal(inboxBodies(b).filter(x => x === secret).length, 1, 'exactly once')
  })
})
