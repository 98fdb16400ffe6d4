import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { decodeBody, encodeBody } from './http-body.js'
import { acceptedSessionId, frameKey } from './frame-key.js'
import {
  DEFAULT_HTTP_MAX_BODY, DEFAULT_HTTP_MAX_POLLS, DEFAULT_HTTP_MAX_POLLS_PER_IP, DEFAULT_HTTP_MAX_POLLS_PER_SESSION,
  DEFAULT_HTTP_MAX_QUEUE_BYTES, DEFAULT_HTTP_MAX_QUEUE_FRAMES, DEFAULT_HTTP_MAX_QUEUES, DEFAULT_HTTP_MAX_QUEUES_PER_IP,
  DEFAULT_HTTP_MAX_RESPONSE_BYTES, DEFAULT_HTTP_QUEUE_IDLE_MS, HTTP_PATH, HTTP_SESSION_HEADER, HTTP_WAIT_HEADER,
  HTTP_ANSWER_TURNS, HTTP_WELL_KNOWN_PATH, MAX_FRAME_SIZE, MAX_HTTP_WAIT_MS, PROTOCOL
} from './constants.js'
import { ChannelClosedError, HttpCarrierError, HttpQueueFullError } from './errors.js'
import { deliverFrame, type CarrierKind, type FrameChannel, type FrameHandler } from './channel.js'
import type { AbortOptions, ComponentLogger, Logger } from '@libp2p/interface'

export interface HttpCarrierInit {
  host: string
  port: number
  maxBody?: number
  maxQueueFrames?: number
  maxQueueBytes?: number
  maxPollsPerSession?: number
  maxPollsPerIp?: number
  maxPolls?: number
  maxQueuesPerIp?: number
  maxQueues?: number
  queueIdleMs?: number
}

export interface HttpCarrierStats {
  kind: 'http'
  address: string
  requests: number
  framesIn: number
  framesOut: number
  bytesIn: number
  bytesOut: number
  /** Waiting POSTs now (gauge) and queues held (gauge). */
  polls: number
  queues: number
  /** Frames not queued because a queue was full. */
  queueFull: number
  /** Refused requests by error code (ERR_FRAME_* for malformed bodies, ERR_HTTP_* for the rest). */
  errors: Record<string, number>
}

const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, GET, OPTIONS',
  'access-control-allow-headers': `content-type, ${HTTP_SESSION_HEADER}, ${HTTP_WAIT_HEADER}`,
  'access-control-max-age': '600'
}

const ID_RE = /^[0-9a-f]{16}$/

/**
 * The HTTP carrier's server side (attnproto.md Part 2 §6): a public listener of its own that takes
 * ATTN frames as POST bodies and answers with the frames queued for that session. Every 8-byte
 * id (session_id, or hs_id during a handshake) has an {@link HttpQueueChannel}: the session layer
 * answers on it, the frames wait in its bounded queue, and the next POST for the id (or a long poll
 * waiting on it) collects them. An ACCEPT makes the handshake's queue the session's queue as well.
 */
export class HttpCarrier {
  readonly kind: CarrierKind = 'http'
  private readonly init: Required<HttpCarrierInit>
  private readonly handler: FrameHandler
  private readonly log: Logger
  private server?: Server
  /** Queues by id (one queue may be listed under its hs_id and its session_id). */
  private readonly queues = new Map<string, HttpQueueChannel>()
  private readonly queuesPerIp = new Map<string, number>()
  private readonly pollsPerIp = new Map<string, number>()
  private polls = 0
  private sweeper?: ReturnType<typeof setInterval>
  private readonly counters = { requests: 0, framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, queueFull: 0, errors: {} as Record<string, number> }

  constructor (logger: ComponentLogger, init: HttpCarrierInit, handler: FrameHandler) {
    this.init = {
      maxBody: DEFAULT_HTTP_MAX_BODY,
      maxQueueFrames: DEFAULT_HTTP_MAX_QUEUE_FRAMES,
      maxQueueBytes: DEFAULT_HTTP_MAX_QUEUE_BYTES,
      maxPollsPerSession: DEFAULT_HTTP_MAX_POLLS_PER_SESSION,
      maxPollsPerIp: DEFAULT_HTTP_MAX_POLLS_PER_IP,
      maxPolls: DEFAULT_HTTP_MAX_POLLS,
      maxQueuesPerIp: DEFAULT_HTTP_MAX_QUEUES_PER_IP,
      maxQueues: DEFAULT_HTTP_MAX_QUEUES,
      queueIdleMs: DEFAULT_HTTP_QUEUE_IDLE_MS,
      ...init
    }
    this.handler = handler
    this.log = logger.forComponent('attn:carrier:http')
  }

  get running (): boolean { return this.server != null }

