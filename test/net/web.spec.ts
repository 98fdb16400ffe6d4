import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startApiServer } from '../../src/api/server.js'
import { generateApiToken } from '../../src/api/token.js'
import { createAttnNode } from '../../src/node/create-node.js'
import { launchChromium, watchErrors } from '../helpers/browser.js'
import { rootIdentity } from '../helpers/identities.js'
import { LOOPBACK_TCP, waitFor } from '../helpers/nodes.js'
import type { ApiServer } from '../../src/api/server.js'
import type { AttnNode } from '../../src/node/create-node.js'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'

interface ApiNode { node: AttnNode, api: ApiServer, address: string, home: string, token: string }

/** Screenshots of the main views go to docs/ when ATTN_SCREENSHOTS=1 (they are committed, not rewritten on every run). */
const SCREENSHOTS = process.env.ATTN_SCREENSHOTS === '1'
const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url))

async function startNode (homes: string[], bootstrap: string[] = [], giveUpAfter?: number): Promise<ApiNode> {
  const home = await mkdtemp(join(tmpdir(), 'attn-web-'))
  homes.push(home)
  const identity = await rootIdentity()
  const node = await createAttnNode({
    listen: LOOPBACK_TCP,
    api: '',
    bootstrap,
    privateKey: identity.nodeKey,
    attn: { identity, sessionStorePath: join(home, 'sessions.db') },
    messaging: { dbPath: join(home, 'messages.db'), publishOnStart: false, retryInitial: 200, retryMax: 1_000, callTimeout: 3_000, fetchInterval: 1_000, ...(giveUpAfter != null ? { giveUpAfter } : {}) }
  })
  const token = generateApiToken()
  const api = await startApiServer(node, { host: '127.0.0.1', port: 0, address: identity.address, token })
  return { node, api, address: identity.address, home, token }
}

/** How the page abbreviates an address (web/src/app.tsx). */
function short (address: string): string {
  return `${address.slice(0, 10)}…${address.slice(-6)}`
}

async function apiGet (n: ApiNode, path: string): Promise<any> {
  const res = await fetch(`${n.api.url}${path}`, { headers: { authorization: `Bearer ${n.token}` } })
  assert.equal(res.status, 200, path)
  return await res.json()
}

async function metric (n: ApiNode, line: string): Promise<number> {
  const text = await (await fetch(`${n.api.url}/metrics`)).text()
  const found = text.split('\n').find(l => l.startsWith(line + ' '))
  return found == null ? 0 : Number(found.slice(line.length + 1))
}

