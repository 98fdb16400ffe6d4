import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deviceStatusLines } from '../../../src/cli/device-commands.js'
import { certificateWarning } from '../../../src/cli/certificate-warning.js'
import { createIdentity, importDeviceIdentity, issueDeviceKey, loadNodeIdentity } from '../../../src/keys/index.js'
import { NOW, identity } from '../messaging/fixtures.js'

const DAY = 86_400

describe('CLI: a linked device\'s 30-day certificate (issue 15 item 3.3: warn, no renewal without the root key)', () => {
  it('warns within 7 days of the end (and after it), never on a home holding the root key', () => {
    const bob = identity('bob') // certificate from NOW - 60 s for 30 days
    const { rootKey: _r, ...linked } = bob
    const end = NOW - 60 + 30 * DAY
    assert.equal(certificateWarning(bob, end - DAY), undefined)
    assert.equal(certificateWarning(linked, end - 8 * DAY), undefined)
    assert.match(certificateWarning(linked, end - 6 * DAY) ?? '', /expires at .*attn device export.*attn init --import/)
    assert.match(certificateWarning(linked, end + 1) ?? '', /expired at/)
    assert.deepEqual(deviceStatusLines({ device: { linked: false, certifiedUntil: null, revoked: false } }), [])
    assert.equal(deviceStatusLines({ device: { linked: true, certifiedUntil: end, revoked: true } }, end - DAY).length, 3)
  })

  it('loadNodeIdentity opens a linked home (no root key) where loadIdentity refuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attn-node-identity-'))
    try {
      const root = await createIdentity(join(dir, 'root'), { insecureDevKey: true })
      const { nodeKey, certificate } = await issueDeviceKey(root.rootKey, { label: 'phone' })
      await importDeviceIdentity(join(dir, 'phone'), { address: root.address, rootPublicKey: root.rootKey.publicKey, nodeKey, certificate }, { insecureDevKey: true })
      const { identity: phone, created } = await loadNodeIdentity(join(dir, 'phone'), { insecureDevKey: true })
      assert.equal(created, false)
      assert.equal(phone.address, root.address)
      assert.equal(phone.rootKey, undefined)
      assert.ok(phone.nodeKey.equals(nodeKey))
      assert.ok((await loadNodeIdentity(join(dir, 'root'), { insecureDevKey: true })).identity.rootKey?.equals(root.rootKey))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