  async start (): Promise<void> {
    if (this.server != null) return
    const server = createServer((req, res) => { this.onRequest(req, res) })
    // a long poll waits up to 25 s; keep idle keep-alive connections a little longer than that
    server.keepAliveTimeout = MAX_HTTP_WAIT_MS + 5_000
    server.headersTimeout = MAX_HTTP_WAIT_MS + 10_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, this.init.host, () => { server.off('error', reject); resolve() })
    })
    this.server = server
    this.sweeper = setInterval(() => { this.sweep() }, Math.min(10_000, this.init.queueIdleMs))
    this.sweeper.unref?.()
    this.log('listening on %s', this.url)
  }

  async stop (): Promise<void> {
    const server = this.server
    this.server = undefined
    clearInterval(this.sweeper)
    for (const q of new Set(this.queues.values())) this.dropQueue(q)
    if (server != null) {
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }

  get url (): string {
    const a = this.server?.address()
    if (a == null || typeof a === 'string') return ''
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
  }

  get port (): number {
    const a = this.server?.address()
    return a == null || typeof a === 'string' ? 0 : a.port
  }

  stats (): HttpCarrierStats {
    return {
      kind: 'http',
      address: this.url,
      ...this.counters,
      polls: this.polls,
      queues: new Set(this.queues.values()).size,
      errors: { ...this.counters.errors }
    }
  }

  private onRequest (req: IncomingMessage, res: ServerResponse): void {
    this.counters.requests++
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS).end()
      return
    }
    if (path === HTTP_WELL_KNOWN_PATH) {
      if (req.method !== 'GET') { this.fail(res, new HttpCarrierError(405, 'ERR_HTTP_METHOD', 'use GET')); return }
      this.json(res, 200, { [PROTOCOL]: { path: HTTP_PATH } })
      return
    }
    if (path !== HTTP_PATH && path !== HTTP_PATH.slice(0, -1)) { this.fail(res, new HttpCarrierError(404, 'ERR_HTTP_NOT_FOUND', `no such path; ATTN is at ${HTTP_PATH}`)); return }
    if (req.method !== 'POST') { this.fail(res, new HttpCarrierError(405, 'ERR_HTTP_METHOD', 'use POST')); return }
    this.onPost(req, res).catch((err: any) => {
      this.fail(res, err instanceof HttpCarrierError ? err : new HttpCarrierError(400, err.code ?? 'ERR_HTTP_BAD_BODY', err.message))
    })
  }

  private async onPost (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ip = req.socket.remoteAddress ?? 'unknown'
    const waitHeader = header(req, HTTP_WAIT_HEADER)
    const wait = waitHeader == null ? 0 : Number(waitHeader)
    if (!Number.isInteger(wait) || wait < 0 || wait > MAX_HTTP_WAIT_MS) throw new HttpCarrierError(400, 'ERR_HTTP_BAD_WAIT', `${HTTP_WAIT_HEADER} must be an integer 0..${MAX_HTTP_WAIT_MS} (ms)`)
    const idHeader = header(req, HTTP_SESSION_HEADER)?.toLowerCase()
    if (idHeader != null && !ID_RE.test(idHeader)) throw new HttpCarrierError(400, 'ERR_HTTP_BAD_SESSION', `${HTTP_SESSION_HEADER} must be 16 hex digits`)
    const body = await readBody(req, this.init.maxBody)
    this.counters.bytesIn += body.byteLength
    let frames: Uint8Array[]
    try {
      frames = decodeBody(body, MAX_FRAME_SIZE)
    } catch (err: any) {
      throw new HttpCarrierError(400, err.code ?? 'ERR_HTTP_BAD_BODY', err.message)
    }
    const keys = frames.map(f => {
      const key = frameKey(f)
      if (key == null) throw new HttpCarrierError(400, 'ERR_HTTP_BAD_FRAME', 'a frame shorter than 8 bytes (or a handshake frame shorter than 18)')
      return key.handshake ? key.hsId : key.sessionId
    })
    const id = idHeader ?? keys[0]
    if (id == null) throw new HttpCarrierError(400, 'ERR_HTTP_BAD_SESSION', `an empty body needs the ${HTTP_SESSION_HEADER} header`)
    // a poll for a queue that does not exist has nothing to wait for
    if (frames.length === 0 && !this.queues.has(id)) throw new HttpCarrierError(404, 'ERR_HTTP_UNKNOWN_SESSION', `no queue for ${id}`)
    const queue = this.queueFor(id, ip, req)
    for (let i = 0; i < frames.length; i++) {
      const ch = keys[i] === id ? queue : this.queueFor(keys[i], ip, req)
      ch.touch()
      this.counters.framesIn++
      deliverFrame(this.handler, frames[i], ch, this.log)
    }
    queue.touch()
    let out: Uint8Array[]
    if (wait > 0 && queue.empty) {
      out = await this.longPoll(queue, ip, wait, res)
    } else {
      // answers the node makes at once (a reply by an RPC handler that did not wait, flushed at the
      // next turn by the RPC batcher) ride on this response: it lingers HTTP_ANSWER_TURNS event-loop
      // turns, less when a frame is queued first
      if (frames.length > 0 && queue.empty) await this.linger(queue)
      out = queue.take(DEFAULT_HTTP_MAX_RESPONSE_BYTES)
    }
    this.respondFrames(res, out)
  }

  private async linger (queue: HttpQueueChannel): Promise<void> {
    await new Promise<void>(resolve => {
      let turns = HTTP_ANSWER_TURNS
      let immediate: ReturnType<typeof setImmediate> | undefined
      const done = (): void => { if (immediate != null) clearImmediate(immediate); queue.waiters.delete(done); resolve() }
      const turn = (): void => { immediate = --turns > 0 ? setImmediate(turn) : undefined; if (immediate == null) done() }
      queue.waiters.add(done)
      immediate = setImmediate(turn)
    })
  }

  private async longPoll (queue: HttpQueueChannel, ip: string, wait: number, res: ServerResponse): Promise<Uint8Array[]> {
    if (queue.polls >= this.init.maxPollsPerSession) throw new HttpCarrierError(429, 'ERR_HTTP_TOO_MANY_POLLS', `at most ${this.init.maxPollsPerSession} waiting requests per session`)
    if ((this.pollsPerIp.get(ip) ?? 0) >= this.init.maxPollsPerIp) throw new HttpCarrierError(429, 'ERR_HTTP_TOO_MANY_POLLS', `at most ${this.init.maxPollsPerIp} waiting requests per client address`)
    if (this.polls >= this.init.maxPolls) throw new HttpCarrierError(503, 'ERR_HTTP_OVERLOADED', 'too many waiting requests')
    queue.polls++
    this.polls++
    this.pollsPerIp.set(ip, (this.pollsPerIp.get(ip) ?? 0) + 1)
    try {
      await new Promise<void>(resolve => {
        const timer = setTimeout(done, wait)
        function done (): void { clearTimeout(timer); queue.waiters.delete(done); res.off('close', done); resolve() }
        queue.waiters.add(done)
        // the client went away: stop waiting (what was queued stays for the next request)
        res.on('close', done)
      })
    } finally {
      queue.polls--
      this.polls--
      const n = (this.pollsPerIp.get(ip) ?? 1) - 1
      if (n <= 0) this.pollsPerIp.delete(ip)
      else this.pollsPerIp.set(ip, n)
    }
    return res.destroyed ? [] : queue.take(DEFAULT_HTTP_MAX_RESPONSE_BYTES)
  }

  private queueFor (id: string, ip: string, req: IncomingMessage): HttpQueueChannel {
    const existing = this.queues.get(id)
    if (existing != null && !existing.closed) return existing
    const perIp = this.queuesPerIp.get(ip) ?? 0
    if (perIp >= this.init.maxQueuesPerIp) throw new HttpCarrierError(503, 'ERR_HTTP_OVERLOADED', `at most ${this.init.maxQueuesPerIp} sessions per client address`)
    if (this.queues.size >= this.init.maxQueues) throw new HttpCarrierError(503, 'ERR_HTTP_OVERLOADED', 'too many sessions')
    const port = req.socket.remotePort ?? 0
    const q = new HttpQueueChannel(this, id, ip, port)
    this.queues.set(id, q)
    this.queuesPerIp.set(ip, perIp + 1)
    return q
  }

  /** Called by a queue channel when the session layer sends on it. */
  enqueue (q: HttpQueueChannel, frame: Uint8Array): void {
    if (q.closed || this.server == null) throw new ChannelClosedError(`http queue ${q.id} is closed`)
    if (q.frames.length >= this.init.maxQueueFrames || q.bytes + frame.byteLength > this.init.maxQueueBytes) {
      this.counters.queueFull++
      throw new HttpQueueFullError(q.id, this.init.maxQueueFrames)
    }
    const sid = acceptedSessionId(frame)
    if (sid != null && frameKey(frame)?.handshake === true) {
      // the handshake's queue becomes the session's queue: the client polls it by session_id
      const other = this.queues.get(sid)
      if (other !== q) {
        if (other != null) this.dropQueue(other)
        this.queues.set(sid, q)
        q.ids.add(sid)
      }
    }
    // not copied: the session layer hands over a fresh frame and never writes to it again (the UDP
    // and stream carriers keep a reference until sent, the same way)
    q.frames.push(frame)
    q.bytes += frame.byteLength
    // the newest waiter first: a POST that just carried frames is the one waiting for their answer,
    // while an older long poll keeps waiting for what comes later
    let newest: (() => void) | undefined
    for (const w of q.waiters) newest = w
    newest?.()
  }

  private sweep (now = Date.now()): void {
    for (const q of new Set(this.queues.values())) {
      if (q.polls === 0 && now - q.lastUsed > this.init.queueIdleMs) this.dropQueue(q)
    }
  }

  private dropQueue (q: HttpQueueChannel): void {
    if (q.closed) return
    q.closed = true
    for (const id of q.ids) if (this.queues.get(id) === q) this.queues.delete(id)
    const n = (this.queuesPerIp.get(q.ip) ?? 1) - 1
    if (n <= 0) this.queuesPerIp.delete(q.ip)
    else this.queuesPerIp.set(q.ip, n)
    for (const w of [...q.waiters]) w()
    this.handler.channelClosed?.(q)
  }

  private respondFrames (res: ServerResponse, frames: Uint8Array[]): void {
    if (res.destroyed) return
    const body = encodeBody(frames)
    this.counters.framesOut += frames.length
    this.counters.bytesOut += body.byteLength
    // a simple (non-preflight) response needs only Allow-Origin of the CORS headers (§6.4)
    res.writeHead(200, {
      'access-control-allow-origin': '*',
      'content-type': 'application/octet-stream',
      'content-length': String(body.byteLength),
      'cache-control': 'no-store'
    })
    res.end(body)
  }

  private fail (res: ServerResponse, err: HttpCarrierError): void {
    this.counters.errors[err.code] = (this.counters.errors[err.code] ?? 0) + 1
    this.log.trace('refused request: %s %s', err.code, err.message)
    this.json(res, err.status, { error: err.code, message: err.message })
  }

  private json (res: ServerResponse, status: number, value: unknown): void {
    if (res.headersSent || res.destroyed) return
    const body = JSON.stringify(value)
    // a refused request's body may not have been read: close rather than reuse the connection
    res.writeHead(status, { 'access-control-allow-origin': '*', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...(status >= 400 ? { connection: 'close' } : {}) })
    res.end(body)
  }
}

