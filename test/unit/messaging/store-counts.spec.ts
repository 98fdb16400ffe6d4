import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MessagingStore } from '../../../src/messaging/index.js'
import { NOW_MS, identity, seedBytes } from './fixtures.js'

const bob = identity('bob')
const carol = identity('carol')
const id = (n: number): Uint8Array => new Uint8Array(16).fill(n)

describe('messaging/store counts (for /metrics)', () => {
  let dir: string
  let store: MessagingStore

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'attn-msg-'))
    store = new MessagingStore(join(dir, 'messaging.db'), { encryptionKey: seedBytes('store key'), now: () => NOW_MS })
  })
  afterEach(async () => { store.close(); await rm(dir, { recursive: true, force: true }) })

  it('an empty store counts zero in every state', () => {
    assert.deepEqual(store.counts(), { outbox: { queued: 0, sent: 0, stored: 0, delivered: 0, failed: 0 }, mailboxItems: 0, mailboxBytes: 0 })
  })

  it('user messages by outbox state (control messages left out), mailbox items and bytes', () => {
    for (let n = 1; n <= 4; n++) store.enqueueOutbox({ envelopeId: id(n), recipient: bob.address, envelope: new Uint8Array([n]) })
    store.enqueueOutbox({ envelopeId: id(9), recipient: bob.address, envelope: new Uint8Array([9]), kind: 'control' })
    store.setOutboxState(id(2), 'sent')
    store.setOutboxState(id(3), 'delivered')
    store.setOutboxState(id(4), 'failed')
    store.mailboxPut({ recipient: carol.address, envelopeId: id(20), envelope: new Uint8Array(100), senderHint: 'h1' })
    store.mailboxPut({ recipient: carol.address, envelopeId: id(21), envelope: new Uint8Array(50), senderHint: 'h1' })
    const counts = store.counts()
    assert.deepEqual(counts.outbox, { queued: 1, sent: 1, stored: 0, delivered: 1, failed: 1 })
    assert.equal(counts.mailboxItems, 2)
    assert.equal(counts.mailboxBytes, store.mailboxTotalBytes())
    assert.ok(counts.mailboxBytes >= 150)
  })
})
