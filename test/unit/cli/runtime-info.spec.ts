import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile, access } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processStartTime, runningNode, runtimeFile } from '../../../src/cli/io.js'

describe('cli: node.json liveness (pid reuse after kill -9)', () => {
  let home = ''
  beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'attn-runtime-')) })
  afterEach(async () => { await rm(home, { recursive: true, force: true }) })

  const info = (procStart?: string): string => JSON.stringify({ pid: process.pid, api: 'http://127.0.0.1:1', peerId: 'p', address: 'a', addresses: [], ...(procStart != null ? { procStart } : {}) })

  it('a live pid that started when node.json says is the running node', async function () {
    const start = processStartTime(process.pid)
    if (start == null) this.skip() // no /proc: the pid alone decides (next test covers nothing then)
    await writeFile(runtimeFile(home), info(start))
    const { info: running, stale } = await runningNode(home)
    assert.equal(running?.pid, process.pid)
    assert.equal(stale, undefined)
  })

  it('a live pid that started at another time is another process reusing the pid: node.json is stale and removed', async function () {
    if (processStartTime(process.pid) == null) this.skip()
    await writeFile(runtimeFile(home), info('1'))
    const { info: running, stale } = await runningNode(home)
    assert.equal(running, undefined)
    assert.equal(stale?.pid, process.pid)
    await assert.rejects(access(runtimeFile(home)))
  })

  it('a node.json written before procStart existed is judged by its pid alone', async () => {
    await writeFile(runtimeFile(home), info())
    assert.equal((await runningNode(home)).info?.pid, process.pid)
  })
})
