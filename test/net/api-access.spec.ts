import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { NodeSet, waitFor } from '../helpers/nodes.js'
import { startApiServer } from '../../src/api/server.js'
import { generateApiToken } from '../../src/api/token.js'
import type { ApiServer } from '../../src/api/server.js'
import type { AttnNode } from '../../src/node/create-node.js'

interface Reply { status: number, headers: Record<string, string | string[] | undefined>, body: any }

/** One request through node:http, which (unlike fetch) lets a test forge `Host`. */
async function raw (api: ApiServer, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const url = new URL(api.url)
  return await new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { host: url.host, ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { text += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) }) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

function assertError (reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body))
  assert.equal(reply.body?.error?.code, code, JSON.stringify(reply.body))
  assert.equal(typeof reply.body.error.message, 'string')
}

/**
 * Sends a chunked body of up to `total` bytes, 64 KiB at a time, stopping as soon as the answer
 * comes. `sent`: bytes written before the answer (a server that reads the whole body first
 * answers only after all of them).
 */
async function chunkedUpload (api: ApiServer, path: string, headers: Record<string, string>, total: number): Promise<{ status: number, body: any, sent: number }> {
  const url = new URL(api.url)
  return await new Promise((resolve, reject) => {
    let sent = 0
    let answered = false
    const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      answered = true
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { text += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), sent }) })
    })
    req.on('error', (err) => { if (!answered) reject(err) })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const pump = (): void => {
      while (!answered && sent < total) {
        sent += chunk.byteLength
        if (!req.write(chunk)) { req.once('drain', pump); return }
      }
      if (!answered) req.end()
    }
    pump()
  })
}

