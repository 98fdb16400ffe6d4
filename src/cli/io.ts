import { readFileSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { CliError, NotRunningError, PassphraseFileError, PassphraseMismatchError } from './errors.js'
import { canPrompt, promptHidden } from './prompt.js'
import { join } from 'node:path'
import { API_TOKEN_PATTERN } from '../api/constants.js'
import { apiTokenPath, readApiToken } from '../api/token.js'
import { defaultHome, parseHostPort } from '../node/locations.js'
import type { LoadIdentityOptions } from '../keys/index.js'

/** Where a running node records how to reach it (written by `attn start`, removed on exit). */
export function runtimeFile (home: string): string {
  return join(home, 'node.json')
}

export interface RuntimeInfo {
  pid: number
  api: string
  peerId: string
  address: string
  addresses: string[]
  /** UDP/HTTP carrier endpoints (`udp://…`, `http://…`), when configured. */
  carriers?: string[]
  /** The node process's start time (Linux: field 22 of /proc/PID/stat), to tell it from a later process that reuses the pid. */
  procStart?: string
}

/**
 * A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or undefined
 * where there is no /proc (not Linux) or no such process. Pids are reused (pid_max is often
 * 32768): a pid alone does not prove that the process that wrote node.json still runs.
 */
export function processStartTime (pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) is in parentheses and may hold spaces: count fields after its ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** Whether the node process of a node.json still runs: its pid exists and, where known, started when it did. */
export function nodeAlive (info: RuntimeInfo): boolean {
  if (!isAlive(info.pid)) return false
  if (info.procStart == null) return true
  const now = processStartTime(info.pid)
  return now == null || now === info.procStart
}

export async function readRuntimeInfo (home: string): Promise<RuntimeInfo | undefined> {
  try {
    return JSON.parse(await readFile(runtimeFile(home), 'utf8')) as RuntimeInfo
  } catch (err: any) {
    if (err.code === 'ENOENT') return undefined
    throw err
  }
}

/**
 * Passphrase from `--passphrase-file` or ATTN_PASSPHRASE; the dev-key flag only applies without one.
 * With neither, on a terminal, it is asked for (twice when `creating` a key) instead of failing.
 */
export async function keyOptions (flags: { 'passphrase-file'?: string, 'insecure-dev-key'?: boolean }, env = process.env, creating = false): Promise<LoadIdentityOptions> {
  let passphrase: string | undefined
  if (flags['passphrase-file'] != null) {
    const file = flags['passphrase-file']
    try {
      passphrase = (await readFile(file, 'utf8')).replace(/\r?\n$/, '')
    } catch (err: any) {
      throw new PassphraseFileError(file, err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'it is a directory' : err.message)
    }
    if (passphrase === '') throw new PassphraseFileError(file, 'the file is empty')
  } else if (env.ATTN_PASSPHRASE != null && env.ATTN_PASSPHRASE !== '') {
    passphrase = env.ATTN_PASSPHRASE
  } else if (flags['insecure-dev-key'] !== true && canPrompt()) {
    passphrase = await askPassphrase(creating ? 'new key passphrase: ' : 'key passphrase: ', creating)
  }
  return passphrase != null ? { passphrase } : { insecureDevKey: flags['insecure-dev-key'] === true }
}

export { CliError } from './errors.js'

/** Asks for a passphrase on the terminal (no echo); `confirm`: twice, and they must match. */
export async function askPassphrase (question: string, confirm: boolean): Promise<string> {
  const first = await promptHidden(question)
  if (first === '') throw new CliError('the passphrase is empty', 'ERR_PASSPHRASE_REQUIRED')
  if (confirm && await promptHidden('repeat it: ') !== first) throw new PassphraseMismatchError()
  return first
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err.code === 'EPERM'
  }
}

/**
 * The running node of a home, or undefined. A node.json whose pid has exited (the node was
 * killed, not stopped) is stale: it is removed, and `stale` tells the caller why nothing runs.
 */
export async function runningNode (home: string): Promise<{ info?: RuntimeInfo, stale?: RuntimeInfo }> {
  const info = await readRuntimeInfo(home)
  if (info == null) return {}
  if (nodeAlive(info)) return { info }
  await rm(runtimeFile(home), { force: true })
  return { stale: info }
}

/** Base URL of the running node's local API: `--api HOST:PORT`, else from `DIR/node.json`. */
export async function apiBase (flags: { home?: string, api?: string }): Promise<string> {
  if (flags.api != null) {
    const { host, port } = parseHostPort(flags.api)
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  }
  const home = flags.home ?? defaultHome()
  const { info, stale } = await runningNode(home)
  if (stale != null) throw new NotRunningError(`the node for ${home} is not running: pid ${stale.pid} in its node.json has exited without stopping cleanly (start it again with "attn start")`)
  if (info == null) throw new NotRunningError(`no running node for ${home} (start one with "attn start")`)
  if (info.api === '') throw new CliError(`the node running for ${home} serves no local API (started with --no-api)`, 'ERR_NO_API')
  return info.api
}

/** The API token: `ATTN_API_TOKEN`, else the home's `api-token` file; undefined when neither exists. */
export async function apiToken (flags: { home?: string }, env = process.env): Promise<string | undefined> {
  if (env.ATTN_API_TOKEN != null && env.ATTN_API_TOKEN !== '') {
    if (!API_TOKEN_PATTERN.test(env.ATTN_API_TOKEN)) throw new CliError('ATTN_API_TOKEN is not a token (32 to 512 base64url characters)', 'ERR_USAGE', 2)
    return env.ATTN_API_TOKEN
  }
  return await readApiToken(flags.home ?? defaultHome())
}

/** One request to the running node's API, with the home's token; API errors become CliErrors with the API's code. */
export async function apiRequest (flags: { home?: string, api?: string }, method: string, path: string, body?: unknown, timeoutMs = 90_000): Promise<any> {
  const base = await apiBase(flags)
  const token = await apiToken(flags)
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token != null) headers.authorization = `Bearer ${token}`
  let res: Response
  try {
    res = await fetch(base + path, {
      method,
      headers,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs)
    })
  } catch (err: any) {
    if (err.name === 'TimeoutError') throw new CliError(`the node's API at ${base} did not answer within ${timeoutMs / 1000} s`, 'ERR_TIMEOUT')
    throw new CliError(`cannot reach the node's API at ${base}: ${err.cause?.code ?? err.message}`, 'ERR_NODE_UNREACHABLE')
  }
  const out = await res.json().catch(() => undefined) as any
  if (!res.ok) {
    const code = out?.error?.code ?? 'ERR_API'
    const hint = res.status === 401 ? ` (the token is read from ${apiTokenPath(flags.home ?? defaultHome())}, or ATTN_API_TOKEN)` : ''
    throw new CliError((out?.error?.message ?? `HTTP ${res.status}`) + hint, code)
  }
  return out
}
