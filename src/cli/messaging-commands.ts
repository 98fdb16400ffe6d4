/**
 * Messaging commands of `attn`: send, inbox, message-status, group, publish. Each one talks to the
 * running node through its local API (found through `DIR/node.json`, or `--api HOST:PORT`), with the
 * token of `DIR/api-token` (or `ATTN_API_TOKEN`).
 */
import { print } from './command.js'
import { CliError, apiRequest } from './io.js'
import { EmptyMessageError, MessageTooLargeCliError } from './errors.js'
import { MAX_BODY_BYTES } from '../messaging/constants.js'
import type { Command } from './command.js'

const HOME_HELP = '  --home DIR              data directory of the running node (default $ATTN_HOME or ~/.attn)'
const API_HELP = `  --api HOST:PORT         talk to this API instead of the one in DIR/node.json
                          (the token still comes from DIR/api-token, or ATTN_API_TOKEN)`
const COMMON = { home: { type: 'string' }, api: { type: 'string' }, json: { type: 'boolean' } } as const

/** Wrong arguments: exit code 2, like an unknown flag. */
function usage (message: string, help: string): CliError {
  const name = /^Usage: attn (\S+)/.exec(help)?.[1] ?? ''
  return new CliError(`${message} (see "attn ${name} --help")`, 'ERR_USAGE', 2)
}