describe('web client in a real browser (Chromium via playwright-core)', function () {
  this.timeout(120_000)
  const homes: string[] = []
  let carol: ApiNode
  let alice: ApiNode
  let bob: ApiNode
  let browser: Browser
  let context: BrowserContext
  let alicePage: Page
  let bobPage: Page
  const pageErrors = new Map<Page, string[]>()

  before(async () => {
    const started = Promise.all([launchChromium(), (async () => {
      carol = await startNode(homes)
      const boot = carol.node.getMultiaddrs().map(ma => ma.toString())
      // alice gives up on an unreachable recipient after a few seconds: the failed state shows
      alice = await startNode(homes, boot, 4_000)
      bob = await startNode(homes, boot)
      for (const n of [alice, bob]) await waitFor(() => n.node.getConnections(carol.node.peerId).length > 0, { what: 'bootstrap connection' })
      await waitFor(async () => (await carol.node.peerStore.all()).length >= 2, { what: 'carol to know both peers' })
      // directory records, so each can find the others
      await Promise.all([alice, bob, carol].map(async n => {
        await waitFor(async () => (await n.node.services.messaging.publish()).accepted >= 1, { what: 'record accepted', timeout: 30_000 })
      }))
    })()])
    browser = (await started)[0]
    context = await browser.newContext({ viewport: { width: 1100, height: 720 } })
    alicePage = await context.newPage()
    // another browser profile for bob: the two pages have their own localStorage anyway (other origins)
    bobPage = await (await browser.newContext({ viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true })).newPage()
    for (const p of [alicePage, bobPage]) pageErrors.set(p, watchErrors(p))
  })

  after(async () => {
    await browser?.close()
    for (const n of [alice, bob, carol]) {
      if (n == null) continue
      await n.api.close()
      await n.node.stop()
    }
    await Promise.all(homes.map(async h => { await rm(h, { recursive: true, force: true }) }))
  })

  afterEach(() => {
    // no console errors on either page, whatever the test did
    const seen = [...pageErrors.values()].flat()
    assert.deepEqual(seen, [], `console errors: ${seen.join('\n')}`)
  })

  async function login (page: Page, n: ApiNode): Promise<void> {
    // the link `attn start` prints: a single-use code the page trades for the token
    await page.goto(n.api.loginUrl())
    await page.getByRole('status', { name: 'event stream live' }).waitFor()
    // the token left the address bar and went to this origin's storage
    assert.equal(new URL(page.url()).hash, '')
    assert.equal(await page.evaluate(() => localStorage.getItem('attn.token')), n.token)
  }

  async function addContact (page: Page, address: string, name: string): Promise<void> {
    await page.getByRole('button', { name: 'Contacts', exact: true }).click()
    await page.getByLabel('Address').fill(address)
    await page.getByLabel('Name', { exact: true }).fill(name)
    await page.getByRole('button', { name: 'Add contact' }).click()
    await page.getByLabel(`Name of ${short(address)}`).waitFor()
  }

  it('login link, add a contact, send: the message arrives live on the other page and the tick reaches delivered', async () => {
    await login(alicePage, alice)
    await login(bobPage, bob)
    await addContact(alicePage, bob.address, 'Bob')
    await alicePage.getByRole('button', { name: 'Chat', exact: true }).click()
    await alicePage.getByRole('heading', { name: 'Bob' }).waitFor()
    const input = alicePage.getByLabel('Message', { exact: true })
    await input.fill('hello bob, from a browser')
    await input.press('Enter')
    const mine = alicePage.locator('.msg.mine', { hasText: 'hello bob, from a browser' })
    await mine.waitFor()

    // bob: the conversation appears with one unread message, without a reload
    const conv = bobPage.locator('.conv', { hasText: 'hello bob, from a browser' })
    await conv.waitFor({ timeout: 60_000 })
    assert.equal(await conv.locator('.badge').textContent(), '1')
    await conv.click()
    await bobPage.locator('.msg.theirs', { hasText: 'hello bob, from a browser' }).waitFor()
    assert.equal(await bobPage.locator('.badge').count(), 0, 'read once open')

    // alice's tick goes to delivered from the event stream
    await mine.locator('.tick[data-state="delivered"]').waitFor({ timeout: 60_000 })

    // bob answers; it appears in order on alice's page
    await bobPage.getByLabel('Message', { exact: true }).fill('hi alice')
    await bobPage.getByRole('button', { name: 'Send' }).click()
    await alicePage.locator('.msg.theirs', { hasText: 'hi alice' }).waitFor({ timeout: 60_000 })
    const bodies = await alicePage.locator('.msg .body').allTextContents()
    assert.deepEqual(bodies, ['hello bob, from a browser', 'hi alice'])
    await bobPage.locator('.msg.mine .tick[data-state="delivered"]').waitFor({ timeout: 60_000 })
    if (SCREENSHOTS) {
      await mkdir(DOCS, { recursive: true })
      await alicePage.screenshot({ path: join(DOCS, 'web-conversation.png') })
      await bobPage.screenshot({ path: join(DOCS, 'web-phone-conversation.png') })
    }
  })

  it('a reload keeps the state: contacts, the conversation, the delivered tick', async () => {
    await alicePage.reload()
    await alicePage.getByRole('status', { name: 'event stream live' }).waitFor()
    await alicePage.locator('.conv', { hasText: 'Bob' }).click()
    await alicePage.locator('.msg.mine .tick[data-state="delivered"]').waitFor()
    assert.deepEqual(await alicePage.locator('.msg .body').allTextContents(), ['hello bob, from a browser', 'hi alice'])
  })

  it('a group of three: create, send, it arrives on a member\'s page, per-member ticks reach delivered; remove a member', async () => {
    await addContact(alicePage, carol.address, 'Carol')
    await alicePage.getByRole('button', { name: 'Groups', exact: true }).click()
    await alicePage.getByLabel('Group name').fill('Trio')
    await alicePage.getByRole('checkbox', { name: 'Bob' }).check()
    await alicePage.getByRole('checkbox', { name: 'Carol' }).check()
    await alicePage.getByRole('button', { name: 'Create group' }).click()
    const members = alicePage.getByRole('list', { name: 'Members of Trio' })
    await members.getByText('Carol').waitFor()
    assert.equal(await members.locator('li').count(), 3)
    // the admin sees the name in an input (rename in place)
    await alicePage.locator('.group', { has: members }).getByRole('button', { name: 'Chat' }).click()
    await alicePage.getByRole('heading', { name: 'Trio' }).waitFor()
    await alicePage.getByLabel('Message', { exact: true }).fill('hello trio')
    await alicePage.getByLabel('Message', { exact: true }).press('Enter')

    await bobPage.getByRole('button', { name: 'Back to conversations' }).click()
    await bobPage.locator('.conv', { hasText: 'hello trio' }).click({ timeout: 60_000 })
    await bobPage.getByRole('heading', { name: 'Trio' }).waitFor()
    await bobPage.locator('.msg.theirs', { hasText: 'hello trio' }).waitFor()
    await waitFor(() => carol.node.services.messaging.inbox().some(m => m.body === 'hello trio'), { what: 'carol got the group message', timeout: 60_000 })
    // each member acknowledges its copy: the page shows the count and each member's tick, and the
    // group message's own tick (its least advanced copy) reaches delivered
    const mine = alicePage.locator('.msg.mine', { hasText: 'hello trio' })
    await mine.locator('.member-ticks[data-total="2"][data-delivered="2"]').waitFor({ timeout: 60_000 })
    assert.equal((await mine.locator('.member-ticks summary').textContent())?.trim(), '2/2 delivered')
    await mine.locator('.member-ticks summary').click()
    for (const n of [bob, carol]) await mine.locator(`.member-ticks li[data-address="${n.address}"][data-state="delivered"]`).waitFor()
    const rows = await mine.locator('.member-ticks li').allTextContents()
    assert.deepEqual(rows.map(r => r.replace(/\s+/g, ' ').trim()).sort(), ['Bob ✓✓ delivered', 'Carol ✓✓ delivered'])
    await mine.locator('.tick[data-state="delivered"]').waitFor({ timeout: 30_000 })
    const id = await mine.getAttribute('data-id')
    const status = await apiGet(alice, `/v1/messages/${id as string}/status`)
    assert.deepEqual(status.members.map((m: any) => m.state), ['delivered', 'delivered'])
    if (SCREENSHOTS) await alicePage.screenshot({ path: join(DOCS, 'web-group.png') })

    await alicePage.getByRole('button', { name: 'Groups', exact: true }).click()
    if (SCREENSHOTS) await alicePage.screenshot({ path: join(DOCS, 'web-groups.png') })
    await alicePage.getByRole('button', { name: 'Remove Carol from Trio' }).click()
    await waitFor(async () => await members.locator('li').count() === 2, { what: 'carol removed on the page' })
    assert.deepEqual(alice.node.services.messaging.listGroups()[0].members.includes(carol.address), false)
  })

  it('groups: the admin renames; a member leaves and can no longer send', async () => {
    const group = alice.node.services.messaging.listGroups()[0]
    await alicePage.getByLabel('Name of group Trio').fill('Duo')
    await alicePage.getByLabel('Name of group Trio').press('Tab')
    await alicePage.getByRole('list', { name: 'Members of Duo' }).waitFor()
    assert.equal((await apiGet(alice, '/v1/groups')).find((g: any) => g.id === group.id).name, 'Duo')

    // bob (a member, not an admin) leaves
    await waitFor(() => bob.node.services.messaging.listGroups().some(g => g.id === group.id), { what: 'bob knows the group' })
    await bobPage.getByRole('button', { name: 'Back to conversations' }).click()
    await bobPage.getByRole('button', { name: 'Groups', exact: true }).click()
    await bobPage.locator('.group[data-membership="member"]').getByRole('button', { name: /^Leave / }).click()
    await bobPage.locator('.group[data-membership="left"]').getByText('You left this group.').waitFor()
    assert.equal((await apiGet(bob, '/v1/groups')).find((g: any) => g.id === group.id).membership, 'left')
    await bobPage.locator('.group[data-membership="left"]').getByRole('button', { name: 'Chat' }).click()
    await bobPage.getByText('You left this group. Sending is off.').waitFor()
    assert.equal(await bobPage.getByLabel('Message', { exact: true }).isDisabled(), true)
    assert.equal(await bobPage.getByRole('button', { name: 'Send' }).isDisabled(), true)
    if (SCREENSHOTS) await bobPage.screenshot({ path: join(DOCS, 'web-phone-left-group.png') })
  })

  it('contacts: rename in place, remove', async () => {
    await alicePage.getByRole('button', { name: 'Contacts', exact: true }).click()
    const bobName = alicePage.getByLabel(`Name of ${short(bob.address)}`)
    await bobName.fill('Bobby')
    await bobName.press('Tab')
    await alicePage.getByRole('button', { name: 'Remove Carol' }).click()
    // the list is read back from the node after the DELETE: wait for it, then check
    await alicePage.getByLabel(`Name of ${short(carol.address)}`).waitFor({ state: 'detached' })
    assert.equal(await alicePage.getByLabel(`Name of ${short(carol.address)}`).count(), 0)
    await alicePage.getByRole('button', { name: /^Chats/ }).click()
    const names = await alicePage.locator('.conv-name').allTextContents()
    assert.ok(names.includes('Bobby'), names.join())
    assert.ok(!names.includes('Carol') && !names.includes('Bob'), names.join())
    // kept by the node, not the browser: the API lists them, a reload reads them back
    const listed = await apiGet(alice, '/v1/contacts')
    assert.deepEqual(listed.map((c: any) => [c.name, c.address]), [['Bobby', bob.address]])
    assert.equal(await alicePage.evaluate(() => localStorage.getItem('attn.contacts')), null)
    await alicePage.reload()
    await alicePage.locator('.conv-name', { hasText: 'Bobby' }).waitFor()
  })

  it('contacts an older page kept in localStorage move to the node once', async () => {
    const stranger = (await rootIdentity()).address
    await alicePage.evaluate((a) => { localStorage.setItem('attn.contacts', JSON.stringify([{ address: a, name: 'Old friend' }])) }, stranger)
    await alicePage.reload()
    await alicePage.locator('.conv-name', { hasText: 'Old friend' }).waitFor()
    assert.ok((await apiGet(alice, '/v1/contacts')).some((c: any) => c.name === 'Old friend' && c.address === stranger))
    assert.equal(await alicePage.evaluate(() => localStorage.getItem('attn.contacts')), null)
    await fetch(`${alice.api.url}/v1/contacts/${encodeURIComponent('Old friend')}`, { method: 'DELETE', headers: { authorization: `Bearer ${alice.token}` } })
  })

  it('a used login link or a wrong token shows the login form; pasting the right one logs in', async () => {
    // a fresh profile: nothing stored for this origin yet
    const fresh = await browser.newContext()
    const page = await fresh.newPage()
    try {
      const link = alice.api.loginUrl()
      const used = await fetch(`${alice.api.url}/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: new URL(link).hash.slice(7) }) })
      assert.equal(used.status, 200)
      await page.goto(link)
      await page.getByRole('alert').filter({ hasText: 'ERR_LOGIN_CODE_INVALID' }).waitFor()
      assert.equal(new URL(page.url()).hash, '')
      await page.goto(`${alice.api.url}/#token=${'A'.repeat(43)}`)
      await page.getByRole('button', { name: 'Log in' }).waitFor()
      assert.equal(await page.evaluate(() => localStorage.getItem('attn.token')), null)
      if (SCREENSHOTS) await page.screenshot({ path: join(DOCS, 'web-login.png') })
      await page.getByLabel('API token').fill(alice.token)
      await page.getByRole('button', { name: 'Log in' }).click()
      await page.getByRole('status', { name: 'event stream live' }).waitFor()
    } finally {
      await fresh.close()
    }
  })

  it('the event stream reconnects after the API restarts, and loads what arrived meanwhile', async () => {
    await alicePage.getByRole('button', { name: /^Chats/ }).click()
    await alicePage.locator('.conv', { hasText: 'Bobby' }).click()
    const port = Number(new URL(alice.api.url).port)
    await alice.api.close()
    await alicePage.getByRole('status', { name: 'event stream offline' }).waitFor()
    // a message arrives while the page has no stream
    const sent = await bob.node.services.messaging.send(alice.address, 'sent while you were away')
    await waitFor(() => alice.node.services.messaging.inbox().some(m => m.id === sent.id), { what: 'alice\'s node got it', timeout: 60_000 })
    alice.api = await startApiServer(alice.node, { host: '127.0.0.1', port, address: alice.address, token: alice.token })
    await alicePage.getByRole('status', { name: 'event stream live' }).waitFor({ timeout: 30_000 })
    await alicePage.locator('.msg.theirs', { hasText: 'sent while you were away' }).waitFor()
    // the browser logs the cut stream and the refused reconnects itself: those and nothing else
    const errors = pageErrors.get(alicePage) ?? []
    const unexpected = errors.filter(e => !/^console: Failed to load resource: net::ERR_(INCOMPLETE_CHUNKED_ENCODING|CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE)$/.test(e))
    assert.deepEqual(unexpected, [])
    errors.splice(0)
  })

  it('own address with a QR code, and node status', async () => {
    await alicePage.getByRole('button', { name: 'Me', exact: true }).click()
    assert.equal(await alicePage.getByTestId('own-address').textContent(), alice.address)
    await alicePage.getByRole('img', { name: 'QR code of your address' }).waitFor()
    if (SCREENSHOTS) await alicePage.screenshot({ path: join(DOCS, 'web-me.png') })
    await alicePage.getByRole('button', { name: 'Node', exact: true }).click()
    await alicePage.getByText('Peers connected').waitFor()
    await alicePage.getByRole('list', { name: 'Carriers' }).locator('li[data-kind="libp2p"]').waitFor()
    await alicePage.getByText('Reachability').waitFor()
    // no rewards contract: the page does not ask /v1/rewards (a 503 there would be a console error)
    await alicePage.getByText('rewards off').waitFor()
    if (SCREENSHOTS) await alicePage.screenshot({ path: join(DOCS, 'web-node.png') })
  })

  it('a page from another origin cannot send, even knowing the token: refused, nothing delivered', async () => {
    const before = await metric(alice, 'attn_api_rejected_total{code="ERR_ORIGIN_NOT_ALLOWED"}')
    const bobInbox = bob.node.services.messaging.inbox().length
    const outbox = async (): Promise<number> => {
      let sum = 0
      for (const state of ['queued', 'sent', 'stored', 'delivered', 'failed']) sum += await metric(alice, `attn_messages{state="${state}"}`)
      return sum
    }
    const outboxBefore = await outbox()
    // a tiny page on another loopback port (another origin) that tries every way to send
    const target = alice.api.url
    const payload = JSON.stringify({ to: bob.address, body: 'forged' })
    const html = `<!doctype html><script>
      window.results = (async () => {
        const out = {}
        try { const r = await fetch(${JSON.stringify(target + '/v1/messages')}, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ${alice.token}' }, body: ${JSON.stringify(payload)} }); out.json = r.status } catch (e) { out.json = 'blocked' }
        try { await fetch(${JSON.stringify(target + '/v1/messages')}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(payload)} }); out.simple = 'sent' } catch (e) { out.simple = 'blocked' }
        try { const r = await fetch(${JSON.stringify(target + '/v1/status')}); out.read = r.status } catch (e) { out.read = 'blocked' }
        return out
      })()
    </script>`
    const server: Server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(html) })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
    try {
      const page = await context.newPage()
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
      const results = await page.evaluate(async () => await (globalThis as any).results)
      await page.close()
      // the JSON POST needs a preflight, which the API refuses (403, no CORS headers); the simple
      // POST (no preflight) reaches it and is refused; no answer is readable (no CORS, CORP same-origin)
      assert.deepEqual(results, { json: 'blocked', simple: 'blocked', read: 'blocked' })
      await waitFor(async () => await metric(alice, 'attn_api_rejected_total{code="ERR_ORIGIN_NOT_ALLOWED"}') >= before + 3, { what: 'the preflight, the simple POST and the GET counted as refused' })
    } finally {
      server.close()
    }
    assert.equal(await outbox(), outboxBefore, 'nothing entered the outbox')
    assert.equal(bob.node.services.messaging.inbox().length, bobInbox)
    assert.ok(!bob.node.services.messaging.inbox().some(m => m.body === 'forged'))
  })

  it('a message nobody can receive ends failed, with its reason, and can be sent again', async () => {
    const stranger = (await rootIdentity()).address
    await addContact(alicePage, stranger, 'Nobody')
    await alicePage.locator('li.row', { has: alicePage.getByLabel(`Name of ${short(stranger)}`) }).getByRole('button', { name: 'Chat', exact: true }).click()
    await alicePage.getByLabel('Message', { exact: true }).fill('are you there?')
    await alicePage.getByLabel('Message', { exact: true }).press('Enter')
    const first = alicePage.locator('.msg.mine').first()
    await first.locator('.tick[data-state="failed"]').waitFor({ timeout: 60_000 })
    assert.notEqual((await first.locator('.reason').textContent())?.trim() ?? '', '')
    await first.getByRole('button', { name: 'Send again' }).click()
    await waitFor(async () => await alicePage.locator('.msg.mine', { hasText: 'are you there?' }).count() === 2, { what: 'a second copy on the page' })
  })
})
