import { rm, writeFile, rename, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { loadNodeIdentity } from '../keys/index.js'
import { loadConfig, parseHostPort } from '../node/config.js'
import { createAttnNode } from '../node/create-node.js'
import { checkHome, checkHomeBeforeIdentity, writeHomeMarker } from '../node/home.js'
import { DHT_DB, MESSAGES_DB, SESSIONS_DB } from '../node/constants.js'
import { startApiServer } from '../api/server.js'
import { loadOrCreateApiToken } from '../api/token.js'
import { identityExists } from '../keys/index.js'
import { PassphraseRequiredError } from '../keys/errors.js'
import { AddressInUseError } from './errors.js'
import { CliError, nodeAlive, processStartTime, readRuntimeInfo, runtimeFile } from './io.js'
import { firstRunHelp, startupProgress } from './startup.js'
import { certificateWarning } from './certificate-warning.js'
import { REVOCATIONS_FILE } from '../messaging/revocations.js'
import type { StartupReport } from './startup.js'
import { version } from './version.js'
import type { RuntimeInfo } from './io.js'
import type { LoadIdentityOptions } from '../keys/index.js'
import type { DeepPartialReach } from '../node/reach-config.js'

export interface DaemonOptions {
  home: string
  keys: LoadIdentityOptions
  listen?: string[]
  bootstrap?: string[]
  /** --public, --amino-bootstrap, --no-listen, --upnp, --reachability, --relay-server. */
  reach?: DeepPartialReach
  api?: string
  /** UDP / HTTP carrier listeners, HOST:PORT ('' = off). */
  udp?: string
  http?: string
  json: boolean
  /** Start even though the home's data does not fit its identity (moves it aside) or lost messages.db. */
  reset?: boolean
  /** Rewards flags (override config.json): --chain-rpc, --rewards-contract, --price, --max-postage. */
  rewards?: { chainRpc?: string, rewardsContract?: string, price?: string, maxPostage?: string }
  /** Started by `attn start --detach`: report readiness to the parent over IPC once start-up ran. */
  detached?: boolean
}

/** What a detached node sends its parent once start-up ran (or failed). */
export interface ReadyMessage {
  attnReady: true
  pid: number
  api: string
  address: string
  peerId: string
  addresses: string[]
  loginUrl: string
  startup: StartupReport
}

/** Addresses in use in libp2p's "failed to listen" error: `  /ip4/…/tcp/7745: … EADDRINUSE …` lines. */
function addressesInUse (err: any): string[] {
  const text = String(err?.message ?? '')
  if (!/EADDRINUSE|address already in use/i.test(text)) return []
  const out: string[] = []
  for (const m of text.matchAll(/^\s*(\/\S+): (.*)$/gm)) if (/EADDRINUSE|address already in use/i.test(m[2])) out.push(m[1])
  return out
}

/** `attn start`: runs a node until SIGINT/SIGTERM; resolves with the exit code. */
export async function runDaemon (opts: DaemonOptions): Promise<number> {
  try {
    return await serve(opts)
  } catch (err) {
    // a failed start can leave a libp2p listener behind (it was still opening when another
    // service failed): the error is printed by main, the process must still exit non-zero
    setTimeout(() => { process.exit(process.exitCode ?? 1) }, 250).unref()
    throw err
  }
}

async function serve (opts: DaemonOptions): Promise<number> {
  const startedAt = performance.now()
  const previous = await readRuntimeInfo(opts.home).catch(() => undefined)
  if (previous != null && previous.pid !== process.pid && nodeAlive(previous)) {
    throw new CliError(`a node is already running for ${opts.home} (pid ${previous.pid}, API ${previous.api})`, 'ERR_ALREADY_RUNNING')
  }
  const config = await loadConfig(opts.home, { listen: opts.listen, bootstrap: opts.bootstrap, api: opts.api, udp: opts.udp, http: opts.http, ...opts.rewards, ...opts.reach as any })
  // refused before the home is made: a failed first start leaves no empty directory behind
  if (opts.keys.passphrase == null && opts.keys.insecureDevKey !== true && !await identityExists(opts.home)) throw new PassphraseRequiredError()
  await mkdir(opts.home, { recursive: true, mode: 0o700 })
  const notes = await checkHomeBeforeIdentity(opts.home, { reset: opts.reset })
  const { identity, created } = await loadNodeIdentity(opts.home, opts.keys)
  if (created) process.stderr.write(`attn: created a new identity in ${opts.home}\n`)
  const certWarning = certificateWarning(identity)
  if (certWarning != null) process.stderr.write(`attn: WARNING: ${certWarning}\n`)
  notes.push(...await checkHome(opts.home, identity.address, { reset: opts.reset }))
  for (const note of notes) process.stderr.write(`attn: ${note}\n`)
  if (opts.keys.passphrase == null) {
    process.stderr.write('attn: WARNING: the private key is stored UNENCRYPTED (--insecure-dev-key); set ATTN_PASSPHRASE for real use\n')
  }

  // rewards load viem (a large share of start-up): only when a rewards contract is configured
  const rewards = config.rewardsContract === ''
    ? undefined
    : await (await import('../rewards/node-rewards.js')).NodeRewards.open(opts.home, identity, config, (m) => { process.stderr.write(`attn: ${m}\n`) })
  let node: Awaited<ReturnType<typeof createAttnNode>>
  try {
    node = await createAttnNode({
      ...config,
      privateKey: identity.nodeKey,
      attn: { identity, sessionStorePath: join(opts.home, SESSIONS_DB) },
      messaging: { ...config.messaging, dbPath: join(opts.home, MESSAGES_DB), revocationsPath: join(opts.home, REVOCATIONS_FILE), postage: rewards?.postageInit() ?? { maxPostage: BigInt(config.maxPostage) } },
      dhtStorePath: join(opts.home, DHT_DB),
      onWarning: (message) => { process.stderr.write(`attn: WARNING: ${message}\n`) }
    })
  } catch (err: any) {
    rewards?.close()
    const inUse = addressesInUse(err)
    if (inUse.length > 0) throw new AddressInUseError(inUse.join(', '))
    throw err
  }
  await writeHomeMarker(opts.home, identity.address)
  let api: Awaited<ReturnType<typeof startApiServer>> | undefined
  let loginUrl = ''
  try {
    if (config.api !== '') {
      const { host, port } = parseHostPort(config.api)
      const { token } = await loadOrCreateApiToken(opts.home)
      api = await startApiServer(node, { host, port, address: identity.address, version: await version(), token, rewards })
      // a single-use code in the fragment (never sent to a server or in a Referer): the page trades it for the token
      loginUrl = api.loginUrl()
    }
  } catch (err: any) {
    await node.stop()
    rewards?.close()
    throw new CliError(`cannot serve the local API on ${config.api}: ${err.message}`, 'ERR_API_LISTEN')
  }

  const info: RuntimeInfo = {
    pid: process.pid,
    api: api?.url ?? '',
    peerId: node.peerId.toString(),
    address: identity.address,
    addresses: node.getMultiaddrs().map(ma => ma.toString()),
    carriers: node.services.attn.endpoints(),
    procStart: processStartTime(process.pid)
  }
  const tmp = runtimeFile(opts.home) + `.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, runtimeFile(opts.home))

  // listen for signals before announcing the start: a SIGTERM sent as soon as the line is read
  // must shut down cleanly, not hit the default action
  const stopRequested = new Promise<void>(resolve => {
    const onSignal = (signal: string): void => {
      process.stderr.write(`attn: ${signal} received, shutting down\n`)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolve()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
  const say = (line: string): void => { process.stderr.write(`attn: ${line}\n`) }
  const progressAbort = new AbortController()
  const progress = startupProgress(node, { bootstrap: config.bootstrap, say, signal: progressAbort.signal })
    .then(report => {
      if (created) say(firstRunHelp(info.address, info.api, opts.home))
      return report
    })
  if (opts.detached === true) {
    // the parent returns once this arrives: API up, bootstrap attempted, record published or the attempt reported
    const startup = await Promise.race([progress, stopRequested.then(() => undefined)])
    if (startup != null && process.send != null) {
      const ready: ReadyMessage = { attnReady: true, pid: info.pid, api: info.api, address: info.address, peerId: info.peerId, addresses: info.addresses, loginUrl, startup }
      process.send(ready)
      process.disconnect?.()
    }
  }
  const startupMs = Math.round(performance.now() - startedAt)
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ...info, startupMs, loginUrl }) + '\n')
  } else {
    process.stdout.write([
      `ATT node started in ${startupMs} ms`,
      `address: ${info.address}`,
      `peer id: ${info.peerId}`,
      'listening on:', ...info.addresses.map(a => `  ${a}`), ...(info.carriers ?? []).map(a => `  ${a}`),
      `api: ${info.api === '' ? 'disabled' : info.api}`,
      ...(loginUrl === '' ? [] : [`web client (login link, keep it private): ${loginUrl}`])
    ].join('\n') + '\n')
  }

  await stopRequested
  progressAbort.abort()
  await progress.catch((err) => { say(`start-up report failed: ${String(err.message)}`) })

  await api?.close()
  await node.stop()
  rewards?.close()
  await rm(runtimeFile(opts.home), { force: true })
  process.stderr.write('attn: stopped\n')
  // everything is closed and saved; a library timer still pending (e.g. a DHT query's) must not
  // hold the process for seconds. Unref'd: a normal exit comes first when nothing lingers.
  setTimeout(() => { process.exit(process.exitCode ?? 0) }, 250).unref()
  return 0
}
