/**
 * Device linking (issue 15 item 3): `attn device export` seals a fresh device key certified by the
 * root key into a passphrase-protected bundle; `attn init --import FILE` (importDevice below)
 * creates a linked device's home from it. The root private key never leaves the exporting home.
 */
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadOrCreateApiToken } from '../api/token.js'
import type { LoadIdentityOptions } from '../keys/index.js'
import { InvalidRevocationError } from '../messaging/errors.js'
import type { PrivateKey } from '@libp2p/interface'
import { CERT_RENEW_BEFORE_SECONDS, MAX_DEVICE_BUNDLE_BYTES, MAX_LABEL_BYTES } from '../keys/constants.js'
import { RootKeyRequiredError } from '../keys/errors.js'
import { defaultHome } from '../node/locations.js'
import { print } from './command.js'
import { CliError, PassphraseFileError } from './errors.js'
import { apiRequest, askPassphrase, keyOptions, runningNode } from './io.js'
import { canPrompt } from './prompt.js'
import type { Command } from './command.js'

/** The bundle passphrase: --bundle-passphrase-file, else $ATTN_BUNDLE_PASSPHRASE, else asked on a terminal. */
async function bundlePassphrase (flags: Record<string, any>, creating: boolean, env = process.env): Promise<string> {
  const file: string | undefined = flags['bundle-passphrase-file']
  if (file != null) {
    let text: string
    try {
      text = (await readFile(file, 'utf8')).replace(/\r?\n$/, '')
    } catch (err: any) {
      throw new PassphraseFileError(file, err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message, '--bundle-passphrase-file')
    }
    if (text === '') throw new PassphraseFileError(file, 'the file is empty', '--bundle-passphrase-file')
    return text
  }
  if (env.ATTN_BUNDLE_PASSPHRASE != null && env.ATTN_BUNDLE_PASSPHRASE !== '') return env.ATTN_BUNDLE_PASSPHRASE
  if (canPrompt()) return await askPassphrase(creating ? 'new bundle passphrase: ' : 'bundle passphrase: ', creating)
  throw new CliError('no bundle passphrase: pass --bundle-passphrase-file FILE or set ATTN_BUNDLE_PASSPHRASE (or run it in a terminal to be asked)', 'ERR_PASSPHRASE_REQUIRED')
}

function labelOf (flags: Record<string, any>): string {
  const label: string = flags.label ?? 'linked device'
  if (Buffer.byteLength(label, 'utf8') > MAX_LABEL_BYTES) throw new CliError(`--label is at most ${MAX_LABEL_BYTES} UTF-8 bytes`, 'ERR_USAGE', 2)
  return label
}

const DEVICE_HELP = `Usage: attn device export --out FILE [--home DIR] [--label TEXT] [--json]
       attn device list [--home DIR] [--api HOST:PORT] [--json]
       attn device revoke NODE_ID [--home DIR] [--json]

Links a new device to this identity. "export" needs a home that holds the root
key: it makes a fresh device (libp2p node) key, certifies it with the root key
(the certificate "init --device-key" makes, valid 30 days) and writes FILE
(mode 0600, never overwritten): the device key sealed under a bundle passphrase
(scrypt + AES-256-GCM), its certificate, the address and the root PUBLIC key.
The root private key never leaves this home. On the new machine:
"attn init --import FILE".
"list" asks the running node for the devices its directory record lists (node
id, certificate label and validity, which one is this node) and the revoked ones.
"revoke" (a home holding the root key) adds NODE_ID (a peer id from "list") to
the identity's root-signed revocation list, kept in DIR/revocations.json: with
the node running it is published at once, else at the next start. Senders then
stop sealing for that device, its own records lose, and it stops publishing.
A linked device's certificate lasts 30 days and only the root key can issue
one: before it ends, export a new bundle and link the machine again (a new
home); "attn start" warns 7 days ahead.

  --out FILE                     where to write the bundle (must not exist)
  --label TEXT                   device label in the certificate (default "linked device")
  --home DIR                     data directory (default $ATTN_HOME or ~/.attn)
  --passphrase-file FILE         this home's key passphrase (default: $ATTN_PASSPHRASE)
  --insecure-dev-key             this home's key is unencrypted (development only)
  --bundle-passphrase-file FILE  the bundle passphrase (default: $ATTN_BUNDLE_PASSPHRASE;
                                 asked for twice, without echo, on a terminal)
  --api HOST:PORT                the node's API (list; default: from DIR/node.json)
  --json                         export: {"file","address","peerId","notAfter"};
                                 list: {"address","published","seq","revocationSeq","devices":[...]};
                                 revoke: {"nodeId","seq","nodeIds","published"|"publishError"|"pending"}`

