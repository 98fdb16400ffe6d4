import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_CONFIG, loadConfig } from '../../../src/node/config.js'

describe('config.json: messaging timings', () => {
  let home: string
  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'attn-config-')) })
  afterEach(async () => { await rm(home, { recursive: true, force: true }) })

  async function load (config: unknown): Promise<ReturnType<typeof loadConfig>> {
    await writeFile(join(home, 'config.json'), JSON.stringify(config))
    return await loadConfig(home)
  }

  it('defaults to no overrides; the six keys are read as given', async () => {
    assert.deepEqual(DEFAULT_CONFIG.messaging, {})
    assert.deepEqual((await load({})).messaging, {})
    const timings = { retryInitial: 250, retryMax: 2_000, probeInitial: 2_000, probeMax: 5_000, fetchInterval: 1_000, mailboxGrace: 30_000 }
    assert.deepEqual((await load({ messaging: timings })).messaging, timings)
    assert.deepEqual((await load({ messaging: { probeInitial: 1_000 } })).messaging, { probeInitial: 1_000 })
  })

  it('refuses unknown keys, non-integers, out-of-range values and inverted ranges, naming the key', async () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ messaging: [] }, /"messaging" must be an object/],
      [{ messaging: null }, /"messaging" must be an object/],
      [{ messaging: { retryinitial: 5 } }, /unknown key "messaging.retryinitial"/],
      [{ messaging: { giveUpAfter: 5 } }, /unknown key "messaging.giveUpAfter"/],
      [{ messaging: { retryInitial: 0 } }, /"messaging.retryInitial" must be an integer/],
      [{ messaging: { retryMax: 1.5 } }, /"messaging.retryMax" must be an integer/],
      [{ messaging: { fetchInterval: '1000' } }, /"messaging.fetchInterval" must be an integer/],
      [{ messaging: { mailboxGrace: -1 } }, /"messaging.mailboxGrace" must be an integer/],
      [{ messaging: { probeMax: 86_400_001 } }, /"messaging.probeMax" must be an integer/],
      [{ messaging: { retryInitial: 3_000, retryMax: 2_000 } }, /"messaging.retryInitial" \(3000\) must not exceed "messaging.retryMax" \(2000\)/],
      // against the default maximum (30 min)
      [{ messaging: { probeInitial: 3_600_000 } }, /"messaging.probeInitial" \(3600000\) must not exceed "messaging.probeMax" \(1800000\)/]
    ]
    for (const [config, message] of bad) {
      await assert.rejects(load(config), (err: any) => {
        assert.equal(err.code, 'ERR_INVALID_CONFIG', JSON.stringify(config))
        assert.match(err.message, message)
        return true
      })
    }
  })
})
