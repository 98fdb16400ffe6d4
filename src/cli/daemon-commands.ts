/**
 * Daemon control: `attn start --detach` (the node runs in the background; returns once it is
 * ready) and `attn stop` (SIGTERM to the home's node, waits until it exited).
 */
import { spawn } from 'node:child_process'
import { mkdir, open, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PassphraseRequiredError } from '../keys/errors.js'
import { defaultHome } from '../node/locations.js'
import { print } from './command.js'
import { CliError, DetachFailedError, NotRunningError, StopTimeoutError } from './errors.js'
import { isAlive, runningNode } from './io.js'
import type { Command } from './command.js'
import type { ReadyMessage } from './daemon.js'
import type { LoadIdentityOptions } from '../keys/index.js'

/** The log of a detached node: its stdout and stderr, appended. */
export const NODE_LOG = 'node.log'
/** Env flag telling `attn start` it runs detached (report readiness over IPC). */
export const DETACHED_ENV = 'ATTN_DETACHED_CHILD'
/** How long `attn start --detach` waits for the node to report ready, ms. */
export const DETACH_READY_TIMEOUT_MS = 180_000
/** How long `attn stop` waits for the node to exit after SIGTERM, ms. */
export const STOP_TIMEOUT_MS = 60_000

const ATTN_BIN = fileURLToPath(new URL('../../../bin/attn.js', import.meta.url))

/** `attn start --detach`: runs `attn start` in the background and waits for its ready report. */
export async function startDetached (flags: Record<string, any>, keys: LoadIdentityOptions): Promise<number> {
  const home: string = flags.home ?? defaultHome()
  const { info } = await runningNode(home)
  if (info != null) throw new CliError(`a node is already running for ${home} (pid ${info.pid}, API ${info.api})`, 'ERR_ALREADY_RUNNING')
  const { identityExists } = await import('../keys/index.js')
  if (keys.passphrase == null && keys.insecureDevKey !== true && !await identityExists(home)) throw new PassphraseRequiredError()
  await mkdir(home, { recursive: true, mode: 0o700 })
  const logPath = join(home, NODE_LOG)
  const log = await open(logPath, 'a', 0o600)
  const offset = (await stat(logPath)).size
  const args = ['start', '--json', '--home', home]
  for (const ma of flags.listen ?? []) args.push('--listen', ma)
  for (const ma of flags.bootstrap ?? []) args.push('--bootstrap', ma)
  if (flags.api != null) args.push('--api', flags.api)
  if (flags['no-api'] === true) args.push('--no-api')
  if (flags.reset === true) args.push('--reset')
  if (keys.passphrase == null && keys.insecureDevKey === true) args.push('--insecure-dev-key')
  // the passphrase (from the file, the prompt or the environment) reaches the node by its environment, never argv
  const env = { ...process.env, [DETACHED_ENV]: '1', ...(keys.passphrase != null ? { ATTN_PASSPHRASE: keys.passphrase } : {}) }
  const child = spawn(process.execPath, [ATTN_BIN, ...args], { detached: true, env, stdio: ['ignore', log.fd, log.fd, 'ipc'] })
  await log.close()
  const ready = await new Promise<ReadyMessage | { exit: number | null }>((resolve) => {
    const timer = setTimeout(() => { resolve({ exit: null }) }, DETACH_READY_TIMEOUT_MS)
    child.on('message', (m: any) => { if (m?.attnReady === true) { clearTimeout(timer); resolve(m) } })
    child.once('exit', (code) => { clearTimeout(timer); resolve({ exit: code }) })
  })
  if (!('attnReady' in ready)) {
    if (ready.exit == null) child.kill('SIGTERM')
    const tail = (await readFile(logPath, 'utf8').catch(() => '')).slice(offset)
    // the node ran with --json: its failure is one {"error"} line
    for (const line of tail.split('\n').reverse()) {
      if (!line.startsWith('{"error"')) continue
      const { error } = JSON.parse(line)
      throw new CliError(error.message, error.code)
    }
    throw new DetachFailedError(ready.exit == null
      ? `the node did not report ready within ${DETACH_READY_TIMEOUT_MS / 1000} s and was stopped; see ${logPath}`
      : `the node exited (code ${ready.exit}) before it was ready; see ${logPath}:\n${tail.trim().split('\n').slice(-10).join('\n')}`)
  }
  if (child.connected) child.disconnect()
  child.unref()
  const out = { pid: ready.pid, api: ready.api, address: ready.address }
  const s = ready.startup
  // loud on stderr, with --json too: two nodes on one PeerId lose messages
  if (s.twin != null) {
    process.stderr.write(`attn: WARNING: the DHT shows this node's PeerId at ${s.twin.join(', ')}, in a record this node did not publish: another node runs with a copy of this identity.json; only the node that published last receives messages. Stop the other node.\n`)
  }
  print(out, flags.json === true, () => [
    `node started in the background (pid ${ready.pid}); log: ${logPath}`,
    `address: ${ready.address}`,
    `peer id: ${ready.peerId}`,
    'listening on:', ...ready.addresses.map(a => `  ${a}`),
    `api: ${ready.api === '' ? 'disabled' : ready.api}`,
    `bootstrap: ${s.connected} peer(s) connected; DHT: ${s.dhtPeers} peer(s)`,
    s.published != null && s.published.accepted > 0
      ? `identity record published to ${s.published.accepted} peer(s)`
      : `identity record not published yet (${s.publishError ?? 'no peer accepted it'})`,
    ...(ready.loginUrl === '' ? [] : [`web client (login link, keep it private): ${ready.loginUrl}`]),
    'stop it with: attn stop' + (flags.home != null ? ` --home ${home}` : '')
  ].join('\n'))
  return 0
}

const stop: Command = {
  help: `Usage: attn stop [--home DIR] [--force] [--json]

Stops the node running for DIR (found through DIR/node.json): sends it SIGTERM
and waits until it has shut down cleanly (at most ${STOP_TIMEOUT_MS / 1000} s). Exit 1 with
ERR_NOT_RUNNING when no node runs for DIR.

  --home DIR              data directory (default $ATTN_HOME or ~/.attn)
  --force                 kill the node (SIGKILL) if it has not stopped in time
  --json                  print {"pid","stopped"}`,
  options: { home: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
  async run (flags, positionals) {
    if (positionals.length !== 0) throw new CliError('stop takes no arguments (see "attn stop --help")', 'ERR_USAGE', 2)
    const home: string = flags.home ?? defaultHome()
    const { info, stale } = await runningNode(home)
    if (stale != null) throw new NotRunningError(`the node for ${home} is not running: pid ${stale.pid} in its node.json had exited (removed the stale node.json)`)
    if (info == null) throw new NotRunningError(`no node is running for ${home}`)
    process.kill(info.pid, 'SIGTERM')
    const deadline = Date.now() + STOP_TIMEOUT_MS
    while (isAlive(info.pid) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
    if (isAlive(info.pid)) {
      if (flags.force !== true) throw new StopTimeoutError(info.pid, STOP_TIMEOUT_MS / 1000)
      process.kill(info.pid, 'SIGKILL')
      while (isAlive(info.pid)) await new Promise(resolve => setTimeout(resolve, 100))
    }
    print({ pid: info.pid, stopped: true }, flags.json === true, () => `stopped the node (pid ${info.pid})`)
    return 0
  }
}

export const DAEMON_COMMANDS: Record<string, Command> = { stop }
export const DAEMON_HELP = '  stop      stop the node running in the background (attn start --detach)'
