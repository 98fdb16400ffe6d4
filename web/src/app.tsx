import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { Api, ApiCallError } from './api'
import { QrCode } from './qr'
import { storage } from './storage'
import type { Contact, GroupInfo, InboxMessage, MemberState, MessageState, MessageStatus, NodeStatus, RewardsStatus } from './api'
import type { SentMessage } from './storage'

type View = 'chats' | 'contacts' | 'groups' | 'me' | 'node'
type Link = 'connecting' | 'live' | 'offline'

const RANK: Record<MessageState, number> = { failed: -1, queued: 0, sent: 1, stored: 2, delivered: 3 }
const FINAL = new Set<MessageState>(['delivered'])
const TICK: Record<MessageState, string> = { queued: '…', sent: '✓', stored: '✓ mailbox', delivered: '✓✓', failed: '✗ failed' }
const TICK_TEXT: Record<MessageState, string> = { queued: 'queued', sent: 'sent', stored: 'stored in a mailbox', delivered: 'delivered', failed: 'failed' }
const GROUP_ID = /^grp_[0-9a-f]{32}$/

function short (address: string): string {
  return address.length > 20 ? `${address.slice(0, 10)}…${address.slice(-6)}` : address
}

function time (ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}

function errorText (err: unknown): string {
  if (err instanceof ApiCallError) return `${err.message} (${err.code})`
  return err instanceof Error ? err.message : String(err)
}

/** A state change only moves forward (a late `sent` never hides `delivered`); failed may still be delivered. */
function advance (from: MessageState, to: MessageState): boolean {
  if (from === 'delivered') return false
  if (to === 'failed') return true
  if (from === 'failed') return to === 'delivered'
  return RANK[to] > RANK[from]
}

export function App ({ loginError }: { loginError?: string }) {
  const [token, setToken] = useState(storage.token())
  const logout = useCallback(() => { storage.clearToken(); setToken(null) }, [])
  const api = useMemo(() => token == null ? undefined : new Api(token), [token])
  if (api == null) return <Login error={loginError} onToken={(t) => { storage.setToken(t); setToken(t) }} />
  return <Chat api={api} onUnauthorized={logout} />
}

