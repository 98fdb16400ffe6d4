/**
 * The crash scenario as a test: a sender, a mailbox and a recipient, each a separate
 * `attn start` process, SIGKILLed at random moments (seeded, replayable with ATTN_FAULTS_SEED) and
 * restarted on the same home while the sender's API accepts messages. Once the faults stop, every
 * message the API accepted (201) must be in the recipient's inbox exactly once and reach
 * `delivered` at the sender.
 *
 * CI size by default; `npm run faults -- --long` (ATTN_FAULTS_LONG=1) runs 1,000+ messages and
 * more kills. ATTN_FAULTS_MESSAGES overrides the count.
 */
import assert from 'node:assert/strict'
import { randomInt } from 'node:crypto'
import { ApiUnreachableError, FaultNode, prng } from './harness.js'
import { waitFor } from '../helpers/nodes.js'

const LONG = process.env.ATTN_FAULTS_LONG === '1'
const SIZE = LONG
  ? { messages: 1000, minKills: 60, maxKills: 1000, sendGapMs: [0, 100], killGapMs: [1500, 4500], downMs: [0, 2000], settleMs: 600_000 }
  : { messages: 300, minKills: 9, maxKills: 15, sendGapMs: [0, 150], killGapMs: [2500, 6000], downMs: [0, 1500], settleMs: 150_000 }
const MESSAGES = Number(process.env.ATTN_FAULTS_MESSAGES ?? SIZE.messages)
/** ATTN_FAULTS_VERBOSE=1: print every kill and the pending states while settling. */
const VERBOSE = process.env.ATTN_FAULTS_VERBOSE === '1'
const SEED = process.env.ATTN_FAULTS_SEED != null ? Number(process.env.ATTN_FAULTS_SEED) : randomInt(2 ** 31)

/**
 * Short retry, re-probe and poll timings (config.json `messaging.*`): convergence after the
 * faults takes seconds instead of the production minutes; the code paths are the same.
 */
