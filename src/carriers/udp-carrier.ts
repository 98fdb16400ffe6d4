import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns'
import { isIP } from 'node:net'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { constantTimeEqual, hmacSha256, randomBytes, secretKey, type KeyObject } from '../crypto/index.js'
import {
  DEFAULT_MAX_DATAGRAM_SIZE, DEFAULT_MAX_UDP_ADDRESSES, UDP_COOKIE_LENGTH, MAX_UDP_DUPLICATE_ENTRIES, UDP_AMPLIFICATION_FACTOR,
  UDP_COOKIE_LIFETIME_MS, UDP_COOKIE_TAG_LENGTH, UDP_DUPLICATE_WINDOW_MS, UDP_RETRANSMIT_INITIAL_MS, UDP_RETRANSMIT_MAX_COUNT,
  UDP_TYPE_DATA_COOKIE, UDP_TYPE_RETRY
} from './constants.js'
import {
  AmplificationLimitError, CarrierNotStartedError, ChannelClosedError, DatagramTooLargeError, InvalidCarrierTargetError
} from './errors.js'
import { datagramHead, decodeDatagram, encodeDatagram } from './udp-datagram.js'
import {
  frameKey, hasHandshakeMarker, HS_TYPE_ACCEPT, HS_TYPE_FINISH, HS_TYPE_HELLO, HS_TYPE_REJECT, HS_TYPE_RESPONSE
} from './frame-key.js'
import { deliverFrame, type CarrierKind, type FrameChannel, type FrameHandler } from './channel.js'
import type { AbortOptions, ComponentLogger, Logger } from '@libp2p/interface'

export interface UdpCarrierInit {
  /** Address to bind; port 0 picks a free one. */
  host: string
  port: number
  /** Largest datagram sent (default 1200). */
  maxDatagramSize?: number
  /** Remote addresses with state at once (default 4096). */
  maxAddresses?: number
  /** Handshake retransmission: first delay and count (defaults 250 ms, 6). */
  retransmitInitialMs?: number
  retransmitMaxCount?: number
  /** Clock for cookies (tests). */
  now?: () => number
}

export interface UdpCarrierStats {
  kind: 'udp'
  address: string
  datagramsIn: number
  datagramsOut: number
  bytesIn: number
  bytesOut: number
  /** Datagrams dropped before any state was made (bad layout, unsolicited RETRY). */
  junk: number
  retriesSent: number
  cookiesAccepted: number
  cookiesRejected: number
  /** Datagrams not sent because an unvalidated address had used up its 3x budget, and their bytes. */
  amplificationBlocked: number
  amplificationBlockedBytes: number
  handshakeRetransmits: number
  duplicatesSuppressed: number
  /** Frames refused because they do not fit a datagram (ERR_UDP_FRAME_TOO_LARGE). */
  tooLarge: number
  sendErrors: number
  addresses: number
}

interface Retransmit { frame: Uint8Array, channel: UdpChannel, count: number, delay: number, timer?: ReturnType<typeof setTimeout> }

/**
 * The raw UDP carrier (attnproto.md Part 2 §5): one ATTN frame per datagram. It keeps one
 * {@link UdpChannel} per remote address (ip, port) — the session layer finds sessions by
 * session_id, so a peer that roams or a second node on the same key simply shows up as another
 * channel and the session layer answers on the channel of the last authenticated frame.
 * The carrier itself adds what datagrams lack: handshake retransmission, duplicate suppression
 * of handshake messages, and QUIC-style address validation (stateless RETRY cookies, and at most
 * 3x the received bytes sent to an unvalidated address).
 */
