/**
 * group_fanout (bench/README.md): one message to a 100-member group, send() → every member's
 * 'message' event, vs 100 parallel `attn.ping` calls from the same sender to the same members
 * (warm sessions), interleaved, same run.
 *
 * 102 REAL nodes (createAttnNode: TCP on 127.0.0.1, noise, yamux, kad-dht, SQLite files) in ONE
 * process: a directory node (DHT server), the sender (DHT server) and 100 member devices that do
 * not listen (`noListen`: devices behind a NAT, kad-dht clients) and bootstrap from both. Members
 * publish their directory records to the two servers and are reached over their own connection
 * to the sender. As DHT clients they are never returned by a DHT query, so no member dials
 * another: with 100 listening members, their self-queries and publishes open ~2 000 member↔member
 * connections (noise + identify: pure-JS secp256k1), minutes of CPU on this machine, none of which
 * the figure needs.
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import type { InboxMessage } from '../src/messaging/index.js'
import { createAttnNode } from '../src/node/create-node.js'
import type { AttnNode } from '../src/node/create-node.js'
import type { Identity } from '../src/keys/index.js'
import { interleave, median, now, sleep, unavailable, until, type Figure, type HarnessOptions } from './harness.js'
import { BODY_BYTES, newIdentity, tempDir } from './messaging.bench.js'
import { loadFactor, stats } from './network.bench.js'
import { result } from './types.js'

interface Member { node: AttnNode, identity: Identity }

function sizes (opts: HarnessOptions): { members: number, rounds: number } {
  const env = Number(process.env.ATTN_BENCH_GROUP)
  const members = Number.isInteger(env) && env >= 2 ? env : undefined
  if (opts.smoke) return { members: members ?? 3, rounds: 1 }
  return { members: members ?? 100, rounds: opts.quick ? 3 : 7 }
}


async function startNode (identity: Identity, dbPath: string, bootstrap: AttnNode[], member: boolean): Promise<AttnNode> {
  return await createAttnNode({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    api: '',
    bootstrap: bootstrap.map(b => b.getMultiaddrs()[0].toString()),
    // members do not listen (devices behind a NAT): DHT clients, reached over their connection to the sender
    ...(member ? { noListen: true } : {}),
    attn: { identity, rpc: { callTimeout: 10_000 } },
    // 102 nodes share one event loop: a busy stretch fails libp2p's keep-alive pings of idle, healthy
    // connections, the monitor aborts them, and a member (not listening) can then only be reached
    // through its mailbox, which it does not poll here
    connectionMonitor: { enabled: false },
    // no mailbox polling, no one-time prekey uploads (each would open sessions the figure does not use)
    messaging: { dbPath, publishOnStart: false, fetchInterval: 3_600_000, retryInitial: 200, retryMax: 1_000, callTimeout: 10_000, oneTimePrekeyBatch: 0 },
    start: true
  })
}

/** Resolves with performance.now() once every member has a 'message' event whose body is `body`. */
function allArrived (members: Member[], body: string, ms: number): { at: Promise<number>, cancel: () => void, missing: () => Member[] } {
  const cleanups: Array<() => void> = []
  const arrived = new Set<Member>()
  let timer: ReturnType<typeof setTimeout> | undefined
  const cancel = (): void => { clearTimeout(timer); for (const c of cleanups.splice(0)) c() }
  const at = new Promise<number>((resolve, reject) => {
    let left = members.length
    timer = setTimeout(() => { cancel(); reject(new Error(`${left}/${members.length} members without the message after ${ms} ms`)) }, ms)
    for (const m of members) {
      let seen = false
      const listener = (evt: CustomEvent<InboxMessage>): void => {
        if (seen || evt.detail.body !== body) return
        seen = true
        arrived.add(m)
        if (--left === 0) { const t = now(); cancel(); resolve(t) }
      }
      m.node.services.messaging.addEventListener('message', listener)
      cleanups.push(() => { m.node.services.messaging.removeEventListener('message', listener) })
    }
  })
  return { at, cancel, missing: () => members.filter(m => !arrived.has(m)) }
}

