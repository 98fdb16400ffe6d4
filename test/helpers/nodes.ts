import { createAttnNode } from '../../src/node/create-node.js'
import type { AttnNode, CreateAttnNodeOptions } from '../../src/node/create-node.js'

/** Loopback TCP only: the fastest way to get real nodes on real sockets. */
export const LOOPBACK_TCP = ['/ip4/127.0.0.1/tcp/0']

/** Tracks nodes so `afterEach` can stop every one of them. */
export class NodeSet {
  readonly nodes: AttnNode[] = []
  private readonly defaults: CreateAttnNodeOptions

  constructor (defaults: CreateAttnNodeOptions = {}) {
    this.defaults = defaults
  }

  async create (options: CreateAttnNodeOptions = {}): Promise<AttnNode> {
    const node = await createAttnNode({ listen: LOOPBACK_TCP, api: '', ...this.defaults, ...options })
    this.nodes.push(node)
    return node
  }

  async stopAll (): Promise<void> {
    await Promise.all(this.nodes.splice(0).map(async n => { await n.stop() }))
  }
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T> (check: () => T | Promise<T>, { timeout = 20_000, interval = 25, what = 'condition' } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout
  let lastErr: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value != null && value !== false) return value as NonNullable<T>
    } catch (err) {
      lastErr = err
    }
    await new Promise(resolve => setTimeout(resolve, interval))
  }
  throw new Error(`timed out waiting for ${what}${lastErr != null ? `: ${String(lastErr)}` : ''}`)
}

/** Resolves with the detail of the next event of that type. */
export async function nextEvent<T> (target: EventTarget, type: string, filter: (detail: T) => boolean = () => true, timeout = 20_000): Promise<T> {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { target.removeEventListener(type, listener); reject(new Error(`no ${type} event within ${timeout} ms`)) }, timeout)
    const listener = (evt: Event): void => {
      const detail = (evt as CustomEvent<T>).detail
      if (!filter(detail)) return
      clearTimeout(timer)
      target.removeEventListener(type, listener)
      resolve(detail)
    }
    target.addEventListener(type, listener)
  })
}
