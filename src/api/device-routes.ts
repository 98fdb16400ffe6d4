/**
 * Devices of this identity (issue 15 item 3): `GET /v1/devices` lists the devices of our directory
 * record as last published or seen (every device of the identity is merged into it), each with its
 * certificate's label and validity and which one is this node, then the revoked ones
 * (messaging.md §2.2); `POST /v1/devices/{nodeId}/revoke` revokes one (root key only).
 */
import { decodeChain } from '../keys/index.js'
import { isPeerIdString } from '../messaging/multiaddr-grammar.js'
import { ApiError, BadRequestError } from './errors.js'
import { apiErrorOf, query } from './messaging-routes.js'
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
  /** Named by the identity's revocation list (such a device is no longer in the record). */
  revoked: boolean
}

function view (nodeId: string, chain: Uint8Array | undefined, self: string, revoked = false): DeviceView {
  const certs = chain == null ? [] : decodeChain(chain)
  const cert = certs[certs.length - 1]
  return {
    nodeId,
    self: nodeId === self,
    rootKey: chain != null && cert == null,
    label: cert?.label ?? null,
    certifiedFrom: cert?.notBefore ?? null,
    certifiedUntil: cert?.notAfter ?? null,
    revoked
  }
}

/** What `GET /v1/status` says about this device: linked (no root key), certificate end, revoked. */
export function deviceStatus (node: AttnNode): { linked: boolean, certifiedUntil: number | null, revoked: boolean } {
  const identity = node.services.attn.identity
  const certs = decodeChain(identity.chain)
  const revoked = (node.services as Partial<AttnServices>).messaging?.revocationState().selfRevoked ?? false
  return { linked: identity.rootKey == null, certifiedUntil: certs[0]?.notAfter ?? null, revoked }
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
    const revocations = service().revocationState()
    const devices = (record?.devices ?? []).filter(d => !revocations.revoked.includes(d.nodeId)).map(d => view(d.nodeId, d.chain, self))
    // before the first publication (or when it failed) this device is still one of them
    if (!devices.some(d => d.self)) devices.unshift(view(self, node.services.attn.identity.chain, self, revocations.selfRevoked))
    for (const id of revocations.revoked) if (id !== self) devices.push(view(id, undefined, self, true))
    return c.json({ address: node.services.attn.address, published: record != null, seq: record?.seq.toString() ?? null, revocationSeq: revocations.seq, devices })
  })

  app.post('/v1/devices/:nodeId/revoke', async (c) => {
    query(c, [])
    const nodeId = c.req.param('nodeId')
    if (!isPeerIdString(nodeId)) throw new BadRequestError('INVALID_ARGUMENT', 'the node id is not a peer id')
    try {
      const out = await service().revoke(nodeId, { signal: c.req.raw.signal })
      return c.json({ nodeId, ...out })
    } catch (err) {
      const mapped = apiErrorOf(err, false)
      if (mapped instanceof ApiError && ['ERR_ROOT_KEY_REQUIRED', 'ERR_INVALID_REVOCATION'].includes(mapped.code)) {
        throw new ApiError(mapped.code === 'ERR_ROOT_KEY_REQUIRED' ? 409 : 422, mapped.code, mapped.message)
      }
      throw mapped
    }
  })
}
