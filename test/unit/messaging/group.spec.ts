import assert from 'node:assert/strict'
import {
  GroupMessageReceiver, GroupMessageSender, MAX_SKIPPED_MESSAGE_KEYS, createGroup, createSenderKey, decodeGroupState,
  decodeSenderKey, encodeGroupState, encodeSenderKey, readGroupMessage, rotateGroup, updateGroup, utf8, verifyGroupState
} from '../../../src/messaging/index.js'
import type { GroupState, SenderKey } from '../../../src/messaging/index.js'
import type { Identity } from '../../../src/keys/index.js'
import { NOW, identity, indexOf } from './fixtures.js'

const names = ['ann', 'ben', 'cat', 'dan', 'eve']
const people: Identity[] = names.map(n => identity(n))
const [ann, ben, , , eve] = people
const code = (c: string) => (err: any): boolean => { assert.equal(err.code, c, String(err)); return true }

/** Each member's view: own sender, receivers of the others, keyed by sender address. */
interface Member { id: Identity, sender: GroupMessageSender, receivers: Map<string, GroupMessageReceiver> }

function distribute (state: GroupState, members: Identity[]): Map<string, Member> {
  const keys = new Map<string, SenderKey>()
  for (const m of members) keys.set(m.address, createSenderKey(m, state.groupId, state.epoch))
  const out = new Map<string, Member>()
  for (const m of members) {
    const receivers = new Map<string, GroupMessageReceiver>()
    for (const other of members) {
      if (other === m) continue
      // Distribution travels as encodeSenderKey bytes inside a 'sender-key' envelope.
      receivers.set(other.address, new GroupMessageReceiver(decodeSenderKey(encodeSenderKey(keys.get(other.address)!))))
    }
    out.set(m.address, { id: m, sender: new GroupMessageSender(m, keys.get(m.address)!), receivers })
  }
  return out
}

