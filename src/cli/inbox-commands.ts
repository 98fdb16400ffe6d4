/**
 * Everyday commands of `attn` (issue 15): the inbox (newest first pages, cursors, --follow),
 * read/unread, delete, the list of sent messages, and contacts. Each talks to the running node's
 * local API; contact names are accepted wherever an address is (the node resolves them).
 */
import { print } from './command.js'
import { CliError, apiBase, apiRequest, apiToken } from './io.js'
import type { Command } from './command.js'

const HOME_HELP = '  --home DIR              data directory of the running node (default $ATTN_HOME or ~/.attn)'
const API_HELP = '  --api HOST:PORT         talk to this API instead of the one in DIR/node.json'
const COMMON = { home: { type: 'string' }, api: { type: 'string' }, json: { type: 'boolean' } } as const

function usage (message: string, help: string): CliError {
  const name = /^Usage: attn (\S+)/.exec(help)?.[1] ?? ''
  return new CliError(`${message} (see "attn ${name} --help")`, 'ERR_USAGE', 2)
}

function time (ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

/** "name (address)" for a contact, else the address. */
function who (address: string, name?: string): string {
  return name != null ? `${name} (${address})` : address
}

function msString (v: string | undefined, name: string, help: string): string | undefined {
  if (v == null) return undefined
  if (!/^\d{1,16}$/.test(v)) throw usage(`${name} is a time in unix ms (as in receivedAt)`, help)
  return v
}

interface InboxItem { id: string, from: string, fromName?: string, to: string, group: string | null, contentType: string, body: string, sentAt: number, receivedAt: number, read: boolean }

function inboxView (m: any): InboxItem {
  const out: InboxItem = { id: m.id, from: m.from, to: m.to, group: m.group, contentType: m.contentType, body: m.body, sentAt: m.sentAt, receivedAt: m.receivedAt, read: m.read === true }
  if (m.fromName != null) out.fromName = m.fromName
  return out
}

function inboxLine (m: InboxItem): string {
  const body = typeof m.contentType !== 'string' || m.contentType.toLowerCase().startsWith('text/')
    ? m.body
    : `[${m.contentType}, ${Buffer.from(m.body, 'base64').byteLength} bytes]`
  return `${time(m.receivedAt)}  ${m.read ? ' ' : '*'} ${who(m.from, m.fromName)}${m.group != null ? ` in ${m.group}` : ''}  (${m.id})\n  ${String(body).replace(/\n/g, '\n  ')}`
}

/** Reads the node's server-sent events; calls `on` for each `event: message` until the stream ends. */
async function followEvents (flags: { home?: string, api?: string }, on: (event: string, data: any) => void, subscribed: () => Promise<void>): Promise<void> {
  const base = await apiBase(flags)
  const token = await apiToken(flags)
  let res: Response
  try {
    res = await fetch(base + '/v1/events', { headers: token != null ? { authorization: `Bearer ${token}` } : {} })
  } catch (err: any) {
    throw new CliError(`cannot reach the node's API at ${base}: ${err.cause?.code ?? err.message}`, 'ERR_NODE_UNREACHABLE')
  }
  if (!res.ok || res.body == null) {
    const out = await res.json().catch(() => undefined) as any
    throw new CliError(out?.error?.message ?? `HTTP ${res.status}`, out?.error?.code ?? 'ERR_API')
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buf = ''
  let first = true
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buf += value
    if (first) { first = false; await subscribed() }
    let end: number
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end)
      buf = buf.slice(end + 2)
      let event = 'message'
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
      }
      if (data.length > 0) on(event, JSON.parse(data.join('\n')))
    }
  }
  throw new CliError('the node closed the event stream (stopped?)', 'ERR_NODE_UNREACHABLE')
}

