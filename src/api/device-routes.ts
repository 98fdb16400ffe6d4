/**
 * Devices of this identity (issue 15 item 3): `GET /v1/devices` lists the devices of our directory
 * record as last published or seen (every device of the identity is merged into it), each with its
 * certificate's label and validity and which one is this node.
 */
import { decodeChain } from '../keys/index.js'
import { ApiError } from './errors.js'
import { query } from './messaging-routes.js'
import type { MessagingService } from '../messaging/messaging-service.js'
import type { AttnNode, AttnServices } from '../node/create-node.js'
import type { Hono } from 'hono'

export interface DeviceView {
  nodeId: string
  /** True for the device this API belongs to. */
  self: boolean
  /** True when the device runs on the root key itself (an empty chain). */
  rootKey: boolean
  label: string | null
  /** Certificate validity (unix seconds); null on the root key. */
  certifiedFrom: number | null
  certifiedUntil: number | null
  /** Revocation is not implemented yet: always false. */
  revoked: boolean
}

function view (nodeId: string, chain: Uint8Array, self: string): DeviceView {
  const certs = decodeChain(chain)
  const cert = certs[certs.length - 1]
  return {
    nodeId,
    self: nodeId === self,
    rootKey: cert == null,
    label: cert?.label ?? null,
    certifiedFrom: cert?.notBefore ?? null,
    certifiedUntil: cert?.notAfter ?? null,
    revoked: false
  }
}

export function registerDeviceRoutes (app: Hono, node: AttnNode): void {
  function service (): MessagingService {
    const svc = (node.services as Partial<AttnServices>).messaging
    if (svc == null) throw new ApiError(503, 'MESSAGING_DISABLED', 'messaging is not enabled on this node')
    return svc
  }

  app.get('/v1/devices', (c) => {
    query(c, [])
    const self = node.peerId.toString()
    const record = service().publishedRecord()
    const devices = (record?.devices ?? []).map(d => view(d.nodeId, d.chain, self))
    // before the first publication (or when it failed) this device is still one of them
    if (!devices.some(d => d.self)) devices.unshift(view(self, node.services.attn.identity.chain, self))
    return c.json({ address: node.services.attn.address, published: record != null, seq: record?.seq.toString() ?? null, devices })
  })
}
