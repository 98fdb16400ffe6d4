/**
 * Processes for the fault suite: `attn start` children that can be SIGKILLed and restarted on the
 * same home, on the same TCP port (other nodes and directory records keep reaching them), and a
 * seeded PRNG so a run's kill schedule can be replayed.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CliNode, removeHome, tempHome } from '../helpers/cli.js'

/** mulberry32: small, fast, good enough to schedule faults; the same seed gives the same sequence. */
export function prng (seed: number): { next: () => number, int: (lo: number, hi: number) => number, pick: <T>(items: T[]) => T, shuffle: <T>(items: T[]) => T[] } {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1))
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)],
    shuffle: (items) => {
      const out = [...items]
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i)
        ;[out[i], out[j]] = [out[j], out[i]]
      }
      return out
    }
  }
}

export interface ApiResponse { status: number, body: any }

/** The API could not be reached or the connection broke (the process died under the request). */
export class ApiUnreachableError extends Error {
  readonly code = 'ERR_API_UNREACHABLE'
}

/**
 * One node of the scenario: a home directory and the `attn start` process currently running on
 * it (if any). `kill()` is SIGKILL: no shutdown code runs; `start()` brings it back on the same
 * home and TCP port and resolves once it printed its readiness line.
 */
export class FaultNode {
  home = ''
  peerId = ''
  address = ''
  /** The TCP multiaddr (with /p2p/) other nodes bootstrap from; fixed after the first start. */
  multiaddr = ''
  kills = 0
  starts = 0
  /** Wall time of every start, spawn to readiness line, ms. */
  readonly startMs: number[] = []
  private port = 0
  private token = ''
  private api = ''
  private proc?: CliNode
  private up?: Promise<void>
  private upResolve?: () => void
  private closed = false
  /** Everything the node wrote to stderr, across its lives (the last lines help a failure). */
  stderr = ''

  constructor (readonly name: string) {}

  async init (): Promise<void> {
    this.home = await tempHome(`attn-faults-${this.name}-`)
  }

  /** Writes `config.json` of the home (read at every start). */
  async configure (config: Record<string, unknown>): Promise<void> {
    await writeFile(join(this.home, 'config.json'), JSON.stringify(config, null, 2))
  }

  get running (): boolean {
    return this.proc != null && this.upResolve == null
  }

  /** Resolves when the node is up (immediately if it is). */
  async whenUp (): Promise<void> {
    await this.up
  }

  async start (extraArgs: string[] = []): Promise<void> {
    if (this.proc != null) throw new Error(`${this.name} is already running`)
    if (this.closed) throw new Error(`${this.name} was stopped for good`)
    if (this.upResolve == null) this.up = new Promise(resolve => { this.upResolve = resolve })
    const listen = `/ip4/127.0.0.1/tcp/${this.port}`
    const proc = new CliNode(['--home', this.home, '--insecure-dev-key', '--listen', listen, '--api', '127.0.0.1:0', ...extraArgs], { ATTN_PASSPHRASE: '' })
    this.proc = proc
    // ATTN_FAULTS_LOGDIR: every life's stderr also goes to DIR/NAME.log (with DEBUG=attn:* for a post-mortem)
    const logDir = process.env.ATTN_FAULTS_LOGDIR
    if (logDir != null && logDir !== '') {
      const file = join(logDir, `${this.name}.log`)
      proc.child.stderr?.on('data', (d) => { void appendFile(file, d).catch((err) => { console.error(`faults: cannot write ${file}: ${err.message as string}`) }) })
    }
    const t0 = Date.now()
    let info: Awaited<CliNode['started']>
    try {
      info = await proc.started
    } finally {
      this.stderr += proc.stderr
    }
    this.starts++
    this.startMs.push(Date.now() - t0)
    this.api = info.api
    this.peerId = info.peerId
    this.address = info.address
    if (this.port === 0) {
      this.multiaddr = info.addresses.find(a => a.startsWith('/ip4/127.0.0.1/tcp/')) ?? info.addresses[0]
      this.port = Number(/\/tcp\/(\d+)/.exec(this.multiaddr)?.[1])
    }
    if (this.token === '') this.token = (await readFile(join(this.home, 'api-token'), 'utf8')).trim()
    const resolve = this.upResolve
    this.upResolve = undefined
    resolve?.()
  }

  /** SIGKILL: the process gets no chance to flush or close anything. */
  async kill (): Promise<void> {
    const proc = this.proc
    if (proc == null) return
    this.up = new Promise(resolve => { this.upResolve = resolve })
    proc.child.kill('SIGKILL')
    await proc.exited
    this.stderr += proc.stderr
    this.proc = undefined
    this.kills++
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; no start after this. */
  async stop (graceMs = 10_000): Promise<void> {
    this.closed = true
    const proc = this.proc
    if (proc == null) return
    this.proc = undefined
    if (proc.child.exitCode == null && proc.child.signalCode == null) {
      proc.child.kill('SIGTERM')
      const timer = setTimeout(() => { proc.child.kill('SIGKILL') }, graceMs)
      await proc.exited
      clearTimeout(timer)
    }
  }

  async remove (): Promise<void> {
    if (this.home !== '') await removeHome(this.home)
  }

  /** One request to the node's local API, with its bearer token. */
  async request (method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 30_000): Promise<ApiResponse> {
    if (!this.running) throw new ApiUnreachableError(`${this.name} is down`)
    let res: Response
    try {
      res = await fetch(this.api + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs)
      })
    } catch (err: any) {
      throw new ApiUnreachableError(`${this.name}: ${method} ${path}: ${err.cause?.code ?? err.message as string}`)
    }
    let text: string
    try {
      text = await res.text()
    } catch (err: any) {
      throw new ApiUnreachableError(`${this.name}: ${method} ${path}: reading the answer: ${err.message as string}`)
    }
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) }
  }

  /**
   * Every message in the node's inbox, oldest first, across pages. A page starts 1 ms before the
   * last one ended (`after` is exclusive, in ms) so messages sharing that ms are not skipped; those
   * expected repeats are dropped once, anything else that repeats is returned as listed.
   */
  async inbox (): Promise<any[]> {
    const out: any[] = []
    let after: number | undefined
    let overlap = new Set<string>()
    for (;;) {
      const res = await this.request('GET', `/v1/messages?limit=1000${after != null ? `&after=${after}` : ''}`)
      if (res.status !== 200) throw new Error(`${this.name}: GET /v1/messages: ${res.status} ${JSON.stringify(res.body)}`)
      const page = res.body as any[]
      for (const m of page) {
        if (overlap.delete(m.id)) continue
        out.push(m)
      }
      if (page.length < 1000) return out
      const last = page[page.length - 1].receivedAt
      if (after === last - 1) throw new Error(`${this.name}: more than a page of messages received in the same ms`)
      after = last - 1
      overlap = new Set(page.filter(m => m.receivedAt === last).map(m => m.id))
    }
  }

  /** The last `lines` lines of what the node printed on stderr. */
  tail (lines = 20): string {
    return this.stderr.split('\n').slice(-lines).join('\n')
  }
}
