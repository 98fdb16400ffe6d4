/**
 * The multiaddr grammar of directory records (protocols/messaging.md §2 "Multiaddr grammar").
 * A record's validity must not depend on which multiaddr library (and which protocol table) a
 * validator happens to use, or two implementations would select different records. So records
 * carry only this explicit subset of the multiaddr text form, checked here without a library.
 */
import { isIPv6 } from 'node:net'
import { peerIdFromStringFast } from '../keys/libp2p-key.js'
import { MAX_MULTIADDR_LENGTH, MAX_PEER_ID_CHECK_CACHE } from './constants.js'

const DEC_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])'
const IPV4 = new RegExp(`^${DEC_OCTET}(\\.${DEC_OCTET}){3}$`)
const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
const HOST = new RegExp(`^${LABEL}(\\.${LABEL})*$`)
const PORT = /^(0|[1-9][0-9]{0,4})$/
const BASE64URL_MULTIBASE = /^u[A-Za-z0-9_-]+$/

const isHost = (v: string): boolean => v.length <= 253 && HOST.test(v)
const isPort = (v: string): boolean => PORT.test(v) && Number(v) <= 65535
/** RFC 4291 §2.2 text form, no zone index (`%…`) and no brackets. */
const isIp6 = (v: string): boolean => !v.includes('%') && isIPv6(v)

/**
 * A libp2p peer id in its legacy base58btc text form (no multibase prefix, so it starts with `1` or
 * `Q`): the identity multihash of an Ed25519 or secp256k1 public key protobuf, or the sha2-256
 * multihash of an RSA key; and re-encoding it gives the same string (no CIDv1 forms, no other key
 * types, no non-canonical key encodings).
 */
export function isPeerIdString (v: string): boolean {
  if (v.length === 0 || (v[0] !== '1' && v[0] !== 'Q')) return false
  // a pure function of the string: the answer is remembered (bounded, oldest dropped first)
  const known = checkedPeerIds.get(v)
  if (known != null) return known
  let ok: boolean
  try {
    const id = peerIdFromStringFast(v)
    ok = (id.type === 'Ed25519' || id.type === 'secp256k1' || id.type === 'RSA') && id.toString() === v
  } catch {
    ok = false // the answer is the boolean: the caller raises its own typed error
  }
  if (v.length <= MAX_MULTIADDR_LENGTH) {
    if (checkedPeerIds.size >= MAX_PEER_ID_CHECK_CACHE) checkedPeerIds.delete(checkedPeerIds.keys().next().value as string)
    checkedPeerIds.set(v, ok)
  }
  return ok
}

const checkedPeerIds = new Map<string, boolean>()

/** Allowed protocol names, each with the check of its value (null: the protocol takes no value). */
const PROTOCOLS: ReadonlyMap<string, ((v: string) => boolean) | null> = new Map([
  ['ip4', (v: string) => IPV4.test(v)],
  ['ip6', isIp6],
  ['dns', isHost],
  ['dns4', isHost],
  ['dns6', isHost],
  ['dnsaddr', isHost],
  ['tcp', isPort],
  ['udp', isPort],
  ['quic-v1', null],
  ['tls', null],
  ['ws', null],
  ['wss', null],
  ['webtransport', null],
  // the HTTP carrier's endpoint, /ip4/H/tcp/P/http (attnproto.md Part 2 §6)
  ['http', null],
  ['certhash', (v: string) => BASE64URL_MULTIBASE.test(v)],
  ['p2p', isPeerIdString],
  ['p2p-circuit', null]
])

/** The protocol names a directory-record multiaddr may use, in the order messaging.md lists them. */
export const DIRECTORY_MULTIADDR_PROTOCOLS: readonly string[] = [...PROTOCOLS.keys()]

/**
 * True when `s` is a multiaddr of the directory grammar: 1..MAX_MULTIADDR_LENGTH UTF-8 bytes,
 * `("/" name ["/" value])+` with every name from the allowed list, a value exactly where the
 * protocol takes one, and each value of its protocol's syntax.
 */
export function isDirectoryMultiaddr (s: string): boolean {
  if (typeof s !== 'string' || s.length === 0 || Buffer.byteLength(s) > MAX_MULTIADDR_LENGTH || s[0] !== '/') return false
  const parts = s.slice(1).split('/')
  for (let i = 0; i < parts.length; i++) {
    const check = PROTOCOLS.get(parts[i])
    if (check === undefined) return false
    if (check === null) continue
    const value = parts[++i]
    if (value === undefined || value.length === 0 || !check(value)) return false
  }
  return true
}