async function list (flags: Record<string, any>): Promise<number> {
  const out = await apiRequest(flags, 'GET', '/v1/devices')
  print(out, flags.json === true, () => [
    `devices of ${String(out.address)}${out.published === true ? '' : ' (no directory record published yet)'}:`,
    ...(out.devices as any[]).map(d => `${d.self === true ? '*' : ' '} ${String(d.nodeId)}  ${d.rootKey === true ? 'root key' : d.certifiedUntil == null ? '' : `${String(d.label)} (certified until ${new Date(d.certifiedUntil * 1000).toISOString()})`}${d.revoked === true ? ' REVOKED' : ''}`)
  ].join('\n'))
  return 0
}

const device: Command = {
  help: DEVICE_HELP,
  options: {
    home: { type: 'string' },
    api: { type: 'string' },
    out: { type: 'string' },
    label: { type: 'string' },
    'passphrase-file': { type: 'string' },
    'insecure-dev-key': { type: 'boolean' },
    'bundle-passphrase-file': { type: 'string' },
    json: { type: 'boolean' }
  },
  async run (flags, positionals) {
    if (positionals[0] === 'list' && positionals.length === 1) return await list(flags)
    if (positionals[0] === 'revoke' && positionals.length === 2) return await revoke(flags, positionals[1])
    if (positionals[0] !== 'export' || positionals.length !== 1) {
      throw new CliError('usage: attn device export --out FILE | attn device list | attn device revoke NODE_ID (see "attn device --help")', 'ERR_USAGE', 2)
    }
    const out: string | undefined = flags.out
    if (out == null || out === '') throw new CliError('device export needs --out FILE', 'ERR_USAGE', 2)
    const label = labelOf(flags)
    const home: string = flags.home ?? defaultHome()
    const [{ decodeCertificate, issueDeviceKey, loadIdentity, sealDeviceBundle }, { peerIdFromPrivateKey }] = await Promise.all([import('../keys/index.js'), import('@libp2p/peer-id')])
    const identity = await loadIdentity(home, await keyOptions(flags))
    const passphrase = await bundlePassphrase(flags, true)
    const { nodeKey, certificate } = await issueDeviceKey(identity.rootKey, { label })
    const text = await sealDeviceBundle({ address: identity.address, rootPublicKey: identity.rootKey.publicKey, nodeKey, certificate }, passphrase)
    let fh
    try {
      fh = await open(out, 'wx', 0o600)
    } catch (err: any) {
      if (err.code === 'EEXIST') throw new CliError(`${out} already exists: choose another --out`, 'ERR_FILE_EXISTS')
      throw new CliError(`cannot write ${out}: ${String(err.message)}`, 'ERR_FILE_WRITE')
    }
    try {
      await fh.writeFile(text, 'utf8')
      await fh.sync()
    } finally {
      await fh.close()
    }
    const result = { file: out, address: identity.address, peerId: peerIdFromPrivateKey(nodeKey).toString(), notAfter: decodeCertificate(certificate).notAfter }
    print(result, flags.json === true, () => `wrote device bundle ${out} for ${result.address}\nnew device peer id: ${result.peerId}\ncertificate valid until ${new Date(result.notAfter * 1000).toISOString()}\non the new machine: attn init --import ${out}`)
    return 0
  }
}

/**
 * `attn device revoke ID`: through the running node's API (it signs with the root key it holds and
 * publishes), or, with no node running, into DIR/revocations.json for the next start.
 */
