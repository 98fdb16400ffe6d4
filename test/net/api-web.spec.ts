import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NodeSet } from '../helpers/nodes.js'
import { startApiServer } from '../../src/api/server.js'
import { generateApiToken } from '../../src/api/token.js'
import { LoginCodes } from '../../src/api/login.js'
import { MAX_LOGIN_CODES } from '../../src/api/constants.js'
import type { ApiServer } from '../../src/api/server.js'
import type { AttnNode } from '../../src/node/create-node.js'

interface Reply { status: number, headers: Record<string, string | string[] | undefined>, text: string }

/** One request through node:http, which (unlike fetch) lets a test forge `Host`. */
async function raw (api: ApiServer, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(api.url)
  return await new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { host: url.host, ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { text += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, text }) })
    })
    req.on('error', reject)
    req.end()
  })
}

const METRICS = [
  'attn_carrier_frames_total', 'attn_carrier_channels_opened_total', 'attn_carrier_protocol_errors_total', 'attn_connections',
  'attn_sessions_open', 'attn_session_handshakes_pending', 'attn_session_handshakes_total', 'attn_session_records_total', 'attn_session_rejected_total',
  'attn_rpc_calls_total', 'attn_rpc_replies_total', 'attn_rpc_resends_total', 'attn_rpc_duplicates_dropped_total', 'attn_rpc_errors_total',
  'attn_rpc_decode_errors_total', 'attn_rpc_pending_calls', 'attn_rpc_waiting_calls', 'attn_rpc_call_duration_seconds',
  'attn_messaging_parcels_in_total', 'attn_messaging_messages_in_total', 'attn_messaging_receipts_in_total', 'attn_messaging_mailbox_stored_total',
  'attn_messaging_mailbox_fetched_total', 'attn_messaging_junk_dropped_total', 'attn_messaging_quarantined_total', 'attn_messaging_receipts_requeued_total',
  'attn_messaging_reprobes_total', 'attn_messaging_rejected_total', 'attn_messages', 'attn_mailbox_items', 'attn_mailbox_bytes', 'attn_api_rejected_total'
]

