/**
 * Where a node's data lives and how a listener address is written. Kept apart from config.ts
 * (which loads multiaddr) so that the `attn` commands that only talk to a running node's API
 * start without loading libp2p.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { InvalidConfigError } from '../errors.js'

/** `$ATTN_HOME`, or `~/.attn`. */
export function defaultHome (env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.ATTN_HOME != null && env.ATTN_HOME !== '' ? env.ATTN_HOME : join(homedir(), '.attn'))
}

/** Parses `HOST:PORT` (IPv6 as `[::1]:PORT`). */
export function parseHostPort (value: string): { host: string, port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value)
  const port = m == null ? NaN : Number(m[3])
  if (m == null || port > 65535) {
    throw new InvalidConfigError(`"${value}" is not HOST:PORT (e.g. 127.0.0.1:7746, [::1]:0)`)
  }
  return { host: m[1] ?? m[2], port }
}
