/**
 * protocols/vectors/carriers.json: this file generates the vectors and checks them.
 * Regenerate with `ATTN_WRITE_VECTORS=1 npx mocha --no-config dist/test/unit/carriers/vectors.spec.js`.
 * UDP datagrams (attnproto.md Part 2 §5.1), cookies (§5.3), HTTP bodies (§6.2, the stream framing of §2)
 * and frame keys (§4). Conventions: protocols/README.md "Vector conventions".
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createHmac } from 'node:crypto'
import {
  decodeBody, decodeDatagram, encodeBody, encodeDatagram, frameKey, acceptedSessionId,
  UDP_TYPE_DATA, UDP_TYPE_DATA_COOKIE, UDP_TYPE_RETRY
} from '../../../src/carriers/index.js'

const VECTORS = fileURLToPath(new URL('../../../../protocols/vectors/carriers.json', import.meta.url))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const seq = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff)

// fixed frames: a HELLO-shaped handshake frame (82 bytes), an ACCEPT-shaped one (58), a record (72)
const HELLO = new Uint8Array(82); HELLO[8] = 0x01; HELLO[9] = 1; HELLO.set(seq(8, 0xa0), 10); HELLO.set(seq(64, 0x10), 18)
const ACCEPT = new Uint8Array(58); ACCEPT[8] = 0x04; ACCEPT[9] = 1; ACCEPT.set(seq(8, 0xa0), 10); ACCEPT.set(seq(8, 0x51), 18); ACCEPT.set(seq(32, 0x80), 26)
const RECORD = new Uint8Array(72); RECORD.set(seq(8, 0x51)); RECORD.set(seq(64, 0x30), 8)
const COOKIE_KEY = seq(32, 0xc0)

function cookie (issuedAt: number, ip: string, port: number): Uint8Array {
  const t = Buffer.alloc(4); t.writeUInt32BE(issuedAt)
  const tag = createHmac('sha256', COOKIE_KEY).update(t).update(Buffer.from(`${ip}|${port}`)).digest().subarray(0, 16)
  return new Uint8Array(Buffer.concat([t, tag]))
}

function codeOf (f: () => unknown): string {
  try { f(); return 'OK' } catch (err: any) { return err.code }
}

function generate (): unknown {
  const c = cookie(1_800_000_000, '192.0.2.7', 40123)
  return {
    description: 'ATTN carrier framing (attnproto.md Part 2). frame_keys: the routing key a carrier reads (§4): `key` is hs_id or session_id (hex), `accepted_session_id` the session_id an ACCEPT carries. udp_datagrams: type byte 01 DATA | frame, 02 DATA_COOKIE | cookie(20) | frame, 03 RETRY | cookie(20) (§5.1); decode `datagram` and expect `error` (OK or ERR_UDP_MALFORMED) and the fields. udp_cookie: the reference cookie construction (§5.3): issued_at(4) | HMAC-SHA256(cookie_key, issued_at | utf8(ip "|" port))[0..16]. http_bodies: request and response bodies are zero or more varint(len) | frame (§6.2, §2); decode `body` and expect `frames` or `error`.',
    frame_keys: [
      { description: 'HELLO: handshake frame, key = hs_id', frame: hex(HELLO), handshake: true, type: 1, key: hex(HELLO.subarray(10, 18)) },
      { description: 'ACCEPT: key = hs_id, carries the session_id at 18..26', frame: hex(ACCEPT), handshake: true, type: 4, key: hex(ACCEPT.subarray(10, 18)), accepted_session_id: hex(ACCEPT.subarray(18, 26)) },
      { description: 'record: key = session_id', frame: hex(RECORD), handshake: false, key: hex(RECORD.subarray(0, 8)) }
    ],
    udp_cookie: { cookie_key: hex(COOKIE_KEY), issued_at: 1_800_000_000, ip: '192.0.2.7', port: 40123, cookie: hex(c) },
    udp_datagrams: [
      { description: 'DATA carrying a HELLO', datagram: hex(encodeDatagram({ type: UDP_TYPE_DATA, frame: HELLO })), error: 'OK', type: 1, frame: hex(HELLO) },
      { description: 'DATA_COOKIE: the HELLO again, echoing the cookie', datagram: hex(encodeDatagram({ type: UDP_TYPE_DATA_COOKIE, cookie: c, frame: HELLO })), error: 'OK', type: 2, cookie: hex(c), frame: hex(HELLO) },
      { description: 'RETRY', datagram: hex(encodeDatagram({ type: UDP_TYPE_RETRY, cookie: c })), error: 'OK', type: 3, cookie: hex(c) },
      { description: 'DATA carrying a record', datagram: hex(encodeDatagram({ type: UDP_TYPE_DATA, frame: RECORD })), error: 'OK', type: 1, frame: hex(RECORD) },
      { description: 'empty datagram', datagram: '', error: 'ERR_UDP_MALFORMED' },
      { description: 'unknown type 0x00', datagram: '00' + hex(RECORD), error: 'ERR_UDP_MALFORMED' },
      { description: 'unknown type 0x04', datagram: '04' + hex(RECORD), error: 'ERR_UDP_MALFORMED' },
      { description: 'DATA with a 7-byte frame', datagram: '01' + hex(seq(7, 1)), error: 'ERR_UDP_MALFORMED' },
      { description: 'DATA_COOKIE too short for cookie and frame', datagram: '02' + hex(c) + hex(seq(7, 1)), error: 'ERR_UDP_MALFORMED' },
      { description: 'RETRY of 22 bytes', datagram: '03' + hex(c) + '00', error: 'ERR_UDP_MALFORMED' }
    ],
    http_bodies: [
      { description: 'empty body (a long poll)', body: '', error: 'OK', frames: [] },
      { description: 'one frame', body: hex(encodeBody([HELLO])), error: 'OK', frames: [hex(HELLO)] },
      { description: 'two frames', body: hex(encodeBody([RECORD, ACCEPT])), error: 'OK', frames: [hex(RECORD), hex(ACCEPT)] },
      { description: 'a frame of 200 bytes: two-byte length prefix c8 01', body: hex(encodeBody([seq(200, 1)])), error: 'OK', frames: [hex(seq(200, 1))] },
      { description: 'truncated body', body: '05010203', error: 'ERR_FRAME_TRUNCATED' },
      { description: 'zero-length frame', body: '00', error: 'ERR_FRAME_EMPTY' },
      { description: 'non-minimal prefix', body: '8000', error: 'ERR_FRAME_LENGTH_PREFIX' },
      { description: 'announced length over MAX_FRAME_SIZE', body: 'ffffff7f', error: 'ERR_FRAME_TOO_LARGE' }
    ]
  }
}

describe('carriers vectors', () => {
  it('matches protocols/vectors/carriers.json byte for byte, and the decoders agree with it', async () => {
    const fresh = JSON.stringify(generate(), null, 2) + '\n'
    if (process.env.ATTN_WRITE_VECTORS === '1') await writeFile(VECTORS, fresh)
    const text = await readFile(VECTORS, 'utf8')
    assert.equal(text, fresh, 'carriers.json differs from the generator output')
    const v = JSON.parse(text)
    for (const f of v.frame_keys) {
      const k = frameKey(unhex(f.frame))
      assert.ok(k != null)
      assert.equal(k.handshake, f.handshake, f.description)
      assert.equal(k.handshake ? k.hsId : k.sessionId, f.key, f.description)
      if (k.handshake) assert.equal(k.type, f.type)
      assert.equal(acceptedSessionId(unhex(f.frame)), f.accepted_session_id, f.description)
    }
    assert.equal(hex(cookie(v.udp_cookie.issued_at, v.udp_cookie.ip, v.udp_cookie.port)), v.udp_cookie.cookie)
    for (const d of v.udp_datagrams) {
      assert.equal(codeOf(() => decodeDatagram(unhex(d.datagram))), d.error, d.description)
      if (d.error !== 'OK') continue
      const got = decodeDatagram(unhex(d.datagram)) as any
      assert.equal(got.type, d.type)
      if (d.frame != null) assert.equal(hex(got.frame), d.frame)
      if (d.cookie != null) assert.equal(hex(got.cookie), d.cookie)
      assert.equal(hex(encodeDatagram(got)), d.datagram, 're-encodes to the same bytes')
    }
    for (const b of v.http_bodies) {
      assert.equal(codeOf(() => decodeBody(unhex(b.body))), b.error, b.description)
      if (b.error === 'OK') assert.deepEqual(decodeBody(unhex(b.body)).map(hex), b.frames)
    }
  })
})
