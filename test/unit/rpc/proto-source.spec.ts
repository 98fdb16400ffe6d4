import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'

// protocols/*.proto are the canonical wire formats; protons generates code next to its input, so
// src/*/pb/ holds copies (`npm run generate` refreshes them). They must never drift apart.
const root = new URL('../../../../', import.meta.url)
const PAIRS = [
  ['protocols/rpc.proto', 'src/rpc/pb/rpc.proto'],
  ['protocols/directory.proto', 'src/messaging/pb/directory.proto']
]

describe('canonical .proto sources', () => {
  for (const [canonical, copy] of PAIRS) {
    it(`${copy} is identical to ${canonical}`, async () => {
      assert.equal(await readFile(new URL(copy, root), 'utf8'), await readFile(new URL(canonical, root), 'utf8'))
    })
  }
})
