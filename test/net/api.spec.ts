import assert from 'node:assert/strict'
import { NodeSet } from '../helpers/nodes.js'
import { startApiServer } from '../../src/api/server.js'
import { generateApiToken } from '../../src/api/token.js'
import type { ApiServer } from '../../src/api/server.js'

describe('local API: status, connect, errors', function () {
  const nodes = new NodeSet()
  const servers: ApiServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(async s => { await s.close() }))
    await nodes.stopAll()
  })

  it('GET /v1/status describes the node; POST /v1/connect dials; bad requests are typed 4xx JSON errors', async () => {
    const a = await nodes.create()
    const b = await nodes.create()
    const token = generateApiToken()
    const auth = { authorization: `Bearer ${token}` }
    const api = await startApiServer(a, { host: '127.0.0.1', port: 0, address: a.services.attn.address, version: '9.9.9', token })
    servers.push(api)
    assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/)

    // status needs no token
    const status: any = await (await fetch(`${api.url}/v1/status`)).json()
    assert.equal(status.peerId, a.peerId.toString())
    assert.equal(status.address, a.services.attn.address)
    assert.ok(status.protocols.includes('/attn/1.0.0'))
    assert.ok(status.addresses.every((x: string) => x.includes('/p2p/')))
    assert.deepEqual(status.connections, [])
    assert.equal(status.version, '9.9.9')
    assert.equal(typeof status.counters.carrier.framesIn, 'number')
    assert.equal(typeof status.counters.sessions.handshakesCompleted, 'number')

    const res = await fetch(`${api.url}/v1/connect`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ multiaddr: b.getMultiaddrs()[0].toString() }) })
    assert.equal(res.status, 200)
    assert.equal(((await res.json()) as any).peerId, b.peerId.toString())
    const after: any = await (await fetch(`${api.url}/v1/status`)).json()
    assert.ok(after.connections.some((c: { peerId: string }) => c.peerId === b.peerId.toString()))

    const cases: Array<[string, RequestInit, number, string]> = [
      ['/v1/nope', {}, 404, 'NOT_FOUND'],
      ['/v1/status', { method: 'POST' }, 405, 'METHOD_NOT_ALLOWED'],
      ['/v1/connect', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['/v1/connect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }, 400, 'INVALID_JSON'],
      ['/v1/connect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }, 400, 'INVALID_BODY'],
      ['/v1/connect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"multiaddr":"x","extra":1}' }, 400, 'INVALID_BODY'],
      ['/v1/connect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"multiaddr":"garbage"}' }, 400, 'INVALID_MULTIADDR'],
      ['/v1/connect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"multiaddr":"/ip4/127.0.0.1/tcp/1"}' }, 502, 'DIAL_FAILED']
    ]
    for (const [path, init, code, errorCode] of cases) {
      const r = await fetch(api.url + path, { ...init, headers: { ...init.headers as Record<string, string>, ...auth } })
      assert.equal(r.status, code, `${init.method ?? 'GET'} ${path}`)
      const body: any = await r.json()
      assert.equal(body.error.code, errorCode)
      assert.equal(typeof body.error.message, 'string')
    }
    const doc: any = await (await fetch(`${api.url}/v1/openapi.json`, { headers: auth })).json()
    assert.equal(doc.openapi, '3.1.0')
    assert.ok(doc.paths['/v1/status'] != null && doc.paths['/v1/messages'] != null)
  })
})