describe('messaging/group', () => {
  const genesis = createGroup(ann, { name: 'five', members: people.map(p => p.address), groupId: new Uint8Array(16).fill(1) })

  it('group state: canonical encoding, verification, admin-only updates with increasing epoch', () => {
    assert.deepEqual(encodeGroupState(decodeGroupState(encodeGroupState(genesis))), encodeGroupState(genesis))
    assert.deepEqual(verifyGroupState(encodeGroupState(genesis), undefined, NOW).members, [...people.map(p => p.address)].sort())
    const next = updateGroup(ann, genesis, { members: genesis.members.filter(a => a !== eve.address) })
    assert.equal(verifyGroupState(encodeGroupState(next), genesis, NOW).epoch, 1n)
    // Not an admin.
    assert.throws(() => updateGroup(ben, genesis, { name: 'x' }), code('ERR_GROUP_STATE_INVALID'))
    const benSigned = updateGroup(ann, genesis, { name: 'x' })
    const forgedByBen = { ...benSigned, signerAddress: ben.address }
    assert.throws(() => verifyGroupState(forgedByBen, genesis, NOW), code('ERR_GROUP_STATE_INVALID'))
    // Replay of an old epoch / same epoch.
    assert.throws(() => verifyGroupState(genesis, next, NOW), code('ERR_GROUP_STATE_INVALID'))
    // Tampered member list.
    const tampered = { ...next, members: [...next.members, eve.address].sort() }
    assert.throws(() => verifyGroupState(tampered, genesis, NOW), code('ERR_GROUP_STATE_INVALID'))
    // Another group.
    assert.throws(() => verifyGroupState(next, { ...genesis, groupId: new Uint8Array(16) }, NOW), code('ERR_GROUP_STATE_INVALID'))
  })

  it('5 members exchange messages; the ciphertext fans out unchanged and hides the plaintext', () => {
    const ms = distribute(genesis, people)
    for (const from of people) {
      const body = utf8(`hello from ${from.address.slice(-6)}`)
      const c = ms.get(from.address)!.sender.encrypt({ body, sentAt: 1 })
      assert.equal(indexOf(c, body), -1)
      for (const to of people) {
        if (to === from) continue
        const o = ms.get(to.address)!.receivers.get(from.address)!.decrypt(c)
        assert.deepEqual(o.message.body, body)
        assert.equal(o.senderAddress, from.address)
        assert.deepEqual(o.message.groupId, genesis.groupId)
      }
    }
  })

  it('rotation: a removed member cannot decrypt messages of the new epoch', () => {
    const old = distribute(genesis, people)
    const remaining = people.filter(p => p !== eve)
    const { state: next, senderKey: annKey } = rotateGroup(ann, genesis, { members: remaining.map(p => p.address) })
    verifyGroupState(encodeGroupState(next), genesis, NOW)
    assert.ok(!next.members.includes(eve.address))
    const fresh = distribute(next, remaining)
    void annKey
    const secret = utf8('eve must not read this')
    const c = fresh.get(ann.address)!.sender.encrypt({ body: secret })
    assert.equal(readGroupMessage(c).epoch, 1n)
    for (const p of remaining.slice(1)) assert.deepEqual(fresh.get(p.address)!.receivers.get(ann.address)!.decrypt(c).message.body, secret)
    // Eve holds only epoch-0 keys: the message is under a sender key she does not have ...
    const eveOld = old.get(eve.address)!.receivers.get(ann.address)!
    assert.throws(() => eveOld.decrypt(c), code('ERR_UNKNOWN_SENDER_KEY'))
    // ... and relabelling her old key as epoch 1 does not help: the chain key is different.
    const relabelled = new GroupMessageReceiver({ ...eveOld.senderKey, epoch: 1n })
    assert.throws(() => relabelled.decrypt(c), code('ERR_DECRYPT_FAILED'))
    // Even ratcheting her old chain forward to any of the first 50 iterations yields nothing.
    let ck = eveOld.senderKey
    for (let i = 0; i < 50; i++) {
      ck = { ...ck, epoch: 1n, iteration: 0 }
      assert.throws(() => new GroupMessageReceiver(ck).decrypt(c), code('ERR_DECRYPT_FAILED'))
      ck = { ...ck, chainKey: new GroupMessageReceiver(ck).senderKey.chainKey.map((b, j) => b ^ (i + j)) }
    }
  })

  it('a member cannot forge another member\'s message (signature by the node key)', () => {
    const ms = distribute(genesis, people)
    // Ben knows Ann's sender key (he is a receiver of it) and builds a sender with it, signing with his own key.
    const annKey = ms.get(ben.address)!.receivers.get(ann.address)!.senderKey
    assert.throws(() => new GroupMessageSender(ben, annKey), RangeError)
    const benAsAnn = new GroupMessageSender({ ...ann, nodeKey: ann.nodeKey }, annKey)
    const genuine = benAsAnn.encrypt({ body: utf8('x') }) // with Ann's node key: fine (this is Ann)
    const sigOffset = genuine.byteLength - 64
    const forged = genuine.slice(); forged[sigOffset + 5] ^= 1
    const cat = ms.get(people[2].address)!.receivers.get(ann.address)!
    assert.throws(() => cat.decrypt(forged), code('ERR_BAD_SIGNATURE'))
    // A message re-signed by Ben's node key under Ann's header fails too.
    const { GroupMessageSender: S } = { GroupMessageSender }
    const benForger = new S({ ...ben, address: ann.address, nodeKey: ben.nodeKey }, { ...annKey, signingPublicKey: ben.nodeKey.publicKey.raw })
    assert.throws(() => cat.decrypt(benForger.encrypt({ body: utf8('y') })), code('ERR_UNKNOWN_SENDER_KEY'))
    assert.deepEqual(cat.decrypt(genuine).message.body, utf8('x'))
  })

  it('out-of-order delivery within the window; duplicates and too-far-ahead rejected; state survives serialization', () => {
    const ms = distribute(genesis, [ann, ben])
    const sender = ms.get(ann.address)!.sender
    const msgs = Array.from({ length: 20 }, (_, i) => sender.encrypt({ body: utf8(`m${i}`) }))
    let rx = ms.get(ben.address)!.receivers.get(ann.address)!
    const order = [5, 0, 19, 3, 1, 2, 18, 4, 6, 7, 8, 9, 10, 17, 11, 12, 13, 14, 15, 16]
    for (const [n, i] of order.entries()) {
      assert.equal(new TextDecoder().decode(rx.decrypt(msgs[i]).message.body), `m${i}`)
      if (n % 5 === 4) rx = GroupMessageReceiver.fromBytes(rx.toBytes())
    }
    assert.equal(rx.skippedCount, 0)
    assert.throws(() => rx.decrypt(msgs[3]), code('ERR_MESSAGE_KEY_UNAVAILABLE'))
    // A message more than the window ahead is refused without changing state.
    for (let i = 0; i < MAX_SKIPPED_MESSAGE_KEYS + 1; i++) sender.encrypt({ body: new Uint8Array(0) })
    const far = sender.encrypt({ body: utf8('far') })
    assert.throws(() => rx.decrypt(far), code('ERR_MESSAGE_KEY_UNAVAILABLE'))
    assert.equal(rx.senderKey.iteration, 20)
  })

  it('keeps at most MAX_SKIPPED_MESSAGE_KEYS skipped keys, evicting the oldest', () => {
    const ms = distribute(genesis, [ann, ben])
    const sender = ms.get(ann.address)!.sender
    const first = sender.encrypt({ body: utf8('first') })
    const mids: Uint8Array[] = []
    for (let i = 1; i < 1000; i++) mids.push(sender.encrypt({ body: new Uint8Array(0) }))
    const jump = sender.encrypt({ body: utf8('jump') }) // iteration 1000
    const after = sender.encrypt({ body: utf8('after') }) // iteration 1001
    const rx = ms.get(ben.address)!.receivers.get(ann.address)!
    rx.decrypt(jump) // skips 0..999 = 1000 keys
    assert.equal(rx.skippedCount, 1000)
    rx.decrypt(after)
    assert.equal(rx.skippedCount, 1000)
    assert.deepEqual(rx.decrypt(first).message.body, utf8('first'))
    assert.equal(rx.skippedCount, 999)
    rx.decrypt(mids[500])
    assert.equal(rx.skippedCount, 998)
  })
})
