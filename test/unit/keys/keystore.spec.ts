import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  CERT_RENEW_BEFORE_SECONDS, createIdentity, decodeCertificate, identityExists, loadIdentity, loadOrCreateIdentity,
  MAX_CERT_VALIDITY_SECONDS, SCRYPT_N, verifyChain
} from '../../../src/keys/index.js'
import type { RootIdentity } from '../../../src/keys/index.js'

// Tests only: a cheap scrypt cost. Production always uses SCRYPT_N (2^15).
const FAST = { scryptN: 2 ** 10 }
const NOW = 1_767_225_600
const DAY = 86_400

async function fingerprint (path: string): Promise<{ hash: string, mtimeMs: number, mode: number }> {
  const [bytes, st] = await Promise.all([readFile(path), stat(path)])
  return { hash: createHash('sha256').update(bytes).digest('hex'), mtimeMs: st.mtimeMs, mode: st.mode & 0o777 }
}

function sameIdentity (a: RootIdentity, b: RootIdentity): void {
  assert.equal(a.address, b.address)
  assert.ok(a.rootKey.equals(b.rootKey))
  assert.ok(a.nodeKey.equals(b.nodeKey))
  assert.deepEqual(a.chain, b.chain)
}

describe('keys/keystore', () => {
  let base: string
  let home: string
  let file: string

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'attn-keys-'))
    home = join(base, 'home')
    file = join(home, 'identity.json')
  })
  afterEach(async () => {
    await rm(base, { recursive: true, force: true })
  })

  it('creates an encrypted root-only identity once (0700 dir, 0600 file) and reloads it identically', async () => {
    assert.equal(await identityExists(home), false)
    const created = await createIdentity(home, { passphrase: 'correct horse', ...FAST })
    assert.equal(await identityExists(home), true)
    assert.equal((await stat(home)).mode & 0o777, 0o700)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.equal(created.nodeKey, created.rootKey)
    assert.equal(created.certificate, undefined)
    assert.deepEqual(created.chain, new Uint8Array([0]))

    const json = JSON.parse(await readFile(file, 'utf8'))
    assert.equal(json.version, 1)
    assert.equal(json.address, created.address)
    assert.equal(json.root.cipher, 'aes-256-gcm')
    assert.equal(json.root.kdf, 'scrypt')
    assert.equal(json.node, undefined)
    const text = await readFile(file, 'utf8')
    assert.ok(!text.includes(Buffer.from(created.rootKey.raw).toString('hex')), 'private key written in clear')

    const loaded = await loadIdentity(home, { passphrase: 'correct horse' })
    sameIdentity(loaded, created)
    assert.equal(loaded.nodeKey, loaded.rootKey)
    // The node key is a plain libp2p key: PeerId and protobuf round trip work.
    assert.equal(peerIdFromPrivateKey(loaded.nodeKey).toString(), created.address)
    assert.ok(privateKeyFromProtobuf(privateKeyToProtobuf(loaded.nodeKey)).equals(loaded.nodeKey))
    assert.equal(verifyChain(loaded.chain, loaded.nodeKey.publicKey, NOW).address, created.address)

    await assert.rejects(createIdentity(home, { passphrase: 'x', ...FAST }), { code: 'ERR_IDENTITY_EXISTS' })
  })

  it('uses scrypt N = 2^15 by default', async function () {
    this.timeout(20_000)
    const t0 = performance.now()
    const created = await createIdentity(home, { passphrase: 'pw' })
    const t1 = performance.now()
    const loaded = await loadIdentity(home, { passphrase: 'pw' })
    const t2 = performance.now()
    assert.equal(SCRYPT_N, 32768)
    const json = JSON.parse(await readFile(file, 'utf8'))
    assert.deepEqual([json.root.N, json.root.r, json.root.p], [32768, 8, 1])
    sameIdentity(loaded, created)
    console.log(`      scrypt N=2^15: create ${(t1 - t0).toFixed(0)} ms, load ${(t2 - t1).toFixed(0)} ms`)
  })

  it('creates a device key certified by the root and reloads it', async () => {
    const created = await createIdentity(home, { passphrase: 'pw', deviceKey: true, label: 'laptop', now: NOW, ...FAST })
    assert.ok(!created.nodeKey.equals(created.rootKey))
    assert.ok(created.certificate instanceof Uint8Array)
    const cert = decodeCertificate(created.certificate)
    assert.equal(cert.label, 'laptop')
    assert.equal(cert.notAfter, NOW - 60 + MAX_CERT_VALIDITY_SECONDS)
    const v = verifyChain(created.chain, created.nodeKey.publicKey, NOW)
    assert.equal(v.address, created.address)
    assert.ok(v.rootPublicKey.equals(created.rootKey.publicKey))

    const json = JSON.parse(await readFile(file, 'utf8'))
    assert.equal(json.node.cipher, 'aes-256-gcm')
    assert.equal(json.certificate, Buffer.from(created.certificate).toString('hex'))

    const before = await fingerprint(file)
    const loaded = await loadIdentity(home, { passphrase: 'pw', now: NOW + DAY })
    sameIdentity(loaded, created)
    assert.deepEqual(await fingerprint(file), before, 'a fresh certificate is not rewritten')
  })

  it('renews a device certificate that expires within 7 days, atomically, keeping 0600', async () => {
    const created = await createIdentity(home, { passphrase: 'pw', deviceKey: true, label: 'laptop', now: NOW, ...FAST })
    const oldNotAfter = decodeCertificate(created.certificate!).notAfter
    const later = oldNotAfter - CERT_RENEW_BEFORE_SECONDS + 1
    const renewed = await loadIdentity(home, { passphrase: 'pw', now: later })
    const cert = decodeCertificate(renewed.certificate!)
    assert.equal(cert.notAfter, later - 60 + MAX_CERT_VALIDITY_SECONDS)
    assert.equal(cert.label, 'laptop')
    assert.ok(renewed.nodeKey.equals(created.nodeKey))
    assert.equal(verifyChain(renewed.chain, renewed.nodeKey.publicKey, later).address, created.address)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.deepEqual(await readdir(home), ['identity.json'], 'no temp file left behind')

    const reloaded = await loadIdentity(home, { passphrase: 'pw', now: later })
    assert.deepEqual(reloaded.certificate, renewed.certificate, 'the renewed certificate was persisted')

    // Already expired: renewed as well.
    const muchLater = later + 60 * DAY
    const again = await loadIdentity(home, { passphrase: 'pw', now: muchLater })
    assert.equal(verifyChain(again.chain, again.nodeKey.publicKey, muchLater).address, created.address)
  })

  it('wrong passphrase: ERR_WRONG_PASSPHRASE and the file is left byte-identical', async () => {
    await createIdentity(home, { passphrase: 'right', deviceKey: true, now: NOW, ...FAST })
    const before = await fingerprint(file)
    // Even at a time when the certificate would be renewed, a failed load writes nothing.
    await assert.rejects(loadIdentity(home, { passphrase: 'wrong', now: NOW + 29 * DAY }), { code: 'ERR_WRONG_PASSPHRASE', name: 'WrongPassphraseError' })
    assert.deepEqual(await fingerprint(file), before)
    assert.deepEqual(await readdir(home), ['identity.json'])
  })

  it('requires a passphrase unless insecureDevKey', async () => {
    await assert.rejects(createIdentity(home, {}), (err: any) => err.code === 'ERR_PASSPHRASE_REQUIRED' && /ATTN_PASSPHRASE/.test(err.message) && /--insecure-dev-key/.test(err.message))
    assert.equal(await identityExists(home), false)
    await createIdentity(home, { passphrase: 'pw', ...FAST })
    await assert.rejects(loadIdentity(home, {}), { code: 'ERR_PASSPHRASE_REQUIRED' })
    await assert.rejects(loadIdentity(home, { passphrase: '' }), { code: 'ERR_PASSPHRASE_REQUIRED' })
    await assert.rejects(loadIdentity(home, { insecureDevKey: true }), { code: 'ERR_PASSPHRASE_REQUIRED' })
  })

  it('insecure dev key: written in clear only when asked, refused on load unless allowed', async () => {
    const created = await createIdentity(home, { insecureDevKey: true, deviceKey: true, now: NOW })
    const json = JSON.parse(await readFile(file, 'utf8'))
    assert.deepEqual(json.root, { cipher: 'none', privateKey: Buffer.from(created.rootKey.raw).toString('hex') })
    assert.equal(json.node.cipher, 'none')
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    const before = await fingerprint(file)
    await assert.rejects(loadIdentity(home, { now: NOW }), { code: 'ERR_INSECURE_KEY_REFUSED' })
    await assert.rejects(loadIdentity(home, { passphrase: 'pw', now: NOW }), { code: 'ERR_INSECURE_KEY_REFUSED' })
    assert.deepEqual(await fingerprint(file), before)
    sameIdentity(await loadIdentity(home, { insecureDevKey: true, now: NOW }), created)
  })

  it('a passphrase wins over insecureDevKey on create', async () => {
    await createIdentity(home, { passphrase: 'pw', insecureDevKey: true, ...FAST })
    const json = JSON.parse(await readFile(file, 'utf8'))
    assert.equal(json.root.cipher, 'aes-256-gcm')
  })

  it('corrupt or inconsistent files: ERR_KEYSTORE_CORRUPT', async () => {
    const created = await createIdentity(home, { insecureDevKey: true, deviceKey: true, now: NOW })
    const good = JSON.parse(await readFile(file, 'utf8'))
    const other = join(base, 'other')
    const otherId = await createIdentity(other, { insecureDevKey: true, now: NOW })
    const variants: unknown[] = [
      'not json', '[]', 'null', '{}',
      { ...good, version: 2 },
      { ...good, address: 42 },
      { ...good, address: otherId.address }, // root key does not match the address
      { ...good, root: { cipher: 'none', privateKey: 'zz' } },
      { ...good, root: { cipher: 'none', privateKey: '00'.repeat(32) } }, // not a valid scalar
      { ...good, root: { cipher: 'rot13' } },
      { ...good, certificate: undefined },
      { ...good, certificate: 'abc' },
      { ...good, certificate: good.certificate.slice(0, -2) },
      { ...good, node: good.root }, // certificate does not match the node key
      { ...good, root: { kdf: 'scrypt', N: 2 ** 30, r: 8, p: 1, salt: '00'.repeat(16), cipher: 'aes-256-gcm', iv: '00'.repeat(12), ciphertext: '00'.repeat(48) } }
    ]
    for (const v of variants) {
      await writeFile(file, typeof v === 'string' ? v : JSON.stringify(v))
      await assert.rejects(loadIdentity(home, { insecureDevKey: true, now: NOW }), { code: 'ERR_KEYSTORE_CORRUPT' }, JSON.stringify(v))
    }
    await writeFile(file, JSON.stringify(good))
    sameIdentity(await loadIdentity(home, { insecureDevKey: true, now: NOW }), created)
  })

  it('encrypted blobs are bound to the address and role (cannot be swapped)', async () => {
    await createIdentity(home, { passphrase: 'pw', deviceKey: true, now: NOW, ...FAST })
    const good = JSON.parse(await readFile(file, 'utf8'))
    await writeFile(file, JSON.stringify({ ...good, root: good.node, node: good.root }))
    await assert.rejects(loadIdentity(home, { passphrase: 'pw', now: NOW }), { code: 'ERR_WRONG_PASSPHRASE' })
    const tampered = { ...good, root: { ...good.root, ciphertext: (good.root.ciphertext[0] === '0' ? '1' : '0') + good.root.ciphertext.slice(1) } }
    await writeFile(file, JSON.stringify(tampered))
    await assert.rejects(loadIdentity(home, { passphrase: 'pw', now: NOW }), { code: 'ERR_WRONG_PASSPHRASE' })
  })

  it('loadOrCreateIdentity creates once, then loads; loadIdentity of nothing is ERR_IDENTITY_NOT_FOUND', async () => {
    await assert.rejects(loadIdentity(home, { passphrase: 'pw' }), { code: 'ERR_IDENTITY_NOT_FOUND' })
    const a = await loadOrCreateIdentity(home, { passphrase: 'pw', deviceKey: true, ...FAST })
    assert.equal(a.created, true)
    const b = await loadOrCreateIdentity(home, { passphrase: 'pw', deviceKey: true, ...FAST })
    assert.equal(b.created, false)
    sameIdentity(a.identity, b.identity)
  })
})
