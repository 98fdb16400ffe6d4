/**
 * `attn rewards …` (protocols/rewards.md §7): deploy the contracts from the keystore's root key (no
 * node needed), and, through the running node's local API, deposit, withdraw, transfer, status and
 * claim. Amounts are integers in the token's base unit, printed as decimal strings in JSON.
 */
import { defaultHome } from '../node/locations.js'
import { DEFAULT_INITIAL_SUPPLY, DEFAULT_WITHDRAWAL_DELAY_SECONDS } from '../rewards/constants.js'
import { print } from './command.js'
import { CliError, apiRequest, keyOptions } from './io.js'
import type { Command } from './command.js'

export const REWARDS_HELP = `  rewards   postage and rewards: deploy, deposit, withdraw, transfer, status, claim`

/** The options `attn start` takes for rewards (they override config.json). */
export const REWARDS_START_OPTIONS = {
  'chain-rpc': { type: 'string' },
  'rewards-contract': { type: 'string' },
  price: { type: 'string' },
  'max-postage': { type: 'string' }
} as const

export const REWARDS_START_HELP = `  --chain-rpc URL         JSON-RPC endpoint of the rewards chain (config "chainRpc"; without it
                          cheques and receipts are kept in DIR/rewards.sqlite and claimed later)
  --rewards-contract ADDR the AttRewards contract (config "rewardsContract"; none = no rewards)
  --price N               postage this node asks per parcel as a mailbox, base units (config
                          "price", default 0 = free; needs a rewards contract)
  --max-postage N         most postage this node pays per parcel as a sender (config
                          "maxPostage", default 100)`

/** The rewards keys of `attn start`'s flags, for loadConfig's overrides. */
export function rewardsStartFlags (flags: Record<string, any>): { chainRpc?: string, rewardsContract?: string, price?: string, maxPostage?: string } {
  for (const name of ['price', 'max-postage'] as const) {
    if (flags[name] != null && !/^(0|[1-9][0-9]{0,38})$/.test(flags[name])) throw new CliError(`--${name} must be a non-negative integer in base units`, 'ERR_USAGE', 2)
  }
  return { chainRpc: flags['chain-rpc'], rewardsContract: flags['rewards-contract'], price: flags.price, maxPostage: flags['max-postage'] }
}

const HOME_HELP = '  --home DIR              data directory (default $ATTN_HOME or ~/.attn)'
const API_HELP = '  --api HOST:PORT         talk to this API instead of the one in DIR/node.json'

function usage (message: string): CliError {
  return new CliError(`${message} (see "attn rewards --help")`, 'ERR_USAGE', 2)
}

// the chain client and typed-data helpers load viem: only the subcommands that need them import them
async function amountArg (value: string | undefined, what: string): Promise<bigint> {
  if (value == null) throw usage(`${what} is required`)
  const { toAmount } = await import('../rewards/typed-data.js')
  try {
    return toAmount(value, what)
  } catch (err: any) {
    throw usage(err.message)
  }
}

/** An EVM address, or an ATT address (its root key's EVM account). */
async function evmArg (value: string | undefined): Promise<string> {
  if (value == null) throw usage('an address is required')
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) return value
  const { evmAddress, parseAttAddress } = await import('../keys/address.js')
  try {
    return evmAddress(parseAttAddress(value))
  } catch {
    throw usage(`"${value}" is neither an EVM address nor an ATT address`)
  }
}

