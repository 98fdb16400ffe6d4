import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { ATTN_VERSION } from '../../src/version.js'

describe('ATTN_VERSION', () => {
  it('is the version in package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'))
    assert.equal(ATTN_VERSION, pkg.version)
  })
})
