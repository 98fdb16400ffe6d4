/**
 * A real NAT on one machine (root, `ip netns`, nftables): an "internet" namespace, a router
 * namespace that masquerades, and a "home" namespace behind it. Nodes run as `attn` processes
 * inside the namespaces (`ip netns exec`).
 */
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { ATTN_BIN } from './cli.js'
import type { ChildProcess } from 'node:child_process'

const run = promisify(execFile)

export const PUBLIC_IP = '198.51.100.1'
export const HOME_IP = '10.0.0.2'

/** True when this process may create namespaces and nftables is installed. */
export async function natAvailable (): Promise<boolean> {
  if (process.getuid?.() !== 0) return false
  try {
    await run('ip', ['-V'])
    await run('nft', ['--version'])
    return true
  } catch {
    return false // the answer: the test skips itself
  }
}

export class NatLab {
  readonly id = `${process.pid % 10000}${Math.floor(Math.random() * 100)}`
  readonly pub = `attpub${this.id}`
  readonly router = `attrt${this.id}`
  readonly home = `atthm${this.id}`

  async up (): Promise<void> {
    const { pub, router, home, id } = this
    const sh = async (...args: string[]): Promise<void> => { await run('ip', args) }
    for (const ns of [pub, router, home]) {
      await sh('netns', 'add', ns)
      await sh('-n', ns, 'link', 'set', 'lo', 'up')
    }
    // internet <-> router WAN
    await sh('link', 'add', `ap${id}`, 'type', 'veth', 'peer', 'name', `ar${id}`)
    await sh('link', 'set', `ap${id}`, 'netns', pub)
    await sh('link', 'set', `ar${id}`, 'netns', router)
    await sh('-n', pub, 'addr', 'add', `${PUBLIC_IP}/24`, 'dev', `ap${id}`)
    await sh('-n', router, 'addr', 'add', '198.51.100.254/24', 'dev', `ar${id}`)
    // router LAN <-> home
    await sh('link', 'add', `ah${id}`, 'type', 'veth', 'peer', 'name', `ai${id}`)
    await sh('link', 'set', `ah${id}`, 'netns', router)
    await sh('link', 'set', `ai${id}`, 'netns', home)
    await sh('-n', router, 'addr', 'add', '10.0.0.1/24', 'dev', `ah${id}`)
    await sh('-n', home, 'addr', 'add', `${HOME_IP}/24`, 'dev', `ai${id}`)
    for (const [ns, dev] of [[pub, `ap${id}`], [router, `ar${id}`], [router, `ah${id}`], [home, `ai${id}`]]) {
      await sh('-n', ns, 'link', 'set', dev, 'up')
    }
    await sh('-n', home, 'route', 'add', 'default', 'via', '10.0.0.1')
    await run('ip', ['netns', 'exec', router, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])
    // masquerade everything leaving on the WAN side; nothing is forwarded inwards unasked
    const rules = [
      'table ip nat {', '  chain natpost {', '    type nat hook postrouting priority 100;', `    oifname "ar${id}" masquerade`, '  }', '}',
      'table ip filter {', '  chain lanout {', '    type filter hook forward priority 0; policy drop;', '    ct state established,related accept',
      `    iifname "ah${id}" accept`, '  }', '}', ''
    ].join('\n')
    await new Promise<void>((resolve, reject) => {
      const p = spawn('ip', ['netns', 'exec', router, 'nft', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] })
      let err = ''
      p.stderr.on('data', (d) => { err += String(d) })
      p.on('exit', (code) => { code === 0 ? resolve() : reject(new Error(`nft failed: ${err}`)) })
      p.stdin.end(rules)
    })
  }

  async down (): Promise<void> {
    for (const ns of [this.pub, this.router, this.home]) {
      await run('ip', ['netns', 'del', ns]).catch((err: Error) => { process.stderr.write(`netns del ${ns}: ${err.message}\n`) })
    }
  }

  /** `attn ARGS` run to completion inside a namespace. */
  async cli (ns: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number, stdout: string, stderr: string }> {
    return await new Promise((resolve) => {
      execFile('ip', ['netns', 'exec', ns, process.execPath, ATTN_BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err == null ? 0 : (typeof err.code === 'number' ? err.code : 1), stdout, stderr })
      })
    })
  }

  /** `attn start --json ARGS` inside a namespace (`ip netns exec` execs node: the child is the node). */
  start (ns: string, args: string[], env: NodeJS.ProcessEnv = {}): NsNode {
    return new NsNode(spawn('ip', ['netns', 'exec', ns, process.execPath, ATTN_BIN, 'start', '--json', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }))
  }
}

export class NsNode {
  readonly started: Promise<{ peerId: string, address: string, addresses: string[], api: string }>
  readonly exited: Promise<number | null>
  stderr = ''

  constructor (readonly child: ChildProcess) {
    child.stderr?.on('data', (d) => { this.stderr += String(d) })
    this.exited = new Promise(resolve => { child.once('exit', (code) => { resolve(code) }) })
    this.started = new Promise((resolve, reject) => {
      let out = ''
      child.stdout?.on('data', (d) => {
        out += String(d)
        const line = out.split('\n').find(l => l.startsWith('{'))
        if (line != null) resolve(JSON.parse(line))
      })
      void this.exited.then((code) => { reject(new Error(`attn start exited (${code}) before starting: ${this.stderr}`)) })
    })
  }

  async stop (): Promise<void> {
    if (this.child.exitCode == null && this.child.signalCode == null) this.child.kill('SIGTERM')
    await this.exited
  }
}
