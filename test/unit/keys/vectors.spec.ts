/**
 * protocols/vectors/certificates.json: this file both generates the vectors and checks them.
 * Regenerate with `ATTN_WRITE_VECTORS=1 npx mocha dist/test/unit/keys/vectors.spec.js`.
 * Certificates are built here byte by byte from the spec layout (an independent encoder), the
 * valid ones are compared with issueCertificate/encodeCertificate, and every case is checked
 * with verifyChain. Signatures are deterministic (RFC 6979), so the file is reproducible.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { AttnError } from '../../../src/errors.js'
import {
  attAddress, encodeCertificate, encodeChain, evmAddress, issueCertificate, MAX_CERT_VALIDITY_SECONDS, sign,
  signatureDigest, verify, verifyChain, DOMAIN_CERT, DOMAIN_HANDSHAKE, DOMAIN_DIRECTORY, DOMAIN_ENVELOPE, DOMAIN_RECEIPT,
  DOMAIN_GROUP, DOMAIN_GROUP_MESSAGE, DOMAIN_REWARD
} from '../../../src/keys/index.js'
import type { PrivateKey } from '@libp2p/interface'

const VECTORS = fileURLToPath(new URL('../../../../protocols/vectors/certificates.json', import.meta.url))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const keyFrom = (seed: string): PrivateKey => privateKeyFromRaw(new Uint8Array(createHash('sha256').update(seed).digest()))

const ROOT = keyFrom('attn/1 test vectors: root key')
const NODE = keyFrom('attn/1 test vectors: node key')
const OTHER = keyFrom('attn/1 test vectors: other key')
const NOW = 1_767_225_600 // 2026-01-01T00:00:00Z
const NB = NOW - 60
const NA = NB + MAX_CERT_VALIDITY_SECONDS

interface RawCert {
  version?: number
  flags?: number
  root?: Uint8Array
  node?: Uint8Array
  notBefore?: number
  notAfter?: number
  label?: Uint8Array
}

/** The certificate layout of protocols/attnproto.md Part 1, written out independently of src/keys. */
function certBytes (fields: RawCert, signer: PrivateKey = ROOT): Uint8Array {
  const label = fields.label ?? Buffer.from('laptop')
  const tbs = Buffer.concat([
    Buffer.from([fields.version ?? 1, fields.flags ?? 0]),
    fields.root ?? ROOT.publicKey.raw,
    fields.node ?? NODE.publicKey.raw,
    u64(fields.notBefore ?? NB),
    u64(fields.notAfter ?? NA),
    Buffer.from([label.byteLength]),
    label
  ])
  return new Uint8Array(Buffer.concat([tbs, sign(signer, 'cert', tbs)]))
}

function u64 (n: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(n))
  return b
}

/** count | (cert_len | cert)*, with an explicit count so invalid chains can be written. */
function chainBytes (certs: Uint8Array[], count = certs.length): Uint8Array {
  const parts: Buffer[] = [Buffer.from([count])]
  for (const c of certs) {
    const len = Buffer.alloc(2)
    len.writeUInt16BE(c.byteLength)
    parts.push(len, Buffer.from(c))
  }
  return new Uint8Array(Buffer.concat(parts))
}

function flip (bytes: Uint8Array, index: number, mask = 1): Uint8Array {
  const out = bytes.slice()
  out[index < 0 ? out.length + index : index] ^= mask
  return out
}

interface Case {
  description: string
  root_private_key: string
  node_private_key: string
  now: number
  chain: string
  /** The error code, or "OK" when the chain verifies (then `address` is the proved address). */
  error: string
  address?: string
}

