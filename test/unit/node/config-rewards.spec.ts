import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_CONFIG, loadConfig } from '../../../src/node/config.js'

const CONTRACT = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

describe('config.json: rewards keys', () => {
  let home: string
  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'attn-config-rewards-')) })
  afterEach(async () => { await rm(home, { recursive: true, force: true }) })

  async function load (config: unknown, overrides = {}): Promise<Awaited<ReturnType<typeof loadConfig>>> {
    await writeFile(join(home, 'config.json'), JSON.stringify(config))
    return await loadConfig(home, overrides)
  }

  it('defaults: no chain, no contract, free, maxPostage 100; amounts may be JSON numbers or decimal strings; flags override', async () => {
    assert.deepEqual([DEFAULT_CONFIG.chainRpc, DEFAULT_CONFIG.chainId, DEFAULT_CONFIG.rewardsContract, DEFAULT_CONFIG.price, DEFAULT_CONFIG.maxPostage], ['', 0, '', '0', '100'])
    const c = await load({ chainRpc: 'http://127.0.0.1:8545', chainId: 31337, rewardsContract: CONTRACT, price: 7, maxPostage: '340282366920938463463374607431768211455' })
    assert.deepEqual([c.chainRpc, c.chainId, c.rewardsContract, c.price, c.maxPostage], ['http://127.0.0.1:8545', 31337, CONTRACT, '7', '340282366920938463463374607431768211455'])
    assert.equal((await load({ rewardsContract: CONTRACT }, { price: '9' })).price, '9')
  })

  it('refuses bad values, naming the key; a price needs a contract', async () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ chainRpc: 'ftp://x' }, /"chainRpc" must be an http\(s\) URL/],
      [{ chainId: -1 }, /"chainId" must be a non-negative integer/],
      [{ rewardsContract: '0x1234' }, /"rewardsContract" must be a 0x-prefixed 20-byte hex address/],
      [{ rewardsContract: CONTRACT, price: '-1' }, /"price" must be a non-negative integer/],
      [{ maxPostage: '1.5' }, /"maxPostage" must be a non-negative integer/],
      [{ maxPostage: '01' }, /"maxPostage" must be a non-negative integer/],
      [{ maxPostage: '340282366920938463463374607431768211456' }, /"maxPostage" must be a non-negative integer amount in base units, below 2\^128/],
      [{ price: '5' }, /"price" above 0 needs "rewardsContract"/]
    ]
    for (const [config, message] of bad) await assert.rejects(load(config), { code: 'ERR_INVALID_CONFIG', message }, JSON.stringify(config))
  })
})
