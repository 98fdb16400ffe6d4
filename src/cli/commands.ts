import { loadOrCreateApiToken } from '../api/token.js'
import { defaultHome, parseHostPort } from '../node/locations.js'
import { CliError, apiRequest, keyOptions, runningNode } from './io.js'
import { NotRunningError } from './errors.js'
import { print } from './command.js'
import { MESSAGING_COMMANDS, MESSAGING_HELP } from './messaging-commands.js'
import { REWARDS_COMMANDS, REWARDS_HELP, REWARDS_START_HELP, REWARDS_START_OPTIONS, rewardsStartFlags } from './rewards-commands.js'
import { INBOX_COMMANDS, INBOX_HELP } from './inbox-commands.js'
import { KEY_COMMANDS, KEY_HELP as PASSPHRASE_HELP } from './key-commands.js'
import { DAEMON_COMMANDS, DAEMON_HELP, DETACHED_ENV, startDetached } from './daemon-commands.js'
import { ping } from './ping-command.js'
import { deviceStatusLines, DEVICE_COMMANDS, DEVICE_HELP_LINE, INIT_IMPORT_HELP, INIT_IMPORT_OPTIONS, importDevice, loadAddressAndNodeKey } from './device-commands.js'
import { reachFlags, reachStatusLines } from './reach.js'
import type { Command } from './command.js'

export type { Command } from './command.js'

const HOME_HELP = '  --home DIR              data directory (default $ATTN_HOME or ~/.attn)'
const KEY_HELP = `  --passphrase-file FILE  read the key passphrase from FILE (default: $ATTN_PASSPHRASE)
  --insecure-dev-key      without a passphrase, store/load the key UNENCRYPTED (development only)`

export const GLOBAL_HELP = `attn — ATT node: decentralized end-to-end encrypted messaging on libp2p

Usage: attn <command> [options]

Commands:
  init      create this node's identity (root key) and print its ATT address
  start     run a node until SIGINT/SIGTERM (--detach: in the background)
${DAEMON_HELP}
${PASSPHRASE_HELP}
${DEVICE_HELP_LINE}
  status    show the running node's status (through its local API)
  ping      handshake and attn.ping a node over libp2p, UDP or HTTP
  id        print the ATT address, its EVM address and the libp2p PeerId
${MESSAGING_HELP}
${REWARDS_HELP}
${INBOX_HELP}
  help CMD  show help for a command

Environment:
  ATTN_HOME        data directory (default ~/.attn)
  ATTN_PASSPHRASE  passphrase that encrypts the private keys at rest (asked
                   for on a terminal when neither it nor --passphrase-file is given)
  ATTN_NEW_PASSPHRASE  the new passphrase for "attn passphrase"
  ATTN_API_TOKEN   token for the local API (default: read from $ATTN_HOME/api-token)

The local API answers only to its own address (Host, Origin checked) and needs
the home's token ($ATTN_HOME/api-token, mode 0600, made by init or the first
start) as "Authorization: Bearer <token>" on every route but GET /v1/status.
The commands read it from --home on their own.

Run "attn <command> --help" for the options of a command.`

const init: Command = {
  help: `Usage: attn init [--home DIR] [--device-key | --import FILE] [--json]

Creates the identity: a secp256k1 root key encrypted with ATTN_PASSPHRASE
(or unencrypted with --insecure-dev-key), and prints the ATT address and PeerId.
Also creates DIR/api-token (mode 0600), the local API's bearer token.

${HOME_HELP}
${KEY_HELP}
  --device-key            also create a device key certified by the root key
                          (the node then runs on the device key, not the root key)
${INIT_IMPORT_HELP}
  --json                  print {"address","peerId","home"}`,
  options: {
    home: { type: 'string' },
    'passphrase-file': { type: 'string' },
    'insecure-dev-key': { type: 'boolean' },
    'device-key': { type: 'boolean' },
    ...INIT_IMPORT_OPTIONS,
    json: { type: 'boolean' }
  },
  async run (flags) {
    const home = flags.home ?? defaultHome()
    if (flags.import != null) return await importDevice(flags, home)
    const { createIdentity, identityExists } = await import('../keys/index.js')
    if (await identityExists(home)) throw new CliError(`an identity already exists in ${home}`, 'ERR_IDENTITY_EXISTS')
    const identity = await createIdentity(home, { ...(await keyOptions(flags, process.env, true)), deviceKey: flags['device-key'] === true })
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    await loadOrCreateApiToken(home)
    const out = { address: identity.address, peerId: peerIdFromPrivateKey(identity.nodeKey).toString(), home }
    print(out, flags.json === true, () => `created identity in ${home}\naddress: ${out.address}\npeer id: ${out.peerId}`)
    return 0
  }
}