const inbox: Command = {
  help: `Usage: attn inbox [--home DIR] [--limit N] [--before MS | --after MS] [--unread] [--follow] [--json]

Lists received messages, the newest N (default 20), oldest first: the newest is
last. "*" marks an unread message; the sender's contact name is shown beside
its address. Page back with --before (the receivedAt of the oldest shown), or
forward with --after. Mark messages read with "attn read".

${HOME_HELP}
${API_HELP}
  --limit N               at most N messages (1..1000, default 20)
  --before MS             the newest N received before MS (unix ms, as in receivedAt)
  --after MS              the oldest N received after MS
  --unread                unread messages only
  --follow                after the list, wait and print new messages as they arrive
                          (until Ctrl-C); with --json one JSON object per line
  --json                  print [{"id","from","fromName"?,"to","group","contentType","body",
                          "sentAt","receivedAt","read"}] (--follow: one object per line)`,
  options: { ...COMMON, limit: { type: 'string' }, after: { type: 'string' }, before: { type: 'string' }, unread: { type: 'boolean' }, follow: { type: 'boolean' } },
  async run (flags, positionals) {
    if (positionals.length !== 0) throw usage('inbox takes no arguments', inbox.help)
    if (flags.before != null && flags.after != null) throw usage('give --before or --after, not both', inbox.help)
    const q = new URLSearchParams()
    q.set('limit', flags.limit ?? '20')
    const before = msString(flags.before, '--before', inbox.help)
    const after = msString(flags.after, '--after', inbox.help)
    if (before != null) q.set('before', before)
    if (after != null) q.set('after', after)
    if (flags.unread === true) q.set('unread', 'true')
    const json = flags.json === true
    const list = async (): Promise<InboxItem[]> => (await apiRequest(flags, 'GET', `/v1/messages?${q}`) as any[]).map(inboxView)
    if (flags.follow !== true) {
      const out = await list()
      const { unread } = await apiRequest(flags, 'GET', '/v1/messages/unread')
      print(out, json, () => (out.length === 0 ? 'no messages' : out.map(inboxLine).join('\n')) + `\n${unread} unread`)
      return 0
    }
    // subscribe first, then list: nothing that arrives in between is missed, nothing shown twice
    const shown = new Set<string>()
    const show = (m: InboxItem): void => {
      if (shown.has(m.id)) return
      shown.add(m.id)
      process.stdout.write((json ? JSON.stringify(m) : inboxLine(m)) + '\n')
    }
    await followEvents(flags, (event, data) => {
      if (event === 'message') show(inboxView(data))
    }, async () => {
      for (const m of await list()) show(m)
    })
    return 0
  }
}

const read: Command = {
  help: `Usage: attn read [--home DIR] <id>... [--unread] [--json]
       attn read [--home DIR] --all [--json]

Marks received messages read (or unread again with --unread); --all marks
every message read.

${HOME_HELP}
${API_HELP}
  --unread                mark them unread instead
  --all                   mark every received message read
  --json                  print {"changed"}`,
  options: { ...COMMON, unread: { type: 'boolean' }, all: { type: 'boolean' } },
  async run (flags, positionals) {
    if (flags.all === true) {
      if (positionals.length > 0 || flags.unread === true) throw usage('--all takes no ids and no --unread', read.help)
    } else if (positionals.length === 0) {
      throw usage('read takes one or more message ids, or --all', read.help)
    }
    for (const id of positionals) if (!/^[0-9a-fA-F]{32}$/.test(id)) throw new CliError(`not a message id: ${id}`, 'INVALID_ID')
    const body = flags.all === true ? { all: true } : { ids: positionals.map(i => i.toLowerCase()), read: flags.unread !== true }
    const out = await apiRequest(flags, 'POST', '/v1/messages/read', body)
    print(out, flags.json === true, () => `marked ${out.changed} message${out.changed === 1 ? '' : 's'} ${flags.unread === true ? 'unread' : 'read'}`)
    return 0
  }
}

const unread: Command = {
  help: `Usage: attn unread [--home DIR] [--json]

Counts unread received messages, in all and by sender.

${HOME_HELP}
${API_HELP}
  --json                  print {"unread","from":{address: count}}`,
  options: { ...COMMON },
  async run (flags, positionals) {
    if (positionals.length !== 0) throw usage('unread takes no arguments', unread.help)
    const out = await apiRequest(flags, 'GET', '/v1/messages/unread')
    const names = new Map<string, string>((await apiRequest(flags, 'GET', '/v1/contacts') as any[]).map(c => [c.address, c.name]))
    print(out, flags.json === true, () => [`${out.unread} unread`, ...Object.entries(out.from).map(([a, n]) => `  ${String(n)}  ${who(a, names.get(a))}`)].join('\n'))
    return 0
  }
}