function generate (): Record<string, unknown> {
  const address = attAddress(ROOT.publicKey)
  const good = certBytes({})
  // Valid certificates must be exactly what production code issues.
  assert.deepEqual(good, encodeCertificate(issueCertificate(ROOT, NODE.publicKey, { now: NOW, label: 'laptop' })))
  const emptyLabel = certBytes({ label: new Uint8Array() })
  assert.deepEqual(emptyLabel, encodeCertificate(issueCertificate(ROOT, NODE.publicKey, { notBefore: NB, notAfter: NA })))
  const utf8Label = certBytes({ label: Buffer.from('téléphone ☎') })
  assert.deepEqual(utf8Label, encodeCertificate(issueCertificate(ROOT, NODE.publicKey, { now: NOW, label: 'téléphone ☎' })))
  assert.deepEqual(chainBytes([good]), encodeChain([good]))
  assert.deepEqual(chainBytes([]), encodeChain([]))

  const ok = (description: string, chain: Uint8Array, node: PrivateKey = NODE, now = NOW): Case =>
    ({ description, root_private_key: hex(ROOT.raw), node_private_key: hex(node.raw), now, chain: hex(chain), error: 'OK', address })
  const bad = (description: string, error: string, chain: Uint8Array, node: PrivateKey = NODE, now = NOW): Case =>
    ({ description, root_private_key: hex(ROOT.raw), node_private_key: hex(node.raw), now, chain: hex(chain), error })

  const cases: Case[] = [
    ok('valid: the root key certifies a device key, label "laptop"', chainBytes([good])),
    ok('valid: root-only chain (count 0), the node runs on the root key itself', chainBytes([]), ROOT),
    ok('valid: empty label', chainBytes([emptyLabel])),
    ok('valid: UTF-8 label', chainBytes([utf8Label])),
    ok('valid: now = not_before - 60 (clock-skew tolerance)', chainBytes([good]), NODE, NB - 60),
    ok('valid: now = not_after + 60 (clock-skew tolerance)', chainBytes([good]), NODE, NA + 60),
    bad('expired: now = not_after + 61', 'ERR_CERT_EXPIRED', chainBytes([good]), NODE, NA + 61),
    bad('not yet valid: now = not_before - 61', 'ERR_CERT_NOT_YET_VALID', chainBytes([good]), NODE, NB - 61),
    bad('bad signature: last bit of the signature flipped', 'ERR_CERT_BAD_SIGNATURE', chainBytes([flip(good, -1)])),
    bad('bad signature: a bit of not_after flipped', 'ERR_CERT_BAD_SIGNATURE', chainBytes([flip(good, 83)])),
    bad('wrong root: root_pubkey names another key, signature by the root key', 'ERR_CERT_BAD_SIGNATURE', chainBytes([certBytes({ root: OTHER.publicKey.raw })])),
    bad('wrong root: signed by another key', 'ERR_CERT_BAD_SIGNATURE', chainBytes([certBytes({}, OTHER)])),
    bad('malformed: chain truncated (last byte missing)', 'ERR_CERT_MALFORMED', chainBytes([good]).subarray(0, -1)),
    bad('malformed: certificate truncated, cert_len consistent', 'ERR_CERT_MALFORMED', chainBytes([good.subarray(0, -1)])),
    bad('malformed: trailing byte after the chain', 'ERR_CERT_MALFORMED', new Uint8Array([...chainBytes([good]), 0])),
    bad('malformed: trailing byte inside the certificate, cert_len consistent', 'ERR_CERT_MALFORMED', chainBytes([new Uint8Array([...good, 0])])),
    bad('malformed: trailing byte after a root-only chain', 'ERR_CERT_MALFORMED', new Uint8Array([0, 0])),
    bad('malformed: empty chain bytes', 'ERR_CERT_MALFORMED', new Uint8Array()),
    bad('unsupported version: version byte 2 (signed)', 'ERR_CERT_UNSUPPORTED_VERSION', chainBytes([certBytes({ version: 2 })])),
    bad('malformed: label of 65 bytes (signed)', 'ERR_CERT_MALFORMED', chainBytes([certBytes({ label: Buffer.alloc(65, 0x61) })])),
    bad('malformed: label is not UTF-8 (signed)', 'ERR_CERT_MALFORMED', chainBytes([certBytes({ label: new Uint8Array([0x61, 0xff]) })])),
    bad('malformed: flags = 1 (signed)', 'ERR_CERT_MALFORMED', chainBytes([certBytes({ flags: 1 })])),
    bad('malformed: root_pubkey is not a compressed point (prefix 0x04)', 'ERR_CERT_MALFORMED', chainBytes([flip(good, 2, good[2] ^ 0x04)])),
    bad('malformed: not_after before not_before (signed)', 'ERR_CERT_MALFORMED', chainBytes([certBytes({ notBefore: NA, notAfter: NB })])),
    bad('key mismatch: the handshake was signed by a key the certificate does not name', 'ERR_CHAIN_KEY_MISMATCH', chainBytes([good]), OTHER),
    bad('key mismatch: the root key signed the handshake but the chain certifies the device key', 'ERR_CHAIN_KEY_MISMATCH', chainBytes([good]), ROOT),
    bad('chain too long: count 2 (root -> node, node -> other)', 'ERR_CHAIN_TOO_LONG', chainBytes([good, certBytes({ root: NODE.publicKey.raw, node: OTHER.publicKey.raw }, NODE)]), OTHER),
    bad('validity too long: 30 days + 1 s (signed)', 'ERR_CERT_VALIDITY_TOO_LONG', chainBytes([certBytes({ notAfter: NA + 1 })]))
  ]

  const sigKey = ROOT
  const signatures = [
    // one per domain of the table in Part 1 (the same message under two domains gives unrelated signatures)
    { domain: DOMAIN_CERT, message: '' },
    { domain: DOMAIN_HANDSHAKE, message: hex(Buffer.from('attn')) },
    { domain: DOMAIN_DIRECTORY, message: hex(Buffer.from('attn')) },
    { domain: DOMAIN_ENVELOPE, message: hex(Buffer.from('attn')) },
    { domain: DOMAIN_RECEIPT, message: '00'.repeat(32) },
    { domain: DOMAIN_GROUP, message: hex(Buffer.from('attn')) },
    { domain: DOMAIN_GROUP_MESSAGE, message: hex(Buffer.from('attn')) },
    { domain: DOMAIN_REWARD, message: hex(Buffer.from('attn')) }
  ].map(({ domain, message }) => ({
    domain,
    message,
    private_key: hex(sigKey.raw),
    public_key: hex(sigKey.publicKey.raw),
    digest: hex(signatureDigest(domain, unhex(message))),
    signature: hex(sign(sigKey, domain, unhex(message)))
  }))

  const addresses = [ROOT, NODE, OTHER].map(k => ({
    private_key: hex(k.raw),
    public_key: hex(k.publicKey.raw),
    address: attAddress(k.publicKey),
    evm_address: evmAddress(k.publicKey)
  }))

  return {
    description: 'ATT identities: signatures, addresses, certificates and key chains (protocols/attnproto.md Part 1). For each case, verify `chain` as received from a peer whose handshake was signed by node_private_key\'s public key, at unix time `now`; expect error "OK" and `address`, or the error code. `signatures`: one per signature domain (Part 1 table), digest = SHA-256("attn/1 " | domain | 0x00 | message), RFC 6979 low-S.',
    clock_skew_seconds: 60,
    max_validity_seconds: MAX_CERT_VALIDITY_SECONDS,
    signatures,
    addresses,
    cases
  }
}

