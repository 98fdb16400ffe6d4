import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import fc from 'fast-check'
import { AttnError } from '../../../src/errors.js'
import {
  attAddress, decodeCertificate, decodeChain, encodeCertificate, encodeChain, issueCertificate,
  MAX_CERT_VALIDITY_SECONDS, verifyCertificate, verifyChain
} from '../../../src/keys/index.js'
import type { PrivateKey } from '@libp2p/interface'

const NOW = 1_767_225_600 // 2026-01-01T00:00:00Z
const DECODE_CODES = new Set(['ERR_CERT_MALFORMED', 'ERR_CERT_UNSUPPORTED_VERSION', 'ERR_CHAIN_TOO_LONG'])
const VERIFY_CODES = new Set([...DECODE_CODES, 'ERR_CERT_BAD_SIGNATURE', 'ERR_CERT_EXPIRED', 'ERR_CERT_NOT_YET_VALID',
  'ERR_CHAIN_KEY_MISMATCH', 'ERR_CERT_VALIDITY_TOO_LONG'])

function code (fn: () => unknown): string | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    assert.ok(err instanceof AttnError, `expected an AttnError, got ${String(err)}`)
    return err.code
  }
}

describe('keys/certificate and chain', () => {
  let root: PrivateKey
  let node: PrivateKey
  let other: PrivateKey
  let certBytes: Uint8Array
  let chainBytes: Uint8Array

  before(async () => {
    root = await generateKeyPair('secp256k1')
    node = await generateKeyPair('secp256k1')
    other = await generateKeyPair('secp256k1')
    certBytes = encodeCertificate(issueCertificate(root, node.publicKey, { now: NOW, label: 'phone ☎' }))
    chainBytes = encodeChain([certBytes])
  })

  it('encodes with the fixed layout and decodes back', () => {
    const cert = issueCertificate(root, node.publicKey, { now: NOW, label: 'phone ☎' })
    const bytes = encodeCertificate(cert)
    const label = Buffer.from('phone ☎')
    assert.equal(bytes.byteLength, 1 + 1 + 33 + 33 + 8 + 8 + 1 + label.byteLength + 64)
    assert.equal(bytes[0], 1)
    assert.equal(bytes[1], 0)
    assert.deepEqual(bytes.subarray(2, 35), root.publicKey.raw)
    assert.deepEqual(bytes.subarray(35, 68), node.publicKey.raw)
    assert.equal(Buffer.from(bytes).readBigUInt64BE(68), BigInt(NOW - 60))
    assert.equal(Buffer.from(bytes).readBigUInt64BE(76), BigInt(NOW - 60 + MAX_CERT_VALIDITY_SECONDS))
    assert.equal(bytes[84], label.byteLength)
    const decoded = decodeCertificate(bytes)
    assert.equal(decoded.label, 'phone ☎')
    assert.equal(decoded.notBefore, NOW - 60)
    assert.ok(decoded.rootPublicKey.equals(root.publicKey))
    assert.deepEqual(encodeCertificate(decoded), bytes)
    assert.deepEqual(verifyCertificate(bytes, NOW).signature, cert.signature)
  })

  it('refuses to issue a window over 30 days unless maxValidity is raised, and an oversized label', () => {
    assert.throws(() => issueCertificate(root, node.publicKey, { notBefore: NOW, notAfter: NOW + MAX_CERT_VALIDITY_SECONDS + 1 }), { code: 'ERR_CERT_VALIDITY_TOO_LONG' })
    const long = issueCertificate(root, node.publicKey, { notBefore: NOW, notAfter: NOW + 2 * MAX_CERT_VALIDITY_SECONDS, maxValidity: 2 * MAX_CERT_VALIDITY_SECONDS })
    assert.equal(code(() => verifyCertificate(encodeCertificate(long), NOW)), 'ERR_CERT_VALIDITY_TOO_LONG')
    assert.throws(() => issueCertificate(root, node.publicKey, { label: 'x'.repeat(65) }), RangeError)
    assert.doesNotThrow(() => issueCertificate(root, node.publicKey, { label: 'é'.repeat(32) }))
  })

  it('verifies the validity window with a 60 s clock-skew tolerance', () => {
    const cert = decodeCertificate(certBytes)
    assert.equal(code(() => verifyCertificate(cert, cert.notBefore - 60)), undefined)
    assert.equal(code(() => verifyCertificate(cert, cert.notBefore - 61)), 'ERR_CERT_NOT_YET_VALID')
    assert.equal(code(() => verifyCertificate(cert, cert.notAfter + 60)), undefined)
    assert.equal(code(() => verifyCertificate(cert, cert.notAfter + 61)), 'ERR_CERT_EXPIRED')
    assert.equal(code(() => verifyCertificate(cert, cert.notAfter + 1, { clockSkew: 0 })), 'ERR_CERT_EXPIRED')
  })

  it('verifies a chain with a certificate and a root-only chain', () => {
    const v = verifyChain(chainBytes, node.publicKey, NOW)
    assert.equal(v.address, attAddress(root.publicKey))
    assert.ok(v.rootPublicKey.equals(root.publicKey))
    assert.ok(v.nodePublicKey.equals(node.publicKey))
    assert.equal(v.notAfter, NOW - 60 + MAX_CERT_VALIDITY_SECONDS)
    assert.deepEqual(verifyChain(chainBytes, node.publicKey.raw, NOW).address, v.address)

    const rootOnly = encodeChain([])
    assert.deepEqual(rootOnly, new Uint8Array([0]))
    const r = verifyChain(rootOnly, root.publicKey, NOW)
    assert.equal(r.address, attAddress(root.publicKey))
    assert.equal(r.notAfter, undefined)
  })

  it('reports each failure with its own code', async () => {
    assert.equal(code(() => verifyChain(chainBytes, other.publicKey, NOW)), 'ERR_CHAIN_KEY_MISMATCH')
    const ed = await generateKeyPair('Ed25519')
    assert.equal(code(() => verifyChain(chainBytes, ed.publicKey, NOW)), 'ERR_CHAIN_KEY_MISMATCH')
    const flipped = certBytes.slice(); flipped[flipped.length - 1] ^= 1
    assert.equal(code(() => verifyChain(encodeChain([flipped]), node.publicKey, NOW)), 'ERR_CERT_BAD_SIGNATURE')
    const body = certBytes.slice(); body[83] ^= 1 // lowest byte of not_after
    assert.equal(code(() => verifyChain(encodeChain([body]), node.publicKey, NOW)), 'ERR_CERT_BAD_SIGNATURE')
    assert.equal(code(() => encodeChain([certBytes, certBytes])), 'ERR_CHAIN_TOO_LONG')
    const two = Buffer.concat([Buffer.from([2]), encodeChain([certBytes]).subarray(1), encodeChain([certBytes]).subarray(1)])
    assert.equal(code(() => verifyChain(two, node.publicKey, NOW)), 'ERR_CHAIN_TOO_LONG')
    assert.equal(code(() => decodeChain(new Uint8Array())), 'ERR_CERT_MALFORMED')
    assert.equal(code(() => decodeChain(new Uint8Array([0, 0]))), 'ERR_CERT_MALFORMED')
    assert.equal(code(() => decodeChain(chainBytes.subarray(0, -1))), 'ERR_CERT_MALFORMED')
    assert.equal(code(() => decodeChain(Buffer.concat([chainBytes, Buffer.from([0])]))), 'ERR_CERT_MALFORMED')
    assert.equal(code(() => decodeCertificate(Buffer.concat([certBytes, Buffer.from([0])]))), 'ERR_CERT_MALFORMED')
    const v2 = certBytes.slice(); v2[0] = 2
    assert.equal(code(() => decodeCertificate(v2)), 'ERR_CERT_UNSUPPORTED_VERSION')
    const flags = certBytes.slice(); flags[1] = 1
    assert.equal(code(() => decodeCertificate(flags)), 'ERR_CERT_MALFORMED')
    const badPoint = certBytes.slice(); badPoint[2] = 4
    assert.equal(code(() => decodeCertificate(badPoint)), 'ERR_CERT_MALFORMED')
    const badUtf8 = issueCertificate(root, node.publicKey, { now: NOW, label: 'ab' })
    const badUtf8Bytes = encodeCertificate(badUtf8); badUtf8Bytes[85] = 0xff
    assert.equal(code(() => decodeCertificate(badUtf8Bytes)), 'ERR_CERT_MALFORMED')
    const reversed = certBytes.slice(); Buffer.from(reversed.buffer).writeBigUInt64BE(BigInt(NOW + 10 ** 9), 68)
    assert.equal(code(() => decodeCertificate(reversed)), 'ERR_CERT_MALFORMED')
  })

  it('decodeCertificate and decodeChain throw only typed errors on random bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const c1 = code(() => decodeCertificate(bytes))
      assert.ok(c1 === undefined || DECODE_CODES.has(c1), c1)
      const c2 = code(() => decodeChain(bytes))
      assert.ok(c2 === undefined || DECODE_CODES.has(c2), c2)
    }), { seed: 11, numRuns: 2000 })
    // Past the version byte: a valid header prefix followed by random bytes reaches the deeper checks.
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, keys) => {
      const head = keys ? certBytes.subarray(0, 68) : certBytes.subarray(0, 2)
      const bytes = new Uint8Array([...head, ...tail])
      const c1 = code(() => decodeCertificate(bytes))
      assert.ok(c1 === undefined || DECODE_CODES.has(c1), c1)
      const c2 = code(() => decodeChain(new Uint8Array([1, bytes.byteLength >> 8, bytes.byteLength & 0xff, ...bytes])))
      assert.ok(c2 === undefined || DECODE_CODES.has(c2), c2)
    }), { seed: 12, numRuns: 2000 })
  })

  it('mutated certificates and chains never escape the typed errors (property)', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) })
    )
    const apply = (bytes: Uint8Array, muts: Array<{ kind: 'set' | 'cut' | 'insert', at: number, value: number }>): Uint8Array => {
      let out = Buffer.from(bytes)
      for (const m of muts) {
        const at = out.length === 0 ? 0 : m.at % (out.length + (m.kind === 'insert' ? 1 : 0))
        if (m.kind === 'set' && out.length > 0) out[at] = m.value
        else if (m.kind === 'cut') out = out.subarray(0, at)
        else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from([m.value]), out.subarray(at)])
      }
      return new Uint8Array(out)
    }
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (muts, onChain) => {
      const bytes = apply(onChain ? chainBytes : certBytes, muts)
      const c = onChain
        ? code(() => verifyChain(bytes, node.publicKey, NOW))
        : code(() => verifyCertificate(bytes, NOW))
      assert.ok(c === undefined || VERIFY_CODES.has(c), c)
      if (c === undefined) {
        // Anything that still verifies must be exactly the original (canonical, non-malleable encoding).
        assert.deepEqual(bytes, onChain ? chainBytes : certBytes)
      }
    }), { seed: 5, numRuns: 1500 })
  })
})
