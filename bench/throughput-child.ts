/**
 * The recipient of `message_throughput` in its own process (bench/throughput.bench.ts): a real
 * node that answers `bench.echo`, publishes its directory record once the parent is connected,
 * and receives messages (storing them and sending receipts, as any node does).
 * Protocol on stdout: `ready <multiaddr> <address>`, then `published`. Ends when stdin closes.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createAttnNode } from '../src/node/create-node.js'
import { newIdentity } from './messaging.bench.js'

const dir = mkdtempSync(join(tmpdir(), 'attn-bench-tp-'))
const identity = await newIdentity()
const node = await createAttnNode({
  listen: ['/ip4/127.0.0.1/tcp/0'],
  api: '',
  attn: { identity, rpc: { callTimeout: 10_000 } },
  messaging: { dbPath: join(dir, 'child.db'), publishOnStart: false, fetchInterval: 3_600_000, callTimeout: 10_000 }
})
node.services.attn.handle('bench.echo', (params: Uint8Array) => params)
console.log(`ready ${node.getMultiaddrs()[0].toString()} ${identity.address}`)
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line === 'publish') {
    void (async () => {
      for (let i = 0; i < 100; i++) {
        try {
          if ((await node.services.messaging.publish()).accepted >= 1) { console.log('published'); return }
        } catch (err: any) {
          console.error('throughput child: publish failed:', err.message)
        }
        await new Promise(resolve => setTimeout(resolve, 200))
      }
      console.log('not published')
    })()
  }
})
lines.on('close', () => {
  void (async () => {
    try {
      await node.stop()
    } catch (err: any) {
      console.error('throughput child: stop failed:', err.message)
    }
    rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  })()
})
