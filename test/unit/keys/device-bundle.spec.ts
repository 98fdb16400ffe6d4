import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  BundleCorruptError, BundleWrongPassphraseError, changePassphrase, createIdentity, decodeCertificate, importDeviceIdentity, issueDeviceKey,
  loadDeviceIdentity, loadIdentity, openDeviceBundle, RootKeyRequiredError, sealDeviceBundle, verifyChain, WrongPassphraseError
} from '../../../src/keys/index.js'
import type { DeviceBundleContents, RootIdentity } from '../../../src/keys/index.js'

// Tests only: a cheap scrypt cost. Production always uses SCRYPT_N (2^15).
const FAST = { scryptN: 2 ** 10 }

describe('keys: device bundles (attn device export / init --import)', () => {
  const dirs: string[] = []
  let root: RootIdentity
  let contents: DeviceBundleContents

  before(async () => {
    const home = await mkdtemp(join(tmpdir(), 'attn-bundle-root-'))
    dirs.push(home)
    root = await createIdentity(home, { passphrase: 'root pass', ...FAST })
    const { nodeKey, certificate } = await issueDeviceKey(root.rootKey, { label: 'laptop' })
    contents = { address: root.address, rootPublicKey: root.rootKey.publicKey, nodeKey, certificate }
  })
  after(async () => { await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) })) })

  it('round-trips the device key and its certificate; the bundle holds no root private key', async () => {
    const text = await sealDeviceBundle(contents, 'bundle pass', FAST)
    assert.ok(!text.includes(Buffer.from(root.rootKey.raw).toString('hex')))
    assert.ok(!text.includes(Buffer.from(contents.nodeKey.raw).toString('hex')))
    const opened = await openDeviceBundle(text, 'bundle pass')
    assert.equal(opened.address, root.address)
    assert.ok(opened.nodeKey.equals(contents.nodeKey))
    assert.ok(opened.rootPublicKey.equals(root.rootKey.publicKey))
    assert.deepEqual(opened.certificate, contents.certificate)
    assert.equal(decodeCertificate(opened.certificate).label, 'laptop')
  })

  it('a wrong passphrase is ERR_BUNDLE_WRONG_PASSPHRASE', async () => {
    const text = await sealDeviceBundle(contents, 'bundle pass', FAST)
    await assert.rejects(openDeviceBundle(text, 'other pass'), (err: any) => err instanceof BundleWrongPassphraseError && err.code === 'ERR_BUNDLE_WRONG_PASSPHRASE')
  })

  it('a tampered bundle is ERR_BUNDLE_CORRUPT (ciphertext, address, certificate, JSON)', async () => {
    const text = await sealDeviceBundle(contents, 'bundle pass', FAST)
    const f = JSON.parse(text)
    const flip = (h: string): string => (h[0] === '0' ? '1' : '0') + h.slice(1)
    const other = await createIdentity(await mkdtemp(join(tmpdir(), 'attn-bundle-other-')), { insecureDevKey: true })
    const cases: Array<[string, string]> = [
      ['ciphertext', JSON.stringify({ ...f, ciphertext: flip(f.ciphertext) })],
      ['address', JSON.stringify({ ...f, address: other.address })],
      ['certificate', JSON.stringify({ ...f, certificate: flip(f.certificate) })],
      ['root key', JSON.stringify({ ...f, rootPublicKey: Buffer.from(other.rootKey.publicKey.raw).toString('hex') })],
      ['not JSON', text.slice(0, 40)],
      ['format', JSON.stringify({ ...f, format: 'other' })],
      ['too large', JSON.stringify({ ...f, pad: 'x'.repeat(20_000) })]
    ]
    for (const [what, bad] of cases) {
      await assert.rejects(openDeviceBundle(bad, 'bundle pass'), (err: any) => err instanceof BundleCorruptError && err.code === 'ERR_BUNDLE_CORRUPT', what)
    }
  })

  it('importDeviceIdentity writes a home with the device key only; loadDeviceIdentity opens it, loadIdentity refuses it (typed)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'attn-bundle-linked-'))
    dirs.push(home)
    const opened = await openDeviceBundle(await sealDeviceBundle(contents, 'bundle pass', FAST), 'bundle pass')
    const made = await importDeviceIdentity(home, opened, { passphrase: 'device pass', ...FAST })
    const file = await readFile(join(home, 'identity.json'), 'utf8')
    assert.ok(!('root' in JSON.parse(file)))
    assert.ok(!file.includes(Buffer.from(contents.nodeKey.raw).toString('hex')))
    const loaded = await loadDeviceIdentity(home, { passphrase: 'device pass' })
    assert.equal(loaded.address, root.address)
    assert.ok(loaded.nodeKey.equals(contents.nodeKey))
    assert.deepEqual(loaded.chain, made.chain)
    assert.equal(verifyChain(loaded.chain, loaded.nodeKey.publicKey, Math.floor(Date.now() / 1000)).address, root.address)
    await assert.rejects(loadDeviceIdentity(home, { passphrase: 'wrong' }), WrongPassphraseError)
    await assert.rejects(loadIdentity(home, { passphrase: 'device pass' }), (err: any) => err instanceof RootKeyRequiredError && err.code === 'ERR_ROOT_KEY_REQUIRED')

    // attn passphrase on a linked home re-encrypts the device key and keeps the address
    assert.equal((await changePassphrase(home, { passphrase: 'device pass' }, 'new pass', FAST)).address, root.address)
    assert.ok((await loadDeviceIdentity(home, { passphrase: 'new pass' })).nodeKey.equals(contents.nodeKey))
    assert.ok(!('root' in JSON.parse(await readFile(join(home, 'identity.json'), 'utf8'))))
  })
})
