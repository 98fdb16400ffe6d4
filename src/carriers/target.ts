import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { InvalidCarrierTargetError } from './errors.js'

/** A UDP or HTTP carrier endpoint, taken from a URL or a multiaddr. */
export interface CarrierEndpoint { kind: 'udp' | 'http', host: string, port: number }

const HOST_NAMES = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6'])

/**
 * The UDP/HTTP endpoint a multiaddr names, or undefined for a libp2p address:
 * `/ip4/H/udp/P` (nothing after: QUIC and WebRTC add more) is UDP, `/ip4/H/tcp/P/http` is HTTP.
 */
export function carrierEndpoint (ma: Multiaddr): CarrierEndpoint | undefined {
  const c = ma.getComponents()
  if (c.length < 2 || !HOST_NAMES.has(c[0].name) || c[0].value == null) return undefined
  const host = c[0].value
  const port = Number(c[1].value)
  if (c.length === 2 && c[1].name === 'udp') return { kind: 'udp', host, port }
  if (c.length === 3 && c[1].name === 'tcp' && c[2].name === 'http') return { kind: 'http', host, port }
  return undefined
}

/** `udp://HOST:PORT` or `http://HOST:PORT` (IPv6 in brackets) as the multiaddr of that endpoint. */
export function carrierUrlToMultiaddr (url: string): Multiaddr {
  const m = /^(udp|http):\/\/(?:\[([0-9a-fA-F:.]+)\]|([^:/[\]]+)):(\d{1,5})\/?$/.exec(url)
  if (m == null) throw new InvalidCarrierTargetError(url, 'expected udp://HOST:PORT or http://HOST:PORT')
  const host = m[2] ?? m[3]
  const port = Number(m[4])
  if (port < 1 || port > 65535) throw new InvalidCarrierTargetError(url, 'port out of range')
  const proto = m[2] != null ? 'ip6' : /^\d+\.\d+\.\d+\.\d+$/.test(host) ? 'ip4' : 'dns'
  return multiaddr(m[1] === 'udp' ? `/${proto}/${host}/udp/${port}` : `/${proto}/${host}/tcp/${port}/http`)
}

/** The URL form of an endpoint. */
export function endpointUrl (e: CarrierEndpoint): string {
  return `${e.kind}://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`
}
