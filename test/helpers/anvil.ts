/**
 * A real local EVM for tests: the `@foundry-rs/anvil` npm binary on a free loopback port. One per
 * suite (start in before, stop in after); snapshot/revert between tests keeps them independent.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))
// the platform package's native binary when present (no Node wrapper process in between), else the npm shim
const NATIVE = `${root}node_modules/@foundry-rs/anvil-${process.platform === 'darwin' ? 'darwin' : 'linux'}-${process.arch === 'arm64' ? 'arm64' : 'amd64'}/bin/anvil`
const SHIM = `${root}node_modules/.bin/anvil`

export interface Anvil {
  rpcUrl: string
  port: number
  /** Milliseconds from spawn to the first answered eth_chainId. */
  startupMs: number
  /** A raw JSON-RPC call (anvil_*, evm_* cheat codes). */
  rpc: (method: string, params?: unknown[]) => Promise<any>
  stop: () => Promise<void>
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address != null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

export async function startAnvil ({ timeoutMs = 30_000 } = {}): Promise<Anvil> {
  const port = await freePort()
  const rpcUrl = `http://127.0.0.1:${port}`
  const started = performance.now()
  const child: ChildProcess = spawn(existsSync(NATIVE) ? NATIVE : SHIM, ['--port', String(port), '--host', '127.0.0.1', '--silent'], {
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000) })
  let exited = false
  const exit = new Promise<void>((resolve) => { child.once('exit', () => { exited = true; resolve() }) })

  let id = 0
  const rpc = async (method: string, params: unknown[] = []): Promise<any> => {
    const res = await fetch(rpcUrl, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params })
    })
    const body = await res.json() as { result?: unknown, error?: { message: string } }
    if (body.error != null) throw new Error(`${method}: ${body.error.message}`)
    return body.result
  }
  const stop = async (): Promise<void> => {
    if (exited) return
    child.kill('SIGTERM')
    await exit
  }

  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exited) throw new Error(`anvil exited before it answered: ${stderr}`)
    try {
      await rpc('eth_chainId')
      break
    } catch (err) {
      if (Date.now() > deadline) { await stop(); throw new Error(`anvil did not answer on ${rpcUrl} within ${timeoutMs} ms: ${String(err)} ${stderr}`) }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  return { rpcUrl, port, startupMs: performance.now() - started, rpc, stop }
}

/** Gives `address` 100 ETH for gas. */
export async function fund (anvil: Anvil, address: string): Promise<void> {
  await anvil.rpc('anvil_setBalance', [address, '0x56bc75e2d63100000'])
}

/** Moves the chain's clock forward by `seconds` and mines a block. */
export async function advanceTime (anvil: Anvil, seconds: number): Promise<void> {
  await anvil.rpc('evm_increaseTime', [seconds])
  await anvil.rpc('evm_mine')
}