const rewards: Command = {
  help: `Usage: attn rewards deploy --chain-rpc URL [--supply N] [--withdrawal-delay S] [--json]
       attn rewards deposit AMOUNT [--json]
       attn rewards withdraw AMOUNT [--json]      announce a withdrawal (starts the notice period)
       attn rewards withdraw --complete [--json]  take it once the notice period is over
       attn rewards transfer ADDRESS AMOUNT [--json]
       attn rewards status [--json]
       attn rewards claim [--json]

Senders pay mailbox nodes postage with cumulative cheques backed by a token
deposit in the AttRewards contract; recipients sign delivery receipts; a
mailbox claims min(receipts, cheque) with one batched transaction. Every
identity's root key is its EVM account ("attn id" shows it); it needs some of
the chain's native coin for gas. Amounts are integers in base units.

deploy    deploys AttToken (--supply minted to this identity, default 10^27) and
          AttRewards from this identity's root key (no running node needed);
          prints {"chainId","token","contract","deployer","gasUsed"}. Start nodes
          with --chain-rpc URL --rewards-contract CONTRACT.
deposit   approves and deposits AMOUNT tokens: they back this node's cheques.
          Prints {"deposited","deposit","tx"}.
withdraw  AMOUNT: announces a withdrawal; claims keep drawing on the deposit
          until the notice period (the contract's withdrawal delay, default
          ${DEFAULT_WITHDRAWAL_DELAY_SECONDS} s) ends. Prints {"requested","unlockAt","tx"}.
          --complete: pays the announced amount out. Prints {"withdrawn","deposit","tx"}.
transfer  sends AMOUNT tokens to ADDRESS (an EVM or ATT address). Prints {"to","amount","tx"}.
status    prints {"evmAddress","tokenBalance","deposit","earned","claimable",
          "claimed","postage","signed","price","maxPostage","chainId","contract","withdrawal"};
          tokenBalance and deposit are null (and "chainError" says why) when the
          chain cannot be reached: the ledger's numbers are still there.
claim     sends everything claimable in one transaction; prints {"paid","tx",
          "receipts","gasUsed"}; "paid" is "0" and no transaction is sent when
          nothing is claimable.

All but deploy talk to the running node (started with a rewards contract).
ERR_CHAIN_UNAVAILABLE: the chain does not answer; the node keeps working and
keeps its cheques and receipts: claim again later.

${HOME_HELP}
${API_HELP}
  --passphrase-file FILE  (deploy) read the key passphrase from FILE (default: $ATTN_PASSPHRASE)
  --insecure-dev-key      (deploy) the keystore is unencrypted (development only)
  --chain-rpc URL         (deploy) JSON-RPC endpoint of the chain
  --supply N              (deploy) tokens minted to the deployer, base units
  --withdrawal-delay S    (deploy) notice period of withdrawals, seconds (default ${DEFAULT_WITHDRAWAL_DELAY_SECONDS})
  --complete              (withdraw) complete the announced withdrawal
  --json                  print JSON`,
  options: {
    home: { type: 'string' },
    api: { type: 'string' },
    json: { type: 'boolean' },
    'passphrase-file': { type: 'string' },
    'insecure-dev-key': { type: 'boolean' },
    'chain-rpc': { type: 'string' },
    supply: { type: 'string' },
    'withdrawal-delay': { type: 'string' },
    complete: { type: 'boolean' }
  },
  async run (flags, positionals) {
    const [sub, ...args] = positionals
    const json = flags.json === true
    const deployOnly = ['chain-rpc', 'supply', 'withdrawal-delay', 'passphrase-file', 'insecure-dev-key'].filter(f => flags[f] != null)
    if (sub !== 'deploy' && deployOnly.length > 0) throw usage(`--${deployOnly[0]} is only for "rewards deploy"`)
    if (sub !== 'withdraw' && flags.complete != null) throw usage('--complete is only for "rewards withdraw"')
    switch (sub) {
      case 'deploy': {
        if (args.length !== 0) throw usage('rewards deploy takes no arguments')
        if (flags['chain-rpc'] == null) throw usage('rewards deploy needs --chain-rpc URL')
        const supply = flags.supply == null ? DEFAULT_INITIAL_SUPPLY : await amountArg(flags.supply, '--supply')
        const delay = flags['withdrawal-delay'] == null ? DEFAULT_WITHDRAWAL_DELAY_SECONDS : Number(flags['withdrawal-delay'])
        if (!Number.isSafeInteger(delay) || delay < 0) throw usage('--withdrawal-delay must be a non-negative integer of seconds')
        const [{ loadIdentity }, { RewardsChainClient }] = await Promise.all([import('../keys/index.js'), import('../rewards/chain-client.js')])
        const identity = await loadIdentity(flags.home ?? defaultHome(), await keyOptions(flags))
        const client = await RewardsChainClient.connect({ rpcUrl: flags['chain-rpc'], rootKey: identity.rootKey })
        const d = await client.deploy({ supply, withdrawalDelaySeconds: delay })
        const out = {
          chainId: d.chainId, token: d.token, contract: d.contract, deployer: client.address,
          gasUsed: { token: d.gasUsed.token.toString(), contract: d.gasUsed.contract.toString() }
        }
        print(out, json, () => [
          `deployed on chain ${out.chainId} by ${out.deployer}`,
          `token:    ${out.token} (${supply} base units minted to the deployer)`,
          `contract: ${out.contract}`,
          `start nodes with: --chain-rpc ${flags['chain-rpc'] as string} --rewards-contract ${out.contract}`
        ].join('\n'))
        return 0
      }
      case 'deposit': {
        if (args.length !== 1) throw usage('rewards deposit takes exactly one argument: AMOUNT')
        const out = await apiRequest(flags, 'POST', '/v1/rewards/deposit', { amount: (await amountArg(args[0], 'AMOUNT')).toString() })
        print(out, json, () => `deposited ${out.deposited as string}; deposit now ${out.deposit as string} (tx ${out.tx as string})`)
        return 0
      }
      case 'withdraw': {
        if (flags.complete === true) {
          if (args.length !== 0) throw usage('rewards withdraw --complete takes no AMOUNT')
          const out = await apiRequest(flags, 'POST', '/v1/rewards/withdraw', { complete: true })
          print(out, json, () => `withdrew ${out.withdrawn as string}; deposit now ${out.deposit as string} (tx ${out.tx as string})`)
          return 0
        }
        if (args.length !== 1) throw usage('rewards withdraw takes exactly one argument: AMOUNT (or --complete)')
        const out = await apiRequest(flags, 'POST', '/v1/rewards/withdraw', { amount: (await amountArg(args[0], 'AMOUNT')).toString() })
        print(out, json, () => `withdrawal of ${out.requested as string} announced; complete it after ${new Date(out.unlockAt * 1000).toISOString()} with "attn rewards withdraw --complete" (tx ${out.tx as string})`)
        return 0
      }
      case 'transfer': {
        if (args.length !== 2) throw usage('rewards transfer takes exactly two arguments: ADDRESS AMOUNT')
        const out = await apiRequest(flags, 'POST', '/v1/rewards/transfer', { to: await evmArg(args[0]), amount: (await amountArg(args[1], 'AMOUNT')).toString() })
        print(out, json, () => `sent ${out.amount as string} to ${out.to as string} (tx ${out.tx as string})`)
        return 0
      }
      case 'status': {
        if (args.length !== 0) throw usage('rewards status takes no arguments')
        const s = await apiRequest(flags, 'GET', '/v1/rewards')
        print(s, json, () => [
          `evm address:   ${s.evmAddress as string}`,
          `contract:      ${s.contract as string} (chain ${s.chainId as number})`,
          `token balance: ${s.tokenBalance ?? 'unknown'}`,
          `deposit:       ${s.deposit ?? 'unknown'}${s.withdrawal != null ? ` (withdrawal of ${s.withdrawal.amount as string} announced, unlocks ${new Date(s.withdrawal.unlockAt * 1000).toISOString()})` : ''}`,
          `earned:        ${s.earned as string}`,
          `claimed:       ${s.claimed as string}`,
          `claimable:     ${s.claimable as string}`,
          `postage paid:  ${s.postage as string} (cheques signed: ${s.signed as string})`,
          `price:         ${s.price as string} per parcel; max postage ${s.maxPostage as string}`,
          ...(s.chainError != null ? [`chain:         ${s.chainError as string}`] : [])
        ].join('\n'))
        return 0
      }
      case 'claim': {
        if (args.length !== 0) throw usage('rewards claim takes no arguments')
        const out = await apiRequest(flags, 'POST', '/v1/rewards/claim', {})
        print(out, json, () => out.tx == null ? 'nothing to claim' : `claimed ${out.paid as string} for ${out.receipts as number} receipt(s) (tx ${out.tx as string}, gas ${out.gasUsed as string})`)
        return 0
      }
      default:
        throw usage(sub == null ? 'a subcommand is required' : `unknown subcommand "${sub}"`)
    }
  }
}

export const REWARDS_COMMANDS: Record<string, Command> = { rewards }
