/** OpenAPI paths and schemas of the rewards routes (rewards-routes.ts), spread into openapi.ts. */
const err = { $ref: '#/components/responses/Error' }
const amount = { type: 'string', pattern: '^(0|[1-9][0-9]{0,38})$', description: 'integer in the token\'s base unit, as a decimal string' }
const tx = { type: 'string', pattern: '^0x[0-9a-f]{64}$', description: 'transaction hash' }
const json = (schema: unknown): unknown => ({ content: { 'application/json': { schema } } })
const object = (required: string[], properties: Record<string, unknown>): unknown => ({ type: 'object', required, properties, additionalProperties: false })
const errors = { 400: err, 401: err, 409: err, 502: err, 503: err, 504: err }
const CHAIN_NOTE = ' Chain errors keep their codes: 503 `ERR_CHAIN_UNAVAILABLE` (the chain does not answer; retry later), 503 `ERR_NO_CHAIN` (no chainRpc configured), 409 `ERR_CHAIN_TRANSACTION` (the contract refused), 503 `ERR_REWARDS_DISABLED` (no rewards contract configured).'

export const REWARDS_PATHS = {
  '/v1/rewards': {
    get: {
      summary: 'Rewards status: EVM address, token balance, deposit, earned / claimable / claimed (ledger), postage spent, price. tokenBalance, deposit and withdrawal are null, and chainError says why, when the chain cannot be asked.' + CHAIN_NOTE,
      operationId: 'getRewards',
      responses: { 200: { description: 'Status', ...json({ $ref: '#/components/schemas/RewardsStatus' }) as object }, 401: err, 503: err }
    }
  },
  '/v1/rewards/claim': {
    post: {
      summary: 'Claim everything claimable in one batched transaction; `paid` is "0" and no transaction is sent when nothing is claimable.' + CHAIN_NOTE,
      operationId: 'claimRewards',
      requestBody: { required: false, ...json(object([], {})) as object },
      responses: {
        200: { description: 'Claimed', ...json({ type: 'object', required: ['paid', 'receipts'], properties: { paid: amount, tx, receipts: { type: 'integer' }, gasUsed: amount } }) as object },
        ...errors
      }
    }
  },
  '/v1/rewards/deposit': {
    post: {
      summary: 'Approve and deposit tokens into the rewards contract (they back this identity\'s postage cheques).' + CHAIN_NOTE,
      operationId: 'depositRewards',
      requestBody: { required: true, ...json(object(['amount'], { amount })) as object },
      responses: { 200: { description: 'Deposited', ...json({ type: 'object', required: ['deposited', 'deposit', 'tx'], properties: { deposited: amount, deposit: amount, tx } }) as object }, ...errors }
    }
  },
  '/v1/rewards/withdraw': {
    post: {
      summary: '`{"amount"}` announces a withdrawal (the notice period starts; claims keep drawing on the deposit until it ends); `{"complete": true}` pays it out after the period.' + CHAIN_NOTE,
      operationId: 'withdrawRewards',
      requestBody: { required: true, ...json({ type: 'object', properties: { amount, complete: { type: 'boolean' } }, additionalProperties: false }) as object },
      responses: {
        200: {
          description: 'Announced ({requested, unlockAt, tx}) or completed ({withdrawn, deposit, tx})',
          ...json({ type: 'object', properties: { requested: amount, unlockAt: { type: 'integer', description: 'unix seconds' }, withdrawn: amount, deposit: amount, tx } }) as object
        },
        ...errors
      }
    }
  },
  '/v1/rewards/transfer': {
    post: {
      summary: 'Send tokens to another EVM account (e.g. to fund a sender).' + CHAIN_NOTE,
      operationId: 'transferRewards',
      requestBody: { required: true, ...json(object(['to', 'amount'], { to: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' }, amount })) as object },
      responses: { 200: { description: 'Sent', ...json({ type: 'object', required: ['to', 'amount', 'tx'], properties: { to: { type: 'string' }, amount, tx } }) as object }, ...errors }
    }
  }
} as const

export const REWARDS_SCHEMAS = {
  RewardsStatus: {
    type: 'object',
    required: ['evmAddress', 'chainId', 'contract', 'price', 'maxPostage', 'tokenBalance', 'deposit', 'withdrawal', 'earned', 'claimable', 'claimed', 'spent'],
    properties: {
      evmAddress: { type: 'string', description: 'the identity\'s root key as an EVM account' },
      chainId: { type: 'integer' },
      contract: { type: 'string' },
      price: amount,
      maxPostage: amount,
      tokenBalance: { type: ['string', 'null'] },
      deposit: { type: ['string', 'null'] },
      withdrawal: { type: ['object', 'null'], properties: { amount, unlockAt: { type: 'integer' } } },
      earned: amount,
      claimable: amount,
      claimed: amount,
      spent: amount,
      chainError: { type: 'string' }
    }
  }
} as const
