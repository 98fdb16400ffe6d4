/**
 * protocols/vectors/session-keys.json and protocols/vectors/handshake.json: this file both
 * generates the vectors and checks them.
 * Regenerate after an intentional change:
 *   `ATTN_WRITE_VECTORS=1 npx mocha --no-config dist/test/unit/session/handshake-vectors.spec.js`
 *
 * Every input is fixed (keys from SHA-256 of labels, fixed ephemerals, nonces, hs_id, salt, now);
 * signatures are RFC 6979 deterministic, so the files are reproducible. The intermediate values
 * (handshake keys, th_R, th_I, transcript hash) are computed by an independent reference written
 * here from protocols/attnproto.md Part 3 with node:crypto only, and the messages it builds are
 * compared byte for byte with the production classes.
 */
import assert from 'node:assert/strict'
import { createCipheriv, createHash, createHmac, hkdfSync } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { x25519PublicKey, x25519SharedSecret } from '../../../src/crypto/index.js'
import { AttnError } from '../../../src/errors.js'
import { attAddress, encodeChain, issueCertificate, MAX_CERT_VALIDITY_SECONDS, sign } from '../../../src/keys/index.js'
import {
  decodeHandshakeHeader, decodeReject, deriveHandshakeKeys, deriveSessionKeys, encodeReject, encodeSessionUnknown,
  InitiatorHandshake, rejectForBadHeader, ResponderHandshake
} from '../../../src/session/handshake.js'
import type { HandshakeIdentity } from '../../../src/session/handshake.js'
import type { PrivateKey } from '@libp2p/interface'
import {
  SESSION_KEYS_FILE, HANDSHAKE_FILE, WRITE, hkdf, answerTo, sessionKeysFile, hex, unhex, runProduction, caseFromJson, generateHandshake, runInvalid
} from './handshake-vector-cases.js'
// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------
describe('handshake vectors', () => {
  if (WRITE) {
    writeFileSync(SESSION_KEYS_FILE, JSON.stringify(sessionKeysFile(), null, 2) + '\n')
    writeFileSync(HANDSHAKE_FILE, JSON.stringify(generateHandshake(), null, 2) + '\n')
  }

  const sessionKeysJson = JSON.parse(readFileSync(SESSION_KEYS_FILE, 'utf8'))
  const sessionKeys = sessionKeysJson.vectors
  const handshake = JSON.parse(readFileSync(HANDSHAKE_FILE, 'utf8'))

  it('the committed files are exactly what the generator produces', () => {
    assert.deepEqual(sessionKeysJson, sessionKeysFile())
    assert.deepEqual(handshake, generateHandshake())
  })

  it('has enough vectors', () => {
    assert.ok(sessionKeys.length >= 4)
    assert.ok(handshake.valid.length >= 2)
    assert.ok(handshake.invalid.length >= 4)
  })

  describe('session-keys.json', () => {
    for (const v of sessionKeys) {
      it(v.description, () => {
        const iPriv = unhex(v.initiator_ephemeral_private)
        const rPriv = unhex(v.responder_ephemeral_private)
        const eeI = x25519SharedSecret(iPriv, x25519PublicKey(rPriv))
        const eeR = x25519SharedSecret(rPriv, x25519PublicKey(iPriv))
        assert.equal(hex(eeI), v.shared_secret)
        assert.equal(hex(eeR), v.shared_secret)
        const { sessionId, keys } = deriveSessionKeys(eeI, unhex(v.transcript_hash))
        assert.equal(hex(sessionId), v.session_id)
        assert.equal(hex(keys.kMacI2R), v.k_mac_i2r)
        assert.equal(hex(keys.kEncI2R), v.k_enc_i2r)
        assert.equal(hex(keys.kMacR2I), v.k_mac_r2i)
        assert.equal(hex(keys.kEncR2I), v.k_enc_r2i)
        // the schedule written out: HKDF-SHA256(ee, th, "attn/1 session", 136), split 8/32/32/32/32
        const okm = hkdf(eeI, unhex(v.transcript_hash), 'attn/1 session', 136)
        assert.equal(hex(okm), v.session_id + v.k_mac_i2r + v.k_enc_i2r + v.k_mac_r2i + v.k_enc_r2i)
      })
    }
  })

  describe('handshake.json valid', () => {
    for (const v of handshake.valid) {
      it(v.description, () => {
        const c = caseFromJson(v)
        const p = runProduction(c)
        assert.equal(hex(p.hello), v.hello)
        assert.equal(hex(p.response), v.response)
        assert.equal(hex(p.finish), v.finish)
        assert.equal(hex(p.accept), v.accept)
        assert.equal(hex(p.transcriptHash), v.transcript_hash)
        for (const s of [p.i, p.r]) {
          assert.equal(hex(s.id), v.session_id)
        }
        const hk = deriveHandshakeKeys(unhex(v.shared_secret), p.hello, p.response.subarray(0, 90))
        assert.equal(hex(hk.r2i), v.hs_r2i)
        assert.equal(hex(hk.i2r), v.hs_i2r)
        assert.equal(hex(hk.finR), v.hs_fin_r)
        assert.equal(hex(hk.finI), v.hs_fin_i)
        const { keys } = deriveSessionKeys(unhex(v.shared_secret), unhex(v.transcript_hash))
        assert.deepEqual([keys.kMacI2R, keys.kEncI2R, keys.kMacR2I, keys.kEncR2I].map(hex), [v.k_mac_i2r, v.k_enc_i2r, v.k_mac_r2i, v.k_enc_r2i])
        assert.equal(p.i.remote.address, v.responder.address)
        assert.equal(p.r.remote.address, v.initiator.address)
        assert.equal(hex(p.i.remote.nodePublicKey), v.responder.node_public)
        assert.equal(hex(p.r.remote.nodePublicKey), v.initiator.node_public)
        // the two sessions interoperate: I seals, R opens and back
        const a = p.i.seal(new TextEncoder().encode('ping'), c.now)
        assert.equal(new TextDecoder().decode(p.r.open(a.frame, c.now).data), 'ping')
        const b = p.r.seal(new TextEncoder().encode('pong'), c.now)
        assert.equal(new TextDecoder().decode(p.i.open(b.frame, c.now).data), 'pong')
      })
    }
  })

  describe('handshake.json invalid', () => {
    for (const v of handshake.invalid) {
      it(`${v.description} → ${v.error as string}`, () => {
        assert.equal(runInvalid(caseFromJson(v), v.step, unhex(v.message)), v.error)
      })
    }
  })

  describe('handshake.json answers (REJECT for an undecodable header)', () => {
    for (const v of handshake.answers) {
      it(v.description, () => {
        const answer = answerTo(unhex(v.received))
        assert.equal(hex(answer ?? new Uint8Array(0)), v.answer)
        if (answer != null) assert.deepEqual(answer.subarray(10, 18), unhex(v.received).subarray(10, 18))
      })
    }
  })

  describe('handshake.json notices', () => {
    for (const v of handshake.notices) {
      it(v.description, () => {
        if (v.type === 'reject') {
          assert.equal(hex(encodeReject(unhex(v.hs_id), v.code)), v.message)
          assert.equal(decodeReject(unhex(v.message)), v.code)
        } else {
          assert.equal(hex(encodeSessionUnknown(unhex(v.session_id))), v.message)
        }
      })
    }
  })
})