const start: Command = {
  help: `Usage: attn start [--home DIR] [--listen MA]... [--bootstrap MA]... [--api HOST:PORT] [--detach]
                  [--udp HOST:PORT] [--http HOST:PORT]
                  [--public [--amino-bootstrap MA]...] [--no-listen] [--upnp]

Runs a node until SIGINT or SIGTERM, then shuts down cleanly (exit 0).
Start-up progress goes to stderr: listening, bootstrap peers connected, DHT
ready, identity record published, mailboxes chosen; on the first run, the next
steps. With --detach the node runs in the background (its output appended to
DIR/node.log) and the command returns once it is ready: API up, bootstrap
attempted, identity record published or the attempt reported; stop it with
"attn stop".
Creates the identity on first run. Prints its multiaddrs, API URL and the
web client's login link (http://HOST:PORT/#login=CODE, a single-use code
the page trades for the API token). The API needs the token in
DIR/api-token (created when missing) as "Authorization: Bearer <token>",
except GET /v1/status, GET /metrics (Prometheus), POST /v1/login and the
web client's files at /; it answers only to
Host HOST:PORT (and localhost:PORT on loopback) and refuses other web origins.

${HOME_HELP}
${KEY_HELP}
  --listen MA             listen multiaddr, repeatable (default: config.json, else
                          /ip4/0.0.0.0/tcp/7745, /ip4/0.0.0.0/tcp/7747/ws,
                          /ip4/0.0.0.0/udp/7745/quic-v1)
  --bootstrap MA          multiaddr with /p2p/<peer-id> to dial at start, repeatable
  --public                also join the public Amino DHT (/ipfs/kad/1.0.0): peer routing, and
                          the ATT rendezvous (announce this node, find other ATT nodes) so no
                          --bootstrap is needed; the Amino DHT learns this PeerId runs ATT
  --amino-bootstrap MA    Amino bootstrap multiaddr with /p2p/<peer-id>, repeatable (default:
                          config.json amino.bootstrap, else the public libp2p bootstrap peers)
  --no-listen             open no listening socket at all: reachable only through circuit
                          relays this node reserves a slot on (found among connected peers)
  --upnp                  ask the home router (UPnP IGD) to forward our ports
  --reachability R        auto (AutoNAT decides, default), public or private
  --relay-server MODE     auto (default: mailbox nodes, while publicly reachable), on or off
  --api HOST:PORT         local HTTP API (default 127.0.0.1:7746; port 0 = any free port)
  --no-api                do not serve the local API
  --udp HOST:PORT         also carry ATTN over raw UDP here (config "udp"; default off)
  --http HOST:PORT        also carry ATTN over plain HTTP here, a public listener separate
                          from the API (config "http"; default off); port 0 = any free port
  --reset                 start even though the home's data does not fit its identity: data
                          without identity.json, or of another identity, is moved to
                          DIR/reset-<time>/; a missing messages.db is accepted (empty inbox/outbox)
  --detach                run in the background; return once ready
  --json                  print one JSON line {"peerId","address","addresses","carriers",
                          "api","loginUrl"} once started ({"pid","api","address"} with --detach)
${REWARDS_START_HELP}

Refuses to start (exit 1) when DIR holds data but no identity.json (ERR_HOME_IDENTITY_MISSING),
data of another identity (ERR_HOME_IDENTITY_MISMATCH, per DIR/home.json), has lost messages.db
(ERR_HOME_DATA_MISSING), or a database cannot be opened (ERR_STORE_OPEN).`,
  options: {
    home: { type: 'string' },
    'passphrase-file': { type: 'string' },
    'insecure-dev-key': { type: 'boolean' },
    listen: { type: 'string', multiple: true },
    bootstrap: { type: 'string', multiple: true },
    public: { type: 'boolean' },
    'amino-bootstrap': { type: 'string', multiple: true },
    'no-listen': { type: 'boolean' },
    upnp: { type: 'boolean' },
    reachability: { type: 'string' },
    'relay-server': { type: 'string' },
    api: { type: 'string' },
    'no-api': { type: 'boolean' },
    udp: { type: 'string' },
    http: { type: 'string' },
    reset: { type: 'boolean' },
    detach: { type: 'boolean' },
    json: { type: 'boolean' },
    ...REWARDS_START_OPTIONS
  },
  async run (flags) {
    if (flags.api != null) parseHostPort(flags.api)
    for (const f of ['udp', 'http']) if (flags[f] != null) parseHostPort(flags[f])
    const { identityExists } = await import('../keys/index.js')
    const keys = await keyOptions(flags, process.env, !await identityExists(flags.home ?? defaultHome()))
    if (flags.detach === true) return await startDetached(flags, keys)
    // the node itself (libp2p, stores, API server): loaded only by the command that runs it
    const { runDaemon } = await import('./daemon.js')
    return await runDaemon({
      detached: process.env[DETACHED_ENV] === '1',
      udp: flags.udp,
      http: flags.http,
      home: flags.home ?? defaultHome(),
      keys,
      listen: flags.listen,
      bootstrap: flags.bootstrap,
      reach: reachFlags(flags),
      api: flags['no-api'] === true ? '' : flags.api,
      json: flags.json === true,
      reset: flags.reset === true,
      rewards: rewardsStartFlags(flags)
    })
  }
}

