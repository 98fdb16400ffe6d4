import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { peerIdOf } from '../../../src/messaging/peer-ids.js'
import { MAX_PEER_ID_CACHE } from '../../../src/messaging/constants.js'

describe('messaging peer ids (issue 17: parsed once on the per-message paths)', function () {
  this.timeout(60_000)

  it('parses a secp256k1 peer id once: the same PeerId object comes back, equal to the string', async () => {
    const s = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()
    const a = peerIdOf(s)
    assert.equal(a.toString(), s)
    assert.equal(peerIdOf(s), a, 'remembered, not parsed again')
  })

  it('a malformed peer id throws as peerIdFromString does and is not remembered', () => {
    assert.throws(() => peerIdOf('not-a-peer-id'))
    assert.throws(() => peerIdOf('not-a-peer-id'))
  })

  it('is bounded: past MAX_PEER_ID_CACHE entries the oldest is dropped (and parsed again when asked)', async () => {
    const first = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const a = peerIdOf(first)
    for (let i = 0; i < MAX_PEER_ID_CACHE; i++) peerIdOf(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())
    const b = peerIdOf(first)
    assert.notEqual(b, a, 'dropped and parsed again')
    assert.ok(b.equals(a))
  })
})