export const groupFanout: Figure = {
  name: 'group_fanout',
  unit: 'ms',
  goal: '<= 3',
  async run (opts) {
    const { members: count, rounds } = sizes(opts)
    const f = loadFactor()
    const load = `load average ${loadavg().map(x => x.toFixed(2)).join(' ')} at start (deadlines ×${f.toFixed(1)})`
    const dir = tempDir('attn-bench-group-')
    const nodes: AttnNode[] = []
    try {
      const tSetup = now()
      const [senderId, ...memberIds] = await Promise.all(Array.from({ length: count + 1 }, async () => await newIdentity()))
      // a directory node (DHT server) beside the sender: a kad-dht query needs a peer to ask, and
      // the members, DHT clients, are not asked
      const directory = await startNode(await newIdentity(), join(dir, 'd.db'), [], false)
      nodes.push(directory)
      const sender = await startNode(senderId, join(dir, 's.db'), [directory], false)
      nodes.push(sender)
      await until('sender connected to the directory node', () => sender.getConnections(directory.peerId).length > 0, 30_000 * f)
      // members start a few at a time (each dials the sender: a noise handshake on both sides)
      const members: Member[] = []
      for (let i = 0; i < count; i += 10) {
        const batch = await Promise.all(memberIds.slice(i, i + 10).map(async (identity, j) => {
          const node = await startNode(identity, join(dir, `m${i + j}.db`), [sender, directory], true)
          nodes.push(node)
          // bootstrap dials once (and again only while the node has no connection at all): a member
          // whose first dial to the sender failed under load dials it here until connected
          await until('member connected to the sender', async () => {
            if (node.getConnections(sender.peerId).length > 0) return true
            await node.dial(sender.getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000 * f) })
            return node.getConnections(sender.peerId).length > 0
          }, 60_000 * f, 200)
          return { node, identity }
        }))
        members.push(...batch)
      }
      await until('bootstrap connections', () => members.every(m => m.node.getConnections(sender.peerId).length > 0), 60_000 * f)
      const tStarted = now()
      progress(`${count} members started in ${((tStarted - tSetup) / 1000).toFixed(1)} s`)
      // every member publishes to the sender (its only reachable DHT peer), and the sender publishes
      for (let i = 0; i < count; i += 10) {
        await Promise.all(members.slice(i, i + 10).map(async m => {
          await until('member record accepted', async () => (await m.node.services.messaging.publish()).accepted >= 1, 60_000 * f, 200)
        }))
      }
      const tPublished = now()
      progress(`members published after ${((tPublished - tSetup) / 1000).toFixed(1)} s`)
      const group = await sender.services.messaging.createGroup('bench', members.map(m => m.identity.address))
      // untimed warm-up: the group state (one group-update per member, sessions opened) and a first
      // message, which carries the sender's key for the epoch (lazy distribution, messaging.md §6).
      // Its copies race the state and the key; a member that gets one first quarantines it and opens
      // it when they arrive. A member still without it after a while fetches its mailbox (they do not
      // poll in this bench): a copy that went there after a failed direct call
      const deliverMs = 120_000 * f
      const warm = allArrived(members, textBody('warm-up'), deliverMs)
      await sender.services.messaging.send(group.id, textBody('warm-up'))
      let done = false
      void warm.at.then(() => { done = true }, () => { done = true })
      while (!done) {
        await Promise.race([warm.at.catch(() => {}), sleep(opts.smoke ? 500 : 2_000 * f)])
        if (done) break
        await Promise.all(warm.missing().map(async m => {
          await m.node.services.messaging.fetchMailboxes().catch((err: any) => { progress(`fetch: ${String(err.message)}`) })
        }))
      }
      await warm.at
      const tWarm = now()
      progress(`warm-up message at every member after ${((tWarm - tSetup) / 1000).toFixed(1)} s`)
      // what the group cost in 1:1 envelopes: N group-updates and the sender's N keys, none from the members
      const st = sender.services.messaging.stats()
      const memberKeys = members.reduce((n, m) => n + m.node.services.messaging.stats().senderKeysSent, 0)
      const quarantined = members.reduce((n, m) => n + m.node.services.messaging.stats().quarantined, 0)
      const setup = `setup ${((tWarm - tSetup) / 1000).toFixed(1)} s: start ${((tStarted - tSetup) / 1000).toFixed(1)} s, ` +
        `publish ${((tPublished - tStarted) / 1000).toFixed(1)} s, group + warm-up message ${((tWarm - tPublished) / 1000).toFixed(1)} s ` +
        `(${st.groupUpdatesSent} group-update and ${st.senderKeysSent} sender-key envelopes from the sender, ${memberKeys} from members; ` +
        `${quarantined} warm-up copies quarantined until their state or key arrived)`

      let n = 0
      const ours = async (): Promise<number> => {
        const body = textBody(`g${n++}`)
        const wait = allArrived(members, body, deliverMs)
        const t0 = now()
        try {
          await sender.services.messaging.send(group.id, body)
        } catch (err) {
          wait.cancel()
          throw err
        }
        return (await wait.at) - t0
      }
      const pings = async (): Promise<number> => {
        const t0 = now()
        await Promise.all(members.map(async m => await sender.services.attn.call(m.node.peerId, 'attn.ping', randomBytes(16), { timeout: 30_000 * f })))
        return now() - t0
      }
      const [o, b] = await interleave([ours, pings], rounds)
      const note = `${count + 2} real nodes on TCP loopback in ONE process (a directory node and the sender, DHT servers; ${count} members ` +
        `that do not listen, DHT clients connected to both); ${setup}; ${load}. ` +
        `Ours = send(group, ${BODY_BYTES} B) → every one of ${count} members' 'message' event (one ciphertext, a parcel per member; ` +
        `each member then sends a receipt for its copy, not waited for): ${stats(o)}. Baseline = ${count} parallel attn.ping calls from the sender to the same members ` +
        `(warm sessions): ${stats(b)}. Interleaved, after one warm-up each; median of ${rounds} rounds.`
      return result(this.name, median(o), median(b), this.unit, this.goal, note)
    } catch (err: any) {
      return unavailable(this, `${String(err?.message ?? err)} (${count} members; ${load})`)
    } finally {
      await Promise.all(nodes.map(async n => { try { await n.stop() } catch (err: any) { console.error('bench: node stop failed:', err.message) } }))
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

function progress (what: string): void {
  process.stderr.write(`\n  group_fanout: ${what}`)
}

function textBody (tag: string): string {
  return (tag + ' ').padEnd(BODY_BYTES, 'x')
}