const TIMINGS = { retryInitial: 250, retryMax: 2_000, probeInitial: 2_000, probeMax: 5_000, fetchInterval: 1_000 }

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('faults: kill -9 of sender, mailbox and recipient while messages flow', function () {
  this.timeout(LONG ? 0 : 600_000)
  const nodes: FaultNode[] = []

  afterEach(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
    await Promise.all(nodes.splice(0).map(async n => { await n.remove() }))
  })

  it(`${MESSAGES} messages with kills at random moments: none lost, none duplicated, every accepted one delivered (seed printed)`, async function () {
    console.log(`      faults: seed ${SEED} (replay: ATTN_FAULTS_SEED=${SEED}${LONG ? ' ATTN_FAULTS_LONG=1' : ''})`)
    const rand = prng(SEED)
    const range = ([lo, hi]: number[]): number => rand.int(lo, hi)
    const [mailbox, sender, recipient] = [new FaultNode('mailbox'), new FaultNode('sender'), new FaultNode('recipient')]
    nodes.push(mailbox, sender, recipient)
    for (const n of nodes) await n.init()

    // the mailbox holds mail for the others; they list it as their only mailbox and hold none themselves
    await mailbox.configure({ messaging: TIMINGS })
    await mailbox.start()
    const boot = ['--bootstrap', mailbox.multiaddr]
    for (const n of [sender, recipient]) {
      await n.configure({ messaging: TIMINGS, mailbox: { enabled: false, nodes: [mailbox.peerId] } })
      await n.start(boot)
    }
    // the scenario starts once both records are in the DHT (the node publishes at start in the background)
    for (const n of [sender, recipient]) {
      await waitFor(async () => (await n.request('POST', '/v1/directory/publish')).body?.accepted > 0, { timeout: 60_000, interval: 500, what: `${n.name}'s record to be accepted` })
    }

    const restartArgs = (n: FaultNode): string[] => n === mailbox ? [] : boot
    const faultsStartedAt = Date.now()
    let sending = true
    let failure: unknown

    // ---- the faults: kill a running node at a random moment, restart it after a random pause
    const restarts = new Set<Promise<void>>()
    const kills = async (): Promise<void> => {
      let order: FaultNode[] = []
      let killed = 0
      while ((sending || killed < SIZE.minKills) && killed < SIZE.maxKills && failure == null) {
        await sleep(range(SIZE.killGapMs))
        if (order.length === 0) order = rand.shuffle(nodes)
        const victim = order.shift() as FaultNode
        if (!victim.running) continue
        await victim.kill()
        killed++
        if (VERBOSE) console.log(`      +${((Date.now() - faultsStartedAt) / 1000).toFixed(1)} s: killed ${victim.name} (${accepted.size} accepted so far)`)
        const down = range(SIZE.downMs)
        const restart = (async () => {
          await sleep(down)
          await victim.start(restartArgs(victim))
        })().catch((err) => { failure ??= new Error(`${victim.name} did not restart: ${err.message as string}\n${victim.tail()}`) })
        restarts.add(restart)
        void restart.finally(() => restarts.delete(restart))
      }
      await Promise.all([...restarts])
    }

    // ---- the traffic: every message is retried (as a new send) until the API accepts it
    const accepted = new Map<string, string>()
    const refused: string[] = []
    let unanswered = 0
    const postMs: number[] = []
    const send = async (): Promise<void> => {
      try {
        for (let i = 0; i < MESSAGES && failure == null; i++) {
          await sleep(range(SIZE.sendGapMs))
          for (let attempt = 0; ; attempt++) {
            await sender.whenUp()
            const body = `faults ${SEED} #${i} try ${attempt}`
            try {
              const t0 = Date.now()
              const res = await sender.request('POST', '/v1/messages', { to: recipient.address, body })
              postMs.push(Date.now() - t0)
              if (res.status === 201) accepted.set(res.body.id, body)
              else refused.push(`${res.status} ${JSON.stringify(res.body)}`)
              break
            } catch (err) {
              if (!(err instanceof ApiUnreachableError)) throw err
              // killed under the request: it may or may not have been queued; not accepted either way
              unanswered++
              await sleep(50)
            }
          }
        }
      } finally {
        sending = false
      }
    }

    let sendMs = 0
    // both run to their end (no restart is left pending behind a failure), then the first failure is thrown
    const sendDone = send().catch((err) => { failure ??= err }).finally(() => { sendMs = Date.now() - faultsStartedAt })
    await Promise.all([kills(), sendDone])
    if (failure != null) throw failure
    const faultsMs = Date.now() - faultsStartedAt
    for (const n of nodes) assert.ok(n.running, `${n.name} is up after the faults`)

    // ---- after the faults: poll until every accepted message is in the inbox and delivered
    const settledStartedAt = Date.now()
    const delivered = new Set<string>()
    const states = new Map<string, string>()
    let inbox: any[] = []
    /** Local API requests that got no answer in time while settling (reported, then asked again). */
    let apiTimeouts = 0
    const pollStatus = async (ids: string[]): Promise<void> => {
      for (let i = 0; i < ids.length; i += 50) {
        await Promise.all(ids.slice(i, i + 50).map(async id => {
          let res
          try {
            res = await sender.request('GET', `/v1/messages/${id}/status`)
          } catch (err) {
            // a node restarting on an overloaded machine may not answer in time: asked again on the next round
            if (!(err instanceof ApiUnreachableError)) throw err
            apiTimeouts++
            return
          }
          // a stuck message's reason (e.g. "recipient unknown: …") says where it is stuck
          states.set(id, res.status === 200 ? `${res.body.state as string}${res.body.reason != null && res.body.state !== 'delivered' ? ` (${String(res.body.reason).slice(0, 120)})` : ''}` : `HTTP ${res.status}`)
          if (res.body?.state === 'delivered') delivered.add(id)
        }))
      }
    }
    const converged = async (): Promise<boolean> => {
      try {
        inbox = await recipient.inbox()
      } catch (err) {
        if (!(err instanceof ApiUnreachableError)) throw err
        apiTimeouts++
        return false
      }
      const inInbox = new Set(inbox.map(m => m.id))
      // a receipt is only made with the inbox row: only those can be delivered yet (status queries cost the sender work)
      await pollStatus([...accepted.keys()].filter(id => !delivered.has(id) && inInbox.has(id)))
      return delivered.size === accepted.size && [...accepted.keys()].every(id => inInbox.has(id))
    }
    const deadline = Date.now() + SIZE.settleMs
    while (!await converged() && Date.now() < deadline) {
      if (VERBOSE) {
        const histogram = new Map<string, number>()
        for (const id of accepted.keys()) if (!delivered.has(id)) histogram.set(states.get(id) ?? 'not in the inbox yet', (histogram.get(states.get(id) ?? 'not in the inbox yet') ?? 0) + 1)
        console.log(`      +${((Date.now() - settledStartedAt) / 1000).toFixed(1)} s: ${inbox.length} in the inbox, ${delivered.size} delivered, pending ${[...histogram].map(([s, n]) => `${s} ${n}`).join(', ')}`)
      }
      await sleep(1_000)
    }
    const settleMs = Date.now() - settledStartedAt
    // the states of whatever is left, for the report
    await pollStatus([...accepted.keys()].filter(id => !delivered.has(id) && !states.has(id)))

    // ---- the figures
    const ids = new Map<string, number>()
    const bodies = new Map<string, number>()
    for (const m of inbox) {
      ids.set(m.id, (ids.get(m.id) ?? 0) + 1)
      bodies.set(m.body, (bodies.get(m.body) ?? 0) + 1)
    }
    const lost = [...accepted.keys()].filter(id => !ids.has(id))
    const duplicated = [...ids].filter(([, n]) => n > 1).map(([id]) => id)
      .concat([...bodies].filter(([, n]) => n > 1).map(([body]) => `body "${body}"`))
    const stuck = [...accepted.keys()].filter(id => !delivered.has(id))
    const stuckStates = new Map<string, number>()
    for (const id of stuck) stuckStates.set(states.get(id) ?? '?', (stuckStates.get(states.get(id) ?? '?') ?? 0) + 1)
    // sends killed before their 201 that were queued anyway: delivered, but nobody was promised them
    const unconfirmed = inbox.filter(m => typeof m.body === 'string' && m.body.startsWith(`faults ${SEED} `) && !accepted.has(m.id)).length
    const killsBy = nodes.map(n => `${n.name} ${n.kills}`).join(', ')
    const totalKills = nodes.reduce((s, n) => s + n.kills, 0)
    console.log(`      faults: ${MESSAGES} messages, ${accepted.size} accepted, ${refused.length} refused, ${unanswered} sends killed unanswered ` +
      `(${unconfirmed} of them arrived anyway); ${totalKills} kills (${killsBy}) in ${(faultsMs / 1000).toFixed(1)} s; ` +
      `lost ${lost.length}, duplicated ${duplicated.length}, stuck ${stuck.length}${stuck.length > 0 ? ` (${[...stuckStates].map(([s, n]) => `${s} ${n}`).join(', ')})` : ''}; ` +
      `settled ${(settleMs / 1000).toFixed(1)} s after the faults stopped (${apiTimeouts} API requests unanswered in time while settling, asked again); sending took ${(sendMs / 1000).toFixed(1)} s, ` +
      `a restart ${(mean(nodes.flatMap(n => n.startMs.slice(1))) / 1000).toFixed(1)} s on average; ` +
      `POST /v1/messages p50 ${quantile(postMs, 0.5)} ms, p99 ${quantile(postMs, 0.99)} ms, max ${quantile(postMs, 1)} ms`)

    assert.deepEqual(refused, [], 'the API refused sends')
    assert.ok(totalKills >= SIZE.minKills, `at least ${SIZE.minKills} kills`)
    for (const n of nodes) assert.ok(n.kills > 0, `${n.name} was killed at least once`)
    assert.deepEqual(lost, [], `lost: accepted but not in the recipient's inbox (seed ${SEED})`)
    assert.deepEqual(duplicated, [], `duplicated in the recipient's inbox (seed ${SEED})`)
    assert.deepEqual(stuck.map(id => `${id}: ${states.get(id) ?? '?'}`), [], `accepted but not delivered at the sender (seed ${SEED})`)
  })
})

function mean (values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length
}

function quantile (values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1 < 0 ? 0 : Math.ceil(q * sorted.length) - 1)]
}

