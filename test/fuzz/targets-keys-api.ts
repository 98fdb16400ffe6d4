/**
 * Fuzz targets of the identity layer (certificates, chains, keystore files) and of the local
 * API's request bodies (every route that reads a body, through the real Hono app of a real node).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import {
  attAddress, createIdentity, decodeCertificate, decodeChain, encodeCertificate, encodeChain, issueCertificate, loadIdentity,
  verifyCertificate, verifyChain
} from '../../src/keys/index.js'
import { createApiApp } from '../../src/api/server.js'
import { generateApiToken } from '../../src/api/token.js'
import { createAttnNode } from '../../src/node/create-node.js'
import { rootIdentity } from '../helpers/identities.js'
import { LOOPBACK_TCP, waitFor } from '../helpers/nodes.js'
import { InconsistentOutputError, sameBytes } from './harness.js'
import type { FuzzTarget } from './harness.js'

const enc = new TextEncoder()
const dec = new TextDecoder()
const nowS = (): number => Math.floor(Date.now() / 1000)

// ---------------------------------------------------------------------------------------------
// Certificates and chains

async function certFixture (): Promise<{ root: Awaited<ReturnType<typeof rootIdentity>>, nodeKey: Awaited<ReturnType<typeof generateKeyPair>>, certs: Uint8Array[], now: number }> {
  const root = await rootIdentity()
  const nodeKey = await generateKeyPair('secp256k1')
  const now = nowS()
  const certs = [
    encodeCertificate(issueCertificate(root.rootKey, nodeKey.publicKey, { now, label: 'laptop' })),
    encodeCertificate(issueCertificate(root.rootKey, nodeKey.publicKey, { now, label: '' })),
    encodeCertificate(issueCertificate(root.rootKey, nodeKey.publicKey, { now, label: 'ünïcode ☃'.repeat(4) }))
  ]
  return { root, nodeKey, certs, now }
}

export const certificate: FuzzTarget = {
  name: 'certificate',
  decoder: 'keys/certificate.ts decodeCertificate (+ round trip), verifyCertificate',
  async setup () {
    const f = await certFixture()
    const valid = new Set(f.certs.map(c => Buffer.from(c).toString('hex')))
    return {
      seeds: f.certs,
      maxLength: 300,
      decode (input) {
        sameBytes(encodeCertificate(decodeCertificate(input)), input, 'certificate')
        verifyCertificate(input, f.now)
        if (!valid.has(Buffer.from(input).toString('hex'))) throw new InconsistentOutputError('a certificate the root never signed verified')
      }
    }
  }
}

export const chain: FuzzTarget = {
  name: 'chain',
  decoder: 'keys/chain.ts decodeChain (+ round trip), verifyChain',
  async setup () {
    const f = await certFixture()
    return {
      seeds: [encodeChain([]), ...f.certs.map(c => encodeChain([c]))],
      maxLength: 300,
      decode (input) {
        sameBytes(encodeChain(decodeChain(input)), input, 'chain')
        const v = verifyChain(input, f.nodeKey.publicKey, f.now)
        // an empty chain says the node key is a root key; otherwise only our root signed certificates
        const expected = decodeChain(input).length === 0 ? attAddress(f.nodeKey.publicKey) : f.root.address
        if (v.address !== expected) throw new InconsistentOutputError(`the chain proved ${v.address}`)
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Keystore files

/** True when every scrypt cost in the file is cheap (the fuzzer only passes a passphrase then). */
function cheapScrypt (text: string): boolean {
  try {
    const f = JSON.parse(text)
    return [f?.root, f?.node].every(b => b == null || typeof b !== 'object' || b.N == null ||
      (typeof b.N === 'number' && typeof b.r === 'number' && typeof b.p === 'number' && b.N * b.r * b.p <= 2 ** 13))
  } catch {
    return true
  }
}