const status: Command = {
  help: `Usage: attn status [--home DIR] [--api HOST:PORT] [--json]

Asks the running node (found through DIR/node.json, or --api) for its status:
addresses, connections, reachability (public / private / unknown), relay
reservations and relay server, and with --public the Amino DHT and rendezvous.
Needs no API token.

${HOME_HELP}
  --api HOST:PORT         ask this API instead
  --json                  print the raw JSON of GET /v1/status`,
  options: {
    home: { type: 'string' },
    api: { type: 'string' },
    json: { type: 'boolean' }
  },
  async run (flags) {
    const status = await apiRequest(flags, 'GET', '/v1/status', undefined, 10_000)
    print(status, flags.json === true, () => [
      `address:     ${status.address}`,
      `peer id:     ${status.peerId}`,
      'listening:', ...status.addresses.map((a: string) => `  ${a}`),
      ...(status.carriers == null ? [] : ['carriers:', ...status.carriers.map((c: any) => `  ${c.kind} ${c.address}${c.datagramsIn != null ? ` in ${c.datagramsIn} out ${c.datagramsOut} junk ${c.junk}` : c.requests != null ? ` requests ${c.requests} frames in ${c.framesIn} out ${c.framesOut}` : c.framesIn != null ? ` frames in ${c.framesIn}` : ''}`)]),
      `connections: ${status.connections.length}`,
      ...status.connections.map((c: any) => `  ${c.peerId} ${c.remoteAddr}`),
      ...reachStatusLines(status),
      ...deviceStatusLines(status),
      ...(status.crypto?.secp256k1 != null ? [`secp256k1:   ${String(status.crypto.secp256k1)}`] : [])
    ].join('\n'))
    return 0
  }
}

const id: Command = {
  help: `Usage: attn id [--home DIR] [--json]

Prints the ATT address (root key), its EVM address (the same key as an Ethereum
account: where rewards are paid) and the libp2p PeerId the node runs on.
Asks the running node if there is one, else opens the keystore.

${HOME_HELP}
${KEY_HELP}
  --field NAME            print only this value: address, evmAddress, peerId, or
                          multiaddr (the running node's first listen address with
                          /p2p/<peer id>: what others pass to --bootstrap)
  --json                  print {"address","evmAddress","peerId"}`,
  options: {
    home: { type: 'string' },
    'passphrase-file': { type: 'string' },
    'insecure-dev-key': { type: 'boolean' },
    field: { type: 'string' },
    json: { type: 'boolean' }
  },
  async run (flags) {
    const home = flags.home ?? defaultHome()
    let address: string
    let peerId: string
    const { info: running } = await runningNode(home)
    const field: string | undefined = flags.field
    if (field != null && !['address', 'evmAddress', 'peerId', 'multiaddr'].includes(field)) throw new CliError(`--field is one of address, evmAddress, peerId, multiaddr (not "${field}")`, 'ERR_USAGE', 2)
    if (field === 'multiaddr') {
      if (running == null) throw new NotRunningError(`no running node for ${home}: --field multiaddr needs one`)
      process.stdout.write(running.addresses[0] + '\n')
      return 0
    }
    if (running != null) {
      ({ address, peerId } = running)
    } else {
      const identity = await loadAddressAndNodeKey(home, await keyOptions(flags))
      const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
      address = identity.address
      peerId = peerIdFromPrivateKey(identity.nodeKey).toString()
    }
    // the ATT address embeds the root public key, so the EVM address needs no key material
    const { evmAddress, parseAttAddress } = await import('../keys/address.js')
    const out = { address, evmAddress: evmAddress(parseAttAddress(address)), peerId }
    if (field != null) {
      process.stdout.write(out[field as keyof typeof out] + '\n')
      return 0
    }
    print(out, flags.json === true, () => `address:     ${out.address}\nevm address: ${out.evmAddress}\npeer id:     ${out.peerId}`)
    return 0
  }
}

export const COMMANDS: Record<string, Command> = { init, start, status, id, ping, ...DAEMON_COMMANDS, ...MESSAGING_COMMANDS, ...INBOX_COMMANDS, ...KEY_COMMANDS, ...DEVICE_COMMANDS, ...REWARDS_COMMANDS }
