import { Agent, request, type ClientRequest } from 'node:http'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { decodeBody, encodeBody } from './http-body.js'
import { acceptedSessionId, frameKey, HS_TYPE_FINISH, HS_TYPE_HELLO } from './frame-key.js'
import {
  HTTP_HANDSHAKE_WAIT_MS, HTTP_PATH, HTTP_SESSION_HEADER, HTTP_WAIT_HEADER, MAX_FRAME_SIZE, MAX_HTTP_WAIT_MS
} from './constants.js'
import { ChannelClosedError, HttpRequestFailedError } from './errors.js'
import { deliverFrame, type CarrierKind, type FrameChannel, type FrameHandler } from './channel.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Longest time one request (other than a long poll) may take. */
const REQUEST_TIMEOUT_MS = MAX_HTTP_WAIT_MS + 5_000
/** After a failed poll, wait this long before the next one. */
const POLL_RETRY_MS = 1_000

/**
 * The client side of the HTTP carrier: one channel per server (base URL). Each frame is POSTed
 * (handshake messages wait for their answer, records do not); for every session id seen, one
 * long poll stays outstanding so frames the server queues later (replies, pushes) arrive.
 */
export class HttpClientChannel implements FrameChannel {
  readonly id: string
  readonly kind: CarrierKind = 'http'
  readonly remoteAddr: Multiaddr
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 })
  private readonly polling = new Set<string>()
  /** Requests under way (destroyed on close); no AbortController per request: it costs more than the request's own setup. */
  private readonly inflight = new Set<ClientRequest>()
  private closed = false
  readonly counters = { requests: 0, failures: 0, framesIn: 0, framesOut: 0 }

  constructor (readonly host: string, readonly port: number, private readonly handler: FrameHandler, private readonly log: Logger) {
    this.id = `http-client:${host}:${port}`
    const proto = /^[0-9.]+$/.test(host) ? 'ip4' : host.includes(':') ? 'ip6' : 'dns'
    this.remoteAddr = multiaddr(`/${proto}/${host}/tcp/${port}/http`)
  }

  get open (): boolean { return !this.closed }

  async send (frame: Uint8Array, options?: AbortOptions): Promise<void> {
    if (this.closed) throw new ChannelClosedError(`${this.id} is closed`)
    const key = frameKey(frame)
    if (key == null) throw new ChannelClosedError('not a frame')
    const id = key.handshake ? key.hsId : key.sessionId
    const wait = key.handshake && (key.type === HS_TYPE_HELLO || key.type === HS_TYPE_FINISH) ? HTTP_HANDSHAKE_WAIT_MS : 0
    if (!key.handshake) this.poll(id)
    this.counters.framesOut++
    // a record's answer usually comes through the poll; a failed POST fails the send so the
    // session layer tries another carrier
    await this.exchange(id, [frame], wait, options?.signal)
  }

  async close (): Promise<void> {
    this.closed = true
    for (const req of this.inflight) req.destroy(new ChannelClosedError(`${this.id} is closed`))
    this.agent.destroy()
    this.handler.channelClosed?.(this)
  }

  /** Keeps one long poll outstanding for `id` while the channel is open. */
  private poll (id: string): void {
    if (this.polling.has(id) || this.closed) return
    this.polling.add(id)
    const loop = async (): Promise<void> => {
      while (!this.closed) {
        try {
          await this.exchange(id, [], MAX_HTTP_WAIT_MS)
        } catch (err: any) {
          if (this.closed) break
          // the server forgot the session (restart, expiry): stop polling it
          if (err instanceof HttpRequestFailedError && err.status === 404) break
          this.log('poll of %s on %s failed: %s', id, this.id, err.message)
          await new Promise(resolve => setTimeout(resolve, POLL_RETRY_MS).unref?.())
        }
      }
      this.polling.delete(id)
    }
    loop().catch((err: Error) => { this.log('poll loop ended: %s', err.message) })
  }

  /** One POST: frames out, frames back (handed to the handler on this channel). */
  private async exchange (id: string, frames: Uint8Array[], wait: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) throw new HttpRequestFailedError(0, 'ERR_HTTP_ABORTED', 'aborted')
    const body = encodeBody(frames)
    this.counters.requests++
    let req: ClientRequest | undefined
    const onAbort = (): void => { req?.destroy(new HttpRequestFailedError(0, 'ERR_HTTP_ABORTED', 'aborted')) }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const { status, data } = await new Promise<{ status: number, data: Buffer }>((resolve, reject) => {
        const r = request({
          host: this.host,
          port: this.port,
          method: 'POST',
          path: HTTP_PATH,
          agent: this.agent,
          timeout: wait + REQUEST_TIMEOUT_MS,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(body.byteLength),
            [HTTP_SESSION_HEADER]: id,
            [HTTP_WAIT_HEADER]: String(wait)
          }
        }, (res) => {
          const chunks: Buffer[] = []
          let n = 0
          res.on('data', (c: Buffer) => {
            n += c.byteLength
            if (n > 2 * MAX_FRAME_SIZE + 4 * 1024 * 1024) { r.destroy(new HttpRequestFailedError(res.statusCode ?? 0, 'ERR_HTTP_RESPONSE_TOO_LARGE', 'response too large')); return }
            chunks.push(c)
          })
          res.on('end', () => { resolve({ status: res.statusCode ?? 0, data: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }) })
          res.on('error', reject)
        })
        req = r
        this.inflight.add(r)
        r.on('timeout', () => { r.destroy(new HttpRequestFailedError(0, 'ERR_HTTP_TIMEOUT', 'request timed out')) })
        r.on('error', (err: any) => { reject(err instanceof HttpRequestFailedError || err instanceof ChannelClosedError ? err : new HttpRequestFailedError(0, err.code ?? 'ERR_HTTP_NETWORK', err.message, { cause: err })) })
        r.end(body)
      })
      if (status !== 200) {
        let code = 'ERR_HTTP_STATUS'
        try { code = JSON.parse(data.toString('utf8')).error ?? code } catch (err: any) { this.log.trace('non-JSON error body: %s', err.message) }
        throw new HttpRequestFailedError(status, code, `${this.id} answered ${status} ${code}`)
      }
      const got = decodeBody(data)
      for (const frame of got) {
        this.counters.framesIn++
        // once the handshake is accepted, keep a poll open for the session's later frames
        const sid = acceptedSessionId(frame)
        if (sid != null) this.poll(sid)
        deliverFrame(this.handler, frame, this, this.log)
      }
    } catch (err) {
      this.counters.failures++
      throw err
    } finally {
      signal?.removeEventListener('abort', onAbort)
      if (req != null) this.inflight.delete(req)
    }
  }
}
