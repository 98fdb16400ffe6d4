/**
 * The attacker of `flood_p99`, in its own process (an attacker is another machine: its own CPU
 * must not slow the measured node's event loop). PEERS light libp2p nodes (TCP/noise/yamux, no
 * DHT), each with one connection and STREAMS raw /attn/1.0.0 streams to the target, send HELLOs
 * with random keys that never FINISH. Controlled on stdin: `rate <HELLOs per second>` (0 stops);
 * writes `ready` when connected and `stats <responses> <rejects>` on `stats`.
 *
 *   node dist/bench/flood-child.js <target multiaddr>
 */
import { createInterface } from 'node:readline'
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { encodeFrame, FrameDecoder, PROTOCOL } from '../src/carriers/index.js'
import type { Stream } from '@libp2p/interface'

const PEERS = 8
const STREAMS = 4
const TICK_MS = 10

function hello (): Uint8Array {
  const f = new Uint8Array(82)
  f[8] = 0x01
  f[9] = 1
  f.set(randomBytes(72), 10)
  return f
}

const target = multiaddr(process.argv[2])
const streams: Stream[] = []
let responses = 0
let rejects = 0
const nodes = []
for (let i = 0; i < PEERS; i++) {
  const node = await createLibp2p({ privateKey: await generateKeyPair('secp256k1'), transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
  nodes.push(node)
  const conn = await node.dial(target)
  for (let k = 0; k < STREAMS; k++) {
    const stream = await conn.newStream(PROTOCOL)
    const decoder = new FrameDecoder()
    stream.addEventListener('message', (evt) => {
      for (const f of decoder.decode(evt.data)) { if (f[8] === 0x02) responses++; else rejects++ }
    })
    streams.push(stream)
  }
}

let rate = 0
let owed = 0
let next = 0
setInterval(() => {
  owed += rate * TICK_MS / 1000
  while (owed >= 1) {
    owed -= 1
    const s = streams[next++ % streams.length]
    if (s.status === 'open' && s.writeStatus === 'writable') s.send(encodeFrame(hello()))
  }
}, TICK_MS)

console.log('ready')
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(/\s+/)
  if (cmd === 'rate') { rate = Number(arg); owed = 0 } else if (cmd === 'stats') console.log(`stats ${responses} ${rejects}`)
}
await Promise.all(nodes.map(async n => { await n.stop() }))
process.exit(0)