describe('local API: Host, Origin and token checks; streamed body limit', function () {
  this.timeout(120_000)
  const nodes = new NodeSet()
  const servers: ApiServer[] = []
  let node: AttnNode
  let peer: AttnNode
  let api: ApiServer
  let token: string
  let auth: Record<string, string>

  beforeEach(async () => {
    node = await nodes.create()
    peer = await nodes.create()
    token = generateApiToken()
    auth = { authorization: `Bearer ${token}` }
    api = await startApiServer(node, { host: '127.0.0.1', port: 0, address: node.services.attn.address, token, maxBodyBytes: 64 * 1024 })
    servers.push(api)
  })

  afterEach(async () => {
    await Promise.all(servers.splice(0).map(async s => { await s.close() }))
    await nodes.stopAll()
  })

  it('a foreign Host is 421 on every route, the public ones and the unknown ones included', async () => {
    const port = new URL(api.url).port
    for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1:1', `127.0.0.2:${port}`, `localhost.:${port}`]) {
      assertError(await raw(api, 'GET', '/v1/status', { host }), 421, 'ERR_HOST_NOT_ALLOWED')
      assertError(await raw(api, 'GET', '/v1/messages', { host, ...auth }), 421, 'ERR_HOST_NOT_ALLOWED')
      assertError(await raw(api, 'GET', '/nope', { host }), 421, 'ERR_HOST_NOT_ALLOWED')
    }
    // a rebinding page's send: refused before the body is looked at
    const post = await raw(api, 'POST', '/v1/connect', { host: 'evil.example', origin: 'http://evil.example', 'content-type': 'application/json', ...auth }, JSON.stringify({ multiaddr: peer.getMultiaddrs()[0].toString() }))
    assertError(post, 421, 'ERR_HOST_NOT_ALLOWED')
    assert.equal(node.getConnections(peer.peerId).length, 0, 'nothing was dialled')
    // the literal address and localhost (loopback) are this API
    assert.equal((await raw(api, 'GET', '/v1/status', { host: `127.0.0.1:${port}` })).status, 200)
    const status = await raw(api, 'GET', '/v1/status', { host: `LocalHost:${port}` })
    assert.equal(status.status, 200)
    // counted, by code
    assert.equal(status.body.counters.api.rejected.ERR_HOST_NOT_ALLOWED, 16)
  })

  it('a foreign Origin is 403 on GET and POST; the API\'s own origin and no Origin pass', async () => {
    const port = new URL(api.url).port
    for (const origin of ['http://evil.example', `http://evil.example:${port}`, 'null', `https://127.0.0.1:${port}`, 'http://127.0.0.1', `http://127.0.0.1:${port}/x`]) {
      assertError(await raw(api, 'GET', '/v1/status', { origin }), 403, 'ERR_ORIGIN_NOT_ALLOWED')
      assertError(await raw(api, 'GET', '/v1/messages', { origin, ...auth }), 403, 'ERR_ORIGIN_NOT_ALLOWED')
      assertError(await raw(api, 'POST', '/v1/connect', { origin, 'content-type': 'application/json', ...auth }, JSON.stringify({ multiaddr: peer.getMultiaddrs()[0].toString() })), 403, 'ERR_ORIGIN_NOT_ALLOWED')
    }
    assert.equal(node.getConnections(peer.peerId).length, 0, 'nothing was dialled')
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      assert.equal((await raw(api, 'GET', '/v1/status', { origin })).status, 200, origin)
    }
    // a cross-site GET from <img>/<script> carries no Origin, but a browser marks it
    for (const site of ['cross-site', 'same-site']) {
      assertError(await raw(api, 'GET', '/v1/status', { 'sec-fetch-site': site }), 403, 'ERR_ORIGIN_NOT_ALLOWED')
      assertError(await raw(api, 'GET', '/v1/messages', { 'sec-fetch-site': site, ...auth }), 403, 'ERR_ORIGIN_NOT_ALLOWED')
    }
    for (const site of ['same-origin', 'none']) assert.equal((await raw(api, 'GET', '/v1/status', { 'sec-fetch-site': site })).status, 200, site)
    const ok = await raw(api, 'POST', '/v1/connect', { origin: api.url, 'content-type': 'application/json', ...auth }, JSON.stringify({ multiaddr: peer.getMultiaddrs()[0].toString() }))
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
  })

  it('every route but status needs the token: missing or wrong is 401; status is readable without it', async () => {
    const routes: Array<[string, string, string?]> = [
      ['GET', '/v1/messages'], ['GET', '/v1/events'], ['GET', '/v1/groups'], ['GET', '/v1/openapi.json'],
      ['GET', `/v1/messages/${'ab'.repeat(16)}/status`], ['POST', '/v1/messages', '{"to":"x","body":"y"}'],
      ['POST', '/v1/connect', '{"multiaddr":"/ip4/127.0.0.1/tcp/1"}'], ['POST', '/v1/directory/publish'], ['POST', '/v1/mailbox/fetch'],
      ['DELETE', `/v1/groups/grp_${'0'.repeat(32)}/members/x`], ['POST', '/v1/status'], ['GET', '/v1/status/'], ['GET', '/nope']
    ]
    for (const [method, path, body] of routes) {
      const headers: Record<string, string> = body != null ? { 'content-type': 'application/json' } : {}
      const missing = await raw(api, method, path, headers, body)
      assertError(missing, 401, 'ERR_TOKEN_REQUIRED')
      assert.match(String(missing.headers['www-authenticate']), /^Bearer /)
      for (const authorization of [`Bearer ${generateApiToken()}`, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `Basic ${token}`, 'Bearer', `${token}`]) {
        assertError(await raw(api, method, path, { ...headers, authorization }, body), 401, 'ERR_TOKEN_INVALID')
      }
    }
    // the scheme is case-insensitive
    assert.notEqual((await raw(api, 'GET', '/v1/groups', { authorization: `bearer ${token}` })).status, 401)

    const status = await raw(api, 'GET', '/v1/status')
    assert.equal(status.status, 200)
    assert.equal(status.body.peerId, node.peerId.toString())
    // nothing of the inbox: identities and counters only
    assert.deepEqual(Object.keys(status.body).sort(), ['address', 'addresses', 'carriers', 'connections', 'counters', 'crypto', 'device', 'peerId', 'protocols', 'reach', 'rewards', 'uptimeSeconds', 'version'])
    assert.equal((await raw(api, 'HEAD', '/v1/status')).status, 200)
    // /metrics is public too (counts only, text; see api-web.spec.ts)
    const metrics = await fetch(`${api.url}/metrics`)
    assert.equal(metrics.status, 200)
    assert.match(await metrics.text(), /^# TYPE attn_/m)
  })

  it('a Content-Length over the limit is 413 before the body is sent', async () => {
    const url = new URL(api.url)
    // the body is never written: a server that waits for it would never answer
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/v1/connect', headers: { 'content-type': 'application/json', 'content-length': String(1024 ** 3), ...auth } }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => { text += d })
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) })
          req.destroy()
        })
      })
      req.on('error', reject)
      req.flushHeaders()
    })
    assertError(reply, 413, 'BODY_TOO_LARGE')
    assert.equal((await raw(api, 'GET', '/v1/status')).status, 200)
  })

  it('a chunked body over the limit is 413 before the client has sent it, and the server keeps serving', async () => {
    const total = 256 * 1024 * 1024
    for (let i = 0; i < 3; i++) {
      const reply = await chunkedUpload(api, '/v1/connect', auth, total)
      assert.equal(reply.status, 413)
      assert.equal(reply.body.error.code, 'BODY_TOO_LARGE')
      // answered after the first bytes over the limit (plus what the sockets hold), not after all of them
      assert.ok(reply.sent < total, `answered after ${reply.sent} of ${total} bytes`)
    }
    // unauthenticated uploads are refused before the body is read at all
    const anon = await chunkedUpload(api, '/v1/connect', {}, total)
    assert.equal(anon.status, 401)
    assert.ok(anon.sent < total)
    // bodies within the limit still work
    const ok = await raw(api, 'POST', '/v1/connect', { 'content-type': 'application/json', ...auth }, JSON.stringify({ multiaddr: peer.getMultiaddrs()[0].toString() }))
    assert.equal(ok.status, 200, JSON.stringify(ok.body))
    await waitFor(() => node.getConnections(peer.peerId).length > 0, { what: 'the dial' })
    assert.equal((await raw(api, 'GET', '/v1/status')).status, 200)
  })
})