const del: Command = {
  help: `Usage: attn delete [--home DIR] <id> [--json]

Deletes a received message from the inbox (its content is dropped; a copy
delivered again is still recognised and not stored twice).

${HOME_HELP}
${API_HELP}
  --json                  print {"id","deleted"}`,
  options: { ...COMMON },
  async run (flags, positionals) {
    if (positionals.length !== 1) throw usage('delete takes exactly one argument: <id>', del.help)
    const id = positionals[0].toLowerCase()
    if (!/^[0-9a-f]{32}$/.test(id)) throw new CliError(`not a message id: ${id}`, 'INVALID_ID')
    const out = await apiRequest(flags, 'DELETE', `/v1/messages/${id}`)
    print(out, flags.json === true, () => `deleted ${id}`)
    return 0
  }
}

const sent: Command = {
  help: `Usage: attn sent [--home DIR] [--limit N] [--before MS] [--json]

Lists the messages this node sent, newest first, with their delivery states
(queued, sent, stored, delivered, failed; a group message: its least advanced
member copy).

${HOME_HELP}
${API_HELP}
  --limit N               at most N messages (1..1000, default 20)
  --before MS             only messages created before MS (unix ms, as in createdAt)
  --json                  print [{"id","to","toName"?,"state","reason"?,"createdAt","updatedAt"}]`,
  options: { ...COMMON, limit: { type: 'string' }, before: { type: 'string' } },
  async run (flags, positionals) {
    if (positionals.length !== 0) throw usage('sent takes no arguments', sent.help)
    const q = new URLSearchParams()
    q.set('limit', flags.limit ?? '20')
    const before = msString(flags.before, '--before', sent.help)
    if (before != null) q.set('before', before)
    const list: any[] = await apiRequest(flags, 'GET', `/v1/sent?${q}`)
    print(list, flags.json === true, () => list.length === 0
      ? 'no sent messages'
      : list.map(m => `${time(m.createdAt)}  ${m.state.padEnd(9)}  to ${who(m.to, m.toName)}  (${m.id})${m.reason != null ? `\n  ${m.reason}` : ''}`).join('\n'))
    return 0
  }
}

const contacts: Command = {
  help: `Usage: attn contacts add <name> <address> [--json]
       attn contacts list [--json]
       attn contacts remove <name> [--json]
       attn contacts rename <name> <new-name> [--json]

Keeps names for ATT addresses in the node (DIR/messages.db). Every command that
takes an address (send, group create --member, group add/remove) accepts a
contact name instead; inbox, sent, message-status and events show the name
beside the address. A name is 1 to 64 bytes, without "/" or control characters,
and is not an address or a group id.

${HOME_HELP}
${API_HELP}
  --json                  print the contact {"name","address","createdAt"} (a list for "list")`,
  options: { ...COMMON },
  async run (flags, positionals) {
    const [sub, ...args] = positionals
    const json = flags.json === true
    const line = (c: any): string => `${c.name}  ${c.address}`
    switch (sub) {
      case 'add': {
        if (args.length !== 2) throw usage('contacts add takes exactly two arguments: <name> <address>', contacts.help)
        const c = await apiRequest(flags, 'POST', '/v1/contacts', { name: args[0], address: args[1] })
        print(c, json, () => `added ${line(c)}`)
        return 0
      }
      case 'list': {
        if (args.length !== 0) throw usage('contacts list takes no arguments', contacts.help)
        const list: any[] = await apiRequest(flags, 'GET', '/v1/contacts')
        print(list, json, () => list.length === 0 ? 'no contacts' : list.map(line).join('\n'))
        return 0
      }
      case 'remove': {
        if (args.length !== 1) throw usage('contacts remove takes exactly one argument: <name>', contacts.help)
        const c = await apiRequest(flags, 'DELETE', `/v1/contacts/${encodeURIComponent(args[0])}`)
        print(c, json, () => `removed ${line(c)}`)
        return 0
      }
      case 'rename': {
        if (args.length !== 2) throw usage('contacts rename takes exactly two arguments: <name> <new-name>', contacts.help)
        const c = await apiRequest(flags, 'PATCH', `/v1/contacts/${encodeURIComponent(args[0])}`, { name: args[1] })
        print(c, json, () => `renamed to ${line(c)}`)
        return 0
      }
      default:
        throw usage(sub == null ? 'contacts needs a subcommand' : `unknown contacts subcommand "${sub}"`, contacts.help)
    }
  }
}

export const INBOX_COMMANDS: Record<string, Command> = { inbox, read, unread, delete: del, sent, contacts }

export const INBOX_HELP = `  inbox     list received messages (newest last; --follow waits for new ones)
  read      mark received messages read (or unread)
  unread    count unread messages
  delete    delete a received message
  sent      list sent messages with their delivery states
  contacts  add, list, rename, remove contacts (names for addresses)`
