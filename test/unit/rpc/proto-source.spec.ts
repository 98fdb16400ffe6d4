import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'

// protocols/rpc.proto is the canonical wire format; protons generates code next to its input,
// so src/rpc/pb/ holds a copy. They must never drift apart.
describe('rpc.proto', () => {
  it('the copy beside the generated code is identical to protocols/rpc.proto', async () => {
    const root = new URL('../../../../', import.meta.url)
    const canonical = await readFile(new URL('protocols/rpc.proto', root), 'utf8')
    const copy = await readFile(new URL('src/rpc/pb/rpc.proto', root), 'utf8')
    assert.equal(copy, canonical)
  })
})