export const keystore: FuzzTarget = {
  name: 'keystore',
  decoder: 'keys/keystore.ts loadIdentity (identity.json parse, key blobs, certificate)',
  async setup () {
    const dir = await mkdtemp(join(tmpdir(), 'attn-fuzz-keystore-'))
    const seeds: Uint8Array[] = []
    const make = async (name: string, options: Parameters<typeof createIdentity>[1]): Promise<void> => {
      const home = join(dir, name)
      await createIdentity(home, options)
      seeds.push(new Uint8Array(await readFile(join(home, 'identity.json'))))
    }
    await make('plain', { insecureDevKey: true })
    await make('plain-device', { insecureDevKey: true, deviceKey: true, label: 'fuzz' })
    await make('encrypted-device', { passphrase: 'pw', deviceKey: true, scryptN: 2 ** 10 })
    const home = join(dir, 'target')
    await mkdir(home, { recursive: true })
    // structured variants: the valid files with one field replaced by a value of another type
    const jsonValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(2 ** 20, 2 ** 30, -1, 1.5, '', 'none', 'scrypt', 'aes-256-gcm'))
    const extra = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.constantFrom('version', 'address', 'root', 'node', 'certificate', 'root.N', 'root.r', 'root.p', 'root.salt', 'root.iv', 'root.ciphertext', 'root.cipher', 'root.privateKey', 'node.cipher', 'node.N'), jsonValue), { minLength: 1, maxLength: 3 }))
      .map(([seed, edits]) => {
        const f = JSON.parse(dec.decode(seed))
        for (const [path, value] of edits) {
          const [a, b] = path.split('.')
          if (b == null) f[a] = value
          else if (f[a] != null && typeof f[a] === 'object') f[a][b] = value
        }
        return enc.encode(JSON.stringify(f))
      })
    return {
      seeds,
      extra,
      maxLength: 1000,
      async decode (input) {
        const text = dec.decode(input)
        await writeFile(join(home, 'identity.json'), input)
        const id = await loadIdentity(home, { insecureDevKey: true, passphrase: cheapScrypt(text) ? 'pw' : undefined })
        if (attAddress(id.rootKey.publicKey) !== id.address) throw new InconsistentOutputError('loaded a root key that is not the address')
      },
      close: async () => { await rm(dir, { recursive: true, force: true }) }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Local API request bodies

/** Routes that read a JSON body; the first input byte picks one. `{id}` is a valid group id. */
const ROUTES: Array<[string, string]> = [
  ['POST', '/v1/messages'],
  ['POST', '/v1/connect'],
  ['POST', '/v1/groups'],
  ['POST', '/v1/groups/{id}/members'],
  ['POST', '/v1/directory/publish'],
  ['POST', '/v1/mailbox/fetch']
]
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', '']

export const apiBodies: FuzzTarget = {
  name: 'api-body',
  decoder: 'api/server.ts + messaging-routes.ts JSON body validation (createApiApp, in-process requests with the token)',
  async setup () {
    const dir = await mkdtemp(join(tmpdir(), 'attn-fuzz-api-'))
    const identity = await rootIdentity()
    const node = await createAttnNode({
      listen: LOOPBACK_TCP,
      api: '',
      privateKey: identity.nodeKey,
      attn: { identity, sessionStorePath: join(dir, 'sessions.db') },
      messaging: { dbPath: join(dir, 'messages.db'), publishOnStart: false, callTimeout: 1_000 }
    })
    // a DHT peer, so that a body-less POST /v1/directory/publish (valid) completes instead of waiting out its deadline
    const peerIdentity = await rootIdentity()
    const peer = await createAttnNode({
      listen: LOOPBACK_TCP,
      api: '',
      bootstrap: [node.getMultiaddrs()[0].toString()],
      privateKey: peerIdentity.nodeKey,
      attn: { identity: peerIdentity, sessionStorePath: join(dir, 'peer-sessions.db') },
      messaging: { dbPath: join(dir, 'peer-messages.db'), publishOnStart: false }
    })
    await waitFor(() => node.getConnections(peer.peerId).length > 0, { what: 'the API node connected to its DHT peer' })
    const token = generateApiToken()
    const host = 'api.fuzz:1'
    const app = createApiApp(node, { address: identity.address, token, hosts: new Set([host]) })
    const group = 'grp_' + '0'.repeat(32)
    // Bodies valid for the API's own checks. Recipients are ATT-address-shaped but not addresses ('0', 'l'
    // are not base58): a body that passed validation with a real address would start a network operation
    // with a 60 s deadline (an unknown recipient is looked up until then), which is not what is fuzzed here.
    // Refused dials (closed loopback port) keep /v1/connect fast.
    const notAnAddress = '16Uiu2HAm' + 'l0'.repeat(20)
    const bodies: Array<[number, unknown]> = [
      [0, { to: notAnAddress, body: 'hello' }],
      [0, { to: notAnAddress, body: 'aGVsbG8=', contentType: 'application/octet-stream' }],
      [1, { multiaddr: '/ip4/127.0.0.1/tcp/1' }],
      [2, { name: 'g', members: [notAnAddress] }],
      [3, { address: notAnAddress }],
      [4, { unexpected: true }],
      [5, { unexpected: 1 }]
    ]
    const encode = (route: number, ct: number, text: string): Uint8Array => new Uint8Array([route, ct, ...enc.encode(text)])
    const seeds = bodies.map(([r, b]) => encode(r, 0, JSON.stringify(b)))
    const field = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(notAnAddress), fc.string({ unit: 'binary', maxLength: 100 }))
    const extra = fc.tuple(fc.nat({ max: ROUTES.length - 1 }), fc.nat({ max: CONTENT_TYPES.length - 1 }),
      fc.dictionary(fc.constantFrom('to', 'body', 'contentType', 'multiaddr', 'name', 'members', 'address', 'x'), field, { maxKeys: 4 }))
      .map(([r, ct, obj]) => encode(r, ct, JSON.stringify(obj)))
    return {
      seeds,
      extra,
      maxLength: 300,
      async decode (input) {
        const [method, path] = ROUTES[(input[0] ?? 0) % ROUTES.length]
        const ct = CONTENT_TYPES[(input[1] ?? 0) % CONTENT_TYPES.length]
        const headers: Record<string, string> = { host, authorization: `Bearer ${token}` }
        if (ct !== '') headers['content-type'] = ct
        // what an HTTP client sends: routes without a body look at Content-Length
        const body = input.subarray(2)
        headers['content-length'] = String(body.length)
        const res = await app.request(path.replace('{id}', group), { method, headers, body })
        const text = await res.text()
        let json: any
        try {
          json = JSON.parse(text)
        } catch {
          throw new InconsistentOutputError(`${method} ${path}: ${res.status} with a body that is not JSON: ${text.slice(0, 100)}`)
        }
        if (res.status >= 500 && res.status !== 502 && res.status !== 503 && res.status !== 504) {
          throw new InconsistentOutputError(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`)
        }
        if (res.status >= 400 && typeof json?.error?.code !== 'string') throw new InconsistentOutputError(`${method} ${path}: ${res.status} without an error code`)
      },
      close: async () => {
        await peer.stop()
        await node.stop()
        await rm(dir, { recursive: true, force: true })
      }
    }
  }
}

export const KEYS_API_TARGETS = [certificate, chain, keystore, apiBodies]
