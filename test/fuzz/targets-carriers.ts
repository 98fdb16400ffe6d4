/**
 * Fuzz targets of the UDP and HTTP carriers (attnproto.md Part 2 §4–§6): datagram layout, HTTP
 * bodies, frame keys. Every input either decodes and re-encodes to the same bytes, or raises a
 * typed error.
 */
import { acceptedSessionId, decodeBody, decodeDatagram, encodeBody, encodeDatagram, frameKey, UDP_TYPE_DATA, UDP_TYPE_DATA_COOKIE, UDP_TYPE_RETRY } from '../../src/carriers/index.js'
import { InconsistentOutputError, sameBytes } from './harness.js'
import type { FuzzTarget } from './harness.js'

const bytes = (n: number, fill = 0): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + fill) & 0xff)

export const udpDatagram: FuzzTarget = {
  name: 'udp-datagram',
  decoder: 'carriers/udp-datagram.ts decodeDatagram, frame-key.ts frameKey/acceptedSessionId',
  async setup () {
    const hello = new Uint8Array(82); hello[8] = 1; hello[9] = 1; hello.set(bytes(72, 3), 10)
    const accept = new Uint8Array(58); accept[8] = 4; accept[9] = 1; accept.set(bytes(48, 5), 10)
    const cookie = bytes(20, 7)
    const seeds = [
      encodeDatagram({ type: UDP_TYPE_DATA, frame: hello }),
      encodeDatagram({ type: UDP_TYPE_DATA, frame: accept }),
      encodeDatagram({ type: UDP_TYPE_DATA, frame: bytes(72, 9) }),
      encodeDatagram({ type: UDP_TYPE_DATA_COOKIE, cookie, frame: hello }),
      encodeDatagram({ type: UDP_TYPE_RETRY, cookie })
    ]
    return {
      seeds,
      decode (input) {
        const d = decodeDatagram(input)
        sameBytes(encodeDatagram(d), input, 'datagram re-encoded')
        if (d.type !== UDP_TYPE_RETRY) {
          const key = frameKey(d.frame)
          if (key == null && d.frame.byteLength >= 18) throw new InconsistentOutputError('no key for a frame of 18+ bytes')
          const sid = acceptedSessionId(d.frame)
          if (sid != null && sid.length !== 16) throw new InconsistentOutputError('accepted session id is not 8 bytes')
        }
      }
    }
  }
}

export const httpBody: FuzzTarget = {
  name: 'http-body',
  decoder: 'carriers/http-body.ts decodeBody',
  async setup () {
    const seeds = [encodeBody([]), encodeBody([bytes(82, 1)]), encodeBody([bytes(72, 2), bytes(58, 3)]), encodeBody([bytes(300, 4)])]
    return {
      seeds,
      decode (input) {
        const frames = decodeBody(input, 4096)
        sameBytes(encodeBody(frames), input, 'body re-encoded')
      }
    }
  }
}

export const CARRIER_TARGETS: FuzzTarget[] = [udpDatagram, httpBody]
