/**
 * Rewards endpoints of the local API (protocols/rewards.md §7), mirroring `attn rewards`: status,
 * claim, deposit, withdraw (announce / complete) and transfer. Amounts are decimal strings of base
 * units. Chain failures keep their codes: ERR_CHAIN_UNAVAILABLE is 503, a contract refusal 409.
 */
import { AttnError } from '../errors.js'
import { ApiError, BadRequestError } from './errors.js'
import type { NodeRewards } from '../rewards/node-rewards.js'
import type { Context, Hono } from 'hono'

export interface RewardsRoutesOptions {
  jsonBody: (c: Context) => Promise<Record<string, unknown>>
  /** Deadline of one chain operation, ms (default 120 000: a public chain mines in seconds to minutes). */
  operationTimeoutMs?: number
}

const STATUS_OF_CODE: Record<string, ApiError['status']> = {
  ERR_CHAIN_UNAVAILABLE: 503,
  ERR_NO_CHAIN: 503,
  ERR_WRONG_CHAIN: 502,
  ERR_CHAIN_TRANSACTION: 409,
  ERR_NO_CONTRACT: 503,
  ERR_INVALID_AMOUNT: 400,
  ERR_INVALID_EVM_ADDRESS: 400,
  ERR_ABORTED: 504
}

function fields (body: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(body).filter(k => !allowed.includes(k))
  if (extra.length > 0) throw new BadRequestError('INVALID_BODY', `unknown field(s): ${extra.join(', ')}`)
}

// typed-data.ts loads viem: imported when a rewards route runs (a node with rewards has it loaded already)
async function amount (body: Record<string, unknown>): Promise<bigint> {
  if (typeof body.amount !== 'string') throw new BadRequestError('INVALID_BODY', '"amount" (decimal string of base units) is required')
  const { toAmount } = await import('../rewards/typed-data.js')
  return toAmount(body.amount, 'amount')
}

async function evmAddress (value: unknown, what: string): Promise<string> {
  const { toEvmAddress } = await import('../rewards/typed-data.js')
  return toEvmAddress(value, what)
}

export function registerRewardsRoutes (app: Hono, rewards: NodeRewards | undefined, options: RewardsRoutesOptions): void {
  const timeoutMs = options.operationTimeoutMs ?? 120_000

  async function call<T> (c: Context, fn: (r: NodeRewards, signal: AbortSignal) => Promise<T>): Promise<T> {
    if (rewards == null) throw new ApiError(503, 'ERR_REWARDS_DISABLED', 'this node runs without rewards (start it with --rewards-contract ADDR [--chain-rpc URL])')
    try {
      return await fn(rewards, AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(timeoutMs)]))
    } catch (err) {
      if (err instanceof ApiError) throw err
      if (err instanceof AttnError) throw new ApiError(STATUS_OF_CODE[err.code] ?? 500, err.code, err.message)
      throw err
    }
  }

  app.get('/v1/rewards', async (c) => c.json(await call(c, async (r, signal) => await r.status({ signal }))))

  app.post('/v1/rewards/claim', async (c) => {
    fields(await options.jsonBody(c), [])
    return c.json(await call(c, async (r, signal) => await r.claim({ signal })))
  })

  app.post('/v1/rewards/deposit', async (c) => {
    const body = await options.jsonBody(c)
    fields(body, ['amount'])
    return c.json(await call(c, async (r, signal) => await r.deposit(await amount(body), { signal })))
  })

  app.post('/v1/rewards/withdraw', async (c) => {
    const body = await options.jsonBody(c)
    fields(body, ['amount', 'complete'])
    if (body.complete === true) {
      if (body.amount !== undefined) throw new BadRequestError('INVALID_BODY', 'give "amount" (announce) or "complete": true, not both')
      return c.json(await call(c, async (r, signal) => await r.withdraw({ signal })))
    }
    if (body.complete !== undefined && body.complete !== false) throw new BadRequestError('INVALID_BODY', '"complete" must be a boolean')
    return c.json(await call(c, async (r, signal) => await r.requestWithdrawal(await amount(body), { signal })))
  })

  app.post('/v1/rewards/transfer', async (c) => {
    const body = await options.jsonBody(c)
    fields(body, ['to', 'amount'])
    return c.json(await call(c, async (r, signal) => await r.transfer(await evmAddress(body.to, 'to'), await amount(body), { signal })))
  })
}
