import { spawn, execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

export const ATTN_BIN = fileURLToPath(new URL('../../../bin/attn.js', import.meta.url))

export async function tempHome (prefix = 'attn-test-'): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix))
}

export async function removeHome (home: string): Promise<void> {
  await rm(home, { recursive: true, force: true })
}

/** Runs `attn ARGS` to completion with the same Node as the tests; `input` is written to its stdin. */
export async function runCli (args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<{ code: number, stdout: string, stderr: string }> {
  return await new Promise((resolve) => {
    const child = execFile(process.execPath, [ATTN_BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err == null ? 0 : (typeof err.code === 'number' ? err.code : 1), stdout, stderr })
    })
    if (input != null) child.stdin?.end(input)
  })
}

/** A running `attn start --json` child process. */
export class CliNode {
  readonly child: ChildProcess
  readonly started: Promise<{ peerId: string, address: string, addresses: string[], api: string, startupMs: number, loginUrl: string }>
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  stderr = ''

  constructor (args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [ATTN_BIN, 'start', '--json', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child.stderr?.on('data', (d) => { this.stderr += String(d) })
    this.exited = new Promise(resolve => { this.child.once('exit', (code, signal) => { resolve({ code, signal }) }) })
    this.started = new Promise((resolve, reject) => {
      let out = ''
      this.child.stdout?.on('data', (d) => {
        out += String(d)
        const line = out.split('\n').find(l => l.startsWith('{'))
        if (line == null) return
        const info = JSON.parse(line)
        // `--json` prints a failed start as {error: {code, message}} (and exits 1)
        if (info.error != null) reject(new Error(`attn start failed: ${info.error.code as string}: ${info.error.message as string}`))
        else resolve(info)
      })
      void this.exited.then(({ code }) => { reject(new Error(`attn start exited (${code}) before starting: ${this.stderr}`)) })
    })
  }

  async stop (): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    if (this.child.exitCode == null && this.child.signalCode == null) this.child.kill('SIGTERM')
    return await this.exited
  }
}
