import assert from 'node:assert/strict'
import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { attn, createAttnNode, PROTOCOL } from '../../src/index.js'
import type { Libp2p } from '@libp2p/interface'

// The examples of src/index.ts and the README, run as written.
describe('public entry examples', function () {
  const started: Libp2p[] = []
  afterEach(async () => { await Promise.all(started.splice(0).map(async n => { await n.stop() })) })

  it('createAttnNode runs a complete node', async () => {
    const node = await createAttnNode({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    started.push(node)
    assert.ok(node.getMultiaddrs().length > 0)
    assert.ok(node.getProtocols().includes(PROTOCOL))
  })

  it('attn() embeds in an existing libp2p node (default Ed25519 key)', async () => {
    const node = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), attn: attn() }
    })
    started.push(node)
    assert.ok(node.getProtocols().includes(PROTOCOL))
    assert.equal(node.services.attn.isStarted(), true)
  })
})