async function revoke (flags: Record<string, any>, nodeId: string): Promise<number> {
  const home: string = flags.home ?? defaultHome()
  let out: Record<string, unknown>
  if (flags.api != null || (await runningNode(home)).info != null) {
    out = await apiRequest(flags, 'POST', `/v1/devices/${encodeURIComponent(nodeId)}/revoke`)
  } else {
    const [{ loadIdentity }, { peerIdFromPrivateKey }, { REVOCATIONS_FILE, extendRevocations, readRevocationsFile, writeRevocationsFile }] =
      await Promise.all([import('../keys/index.js'), import('@libp2p/peer-id'), import('../messaging/revocations.js')])
    const identity = await loadIdentity(home, await keyOptions(flags))
    if (nodeId === peerIdFromPrivateKey(identity.nodeKey).toString()) throw new InvalidRevocationError('a device cannot revoke itself (it holds the root key)')
    const path = join(home, REVOCATIONS_FILE)
    const next = extendRevocations(identity.rootKey, readRevocationsFile(path, identity.address), [nodeId])
    await writeRevocationsFile(path, next)
    out = { nodeId, seq: next.seq.toString(), nodeIds: next.nodeIds, pending: true }
  }
  print(out, flags.json === true, () => [
    `revoked ${nodeId} (revocation list seq ${String(out.seq)}, ${(out.nodeIds as string[]).length} revoked device(s))`,
    out.pending === true
      ? 'no node is running for this home: the revocation is published at its next start'
      : out.published != null
        ? `published to ${String((out.published as any).accepted)} peer(s)`
        : `not published yet (${String(out.publishError)}); the node retries with its next publication`
  ].join('\n'))
  return 0
}

/** The address and node key of a home, a linked device's included (for `attn id`). */
export async function loadAddressAndNodeKey (home: string, options: LoadIdentityOptions): Promise<{ address: string, nodeKey: PrivateKey }> {
  const { loadDeviceIdentity, loadIdentity } = await import('../keys/index.js')
  try {
    return await loadIdentity(home, options)
  } catch (err) {
    if (!(err instanceof RootKeyRequiredError)) throw err
    return await loadDeviceIdentity(home, options)
  }
}

/** `attn init --import FILE`: the linked device's home from a bundle. */
export async function importDevice (flags: Record<string, any>, home: string): Promise<number> {
  const file: string = flags.import
  const [{ identityExists, importDeviceIdentity, openDeviceBundle }, { peerIdFromPrivateKey }] = await Promise.all([import('../keys/index.js'), import('@libp2p/peer-id')])
  if (await identityExists(home)) throw new CliError(`an identity already exists in ${home}`, 'ERR_IDENTITY_EXISTS')
  let text: string
  try {
    const fh = await open(file, 'r')
    try {
      const size = (await fh.stat()).size
      if (size > MAX_DEVICE_BUNDLE_BYTES) throw new CliError(`${file} is larger than a device bundle (${MAX_DEVICE_BUNDLE_BYTES} bytes)`, 'ERR_BUNDLE_CORRUPT')
      text = await fh.readFile('utf8')
    } finally {
      await fh.close()
    }
  } catch (err: any) {
    if (err instanceof CliError) throw err
    throw new CliError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : String(err.message)}`, 'ERR_FILE_READ')
  }
  const bundle = await openDeviceBundle(text, await bundlePassphrase(flags, false))
  const identity = await importDeviceIdentity(home, bundle, await keyOptions(flags, process.env, true))
  await loadOrCreateApiToken(home)
  const out = { address: identity.address, peerId: peerIdFromPrivateKey(identity.nodeKey).toString(), home, linked: true }
  print(out, flags.json === true, () => `created linked device in ${home}\naddress: ${out.address}\npeer id: ${out.peerId}`)
  return 0
}

export const DEVICE_COMMANDS: Record<string, Command> = { device }
export const DEVICE_HELP_LINE = '  device    link a new device (export a bundle for "init --import"), list or revoke devices'
/** Added to `attn init`'s options and help. */
export const INIT_IMPORT_OPTIONS = { import: { type: 'string' as const }, 'bundle-passphrase-file': { type: 'string' as const } }
export const INIT_IMPORT_HELP = `  --import FILE           create a linked device's home from a bundle made by
                          "attn device export" (no root key is stored here)
  --bundle-passphrase-file FILE  the bundle's passphrase (default: $ATTN_BUNDLE_PASSPHRASE)`

/** Human lines for the `device` object of GET /v1/status (absent on older nodes). */
export function deviceStatusLines (status: { device?: { linked: boolean, certifiedUntil: number | null, revoked: boolean } }, now = Math.floor(Date.now() / 1000)): string[] {
  const d = status.device
  if (d == null) return []
  const lines: string[] = []
  if (d.linked && d.certifiedUntil != null) {
    lines.push(`device:      linked (no root key here), certified until ${new Date(d.certifiedUntil * 1000).toISOString()}`)
    if (d.certifiedUntil - now < CERT_RENEW_BEFORE_SECONDS) {
      lines.push('WARNING: the certificate ends within 7 days; only the root key can certify: export a new bundle on the device holding it and link this machine again')
    }
  }
  if (d.revoked) lines.push('device:      REVOKED by this identity: this node no longer publishes its directory record and receives nothing new')
  return lines
}
