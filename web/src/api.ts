/**
 * The local API, as the web client uses it: every call carries the token as a bearer header, the
 * event stream included (read with fetch(), since EventSource cannot send a header).
 */

export type MessageState = 'queued' | 'sent' | 'stored' | 'delivered' | 'failed'

export interface InboxMessage {
  id: string
  from: string
  to: string
  group: string | null
  contentType: string
  body: string
  sentAt: number
  receivedAt: number
}

/** A group message: one member's copy. */
export interface MemberState { address: string, state: MessageState }

export interface MessageStatus {
  id: string
  state: MessageState
  reason?: string
  to: string
  /** a group message: each current member's copy and its state */
  members?: MemberState[]
  updatedAt: number
}

/** A contact, kept in the node's store (`/v1/contacts`). */
export interface Contact { name: string, address: string, createdAt?: number }

export interface GroupInfo {
  id: string
  name: string
  admins: string[]
  members: string[]
  epoch: number
  /** this identity in the group: `removed` or `left` refuse sending */
  membership?: 'member' | 'removed' | 'left'
}

export interface NodeStatus {
  peerId: string
  address: string
  addresses: string[]
  connections: Array<{ peerId: string, remoteAddr: string, direction: string }>
  version: string
  uptimeSeconds: number
  counters: Record<string, any>
  carriers?: Array<{ kind: string, address: string, [k: string]: unknown }>
  reach?: { reachability?: string, relayAddresses?: string[], reservations?: unknown[], [k: string]: unknown }
  /** whether this node runs with rewards (then `GET /v1/rewards` answers) */
  rewards?: boolean
}

/** `GET /v1/rewards` (amounts are decimal strings of token base units). */
export interface RewardsStatus {
  evmAddress: string
  tokenBalance: string | null
  deposit: string | null
  earned: string
  claimable: string
  claimed: string
  chainError?: string
}

/** An error answer of the API: `{ error: { code, message } }`. */
export class ApiCallError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) {
    super(message)
    this.name = 'ApiCallError'
  }
}

export class Api {
  constructor (private readonly token: string) {}

  private async call<T> (method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' })
    const text = await res.text()
    const json = text === '' ? undefined : JSON.parse(text)
    if (!res.ok) throw new ApiCallError(res.status, json?.error?.code ?? 'HTTP_' + res.status, json?.error?.message ?? res.statusText)
    return json as T
  }

  status = async (): Promise<NodeStatus> => await this.call('GET', '/v1/status')
  inbox = async (after?: number): Promise<InboxMessage[]> => await this.call('GET', '/v1/messages?limit=1000' + (after != null ? `&after=${after}` : ''))
  send = async (to: string, body: string): Promise<{ id: string }> => await this.call('POST', '/v1/messages', { to, body })
  messageStatus = async (id: string): Promise<MessageStatus> => await this.call('GET', `/v1/messages/${id}/status`)
  groups = async (): Promise<GroupInfo[]> => await this.call('GET', '/v1/groups')
  createGroup = async (name: string, members: string[]): Promise<GroupInfo> => await this.call('POST', '/v1/groups', { name, members })
  addMember = async (group: string, address: string): Promise<GroupInfo> => await this.call('POST', `/v1/groups/${group}/members`, { address })
  removeMember = async (group: string, address: string): Promise<GroupInfo> => await this.call('DELETE', `/v1/groups/${group}/members/${encodeURIComponent(address)}`)
  leaveGroup = async (group: string): Promise<GroupInfo> => await this.call('POST', `/v1/groups/${group}/leave`)
  renameGroup = async (group: string, name: string): Promise<GroupInfo> => await this.call('PATCH', `/v1/groups/${group}`, { name })
  contacts = async (): Promise<Contact[]> => await this.call('GET', '/v1/contacts')
  addContact = async (name: string, address: string): Promise<Contact> => await this.call('POST', '/v1/contacts', { name, address })
  renameContact = async (from: string, to: string): Promise<Contact> => await this.call('PATCH', `/v1/contacts/${encodeURIComponent(from)}`, { name: to })
  removeContact = async (name: string): Promise<Contact> => await this.call('DELETE', `/v1/contacts/${encodeURIComponent(name)}`)
  rewards = async (): Promise<RewardsStatus> => await this.call('GET', '/v1/rewards')
  publish = async (): Promise<{ seq: string, accepted: number }> => await this.call('POST', '/v1/directory/publish')

  /**
   * Follows `GET /v1/events` until `signal` aborts: `onOpen` once subscribed, `onEvent` per event.
   * Resolves when the stream ends (the caller reconnects); rejects on an error answer.
   */
  async events (signal: AbortSignal, onOpen: () => void, onEvent: (event: string, data: any) => void): Promise<void> {
    const res = await fetch('/v1/events', { headers: { authorization: `Bearer ${this.token}` }, signal, cache: 'no-store' })
    if (!res.ok || res.body == null) {
      const json = await res.json().catch(() => undefined)
      throw new ApiCallError(res.status, json?.error?.code ?? 'HTTP_' + res.status, json?.error?.message ?? res.statusText)
    }
    onOpen()
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      buffer += value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let event = 'message'
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
        }
        if (data.length > 0) onEvent(event, JSON.parse(data.join('\n')))
      }
      // a stream that never sends a blank line must not grow without bound
      if (buffer.length > 1024 * 1024) throw new ApiCallError(0, 'SSE_TOO_LARGE', 'event too large')
    }
  }
}
