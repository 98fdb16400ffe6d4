/**
 * message_throughput (bench/README.md): sustained 1:1 messages/s between two processes, receipts
 * on (a message counts once its receipt has turned it `delivered` at the sender), vs
 * `rpc_pipelined`-style calls/s (128 `bench.echo` calls of 1 KiB in flight) between the same two
 * processes, interleaved.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createAttnNode } from '../src/node/create-node.js'
import type { MessageStatus } from '../src/messaging/index.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { median, now, type Figure } from './harness.js'
import { BODY_BYTES, newIdentity, tempDir } from './messaging.bench.js'
import { loadFactor } from './network.bench.js'
import { result } from './types.js'

const PIPELINE = 128

export const messageThroughput: Figure = {
  name: 'message_throughput',
  unit: 'msg/s',
  goal: '>= 0.1',
  async run (opts) {
    const f = loadFactor()
    const { messages, calls, rounds } = opts.smoke
      ? { messages: 10, calls: 64, rounds: 1 }
      : opts.quick ? { messages: 300, calls: 2000, rounds: 2 } : { messages: 1000, calls: 5000, rounds: 3 }
    const script = fileURLToPath(new URL('./throughput-child.js', import.meta.url))
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = createInterface({ input: child.stdout })
    const it = lines[Symbol.asyncIterator]()
    const next = async (what: string): Promise<string> => {
      const timer = setTimeout(() => { child.kill() }, 60_000 * f)
      try {
        const r = await it.next()
        if (r.done === true) throw new Error(`throughput child ended before ${what}`)
        return r.value as string
      } finally {
        clearTimeout(timer)
      }
    }
    const dir = tempDir('attn-bench-tp-')
    let node: Awaited<ReturnType<typeof createAttnNode>> | undefined
    try {
      const [word, addr, address] = (await next('ready')).split(' ')
      if (word !== 'ready') throw new Error(`throughput child said ${word}`)
      const identity = await newIdentity()
      node = await createAttnNode({
        listen: ['/ip4/127.0.0.1/tcp/0'],
        api: '',
        bootstrap: [addr],
        attn: { identity, rpc: { callTimeout: 10_000 * f } },
        messaging: { dbPath: join(dir, 'parent.db'), publishOnStart: false, fetchInterval: 3_600_000, callTimeout: 10_000 * f }
      })
      const n = node
      const peer = peerIdFromString(multiaddr(addr).getComponents().find(c => c.name === 'p2p')?.value ?? '')
      const deadline = Date.now() + 60_000 * f
      while ((await n.services.messaging.publish()).accepted < 1) {
        if (Date.now() > deadline) throw new Error('parent record not accepted')
      }
      child.stdin.write('publish\n')
      const published = await next('published')
      if (published !== 'published') throw new Error(`throughput child: ${published}`)
      // warm: the record, the session
      await n.services.messaging.send(address, 'warm-up')

      const ours = async (): Promise<number> => {
        const ids = new Set<string>()
        let delivered = 0
        let done!: () => void
        const all = new Promise<void>(resolve => { done = resolve })
        const early: string[] = []
        const onStatus = (evt: CustomEvent<MessageStatus>): void => {
          if (evt.detail.state !== 'delivered') return
          if (!ids.has(evt.detail.id)) { early.push(evt.detail.id); return }
          ids.delete(evt.detail.id)
          if (++delivered === messages) done()
        }
        n.services.messaging.addEventListener('status', onStatus)
        const body = 'x'.repeat(BODY_BYTES)
        const t0 = now()
        try {
          for (let i = 0; i < messages; i++) ids.add((await n.services.messaging.send(address, body)).id)
          for (const id of early) if (ids.delete(id) && ++delivered === messages) done()
          const timer = setTimeout(done, 120_000 * f)
          await all
          clearTimeout(timer)
        } finally {
          n.services.messaging.removeEventListener('status', onStatus)
        }
        if (delivered < messages) throw new Error(`only ${delivered}/${messages} delivered in time`)
        return messages / ((now() - t0) / 1000)
      }
      const base = async (): Promise<number> => {
        let left = calls
        const payload = randomBytes(1024)
        const t0 = now()
        await Promise.all(Array.from({ length: PIPELINE }, async () => {
          while (left-- > 0) await n.services.attn.call(peer, 'bench.echo', payload, { timeout: 30_000 * f })
        }))
        return calls / ((now() - t0) / 1000)
      }
      const o: number[] = []
      const b: number[] = []
      for (let r = 0; r < rounds; r++) {
        if (r % 2 === 0) { b.push(await base()); o.push(await ours()) } else { o.push(await ours()); b.push(await base()) }
      }
      return result(this.name, median(o), median(b), this.unit, this.goal,
        `Two processes (this one sends, a child receives; TCP loopback). Ours = ${messages} messages of ${BODY_BYTES} B sent at once with send(), ` +
        `until every one is 'delivered' at the sender (receipt signed by the recipient, sealed back and verified): ` +
        `${o.map(x => x.toFixed(0)).join(', ')} msg/s. Baseline = ${calls} bench.echo calls of 1 KiB with ${PIPELINE} in flight between the same ` +
        `processes (what rpc_pipelined measures in one process): ${b.map(x => x.toFixed(0)).join(', ')} calls/s. Median of ${rounds} rounds each, interleaved.`)
    } finally {
      child.stdin.end()
      setTimeout(() => { child.kill() }, 10_000).unref()
      try {
        await node?.stop()
      } catch (err: any) {
        console.error('bench: node stop failed:', err.message)
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
