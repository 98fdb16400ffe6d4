import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  decodeRatchetState, encodeRatchetState, initiateSession, ratchetDecrypt, ratchetEncrypt, readRatchetHeader, respondSession
} from '../../../src/messaging/protocol/ratchet.js'
import type { KeyPair, RatchetState } from '../../../src/messaging/protocol/ratchet.js'
import { Reader, utf8 } from '../../../src/messaging/protocol/codec.js'
import { x25519KeyPair } from '../../../src/messaging/primitives.js'
import { RATCHET_MAX_SKIP, NO_ONE_TIME_PREKEY } from '../../../src/messaging/constants.js'
import { NOW_MS } from './fixtures.js'

const AAD = utf8('context')

interface Pair { a: RatchetState, b?: RatchetState, bIdentity: KeyPair, spk: KeyPair, opk?: KeyPair }

function start (withOpk = true): Pair {
  const aIdentity = x25519KeyPair()
  const bIdentity = x25519KeyPair()
  const spk = x25519KeyPair()
  const opk = withOpk ? x25519KeyPair() : undefined
  const a = initiateSession({
    identity: aIdentity,
    remote: { identityKey: bIdentity.publicKey, signedPrekeyId: 7, signedPrekey: spk.publicKey, oneTimePrekey: opk == null ? undefined : { id: 9, publicKey: opk.publicKey } }
  })
  return { a, bIdentity, spk, opk }
}

/** B's side of a message: respond to the start header when B has no session yet. */
function bReceive (p: Pair, header: Uint8Array, ciphertext: Uint8Array, nowMs = NOW_MS): Uint8Array {
  const h = readRatchetHeader(new Reader(header, 'h'))
  let state = p.b
  if (state == null) {
    assert.ok(h.start != null, 'the first messages carry the start header')
    state = respondSession({
      identity: p.bIdentity,
      signedPrekey: id => id === 7 ? p.spk : undefined,
      oneTimePrekey: id => id === 9 ? p.opk : undefined,
      start: h.start
    }, what => new Error(what)).state
  }
  const out = ratchetDecrypt(state, h, ciphertext, AAD, { nowMs })
  p.b = out.state
  return out.plaintext
}

function codeOf (fn: () => unknown): string {
  try { fn() } catch (err: any) { return err.code ?? String(err) } return 'OK'
}