describe('local API: /metrics and the web client\'s static files', function () {
  this.timeout(60_000)
  const nodes = new NodeSet()
  let node: AttnNode
  let peer: AttnNode
  let api: ApiServer
  let webRoot: string
  let token: string

  before(async () => {
    webRoot = await mkdtemp(join(tmpdir(), 'attn-web-'))
    await mkdir(join(webRoot, 'assets'))
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>t</title><script type="module" src="/assets/app-1.js"></script>')
    await writeFile(join(webRoot, 'assets', 'app-1.js'), 'console.log(1)')
    await writeFile(join(webRoot, 'assets', 'app-1.css'), 'body{}')
    await writeFile(join(webRoot, 'assets', 'secret.key'), 'not served: unknown type')
    node = await nodes.create()
    peer = await nodes.create()
    token = generateApiToken()
    api = await startApiServer(node, { host: '127.0.0.1', port: 0, address: node.services.attn.address, token, webRoot })
    await node.dial(peer.getMultiaddrs()[0])
  })

  after(async () => {
    await api?.close()
    await nodes.stopAll()
    await rm(webRoot, { recursive: true, force: true })
  })

  it('GET /metrics: Prometheus text without the token, every documented metric, no address or peer id', async () => {
    // something to count: a refused request, and a session with the peer
    assert.equal((await raw(api, 'GET', '/v1/groups')).status, 401)
    await node.services.attn.ping(peer.peerId)
    await node.services.attn.call(peer.peerId, 'attn.info', new Uint8Array())
    const res = await raw(api, 'GET', '/metrics')
    assert.equal(res.status, 200, res.text)
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    for (const name of METRICS) assert.match(res.text, new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'), name)
    assert.match(res.text, /^attn_api_rejected_total\{code="ERR_TOKEN_REQUIRED"\} [1-9]\d*$/m)
    assert.match(res.text, /^attn_messages\{state="queued"\} 0$/m)
    assert.match(res.text, /^attn_mailbox_bytes 0$/m)
    assert.match(res.text, /^attn_sessions_open [1-9]\d*$/m)
    assert.match(res.text, /^attn_connections [1-9]\d*$/m)
    assert.match(res.text, /^attn_rpc_call_duration_seconds_count\{direction="out",method="attn.info",outcome="ok"\} [1-9]\d*$/m)
    assert.match(res.text, /^attn_rpc_call_duration_seconds_bucket\{direction="out",method="attn.info",outcome="ok",le="\+Inf"\} [1-9]\d*$/m)
    for (const secret of [node.services.attn.address, peer.services.attn.address, peer.peerId.toString(), node.peerId.toString(), '127.0.0.1']) {
      assert.ok(!res.text.includes(secret), `metrics must not name ${secret}`)
    }
    // two scrapes see the same monotonic counters, not doubled ones
    const again = await raw(api, 'GET', '/metrics')
    const line = (t: string): string | undefined => t.split('\n').find(l => l.startsWith('attn_api_rejected_total{code="ERR_TOKEN_REQUIRED"}'))
    assert.equal(line(again.text), line(res.text))
  })

  it('the README documents every metric, and the example Grafana dashboard uses only real ones', async () => {
    const text = (await raw(api, 'GET', '/metrics')).text
    const all = [...text.matchAll(/^# TYPE (\S+) /gm)].map(m => m[1])
    const exported = all.filter(n => n.startsWith('attn_'))
    assert.deepEqual(exported.sort(), [...METRICS].sort())
    // the rest are libp2p's own, documented as a group
    assert.ok(all.filter(n => n.startsWith('libp2p_')).length > 5, 'libp2p metrics are exported too')
    assert.match(text, /^libp2p_data_transfer_bytes_total\{protocol="\/attn\/1\.0\.0 sent"\} [1-9]\d*$/m)
    assert.deepEqual(all.filter(n => !/^(attn|libp2p|nodejs)_/.test(n)), [])
    const root = fileURLToPath(new URL('../../../', import.meta.url))
    const readme = await readFile(join(root, 'README.md'), 'utf8')
    for (const name of exported) assert.ok(readme.includes(`| \`${name}\` |`), `README documents ${name}`)
    const dashboard = await readFile(join(root, 'docs', 'grafana-dashboard.json'), 'utf8')
    const used = new Set([...dashboard.matchAll(/\b(attn_[a-z_]+)\b/g)].map(m => m[1].replace(/_(bucket|sum|count)$/, '')))
    assert.ok(used.size > 5)
    for (const name of used) assert.ok(exported.includes(name), `dashboard metric ${name} exists`)
  })

  it('GET /metrics: a foreign Host is 421, a foreign Origin 403, POST 405', async () => {
    const host = await raw(api, 'GET', '/metrics', { host: 'attacker.example:80' })
    assert.equal(host.status, 421)
    assert.equal(JSON.parse(host.text).error.code, 'ERR_HOST_NOT_ALLOWED')
    const origin = await raw(api, 'GET', '/metrics', { origin: 'http://attacker.example' })
    assert.equal(origin.status, 403)
    assert.equal((await raw(api, 'POST', '/metrics', { authorization: `Bearer ${token}` })).status, 405)
  })

  it('serves the web client at / without the token, with its content types, a strict CSP and no framing', async () => {
    const index = await raw(api, 'GET', '/')
    assert.equal(index.status, 200)
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8')
    assert.match(index.text, /<script type="module" src="\/assets\/app-1\.js">/)
    assert.equal(index.headers['cache-control'], 'no-cache')
    const csp = String(index.headers['content-security-policy'])
    assert.match(csp, /default-src 'self'/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp)
    assert.equal(index.headers['x-frame-options'], 'DENY')
    assert.equal(index.headers['x-content-type-options'], 'nosniff')
    assert.equal((await raw(api, 'GET', '/index.html')).text, index.text)

    const js = await raw(api, 'GET', '/assets/app-1.js', { 'sec-fetch-site': 'same-origin' })
    assert.equal(js.status, 200)
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8')
    assert.match(String(js.headers['cache-control']), /immutable/)
    assert.equal((await raw(api, 'GET', '/assets/app-1.css')).headers['content-type'], 'text/css; charset=utf-8')

    // the JSON routes carry the same headers
    assert.equal((await raw(api, 'GET', '/v1/status')).headers['x-frame-options'], 'DENY')
  })

  it('static files: only known files, no traversal, no token-free API; a foreign page cannot load them either', async () => {
    assert.equal((await raw(api, 'GET', '/assets/secret.key')).status, 404)
    assert.equal((await raw(api, 'GET', '/assets/missing.js')).status, 404)
    assert.equal((await raw(api, 'GET', '/assets/../index.html')).status, 200) // normalised by the URL parser: still index.html
    // not a web client path: needs the token, and with it is no route
    assert.equal((await raw(api, 'GET', '/assets/%2e%2e%2f%2e%2e%2fpackage.json')).status, 401)
    assert.equal((await raw(api, 'GET', '/assets/%2e%2e%2f%2e%2e%2fpackage.json', { authorization: `Bearer ${token}` })).status, 404)
    assert.equal((await raw(api, 'GET', '/v1/messages')).status, 401, 'the API routes still need the token')
    assert.equal((await raw(api, 'GET', '/other')).status, 401, 'paths outside the web client need the token')
    assert.equal((await raw(api, 'POST', '/')).status, 401)
    // a page of another site including our script, or framing our page
    assert.equal((await raw(api, 'GET', '/assets/app-1.js', { 'sec-fetch-site': 'cross-site' })).status, 403)
    assert.equal((await raw(api, 'GET', '/', { host: 'rebound.example:' + new URL(api.url).port })).status, 421)
  })

  it('POST /v1/login trades a single-use code for the token, once; a foreign origin cannot', async () => {
    const link = new URL(api.loginUrl())
    assert.equal(link.origin, api.url)
    assert.equal(link.pathname, '/')
    const code = /^#login=([A-Za-z0-9_-]{43})$/.exec(link.hash)?.[1]
    assert.ok(code != null, link.hash)
    assert.ok(!link.href.includes(token), 'the link does not carry the token')
    const login = async (body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
      await fetch(`${api.url}/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

    // a page of another origin gets nothing, and the code survives its try
    assert.equal((await login({ code }, { origin: 'http://127.0.0.1:1' })).status, 403)
    assert.equal((await login({ code: 'A'.repeat(43) })).status, 401)
    assert.equal((await login({ code, extra: 1 })).status, 400)
    assert.equal((await login({ code: 5 })).status, 400)
    const ok = await login({ code }, { origin: api.url })
    assert.equal(ok.status, 200)
    assert.equal(ok.headers.get('cache-control'), 'no-store')
    assert.deepEqual(await ok.json(), { token })
    // used: refused from now on
    const again = await login({ code })
    assert.equal(again.status, 401)
    assert.equal(((await again.json()) as any).error.code, 'ERR_LOGIN_CODE_INVALID')
    // not a token-free GET
    assert.equal((await fetch(`${api.url}/v1/login`)).status, 401)
  })

  it('login codes: each redeems once, at most MAX_LOGIN_CODES outstanding (the oldest dropped)', () => {
    const codes = new LoginCodes()
    const issued = Array.from({ length: MAX_LOGIN_CODES + 1 }, () => codes.issue())
    assert.equal(new Set(issued).size, issued.length)
    assert.equal(codes.redeem(issued[0]), false, 'dropped')
    for (const c of issued.slice(1)) assert.equal(codes.redeem(c), true)
    for (const c of issued) assert.equal(codes.redeem(c), false)
    assert.equal(codes.redeem(''), false)
  })

  it('a node without a built web client answers / with 404', async () => {
    const empty = await startApiServer(node, { host: '127.0.0.1', port: 0, address: node.services.attn.address, token, webRoot: join(webRoot, 'nothing-here') })
    try {
      const res = await raw(empty, 'GET', '/')
      assert.equal(res.status, 404)
      assert.equal(JSON.parse(res.text).error.code, 'NOT_FOUND')
    } finally {
      await empty.close()
    }
  })
})