export class UdpCarrier {
  readonly kind: CarrierKind = 'udp'
  private readonly init: Required<Omit<UdpCarrierInit, 'now'>> & { now: () => number }
  private readonly handler: FrameHandler
  private readonly log: Logger
  private socket?: Socket
  private cookieKey: KeyObject = secretKey(randomBytes(32))
  /** Channels by "ip|port", in least-recently-heard order. */
  private readonly channels = new Map<string, UdpChannel>()
  /** The most recently used entry of `channels` (last in its order). */
  private lastHeard?: UdpChannel
  /** Handshake messages seen: "hsId:type" → time; and the answer we sent per hs_id. */
  private readonly seen = new Map<string, number>()
  private readonly answers = new Map<string, Uint8Array>()
  private readonly retransmits = new Map<string, Retransmit>()
  private readonly counters: Omit<UdpCarrierStats, 'kind' | 'address' | 'addresses'> = {
    datagramsIn: 0,
    datagramsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    junk: 0,
    retriesSent: 0,
    cookiesAccepted: 0,
    cookiesRejected: 0,
    amplificationBlocked: 0,
    amplificationBlockedBytes: 0,
    handshakeRetransmits: 0,
    duplicatesSuppressed: 0,
    tooLarge: 0,
    sendErrors: 0
  }

  constructor (logger: ComponentLogger, init: UdpCarrierInit, handler: FrameHandler) {
    this.init = {
      host: init.host,
      port: init.port,
      maxDatagramSize: init.maxDatagramSize ?? DEFAULT_MAX_DATAGRAM_SIZE,
      maxAddresses: init.maxAddresses ?? DEFAULT_MAX_UDP_ADDRESSES,
      retransmitInitialMs: init.retransmitInitialMs ?? UDP_RETRANSMIT_INITIAL_MS,
      retransmitMaxCount: init.retransmitMaxCount ?? UDP_RETRANSMIT_MAX_COUNT,
      now: init.now ?? Date.now
    }
    this.handler = handler
    this.log = logger.forComponent('attn:carrier:udp')
  }

  get maxDatagramSize (): number { return this.init.maxDatagramSize }

  get running (): boolean { return this.socket != null }