function errorCode (fn: () => unknown): string {
  try {
    fn()
    return 'OK'
  } catch (err) {
    assert.ok(err instanceof AttnError, String(err))
    return err.code
  }
}

describe('keys/vectors (protocols/vectors/certificates.json)', () => {
  let file: any

  before(async () => {
    if (process.env.ATTN_WRITE_VECTORS === '1') {
      await writeFile(VECTORS, JSON.stringify(generate(), null, 2) + '\n')
    }
    file = JSON.parse(await readFile(VECTORS, 'utf8'))
  })

  it('is reproduced byte for byte by the production code', () => {
    assert.deepEqual(file, generate())
  })

  it('every chain case verifies (or fails) as stated', () => {
    assert.ok(file.cases.length >= 20)
    for (const c of file.cases as Case[]) {
      const node = privateKeyFromRaw(unhex(c.node_private_key))
      let address: string | undefined
      const code = errorCode(() => { address = verifyChain(unhex(c.chain), node.publicKey, c.now).address })
      assert.equal(code, c.error, c.description)
      assert.equal(address, c.address, c.description)
      if (c.error === 'OK') assert.equal(c.address, attAddress(privateKeyFromRaw(unhex(c.root_private_key)).publicKey))
    }
  })

  it('signature and address vectors check', () => {
    for (const s of file.signatures) {
      const key = privateKeyFromRaw(unhex(s.private_key))
      assert.equal(hex(key.publicKey.raw), s.public_key)
      assert.equal(hex(sign(key, s.domain, unhex(s.message))), s.signature)
      assert.ok(verify(unhex(s.public_key), s.domain, unhex(s.message), unhex(s.signature)))
      const preimage = Buffer.concat([Buffer.from(`attn/1 ${s.domain}\0`), unhex(s.message)])
      assert.equal(createHash('sha256').update(preimage).digest('hex'), s.digest)
    }
    for (const a of file.addresses) {
      const key = privateKeyFromRaw(unhex(a.private_key))
      assert.equal(attAddress(key.publicKey), a.address)
      assert.equal(evmAddress(key.publicKey), a.evm_address)
    }
  })
})
