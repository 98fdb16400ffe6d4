import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startApiServer } from '../../src/api/server.js'
import { OPENAPI_DOCUMENT } from '../../src/api/openapi.js'
import { generateApiToken } from '../../src/api/token.js'
import { createAttnNode } from '../../src/node/create-node.js'
import { NodeRewards } from '../../src/rewards/index.js'
import { rootIdentity } from '../helpers/identities.js'
import { LOOPBACK_TCP } from '../helpers/nodes.js'
import type { ApiServer } from '../../src/api/server.js'
import type { AttnNode } from '../../src/node/create-node.js'

const CONTRACT = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

describe('api: rewards routes (ledger only, no chain)', function () {
  this.timeout(60_000)
  let home: string
  const cleanup: Array<() => Promise<void> | void> = []
  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'attn-api-rewards-')) })
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
    await rm(home, { recursive: true, force: true })
  })

  async function start (withRewards: boolean): Promise<{ api: ApiServer, token: string, node: AttnNode, rewards?: NodeRewards }> {
    const identity = await rootIdentity()
    const warnings: string[] = []
    const rewards = withRewards
      ? await NodeRewards.open(home, identity, { chainRpc: '', chainId: 31337, rewardsContract: CONTRACT, price: '5', maxPostage: '100' }, (m) => { warnings.push(m) })
      : undefined
    if (withRewards) assert.ok(rewards != null, warnings.join('; '))
    const node = await createAttnNode({
      listen: LOOPBACK_TCP, api: '', privateKey: identity.nodeKey, attn: { identity },
      messaging: { dbPath: join(home, 'messages.db'), publishOnStart: false, postage: rewards?.postageInit() }
    })
    cleanup.push(async () => { await node.stop(); rewards?.close() })
    const token = generateApiToken()
    const api = await startApiServer(node, { host: '127.0.0.1', port: 0, address: identity.address, token, rewards })
    cleanup.push(async () => { await api.close() })
    return { api, token, node, rewards }
  }

  async function request (n: { api: ApiServer, token: string }, method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
    const res = await fetch(n.api.url + path, {
      method,
      headers: { authorization: `Bearer ${n.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    return { status: res.status, body: await res.json() }
  }

  it('a node without a contract answers ERR_REWARDS_DISABLED', async () => {
    const n = await start(false)
    const r = await request(n, 'GET', '/v1/rewards')
    assert.equal(r.status, 503)
    assert.equal(r.body.error.code, 'ERR_REWARDS_DISABLED')
    assert.equal((await request(n, 'POST', '/v1/rewards/claim', {})).body.error.code, 'ERR_REWARDS_DISABLED')
  })

  it('ledger only: status from the ledger with chainError, claim of nothing is "0", chain operations are ERR_NO_CHAIN, bodies are checked', async () => {
    const n = await start(true)
    const s = await request(n, 'GET', '/v1/rewards')
    assert.equal(s.status, 200)
    assert.deepEqual({ ...s.body, chainError: undefined }, {
      evmAddress: n.rewards?.ledger.self, chainId: 31337, contract: CONTRACT, price: '5', maxPostage: '100',
      tokenBalance: null, deposit: null, withdrawal: null, earned: '0', claimable: '0', claimed: '0', spent: '0', chainError: undefined
    })
    assert.match(s.body.chainError, /^ERR_NO_CHAIN/)
    assert.deepEqual((await request(n, 'POST', '/v1/rewards/claim', {})).body, { paid: '0', receipts: 0 })
    const dep = await request(n, 'POST', '/v1/rewards/deposit', { amount: '10' })
    assert.deepEqual([dep.status, dep.body.error.code], [503, 'ERR_NO_CHAIN'])
    for (const [path, body, code] of [
      ['/v1/rewards/deposit', { amount: 10 }, 'INVALID_BODY'],
      ['/v1/rewards/deposit', { amount: '-1' }, 'ERR_INVALID_AMOUNT'],
      ['/v1/rewards/deposit', { amount: '1', extra: true }, 'INVALID_BODY'],
      ['/v1/rewards/withdraw', { amount: '1', complete: true }, 'INVALID_BODY'],
      ['/v1/rewards/transfer', { to: 'nope', amount: '1' }, 'ERR_INVALID_EVM_ADDRESS'],
      ['/v1/rewards/claim', { now: true }, 'INVALID_BODY']
    ] as const) {
      const r = await request(n, 'POST', path, body)
      assert.deepEqual([r.status, r.body.error.code], [400, code], `${path} ${JSON.stringify(body)}`)
    }
  })

  it('every rewards route is in openapi.json', () => {
    for (const p of ['/v1/rewards', '/v1/rewards/claim', '/v1/rewards/deposit', '/v1/rewards/withdraw', '/v1/rewards/transfer']) {
      assert.ok(p in OPENAPI_DOCUMENT.paths, p)
    }
  })
})