  async start (): Promise<void> {
    if (this.socket != null) return
    const socket = createSocket({ type: isIP(this.init.host) === 6 ? 'udp6' : 'udp4', lookup: literalLookup })
    socket.on('message', (msg, rinfo) => { this.onMessage(msg, rinfo) })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(this.init.port, this.init.host, () => { socket.off('error', reject); resolve() })
    })
    // ICMP errors and the like surface here: a datagram carrier lives with them
    socket.on('error', (err) => { this.counters.sendErrors++; this.log('socket error: %s', err.message) })
    this.cookieKey = secretKey(randomBytes(32))
    this.socket = socket
    this.log('listening on %s', this.url)
  }

  async stop (): Promise<void> {
    const socket = this.socket
    this.socket = undefined
    for (const r of this.retransmits.values()) clearTimeout(r.timer)
    this.retransmits.clear()
    for (const ch of this.channels.values()) this.dropChannel(ch)
    this.channels.clear()
    this.seen.clear()
    this.answers.clear()
    if (socket != null) await new Promise<void>(resolve => { socket.close(() => { resolve() }) })
  }

  /** The bound address as `udp://HOST:PORT`. */
  get url (): string {
    const a = this.socket?.address()
    if (a == null) return ''
    return `udp://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
  }

  get port (): number { return this.socket?.address().port ?? 0 }

  stats (): UdpCarrierStats {
    return { kind: 'udp', address: this.url, ...this.counters, addresses: this.channels.size }
  }

  /**
   * A channel to `host:port` (names resolved once). We speak first, so the address counts as
   * validated: the amplification limit protects others from our answers, not us from our own sends.
   */
  async openChannel (host: string, port: number): Promise<UdpChannel> {
    if (this.socket == null) throw new CarrierNotStartedError('udp')
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidCarrierTargetError(`${host}:${port}`, 'bad port')
    const ip = isIP(host) !== 0 ? host : (await lookup(host, { family: this.socket.address().family === 'IPv6' ? 6 : 4 })).address
    const ch = this.channelFor(ip, port)
    ch.validated = true
    return ch
  }

  /** The channel of a remote address, making it (LRU order: touched on every datagram). */
  private channelFor (ip: string, port: number): UdpChannel {
    // the common case, the same address as the last datagram: already the most recent, no key to build
    const last = this.lastHeard
    if (last != null && !last.closed && last.port === port && last.ip === ip) return last
    const key = `${ip}|${port}`
    let ch = this.channels.get(key)
    if (ch != null) {
      this.channels.delete(key)
      this.channels.set(key, ch)
      this.lastHeard = ch
      return ch
    }
    if (this.channels.size >= this.init.maxAddresses) this.evictOne()
    ch = new UdpChannel(this, ip, port)
    this.channels.set(key, ch)
    this.lastHeard = ch
    return ch
  }

  /** Least recently heard unvalidated address first; if all are validated, the least recent one. */
  private evictOne (): void {
    let victim: UdpChannel | undefined
    for (const ch of this.channels.values()) {
      if (!ch.validated) { victim = ch; break }
    }
    victim ??= this.channels.values().next().value
    if (victim == null) return
    this.channels.delete(victim.key)
    this.dropChannel(victim)
  }

  private dropChannel (ch: UdpChannel): void {
    if (ch.closed) return
    ch.closed = true
    if (this.lastHeard === ch) this.lastHeard = undefined
    this.handler.channelClosed?.(ch)
  }

  private onMessage (msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.datagramsIn++
    this.counters.bytesIn += msg.byteLength
    let d
    try {
      d = decodeDatagram(msg)
    } catch (err: any) {
      // junk is dropped before any per-address state is made
      this.counters.junk++
      this.log.trace('junk datagram from %s:%d: %s', rinfo.address, rinfo.port, err.message)
      return
    }
    if (d.type === UDP_TYPE_RETRY) {
      const ch = this.channels.get(`${rinfo.address}|${rinfo.port}`)
      if (ch == null || !this.onRetry(ch, d.cookie)) this.counters.junk++
      return
    }
    const ch = this.channelFor(rinfo.address, rinfo.port)
    ch.received += msg.byteLength
    if (d.type === UDP_TYPE_DATA_COOKIE && !ch.validated) {
      if (this.checkCookie(d.cookie, ch)) {
        ch.validated = true
        this.counters.cookiesAccepted++
      } else {
        this.counters.cookiesRejected++
      }
    }
    // the server answered: our address is known to it, no need to echo the cookie any more
    ch.cookie = undefined
    ch.cookieHead = undefined
    const frame = d.frame
    const key = hasHandshakeMarker(frame) ? frameKey(frame) : undefined
    if (key?.handshake === true) {
      const seenKey = `${key.hsId}:${key.type}`
      if (key.type === HS_TYPE_RESPONSE || key.type === HS_TYPE_ACCEPT || key.type === HS_TYPE_REJECT) this.stopRetransmit(key.hsId)
      if (key.type !== 0x7e && this.seen.has(seenKey)) {
        this.counters.duplicatesSuppressed++
        // a retransmitted HELLO/FINISH: our answer was lost, send it again
        const answer = this.answers.get(key.hsId)
        if (answer != null && (key.type === HS_TYPE_HELLO || key.type === HS_TYPE_FINISH) && answers(answer[8], key.type)) {
          ch.send(answer).catch((err: Error) => { this.log('resending a handshake answer failed: %s', err.message) })
        }
        return
      }
      if (key.type === HS_TYPE_HELLO && !ch.validated) {
        // a first contact: prove the address before we spend a signature and send a RESPONSE
        this.sendRetry(ch)
        return
      }
      this.remember(seenKey)
    }
    deliverFrame(this.handler, frame, ch, this.log)
  }

  private remember (seenKey: string): void {
    const now = this.init.now()
    // oldest first (Map order): what fell out of the window goes, and the oldest if still full
    for (const [k, t] of this.seen) {
      if (t > now - UDP_DUPLICATE_WINDOW_MS && this.seen.size < MAX_UDP_DUPLICATE_ENTRIES) break
      this.seen.delete(k)
      this.answers.delete(k.slice(0, 16))
    }
    this.seen.set(seenKey, now)
  }

  /** Cookie = issued_at(4) | HMAC-SHA256(cookie_key, issued_at | "ip|port")[0..16]; only this node checks it. */
  private makeCookie (ch: UdpChannel, issuedAt = Math.floor(this.init.now() / 1000)): Uint8Array {
    const t = new Uint8Array(4)
    new DataView(t.buffer).setUint32(0, issuedAt)
    const tag = hmacSha256(this.cookieKey, t, Buffer.from(ch.key)).subarray(0, UDP_COOKIE_TAG_LENGTH)
    const out = new Uint8Array(4 + UDP_COOKIE_TAG_LENGTH)
    out.set(t)
    out.set(tag, 4)
    return out
  }

  private checkCookie (cookie: Uint8Array, ch: UdpChannel): boolean {
    const issuedAt = new DataView(cookie.buffer, cookie.byteOffset, 4).getUint32(0)
    const age = this.init.now() - issuedAt * 1000
    if (age < -1000 || age > UDP_COOKIE_LIFETIME_MS) return false
    return constantTimeEqual(this.makeCookie(ch, issuedAt), cookie)
  }

  private sendRetry (ch: UdpChannel): void {
    const datagram = encodeDatagram({ type: UDP_TYPE_RETRY, cookie: this.makeCookie(ch) })
    if (!this.withinBudget(ch, datagram.byteLength)) return
    this.counters.retriesSent++
    this.transmit(ch, datagram)
  }

  /** A RETRY for a handshake we started: resend the pending HELLO/FINISH with the cookie at once. */
  private onRetry (ch: UdpChannel, cookie: Uint8Array): boolean {
    const pending = [...this.retransmits.values()].filter(r => r.channel === ch)
    // unsolicited unless we sent to this address (a handshake, or records after we roamed)
    if (pending.length === 0 && ch.sent === 0) return false
    ch.cookie = Uint8Array.from(cookie)
    ch.cookieHead = undefined
    for (const r of pending) this.sendDatagram(ch, r.frame)
    return true
  }

  private withinBudget (ch: UdpChannel, bytes: number): boolean {
    if (ch.validated || ch.sent + bytes <= UDP_AMPLIFICATION_FACTOR * ch.received) return true
    this.counters.amplificationBlocked++
    this.counters.amplificationBlockedBytes += bytes
    return false
  }

  /** Sends one frame to the channel's address (called by UdpChannel.send). */
  sendFrame (ch: UdpChannel, frame: Uint8Array): void {
    if (this.socket == null || ch.closed) throw new ChannelClosedError(`udp channel ${ch.id} is closed`)
    const key = hasHandshakeMarker(frame) ? frameKey(frame) : undefined
    if (key?.handshake === true) {
      if (key.type === HS_TYPE_RESPONSE) {
        ch.responded.add(key.hsId)
      } else if (key.type === HS_TYPE_ACCEPT && ch.responded.delete(key.hsId)) {
        // the FINISH came from the address our RESPONSE went to: it completed the handshake there
        ch.validated = true
      }
      if (key.type === HS_TYPE_RESPONSE || key.type === HS_TYPE_ACCEPT || key.type === HS_TYPE_REJECT) {
        if (this.answers.size < MAX_UDP_DUPLICATE_ENTRIES) this.answers.set(key.hsId, Uint8Array.from(frame))
      } else if (key.type === HS_TYPE_HELLO || key.type === HS_TYPE_FINISH) {
        this.armRetransmit(key.hsId, ch, frame)
      }
    }
    this.sendDatagram(ch, frame)
  }

  private sendDatagram (ch: UdpChannel, frame: Uint8Array): void {
    // DATA or DATA_COOKIE (udp-datagram.ts): the head and the frame go out as two parts, no copy
    const head = ch.cookie != null ? (ch.cookieHead ??= datagramHead(ch.cookie)) : datagramHead()
    const size = head.byteLength + frame.byteLength
    if (size > this.init.maxDatagramSize) {
      this.counters.tooLarge++
      throw new DatagramTooLargeError(size, this.init.maxDatagramSize)
    }
    if (!this.withinBudget(ch, size)) {
      // ask the address to prove itself; what we could not send is resent by the layer above
      this.sendRetry(ch)
      throw new AmplificationLimitError(`${ch.ip}:${ch.port}`, UDP_AMPLIFICATION_FACTOR)
    }
    this.transmit(ch, [head, frame], size)
  }

  private transmit (ch: UdpChannel, datagram: Uint8Array | Uint8Array[], size = (datagram as Uint8Array).byteLength): void {
    ch.sent += size
    this.counters.datagramsOut++
    this.counters.bytesOut += size
    this.socket?.send(datagram, ch.port, ch.ip, this.afterSend)
  }

  /** One callback for every send (none made per datagram); a failed send is counted and logged. */
  private readonly afterSend = (err: Error | null): void => {
    if (err != null) { this.counters.sendErrors++; this.log('send failed: %s', err.message) }
  }

  private armRetransmit (hsId: string, ch: UdpChannel, frame: Uint8Array): void {
    this.stopRetransmit(hsId)
    const r: Retransmit = { frame: Uint8Array.from(frame), channel: ch, count: 0, delay: this.init.retransmitInitialMs }
    const fire = (): void => {
      if (this.retransmits.get(hsId) !== r || ch.closed || this.socket == null) return
      if (r.count >= this.init.retransmitMaxCount) { this.retransmits.delete(hsId); return }
      r.count++
      this.counters.handshakeRetransmits++
      try {
        this.sendDatagram(ch, r.frame)
      } catch (err: any) {
        this.log('handshake retransmission failed: %s', err.message)
      }
      r.delay *= 2
      r.timer = setTimeout(fire, r.delay)
      r.timer.unref?.()
    }
    r.timer = setTimeout(fire, r.delay)
    r.timer.unref?.()
    this.retransmits.set(hsId, r)
  }

  private stopRetransmit (hsId: string): void {
    const r = this.retransmits.get(hsId)
    if (r == null) return
    clearTimeout(r.timer)
    this.retransmits.delete(hsId)
  }
}

/** Whether a handshake answer of type `answer` answers a request of type `request`. */
function answers (answer: number, request: number): boolean {
  if (answer === HS_TYPE_REJECT) return true
  return (request === HS_TYPE_HELLO && answer === HS_TYPE_RESPONSE) || (request === HS_TYPE_FINISH && answer === HS_TYPE_ACCEPT)
}

/** One remote UDP address as a FrameChannel; its state is the carrier's per-address accounting. */
export class UdpChannel implements FrameChannel {
  readonly id: string
  readonly kind: CarrierKind = 'udp'
  readonly remoteAddr: Multiaddr
  readonly key: string
  /** Bytes received from / sent to this address (anti-amplification). */
  received = 0
  sent = 0
  /** The address proved it receives what we send (handshake completed there, or a cookie echoed). */
  validated = false
  /** A cookie this address's node gave us in a RETRY, echoed in our datagrams to it, and its DATA_COOKIE head. */
  cookie?: Uint8Array
  cookieHead?: Uint8Array
  /** hs_ids we sent a RESPONSE for to this address. */
  readonly responded = new Set<string>()
  closed = false
  private readonly carrier: UdpCarrier

  constructor (carrier: UdpCarrier, readonly ip: string, readonly port: number) {
    this.carrier = carrier
    this.key = `${ip}|${port}`
    const v6 = isIP(ip) === 6
    this.id = `udp:${v6 ? `[${ip}]` : ip}:${port}`
    this.remoteAddr = multiaddr(`/${v6 ? 'ip6' : 'ip4'}/${ip}/udp/${port}`)
  }

  get open (): boolean { return !this.closed && this.carrier.running }

  /** A frame must fit one datagram with its type byte and, while validating, a cookie. */
  get maxFrame (): number { return this.carrier.maxDatagramSize - 1 - UDP_COOKIE_LENGTH }

  async send (frame: Uint8Array, _options?: AbortOptions): Promise<void> {
    this.sendNow(frame)
  }

  sendNow (frame: Uint8Array): void {
    this.carrier.sendFrame(this, frame)
  }

  async close (): Promise<void> {
    // nothing to tear down: an address is not a connection
  }
}

/**
 * dgram resolves the address of every send, and its default lookup answers even an IP literal
 * through a nextTick and a closure; the carrier only sends to literals (source addresses), which
 * are answered at once. Anything else goes to dns.lookup as before.
 */
function literalLookup (address: string, options: LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(address)
  if (family !== 0) callback(null, address, family)
  else dnsLookup(address, options, callback)
}
