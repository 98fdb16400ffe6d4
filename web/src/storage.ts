/**
 * What the web client keeps in its origin's localStorage: the API token, the messages this
 * browser sent (with their bodies: the node's outbox keeps states only) and the last time each
 * conversation was read. Contacts live in the node (`/v1/contacts`); a list an older version of
 * this page kept here is moved there once (see `legacyContacts`).
 */
import type { MemberState, MessageState } from './api'

export interface SentMessage { id: string, to: string, body: string, sentAt: number, state: MessageState, reason?: string, members?: MemberState[] }

/** Oldest sent messages are dropped past this. */
export const MAX_SENT = 2000

const KEY = {
  token: 'attn.token',
  contacts: 'attn.contacts',
  sent: 'attn.sent',
  read: 'attn.read'
}

function load<T> (key: string, fallback: T): T {
  try {
    const text = localStorage.getItem(key)
    return text == null ? fallback : JSON.parse(text) as T
  } catch (err) {
    console.warn(`ignoring unreadable ${key}:`, err)
    return fallback
  }
}

function save (key: string, value: unknown): void {
  localStorage.setItem(key, JSON.stringify(value))
}

export const storage = {
  token: (): string | null => localStorage.getItem(KEY.token),
  setToken: (token: string): void => { localStorage.setItem(KEY.token, token) },
  clearToken: (): void => { localStorage.removeItem(KEY.token) },
  /** contacts an older version of this page kept in the browser (moved to the node, then dropped) */
  legacyContacts: (): Array<{ address: string, name: string }> => load(KEY.contacts, []),
  dropLegacyContacts: (): void => { localStorage.removeItem(KEY.contacts) },
  sent: (): SentMessage[] => load(KEY.sent, []),
  setSent: (s: SentMessage[]): void => { save(KEY.sent, s.slice(-MAX_SENT)) },
  read: (): Record<string, number> => load(KEY.read, {}),
  setRead: (r: Record<string, number>): void => { save(KEY.read, r) }
}

/**
 * Login: the link `attn start` prints carries a single-use code (`#login=…`), traded once for the
 * API token with `POST /v1/login`; a `#token=…` fragment is taken as the token itself. Either is
 * removed from the address bar and the history at once; a fragment never reaches the server or a
 * Referer. Resolves with an error text when the code was refused.
 */
export async function takeLoginFromUrl (): Promise<string | undefined> {
  const hash = location.hash
  const token = /(?:^#|&)token=([A-Za-z0-9\-._~+/]{32,512}=*)(?:&|$)/.exec(hash)
  const code = /(?:^#|&)login=([A-Za-z0-9_-]{16,512})(?:&|$)/.exec(hash)
  if (token == null && code == null) return undefined
  history.replaceState(null, '', location.pathname + location.search)
  if (token != null) {
    storage.setToken(token[1])
    return undefined
  }
  const res = await fetch('/v1/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: code?.[1] }), cache: 'no-store' })
  const json = await res.json().catch(() => undefined)
  if (!res.ok || typeof json?.token !== 'string') {
    return `This login link was used already or is not valid (${json?.error?.code ?? res.status}). Paste the API token, or restart the node for a new link.`
  }
  storage.setToken(json.token)
  return undefined
}