/** One session's (or handshake's) queue of frames for the client, as the channel the session layer answers on. */
export class HttpQueueChannel implements FrameChannel {
  readonly id: string
  readonly kind: CarrierKind = 'http'
  readonly remoteAddr: Multiaddr
  readonly ids = new Set<string>()
  readonly frames: Uint8Array[] = []
  bytes = 0
  polls = 0
  readonly waiters = new Set<() => void>()
  lastUsed = Date.now()
  closed = false

  constructor (private readonly carrier: HttpCarrier, id: string, readonly ip: string, port: number) {
    this.id = `http:${id}`
    this.ids.add(id)
    const v6 = isIP(ip) === 6
    this.remoteAddr = multiaddr(`/${v6 ? 'ip6' : 'ip4'}/${ip.replace(/^::ffff:/, '')}/tcp/${port}/http`)
  }

  get open (): boolean { return !this.closed && this.carrier.running }
  get empty (): boolean { return this.frames.length === 0 }

  touch (): void { this.lastUsed = Date.now() }

  async send (frame: Uint8Array, _options?: AbortOptions): Promise<void> {
    this.sendNow(frame)
  }

  sendNow (frame: Uint8Array): void {
    this.carrier.enqueue(this, frame)
  }

  /** Removes queued frames up to `maxBytes` (at least one). */
  take (maxBytes: number): Uint8Array[] {
    let n = 0
    let bytes = 0
    while (n < this.frames.length && (n === 0 || bytes + this.frames[n].byteLength <= maxBytes)) bytes += this.frames[n++].byteLength
    this.bytes -= bytes
    return this.frames.splice(0, n)
  }

  async close (): Promise<void> {}
}

function header (req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * Reads a request body of at most `max` bytes (413 beyond it, before reading more). Plain 'data'
 * and 'end' events: an async iterator over the request costs several promises per body.
 */
async function readBody (req: IncomingMessage, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > max) throw new HttpCarrierError(413, 'ERR_HTTP_BODY_TOO_LARGE', `body of ${declared} bytes exceeds ${max}`)
  return await new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = []
    let n = 0
    const onData = (chunk: Buffer): void => {
      n += chunk.byteLength
      if (n > max) {
        done()
        // stop reading; the error answer closes the connection
        req.pause()
        reject(new HttpCarrierError(413, 'ERR_HTTP_BODY_TOO_LARGE', `body exceeds ${max} bytes`))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => { done(); resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)) }
    const onError = (err: Error): void => { done(); reject(err) }
    const onClose = (): void => { if (!req.complete) onError(new HttpCarrierError(400, 'ERR_HTTP_BAD_BODY', 'the request ended before its body')) }
    function done (): void {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}
