import assert from 'node:assert/strict'
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiTokenFileError } from '../../../src/api/errors.js'
import { apiTokenPath, generateApiToken, loadOrCreateApiToken, readApiToken, tokenMatches } from '../../../src/api/token.js'

describe('API token file', () => {
  let home: string
  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'attn-token-')) })
  afterEach(async () => { await rm(home, { recursive: true, force: true }) })

  it('is created once, mode 0600, 32 random bytes base64url; later loads return it', async () => {
    assert.equal(await readApiToken(home), undefined)
    const first = await loadOrCreateApiToken(home)
    assert.equal(first.created, true)
    assert.match(first.token, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(Buffer.from(first.token, 'base64url').byteLength, 32)
    assert.equal((await stat(apiTokenPath(home))).mode & 0o777, 0o600)
    assert.deepEqual(await loadOrCreateApiToken(home), { token: first.token, created: false })
    assert.equal(await readApiToken(home), first.token)
    assert.deepEqual(await readdir(home), ['api-token'], 'no temporary file left')
  })

  it('concurrent creators agree on one token', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, async () => await loadOrCreateApiToken(home)))
    assert.equal(new Set(results.map(r => r.token)).size, 1)
    assert.equal(results.filter(r => r.created).length, 1)
    assert.deepEqual(await readdir(home), ['api-token'])
  })

  it('a file readable by others is tightened to 0600; a malformed one is a typed error', async () => {
    const token = generateApiToken()
    await writeFile(apiTokenPath(home), token + '\n')
    await chmod(apiTokenPath(home), 0o644)
    assert.equal(await readApiToken(home), token)
    assert.equal((await stat(apiTokenPath(home))).mode & 0o777, 0o600)
    for (const bad of ['', 'short', 'has spaces in it that are not allowed at all', '\u00e9'.repeat(40)]) {
      await writeFile(apiTokenPath(home), bad)
      await assert.rejects(loadOrCreateApiToken(home), (err: any) => err instanceof ApiTokenFileError && err.code === 'ERR_API_TOKEN_FILE')
    }
  })

  it('tokens compare exactly', () => {
    const t = generateApiToken()
    assert.equal(tokenMatches(t, t), true)
    assert.equal(tokenMatches(t + 'x', t), false)
    assert.equal(tokenMatches(t.slice(1), t), false)
    assert.equal(tokenMatches('', t), false)
    assert.notEqual(generateApiToken(), t)
  })
})