describe('messaging ratchet (session start + double ratchet)', () => {
  it('a conversation both ways; the start header rides until the first answer; state survives encoding', () => {
    for (const withOpk of [true, false]) {
      const p = start(withOpk)
      const m1 = ratchetEncrypt(p.a, utf8('a1'), AAD); p.a = m1.state
      const m2 = ratchetEncrypt(p.a, utf8('a2'), AAD); p.a = m2.state
      assert.ok(readRatchetHeader(new Reader(m2.header, 'h')).start != null)
      assert.equal(readRatchetHeader(new Reader(m2.header, 'h')).start?.oneTimePrekeyId, withOpk ? 9 : NO_ONE_TIME_PREKEY)
      // the first message is lost: the second one still starts the session
      assert.deepEqual(bReceive(p, m2.header, m2.ciphertext), utf8('a2'))
      assert.deepEqual(bReceive(p, m1.header, m1.ciphertext), utf8('a1'))
      const r1 = ratchetEncrypt(p.b as RatchetState, utf8('b1'), AAD); p.b = r1.state
      const h = readRatchetHeader(new Reader(r1.header, 'h'))
      assert.equal(h.start, undefined, 'the responder sends no start header')
      p.a = ratchetDecrypt(p.a, h, r1.ciphertext, AAD, { nowMs: NOW_MS }).state
      p.a = decodeRatchetState(encodeRatchetState(p.a))
      const m3 = ratchetEncrypt(p.a, utf8('a3'), AAD); p.a = m3.state
      assert.equal(readRatchetHeader(new Reader(m3.header, 'h')).start, undefined, 'answered: no more start header')
      p.b = decodeRatchetState(encodeRatchetState(p.b as RatchetState))
      assert.deepEqual(bReceive(p, m3.header, m3.ciphertext), utf8('a3'))
    }
  })

  it('a duplicate fails with ERR_MESSAGE_KEY_UNAVAILABLE and leaves the chain working; a forgery leaves the state unchanged', () => {
    const p = start()
    const m1 = ratchetEncrypt(p.a, utf8('1'), AAD); p.a = m1.state
    const m2 = ratchetEncrypt(p.a, utf8('2'), AAD); p.a = m2.state
    bReceive(p, m1.header, m1.ciphertext)
    const before = encodeRatchetState(p.b as RatchetState)
    assert.equal(codeOf(() => bReceive(p, m1.header, m1.ciphertext)), 'ERR_MESSAGE_KEY_UNAVAILABLE')
    const bad = m2.ciphertext.slice(); bad[0] ^= 1
    assert.equal(codeOf(() => bReceive(p, m2.header, bad)), 'ERR_DECRYPT_FAILED')
    assert.deepEqual(encodeRatchetState(p.b as RatchetState), before)
    assert.deepEqual(bReceive(p, m2.header, m2.ciphertext), utf8('2'))
  })

  it(`skips at most ${RATCHET_MAX_SKIP} keys in one chain; skipped keys expire after 30 days`, () => {
    const p = start()
    const first = ratchetEncrypt(p.a, utf8('0'), AAD); p.a = first.state
    bReceive(p, first.header, first.ciphertext)
    const late = ratchetEncrypt(p.a, utf8('late'), AAD); p.a = late.state
    let last = late
    for (let i = 0; i < RATCHET_MAX_SKIP + 1; i++) { last = ratchetEncrypt(p.a, utf8('x'), AAD); p.a = last.state }
    assert.equal(codeOf(() => bReceive(p, last.header, last.ciphertext)), 'ERR_MESSAGE_KEY_UNAVAILABLE')
    // within the bound: skip 3, then the skipped one opens once, and not after 30 days
    const q = start()
    const ms = [0, 1, 2, 3].map(i => { const m = ratchetEncrypt(q.a, utf8(String(i)), AAD); q.a = m.state; return m })
    bReceive(q, ms[3].header, ms[3].ciphertext)
    assert.deepEqual(bReceive(q, ms[1].header, ms[1].ciphertext), utf8('1'))
    assert.equal(codeOf(() => bReceive(q, ms[2].header, ms[2].ciphertext, NOW_MS + 31 * 86_400_000)), 'ERR_MESSAGE_KEY_UNAVAILABLE')
  })

  it('property: any delivery order (with duplicates) across ratchet steps opens every message exactly once', () => {
    fc.assert(fc.property(
      fc.array(fc.boolean(), { minLength: 1, maxLength: 24 }),
      fc.array(fc.nat(), { maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (senders, order, dups) => {
        const p = start()
        // a prefix exchange so both sides have sessions, then messages from both directions
        const m0 = ratchetEncrypt(p.a, utf8('hello'), AAD); p.a = m0.state
        bReceive(p, m0.header, m0.ciphertext)
        const sent: Array<{ fromA: boolean, header: Uint8Array, ciphertext: Uint8Array, text: string }> = []
        senders.forEach((fromA, i) => {
          const text = `m${i}`
          if (fromA) { const m = ratchetEncrypt(p.a, utf8(text), AAD); p.a = m.state; sent.push({ fromA, ...m, text }) } else {
            const m = ratchetEncrypt(p.b as RatchetState, utf8(text), AAD); p.b = m.state; sent.push({ fromA, ...m, text })
          }
        })
        // a permutation of the messages, then some duplicates
        const idx = sent.map((_, i) => i)
        for (let i = idx.length - 1; i > 0; i--) { const j = (order[i % Math.max(1, order.length)] ?? 0) % (i + 1); [idx[i], idx[j]] = [idx[j], idx[i]] }
        for (const d of dups) idx.push(d % sent.length)
        const opened = new Map<string, number>()
        for (const i of idx) {
          const m = sent[i]
          const h = readRatchetHeader(new Reader(m.header, 'h'))
          try {
            if (m.fromA) { const r = ratchetDecrypt(p.b as RatchetState, h, m.ciphertext, AAD, { nowMs: NOW_MS }); p.b = r.state; assert.equal(new TextDecoder().decode(r.plaintext), m.text) } else {
              const r = ratchetDecrypt(p.a, h, m.ciphertext, AAD, { nowMs: NOW_MS }); p.a = r.state; assert.equal(new TextDecoder().decode(r.plaintext), m.text)
            }
            opened.set(m.text, (opened.get(m.text) ?? 0) + 1)
          } catch (err: any) {
            assert.equal(err.code, 'ERR_MESSAGE_KEY_UNAVAILABLE', `${m.text}: ${String(err.message)}`)
          }
        }
        for (const m of sent) assert.equal(opened.get(m.text), 1, `${m.text} opened exactly once`)
      }
    ), { numRuns: 150 })
  })

  it('forward secrecy: a state taken after a message was read cannot read it again', () => {
    const p = start()
    const m = ratchetEncrypt(p.a, utf8('secret'), AAD); p.a = m.state
    bReceive(p, m.header, m.ciphertext)
    const leaked = decodeRatchetState(encodeRatchetState(p.b as RatchetState))
    assert.equal(codeOf(() => ratchetDecrypt(leaked, readRatchetHeader(new Reader(m.header, 'h')), m.ciphertext, AAD, { nowMs: NOW_MS })), 'ERR_MESSAGE_KEY_UNAVAILABLE')
  })
})