function Login ({ onToken, error }: { onToken: (t: string) => void, error?: string }) {
  const [value, setValue] = useState('')
  return (
    <main class='login'>
      <h1>ATT</h1>
      {error != null && <p class='error' role='alert'>{error}</p>}
      <p>Open the login link that <code>attn start</code> printed (<code>http://127.0.0.1:7746/#login=…</code>), or paste the API token from <code>$ATTN_HOME/api-token</code>.</p>
      <form onSubmit={(e) => { e.preventDefault(); if (value.trim() !== '') onToken(value.trim()) }}>
        <label>API token <input type='password' value={value} onInput={(e) => { setValue(e.currentTarget.value) }} autocomplete='off' /></label>
        <button type='submit'>Log in</button>
      </form>
    </main>
  )
}

interface Conversation { key: string, name: string, group: boolean, last: number, unread: number, preview: string }

function Chat ({ api, onUnauthorized }: { api: Api, onUnauthorized: () => void }) {
  const [inbox, setInbox] = useState<InboxMessage[]>([])
  const [sent, setSentState] = useState<SentMessage[]>(storage.sent())
  const [contacts, setContacts] = useState<Contact[]>([])
  const [read, setReadState] = useState<Record<string, number>>(storage.read())
  const [groups, setGroups] = useState<GroupInfo[]>([])
  const [status, setStatus] = useState<NodeStatus | undefined>()
  const [view, setView] = useState<View>('chats')
  const [open, setOpen] = useState<string | undefined>()
  const [link, setLink] = useState<Link>('connecting')
  const [error, setError] = useState<string | undefined>()

  const sentRef = useRef(sent)
  const setSent = (f: (s: SentMessage[]) => SentMessage[]): void => {
    sentRef.current = f(sentRef.current)
    storage.setSent(sentRef.current)
    setSentState(sentRef.current)
  }
  const setRead = (r: Record<string, number>): void => { storage.setRead(r); setReadState(r) }

  const fail = useCallback((err: unknown) => {
    if (err instanceof ApiCallError && err.status === 401) { onUnauthorized(); return }
    setError(errorText(err))
  }, [onUnauthorized])

  // states seen for ids not (yet) in the list: the event can beat the answer to our POST
  const early = useRef(new Map<string, MessageStatus>())
  const applyStatus = (s: Pick<MessageStatus, 'id' | 'state' | 'reason' | 'members'>): boolean => {
    let known = false
    setSent(list => list.map(m0 => {
      if (m0.id !== s.id) return m0
      known = true
      // a group message: the node's per-member copies replace what we had (members come and go)
      const m = s.members != null && !sameMembers(m0.members, s.members) ? { ...m0, members: s.members } : m0
      if (advance(m.state, s.state)) return { ...m, state: s.state, ...(s.reason != null ? { reason: s.reason } : {}) }
      // still queued, with a new reason (recipient not found yet, no device reachable …)
      return m.state === s.state && s.reason != null && s.reason !== m.reason ? { ...m, reason: s.reason } : m
    }))
    return known
  }

  /** Asks the node for every unsettled message this browser sent (after a reconnect; group messages). */
  const refreshPending = useCallback(async (onlyGroups: boolean) => {
    for (const m of sentRef.current.filter(m => !FINAL.has(m.state) && (!onlyGroups || GROUP_ID.test(m.to)))) {
      try {
        applyStatus(await api.messageStatus(m.id))
      } catch (err) {
        if (err instanceof ApiCallError && err.status === 404) continue // not (yet) in this node's outbox
        fail(err)
        return
      }
    }
  }, [api])

  const loadInbox = useCallback(async () => {
    const all: InboxMessage[] = []
    let after: number | undefined
    for (;;) {
      const page = await api.inbox(after)
      all.push(...page)
      if (page.length < 1000) break
      after = page[page.length - 1].receivedAt
    }
    setInbox(all)
  }, [api])

  const loadGroups = useCallback(async () => { setGroups(await api.groups()) }, [api])

  const loadContacts = useCallback(async () => {
    // contacts an older version of this page kept in the browser move to the node once
    const legacy = storage.legacyContacts()
    if (legacy.length > 0) {
      for (const c of legacy) {
        try { await api.addContact(c.name, c.address) } catch (err) { console.warn(`contact ${c.name} not moved to the node:`, errorText(err)) }
      }
      storage.dropLegacyContacts()
    }
    setContacts(await api.contacts())
  }, [api])

  // the event stream: reconnects with backoff; each (re)connect reloads what may have been missed
  useEffect(() => {
    const abort = new AbortController()
    let pendingGroupRefresh: ReturnType<typeof setTimeout> | undefined
    void (async () => {
      let delay = 500
      while (!abort.signal.aborted) {
        try {
          await api.events(abort.signal, () => {
            setLink('live')
            delay = 500
            void Promise.all([loadInbox(), loadGroups(), loadContacts(), refreshPending(false)]).catch(fail)
          }, (event, data) => {
            if (event === 'message') {
              const m = data as InboxMessage
              setInbox(list => list.some(x => x.id === m.id) ? list : [...list, m])
              // a group message from someone we do not list yet: the group list changed too
              if (m.group != null) void loadGroups().catch(fail)
            } else if (event === 'status') {
              const st = data as MessageStatus
              if (!applyStatus(st)) {
                early.current.set(st.id, st)
                // bounded: only the newest few hundred unknown ids are kept
                if (early.current.size > 500) early.current.delete(early.current.keys().next().value as string)
                // a group message is tracked per member copy: ask for the group message's own state
                clearTimeout(pendingGroupRefresh)
                pendingGroupRefresh = setTimeout(() => { void refreshPending(true) }, 200)
              }
            }
          })
        } catch (err) {
          if (abort.signal.aborted) return
          if (err instanceof ApiCallError && err.status === 401) { onUnauthorized(); return }
          console.warn('event stream lost, reconnecting:', errorText(err))
        }
        if (abort.signal.aborted) return
        setLink('offline')
        await new Promise(resolve => setTimeout(resolve, delay))
        delay = Math.min(delay * 2, 10_000)
      }
    })()
    return () => { abort.abort(); clearTimeout(pendingGroupRefresh) }
  }, [api])

  // a slow safety net under the event stream: unsettled messages are asked for now and then
  useEffect(() => {
    const t = setInterval(() => { if (sentRef.current.some(m => !FINAL.has(m.state))) void refreshPending(false) }, 15_000)
    return () => { clearInterval(t) }
  }, [api])

  // node status: on the Node and Me views, and for the header dot
  useEffect(() => {
    let stop = false
    const tick = async (): Promise<void> => {
      try { setStatus(await api.status()) } catch (err) { if (!stop) fail(err) }
    }
    void tick()
    const t = setInterval(() => { void tick() }, 5000)
    return () => { stop = true; clearInterval(t) }
  }, [api])

  const nameOf = useCallback((key: string): string => {
    const g = groups.find(g => g.id === key)
    if (g != null) return g.name
    return contacts.find(c => c.address === key)?.name ?? short(key)
  }, [groups, contacts])

  const conversations = useMemo((): Conversation[] => {
    const map = new Map<string, Conversation>()
    const get = (key: string): Conversation => {
      let c = map.get(key)
      if (c == null) {
        c = { key, name: nameOf(key), group: GROUP_ID.test(key), last: 0, unread: 0, preview: '' }
        map.set(key, c)
      }
      return c
    }
    for (const c of contacts) get(c.address)
    for (const g of groups) get(g.id)
    for (const m of inbox) {
      const c = get(m.group ?? m.from)
      if (m.receivedAt >= c.last) { c.last = m.receivedAt; c.preview = m.body }
      if (m.receivedAt > (read[c.key] ?? 0) && c.key !== open) c.unread++
    }
    for (const m of sent) {
      const c = get(m.to)
      if (m.sentAt >= c.last) { c.last = m.sentAt; c.preview = `You: ${m.body}` }
    }
    return [...map.values()].sort((a, b) => b.last - a.last || a.name.localeCompare(b.name))
  }, [inbox, sent, contacts, groups, read, open, nameOf])

  // the open conversation is read up to its newest message
  useEffect(() => {
    if (open == null) return
    const newest = Math.max(0, ...inbox.filter(m => (m.group ?? m.from) === open).map(m => m.receivedAt))
    if (newest > (read[open] ?? 0)) setRead({ ...read, [open]: newest })
  }, [open, inbox])

  const send = async (to: string, body: string): Promise<void> => {
    const sentAt = Date.now()
    const { id } = await api.send(to, body)
    setSent(list => list.some(m => m.id === id) ? list : [...list, { id, to, body, sentAt, state: 'queued' }])
    const seen = early.current.get(id)
    if (seen != null) { early.current.delete(id); applyStatus(seen) }
    // a group message's state is its least advanced member copy: ask for it once its copies move
    if (GROUP_ID.test(to)) void refreshPending(true)
  }

  const openChat = (key: string): void => { setView('chats'); setOpen(key) }
  const unreadTotal = conversations.reduce((n, c) => n + c.unread, 0)
  const address = status?.address

  return (
    <div class={`shell ${open != null && view === 'chats' ? 'has-open' : ''}`}>
      <aside class='side'>
        <header class='bar'>
          <span class='brand'>ATT</span>
          <span class={`link ${link}`} role='status' aria-label={`event stream ${link}`} title={`event stream ${link}`}>{link}</span>
        </header>
        <nav class='tabs' aria-label='Sections'>
          {(['chats', 'contacts', 'groups', 'me', 'node'] as View[]).map(v => (
            <button key={v} type='button' aria-pressed={view === v} onClick={() => { setView(v); if (v !== 'chats') setOpen(undefined) }}>
              {v === 'chats' ? `Chats${unreadTotal > 0 ? ` (${unreadTotal})` : ''}` : v === 'me' ? 'Me' : v[0].toUpperCase() + v.slice(1)}
            </button>
          ))}
        </nav>
        {error != null && <p class='error' role='alert'>{error} <button type='button' class='link-button' onClick={() => { setError(undefined) }}>dismiss</button></p>}
        {view === 'chats' && (
          <ul class='list' aria-label='Conversations'>
            {conversations.length === 0 && <li class='empty'>No conversations yet: add a contact.</li>}
            {conversations.map(c => (
              <li key={c.key}>
                <button type='button' class={`conv ${c.key === open ? 'active' : ''}`} aria-current={c.key === open} onClick={() => { setOpen(c.key) }}>
                  <span class='conv-name'>{c.group && <span class='tag'>group</span>}{c.name}</span>
                  {c.unread > 0 && <span class='badge' aria-label={`${c.unread} unread`}>{c.unread}</span>}
                  <span class='conv-preview'>{c.preview}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {view === 'contacts' && <Contacts api={api} contacts={contacts} reload={loadContacts} onChat={openChat} own={address} />}
        {view === 'groups' && <Groups api={api} groups={groups} contacts={contacts} reload={loadGroups} onChat={openChat} fail={fail} own={address} nameOf={nameOf} />}
        {view === 'me' && <Me status={status} />}
        {view === 'node' && <Node api={api} status={status} link={link} />}
      </aside>
      <main class='pane'>
        {open != null && view === 'chats'
          ? <Conversation key={open} id={open} name={nameOf(open)} membership={groups.find(g => g.id === open)?.membership} inbox={inbox} sent={sent} nameOf={nameOf} onSend={send} onBack={() => { setOpen(undefined) }} />
          : <div class='placeholder'><p>Select a conversation.</p></div>}
      </main>
    </div>
  )
}

function Conversation ({ id, name, membership, inbox, sent, nameOf, onSend, onBack }: {
  id: string, name: string, membership?: GroupInfo['membership'], inbox: InboxMessage[], sent: SentMessage[], nameOf: (k: string) => string,
  onSend: (to: string, body: string) => Promise<void>, onBack: () => void
}) {
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const listRef = useRef<HTMLOListElement>(null)
  const inputRef = useRef<HTMLTextAreaElement>(null)
  const group = GROUP_ID.test(id)
  // removed from the group or left it: the node refuses to send there
  const closed = membership === 'removed' || membership === 'left'

  const items = useMemo(() => [
    ...inbox.filter(m => (m.group ?? m.from) === id).map(m => ({ mine: false as const, id: m.id, at: m.receivedAt, body: m.body, from: m.from })),
    ...sent.filter(m => m.to === id).map(m => ({ mine: true as const, id: m.id, at: m.sentAt, body: m.body, state: m.state, reason: m.reason, members: m.members }))
  ].sort((a, b) => a.at - b.at), [inbox, sent, id])

  useEffect(() => { listRef.current?.lastElementChild?.scrollIntoView({ block: 'end' }) }, [items.length])
  useEffect(() => { inputRef.current?.focus() }, [id])

  const submit = async (): Promise<void> => {
    const body = text.trim()
    if (body === '' || busy || closed) return
    setBusy(true)
    setError(undefined)
    try {
      await onSend(id, body)
      setText('')
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
      inputRef.current?.focus()
    }
  }

  // a failed message is sent again as a new message (the node gave up on the old one)
  const retry = async (body: string): Promise<void> => {
    setBusy(true)
    setError(undefined)
    try { await onSend(id, body) } catch (err) { setError(errorText(err)) } finally { setBusy(false) }
  }

  return (
    <section class='conversation' aria-label={`Conversation with ${name}`}>
      <header class='bar'>
        <button type='button' class='back' onClick={onBack} aria-label='Back to conversations'>←</button>
        <h2>{group && <span class='tag'>group</span>}{name}</h2>
      </header>
      <ol class='messages' ref={listRef} aria-label='Messages' aria-live='polite'>
        {items.map(m => (
          <li key={m.id} class={`msg ${m.mine ? 'mine' : 'theirs'}`} data-id={m.id}>
            {!m.mine && group && <span class='from'>{nameOf(m.from)}</span>}
            <span class='body'>{m.body}</span>
            <span class='meta'>
              {time(m.at)}
              {m.mine && <span class={`tick ${m.state}`} data-state={m.state} title={m.reason ?? TICK_TEXT[m.state]} aria-label={TICK_TEXT[m.state]}>{TICK[m.state]}</span>}
            </span>
            {m.mine && group && m.members != null && m.members.length > 0 && <MemberTicks members={m.members} nameOf={nameOf} />}
            {m.mine && (m.state === 'failed' || m.state === 'queued') && m.reason != null && <span class='reason'>{m.reason}</span>}
            {m.mine && m.state === 'failed' && (
              <button type='button' class='retry' disabled={busy || closed} onClick={() => { void retry(m.body) }}>Send again</button>
            )}
          </li>
        ))}
      </ol>
      {error != null && <p class='error' role='alert'>{error}</p>}
      {closed && <p class='hint closed' role='note'>{membership === 'left' ? 'You left this group.' : 'You were removed from this group.'} Sending is off.</p>}
      <form class='compose' onSubmit={(e) => { e.preventDefault(); void submit() }}>
        <textarea ref={inputRef} rows={1} value={text} aria-label='Message' placeholder={closed ? 'Sending is off' : 'Message'} disabled={closed}
          onInput={(e) => { setText(e.currentTarget.value) }}
          onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); void submit() } }} />
        <button type='submit' disabled={busy || closed || text.trim() === ''}>Send</button>
      </form>
    </section>
  )
}

function sameMembers (a: MemberState[] | undefined, b: MemberState[]): boolean {
  return a != null && a.length === b.length && a.every((x, i) => x.address === b[i].address && x.state === b[i].state)
}

/** A group message's copies: "2/3 delivered", with each member's state on demand. */
function MemberTicks ({ members, nameOf }: { members: MemberState[], nameOf: (k: string) => string }) {
  const delivered = members.filter(x => x.state === 'delivered').length
  return (
    <details class='member-ticks' data-delivered={delivered} data-total={members.length}>
      <summary>{delivered}/{members.length} delivered</summary>
      <ul aria-label='Delivery per member'>
        {members.map(x => (
          <li key={x.address} data-address={x.address} data-state={x.state}>
            {nameOf(x.address)} <span class={`tick ${x.state}`}>{TICK[x.state]}</span> {TICK_TEXT[x.state]}
          </li>
        ))}
      </ul>
    </details>
  )
}

function Contacts ({ api, contacts, reload, onChat, own }: { api: Api, contacts: Contact[], reload: () => Promise<void>, onChat: (k: string) => void, own?: string }) {
  const [address, setAddress] = useState('')
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()
  // every change goes to the node; the list is then read back from it
  const run = async (f: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true)
    setError(undefined)
    try { await f(); return true } catch (err) { setError(errorText(err)); return false } finally {
      await reload().catch((err) => { setError(errorText(err)) })
      setBusy(false)
    }
  }
  const add = async (): Promise<void> => {
    const a = address.trim()
    if (!/^[\x21-\x7e]{8,256}$/.test(a)) { setError('that is not an ATT address'); return }
    if (a === own) { setError('that is your own address'); return }
    if (contacts.some(c => c.address === a)) { setError('already a contact'); return }
    if (await run(async () => await api.addContact(name.trim() === '' ? short(a) : name.trim(), a))) { setAddress(''); setName('') }
  }
  return (
    <section class='panel' aria-label='Contacts'>
      <form class='stack' onSubmit={(e) => { e.preventDefault(); void add() }}>
        <label>Address <input value={address} onInput={(e) => { setAddress(e.currentTarget.value) }} autocomplete='off' spellcheck={false} /></label>
        <label>Name <input value={name} onInput={(e) => { setName(e.currentTarget.value) }} autocomplete='off' /></label>
        <button type='submit' disabled={busy}>Add contact</button>
        {error != null && <p class='error' role='alert'>{error}</p>}
      </form>
      <p class='hint'>Contacts are kept by your node (also for <code>attn</code> on the command line).</p>
      <ul class='list'>
        {contacts.map(c => (
          <li key={c.address} class='row'>
            <input class='grow' value={c.name} aria-label={`Name of ${short(c.address)}`} disabled={busy}
              onChange={(e) => { const v = e.currentTarget.value.trim(); if (v !== '' && v !== c.name) void run(async () => await api.renameContact(c.name, v)) }} />
            <button type='button' onClick={() => { onChat(c.address) }}>Chat</button>
            <button type='button' disabled={busy} onClick={() => { void run(async () => await api.removeContact(c.name)) }} aria-label={`Remove ${c.name}`}>Remove</button>
          </li>
        ))}
      </ul>
    </section>
  )
}

function Groups ({ api, groups, contacts, reload, onChat, fail, own, nameOf }: {
  api: Api, groups: GroupInfo[], contacts: Contact[], reload: () => Promise<void>, onChat: (k: string) => void,
  fail: (err: unknown) => void, own?: string, nameOf: (k: string) => string
}) {
  const [name, setName] = useState('')
  const [members, setMembers] = useState<string[]>([])
  const [busy, setBusy] = useState(false)
  const run = async (f: () => Promise<unknown>): Promise<void> => {
    setBusy(true)
    try { await f(); await reload() } catch (err) { fail(err) } finally { setBusy(false) }
  }
  return (
    <section class='panel' aria-label='Groups'>
      <form class='stack' onSubmit={(e) => { e.preventDefault(); if (name.trim() !== '') void run(async () => { await api.createGroup(name.trim(), members); setName(''); setMembers([]) }) }}>
        <label>Group name <input value={name} onInput={(e) => { setName(e.currentTarget.value) }} autocomplete='off' /></label>
        <fieldset>
          <legend>Members</legend>
          {contacts.length === 0 && <p class='hint'>Add contacts first.</p>}
          {contacts.map(c => (
            <label key={c.address} class='check'>
              <input type='checkbox' checked={members.includes(c.address)}
                onChange={(e) => { setMembers(e.currentTarget.checked ? [...members, c.address] : members.filter(m => m !== c.address)) }} /> {c.name}
            </label>
          ))}
        </fieldset>
        <button type='submit' disabled={busy}>Create group</button>
      </form>
      <ul class='list'>
        {groups.map(g => {
          const closed = g.membership === 'removed' || g.membership === 'left'
          const admin = !closed && own != null && g.admins.includes(own)
          const addable = contacts.filter(c => !g.members.includes(c.address))
          return (
            <li key={g.id} class='group' data-membership={g.membership ?? 'member'}>
              <div class='row'>
                {admin
                  ? <input class='grow' value={g.name} aria-label={`Name of group ${g.name}`} disabled={busy}
                      onChange={(e) => { const v = e.currentTarget.value.trim(); if (v !== '' && v !== g.name) void run(async () => await api.renameGroup(g.id, v)) }} />
                  : <strong class='grow'>{g.name}</strong>}
                <button type='button' onClick={() => { onChat(g.id) }}>Chat</button>
                {!closed && <button type='button' disabled={busy} onClick={() => { void run(async () => await api.leaveGroup(g.id)) }} aria-label={`Leave ${g.name}`}>Leave</button>}
              </div>
              {closed && <p class='hint' role='note'>{g.membership === 'left' ? 'You left this group.' : 'You were removed from this group.'}</p>}
              <ul class='members' aria-label={`Members of ${g.name}`}>
                {g.members.map(m => (
                  <li key={m} class='row'>
                    <span class='grow'>{m === own ? 'You' : nameOf(m)}{g.admins.includes(m) ? ' (admin)' : ''}</span>
                    {admin && m !== own && <button type='button' disabled={busy} onClick={() => { void run(async () => await api.removeMember(g.id, m)) }} aria-label={`Remove ${nameOf(m)} from ${g.name}`}>Remove</button>}
                  </li>
                ))}
              </ul>
              {admin && addable.length > 0 && (
                <form class='row' onSubmit={(e) => {
                  e.preventDefault()
                  const select = (e.currentTarget as HTMLFormElement).elements.namedItem('member') as HTMLSelectElement
                  void run(async () => await api.addMember(g.id, select.value))
                }}>
                  <select name='member' class='grow' aria-label={`Contact to add to ${g.name}`}>
                    {addable.map(c => <option key={c.address} value={c.address}>{c.name}</option>)}
                  </select>
                  <button type='submit' disabled={busy}>Add</button>
                </form>
              )}
            </li>
          )
        })}
      </ul>
    </section>
  )
}

function Me ({ status }: { status?: NodeStatus }) {
  const [copied, setCopied] = useState(false)
  if (status == null) return <p class='panel'>Loading…</p>
  return (
    <section class='panel' aria-label='Your address'>
      <p>Your address: give it to the people who should reach you.</p>
      <p class='address' data-testid='own-address'>{status.address}</p>
      <button type='button' onClick={() => {
        void navigator.clipboard.writeText(status.address).then(() => { setCopied(true) }, (err) => { console.warn('copy failed:', err) })
      }}>{copied ? 'Copied' : 'Copy address'}</button>
      <QrCode text={status.address} label='QR code of your address' />
    </section>
  )
}

function Node ({ api, status, link }: { api: Api, status?: NodeStatus, link: Link }) {
  const [rewards, setRewards] = useState<RewardsStatus | string | undefined>()
  const rewardsOn = status?.rewards === true
  // only asked when the node runs with rewards (otherwise the route answers 503 ERR_REWARDS_DISABLED)
  useEffect(() => {
    if (!rewardsOn) return
    let stop = false
    api.rewards().then((r) => { if (!stop) setRewards(r) }, (err) => { if (!stop) setRewards(errorText(err)) })
    return () => { stop = true }
  }, [api, rewardsOn])
  if (status == null) return <p class='panel'>Loading…</p>
  const c = status.counters
  const reach = status.reach
  const rows: Array<[string, string | number]> = [
    ['Version', status.version],
    ['Uptime', `${status.uptimeSeconds} s`],
    ['Event stream', link],
    ['Peers connected', new Set(status.connections.map(x => x.peerId)).size],
    ['Reachability', reach?.reachability ?? 'unknown'],
    ['Relay addresses', reach?.relayAddresses?.length ?? 0],
    ['Sessions', c.sessions?.sessions ?? '–'],
    ['Carrier frames in / out', `${c.carrier?.framesIn ?? 0} / ${c.carrier?.framesOut ?? 0}`],
    ['Messages received', c.messaging?.messagesIn ?? '–'],
    ['Mailbox: stored for others', c.messaging?.mailboxStored ?? '–'],
    ['Mailbox: fetched', c.messaging?.mailboxFetched ?? '–'],
    ['Rewards', !rewardsOn ? 'rewards off' : rewards == null ? '…' : typeof rewards === 'string' ? rewards : `earned ${rewards.earned}, claimable ${rewards.claimable}, deposit ${rewards.deposit ?? '–'}, balance ${rewards.tokenBalance ?? '–'}`]
  ]
  return (
    <section class='panel' aria-label='Node status'>
      <dl class='facts'>
        {rows.map(([k, v]) => [<dt key={`${k}-t`}>{k}</dt>, <dd key={`${k}-d`}>{v}</dd>])}
      </dl>
      <h3>Carriers</h3>
      <ul class='mono' aria-label='Carriers'>
        {(status.carriers ?? []).map(x => <li key={`${x.kind}-${x.address}`} data-kind={x.kind}><strong>{x.kind}</strong> {x.address}</li>)}
      </ul>
      <details>
        <summary>Listen addresses</summary>
        <ul class='mono'>{status.addresses.map(a => <li key={a}>{a}</li>)}</ul>
      </details>
      <p class='hint'>Peer id <span class='mono'>{status.peerId}</span></p>
    </section>
  )
}