function time (ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

function shortAddress (a: string): string {
  return a.length > 20 ? `${a.slice(0, 10)}…${a.slice(-6)}` : a
}

const send: Command = {
  help: `Usage: attn send [--home DIR] <address|group-id> <text> [--json]

Sends <text> end to end encrypted to an ATT address, or to every member of a
group (a group id grp_...). Prints the message id once the node has queued it;
follow it with "attn message-status <id>". The recipient must have published a
directory record ("attn publish") and need not be online: a relay keeps the
message in a mailbox until it fetches it. Use "-" as <text> to read it from stdin.
A message is at most 256 KiB (262144 bytes, ERR_MESSAGE_TOO_LARGE); an empty one
is refused (ERR_EMPTY_MESSAGE) unless --allow-empty is given.

${HOME_HELP}
${API_HELP}
  --allow-empty           send an empty message
  --json                  print {"id"}`,
  options: { ...COMMON, 'allow-empty': { type: 'boolean' } },
  async run (flags, positionals) {
    if (positionals.length !== 2) throw usage('send takes exactly two arguments: <address|group-id> <text>', send.help)
    const [to, arg] = positionals
    let text = arg
    if (arg === '-') {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      text = Buffer.concat(chunks).toString('utf8')
    }
    // checked here: the API's request limit (1 MiB) would otherwise answer for a larger text
    const size = Buffer.byteLength(text)
    if (size > MAX_BODY_BYTES) throw new MessageTooLargeCliError(size, MAX_BODY_BYTES)
    if (size === 0 && flags['allow-empty'] !== true) throw new EmptyMessageError()
    const { id } = await apiRequest(flags, 'POST', '/v1/messages', { to, body: text })
    print({ id }, flags.json === true, () => id)
    return 0
  }
}

const STATE_RANK: Record<string, number> = { queued: 0, sent: 1, stored: 2, delivered: 3 }

const messageStatus: Command = {
  help: `Usage: attn message-status [--home DIR] <id> [--wait STATE [--timeout S]] [--json]

Shows the delivery state of a message sent from this node:
queued, sent, stored (in the recipient's mailbox), delivered, or failed (with a reason).
Answers from the node's own records at once.

${HOME_HELP}
${API_HELP}
  --wait STATE            wait until the message is at least STATE (sent, stored or
                          delivered; "stored" is also met by delivered) or failed;
                          exit 1 (ERR_TIMEOUT) if that does not happen in time
  --timeout S             how long --wait waits, seconds (default 60)
  --json                  print {"id","state"} ("members": [{"address","state"}] for a group
                          message: delivered once every current member acknowledged it;
                          "reason" when failed, "transit" while a delivery is in flight: each
                          device's last known state of it, "path" once it was handed off:
                          "direct" or "relayed" to a device, or "mailbox", and "carrier":
                          the carrier of that call, "libp2p", "udp" or "http")`,
  options: { ...COMMON, wait: { type: 'string' }, timeout: { type: 'string' } },
  async run (flags, positionals) {
    if (positionals.length !== 1) throw usage('message-status takes exactly one argument: <id>', messageStatus.help)
    const id = positionals[0]
    if (!/^[0-9a-fA-F]{1,128}$/.test(id)) throw new CliError(`not a message id: ${id}`, 'INVALID_ID')
    const wait: string | undefined = flags.wait
    if (wait != null && !(wait in STATE_RANK && wait !== 'queued')) throw usage('--wait is one of sent, stored, delivered', messageStatus.help)
    const timeoutS = flags.timeout != null ? Number(flags.timeout) : 60
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw usage('--timeout is a number of seconds', messageStatus.help)
    const deadline = Date.now() + timeoutS * 1000
    let status = await apiRequest(flags, 'GET', `/v1/messages/${id}/status`)
    // "sent" and "stored" are both past the direct/mailbox fork: waiting for one accepts the other
    const reached = (s: string): boolean => s === 'failed' || (wait != null && (STATE_RANK[s] >= STATE_RANK[wait] || (wait === 'stored' && s === 'sent')))
    while (wait != null && !reached(status.state)) {
      if (Date.now() >= deadline) throw new CliError(`message ${id} is still ${status.state} after ${timeoutS} s`, 'ERR_TIMEOUT')
      await new Promise(resolve => setTimeout(resolve, 250))
      status = await apiRequest(flags, 'GET', `/v1/messages/${id}/status`)
    }
    const out: { id: string, state: string, reason?: string, transit?: Array<{ peer: string, state: string }>, path?: string, carrier?: string } = { id: status.id, state: status.state }
    if (status.reason != null) out.reason = status.reason
    if (typeof status.path === 'string') out.path = status.path
    if (typeof status.carrier === 'string') out.carrier = status.carrier
    if (Array.isArray(status.transit) && status.transit.length > 0) out.transit = status.transit
    if (status.toName != null) (out as any).toName = status.toName
    if (Array.isArray(status.members)) (out as any).members = status.members
    print(out, flags.json === true, () => `${out.id}: ${out.state}${out.reason != null ? ` (${out.reason})` : ''}${status.toName != null ? ` (to ${status.toName})` : ''}${out.path != null ? ` via ${out.path}` : ''}${out.carrier != null ? ` over ${out.carrier}` : ''}` +
      (out.transit ?? []).map(t => `\n  in flight at ${t.peer}: ${t.state}`).join('') +
      ((out as any).members ?? []).map((m: any) => `\n  ${m.address}: ${m.state}`).join(''))
    return wait != null && status.state === 'failed' ? 1 : 0
  }
}

function groupLines (g: any): string {
  return [
    `${g.id}  "${g.name}"  epoch ${g.epoch}${g.membership === 'removed' ? '  (you were removed)' : g.membership === 'left' ? '  (you left)' : ''}`,
    `  admins:  ${g.admins.join(', ')}`,
    `  members: ${g.members.length === 0 ? '(none)' : g.members.join(', ')}`
  ].join('\n')
}

const group: Command = {
  help: `Usage: attn group create <name> --member <address>... [--json]
       attn group add <group-id> <address> [--json]
       attn group remove <group-id> <address> [--json]
       attn group rename <group-id> <new-name> [--json]
       attn group leave <group-id> [--json]
       attn group list [--json]

Manages groups (messages to a group id reach every member). The creator is the
group's admin; only admins add, remove members or rename. Removing a member
rotates the group's keys; the removed member sees the group as removed and can
no longer send to it (ERR_NOT_GROUP_MEMBER). Removing a non-member is an error
(ERR_NO_SUCH_MEMBER). A member added later does not see earlier messages.
Leaving: an admin leaves by a new epoch without itself (the only admin of a
group with other members cannot leave, ERR_LAST_ADMIN); a member leaves locally
(its node stops sending to the group and ignores its messages). Addresses may be
contact names.

${HOME_HELP}
${API_HELP}
  --member ADDRESS        (create) a member's ATT address, repeatable
  --json                  print the group as JSON ({"id","name","admins","members","epoch",
                          "membership": member|removed|left}), a list of groups for "list"`,
  options: { ...COMMON, member: { type: 'string', multiple: true } },
  async run (flags, positionals) {
    const [sub, ...args] = positionals
    const json = flags.json === true
    if (sub !== 'create' && (flags.member?.length ?? 0) > 0) throw usage('--member is only for "group create"', group.help)
    switch (sub) {
      case 'create': {
        if (args.length !== 1) throw usage('group create takes exactly one argument: <name>', group.help)
        const g = await apiRequest(flags, 'POST', '/v1/groups', { name: args[0], members: flags.member ?? [] })
        print(g, json, () => `created group ${g.id}\n${groupLines(g)}`)
        return 0
      }
      case 'add':
      case 'remove': {
        if (args.length !== 2) throw usage(`group ${sub} takes exactly two arguments: <group-id> <address>`, group.help)
        const [id, address] = args
        const g = sub === 'add'
          ? await apiRequest(flags, 'POST', `/v1/groups/${encodeURIComponent(id)}/members`, { address })
          : await apiRequest(flags, 'DELETE', `/v1/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(address)}`)
        print(g, json, () => groupLines(g))
        return 0
      }
      case 'rename': {
        if (args.length !== 2) throw usage('group rename takes exactly two arguments: <group-id> <new-name>', group.help)
        const g = await apiRequest(flags, 'PATCH', `/v1/groups/${encodeURIComponent(args[0])}`, { name: args[1] })
        print(g, json, () => groupLines(g))
        return 0
      }
      case 'leave': {
        if (args.length !== 1) throw usage('group leave takes exactly one argument: <group-id>', group.help)
        const g = await apiRequest(flags, 'POST', `/v1/groups/${encodeURIComponent(args[0])}/leave`)
        print(g, json, () => `left group ${g.id}\n${groupLines(g)}`)
        return 0
      }
      case 'list': {
        if (args.length !== 0) throw usage('group list takes no arguments', group.help)
        const list: any[] = await apiRequest(flags, 'GET', '/v1/groups')
        print(list, json, () => list.length === 0 ? 'no groups' : list.map(groupLines).join('\n'))
        return 0
      }
      default:
        throw usage(sub == null ? 'group needs a subcommand' : `unknown group subcommand "${sub}"`, group.help)
    }
  }
}

const publish: Command = {
  help: `Usage: attn publish [--home DIR] [--json]

Publishes this identity's directory record (its prekeys, devices and mailboxes)
to the DHT now, so that others can send to its ATT address. A running node also
republishes it on its own; run this once after the first start.

${HOME_HELP}
${API_HELP}
  --json                  print {"seq","accepted"}`,
  options: { ...COMMON },
  async run (flags, positionals) {
    if (positionals.length !== 0) throw usage('publish takes no arguments', publish.help)
    const out = await apiRequest(flags, 'POST', '/v1/directory/publish')
    print(out, flags.json === true, () => `published directory record seq ${out.seq} (stored by ${out.accepted} peer${out.accepted === 1 ? '' : 's'})`)
    return 0
  }
}

const fetchMail: Command = {
  help: `Usage: attn fetch [--home DIR] [--json]

Fetches the messages waiting in this identity's mailboxes (on relays) now.
A running node also does this on its own, at start and periodically.

${HOME_HELP}
${API_HELP}
  --json                  print {"fetched"}`,
  options: { ...COMMON },
  async run (flags, positionals) {
    if (positionals.length !== 0) throw usage('fetch takes no arguments', fetchMail.help)
    const out = await apiRequest(flags, 'POST', '/v1/mailbox/fetch')
    print(out, flags.json === true, () => `fetched ${out.fetched} message${out.fetched === 1 ? '' : 's'}`)
    return 0
  }
}

export const MESSAGING_COMMANDS: Record<string, Command> = { send, 'message-status': messageStatus, group, publish, fetch: fetchMail }

/** Lines of the global help, aligned like the others. */
export const MESSAGING_HELP = `  send      send an end-to-end encrypted message to an address or group
  message-status
            show the delivery state of a sent message
  group     create, rename, leave groups; add/remove members; list groups
  publish   publish this identity's directory record now
  fetch     fetch waiting messages from mailboxes now`
