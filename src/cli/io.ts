import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
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
}

export async function readRuntimeInfo (home: string): Promise<RuntimeInfo | undefined> {
  try {
    return JSON.parse(await readFile(runtimeFile(home), 'utf8')) as RuntimeInfo
  } catch (err: any) {
    if (err.code === 'ENOENT') return undefined
    throw err
  }
}

/** Passphrase from `--passphrase-file` or ATTN_PASSPHRASE; the dev-key flag only applies without one. */
export async function keyOptions (flags: { 'passphrase-file'?: string, 'insecure-dev-key'?: boolean }, env = process.env): Promise<LoadIdentityOptions> {
  let passphrase: string | undefined
  if (flags['passphrase-file'] != null) {
    passphrase = (await readFile(flags['passphrase-file'], 'utf8')).replace(/\r?\n$/, '')
  } else if (env.ATTN_PASSPHRASE != null && env.ATTN_PASSPHRASE !== '') {
    passphrase = env.ATTN_PASSPHRASE
  }
  return passphrase != null ? { passphrase } : { insecureDevKey: flags['insecure-dev-key'] === true }
}

/** A user-facing failure: printed as `attn: message` (or JSON with --json), exit code 1. */
export class CliError extends Error {
  constructor (message: string, readonly code = 'ERR_CLI', readonly exitCode = 1) {
    super(message)
  }
}
