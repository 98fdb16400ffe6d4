import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeSet, waitFor } from './nodes.js'
import { rootIdentity } from './identities.js'
import type { AttnNode, CreateAttnNodeOptions } from '../../src/node/create-node.js'
import type { Identity } from '../../src/keys/index.js'
import type { MessagingServiceInit } from '../../src/messaging/index.js'
import type { AttnServiceInit } from '../../src/service/index.js'

export interface MessagingNodeOptions {
  identity?: Identity
  /** Bootstrap from this node (and wait for the connection). */
  via?: AttnNode
  /** Home directory (messages.db lives there); default: a fresh temp dir. */
  dir?: string
  listen?: string[]
  mailboxes?: string[]
  messaging?: MessagingServiceInit
  attn?: AttnServiceInit
}

/**
 * Real messaging nodes for multi-node tests: file stores in temp dirs, quick retries, no publish
 * at start (tests publish when they need to). `cleanup()` in afterEach stops every node and
 * removes every directory.
 */
export class MessagingTestNet {
  readonly nodes = new NodeSet()
  private readonly dirs: string[] = []

  async tempDir (): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'attn-msg-'))
    this.dirs.push(d)
    return d
  }

  async node (opts: MessagingNodeOptions = {}): Promise<AttnNode> {
    const dir = opts.dir ?? await this.tempDir()
    const options: CreateAttnNodeOptions = {
      bootstrap: opts.via == null ? [] : [opts.via.getMultiaddrs()[0].toString()],
      attn: { identity: opts.identity ?? await rootIdentity(), rpc: { callTimeout: 5_000 }, ...opts.attn },
      messaging: { dbPath: join(dir, 'messages.db'), publishOnStart: false, fetchInterval: 500, retryInitial: 200, retryMax: 1_000, callTimeout: 3_000, mailboxes: opts.mailboxes, ...opts.messaging }
    }
    if (opts.listen != null) options.listen = opts.listen
    const n = await this.nodes.create(options)
    if (opts.via != null) await waitFor(() => n.getConnections(opts.via?.peerId).length > 0, { what: 'bootstrap connection' })
    return n
  }

  /** Publishes until at least one DHT peer accepted the record. */
  async publish (n: AttnNode): Promise<void> {
    await waitFor(async () => (await n.services.messaging.publish()).accepted >= 1, { what: 'directory record accepted by a peer', timeout: 30_000 })
  }

  inboxBodies (n: AttnNode): string[] {
    return n.services.messaging.inbox().map(m => m.body)
  }

  async cleanup (): Promise<void> {
    await this.nodes.stopAll()
    await Promise.all(this.dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  }
}
