import { HttpCarrier, HttpClientChannel, UdpCarrier, carrierEndpoint, CarrierNotStartedError, InvalidCarrierTargetError } from '../carriers/index.js'
import type { FrameChannel, FrameHandler, HttpCarrierInit, HttpCarrierStats, UdpCarrierInit, UdpCarrierStats } from '../carriers/index.js'
import type { ComponentLogger, Logger } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface CarrierSetInit {
  /** Listen for ATTN datagrams here (`udp://` carrier); without it a client-only socket is bound on first use. */
  udp?: UdpCarrierInit
  /** Serve the HTTP carrier here (a public listener of its own); off when unset. */
  http?: HttpCarrierInit
}

export type CarrierStatsEntry = UdpCarrierStats | HttpCarrierStats | ({ kind: 'http-client', address: string } & HttpClientChannel['counters'])

/**
 * The carriers libp2p does not give us (attnproto.md Part 2 §5, §6): the UDP carrier (listening,
 * or a client-only socket made on demand), the HTTP carrier's server, and HTTP client channels,
 * all handing frames to the same frame handler as the stream carrier.
 */
export class CarrierSet {
  udp?: UdpCarrier
  http?: HttpCarrier
  private readonly clients = new Map<string, HttpClientChannel>()
  private readonly log: Logger
  private running = false

  constructor (private readonly logger: ComponentLogger, private readonly init: CarrierSetInit, private readonly handler: FrameHandler) {
    this.log = logger.forComponent('attn:carriers')
  }

  async start (): Promise<void> {
    if (this.init.udp != null) {
      this.udp = new UdpCarrier(this.logger, this.init.udp, this.handler)
      await this.udp.start()
    }
    if (this.init.http != null) {
      this.http = new HttpCarrier(this.logger, this.init.http, this.handler)
      try {
        await this.http.start()
      } catch (err) {
        await this.udp?.stop()
        throw err
      }
    }
    this.running = true
  }

  async stop (): Promise<void> {
    this.running = false
    for (const c of this.clients.values()) await c.close()
    this.clients.clear()
    await this.udp?.stop()
    await this.http?.stop()
    this.udp = undefined
    this.http = undefined
  }

  /** Whether a target is for this set (a plain UDP or HTTP multiaddr) rather than libp2p. */
  handles (target: Multiaddr): boolean {
    return carrierEndpoint(target) != null
  }

  async openChannel (target: Multiaddr): Promise<FrameChannel> {
    if (!this.running) throw new CarrierNotStartedError('udp/http')
    const e = carrierEndpoint(target)
    if (e == null) throw new InvalidCarrierTargetError(target.toString(), 'not a UDP or HTTP address')
    if (e.kind === 'udp') {
      if (this.udp == null) {
        // a client-only socket: we speak first, replies come back to it
        this.udp = new UdpCarrier(this.logger, { host: e.host.includes(':') ? '::' : '0.0.0.0', port: 0 }, this.handler)
        await this.udp.start()
      }
      return await this.udp.openChannel(e.host, e.port)
    }
    const key = `${e.host}:${e.port}`
    let client = this.clients.get(key)
    if (client == null || !client.open) {
      client = new HttpClientChannel(e.host, e.port, this.handler, this.log)
      this.clients.set(key, client)
    }
    return client
  }

  /** The endpoints this node listens on, as URLs (`udp://…`, `http://…`). */
  endpoints (): string[] {
    const out: string[] = []
    if (this.init.udp != null && this.udp != null) out.push(this.udp.url)
    if (this.http != null) out.push(this.http.url)
    return out
  }

  stats (): CarrierStatsEntry[] {
    const out: CarrierStatsEntry[] = []
    if (this.udp != null) out.push(this.udp.stats())
    if (this.http != null) out.push(this.http.stats())
    for (const c of this.clients.values()) out.push({ kind: 'http-client', address: `http://${c.host}:${c.port}`, ...c.counters })
    return out
  }
}
