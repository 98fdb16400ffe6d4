import { REWARDS_PATHS, REWARDS_SCHEMAS } from './rewards-openapi.js'

/** `{ [status]: the shared Error response }` for each status an operation can fail with. */
function errorResponses (...statuses: number[]): Record<number, { $ref: string }> {
  return Object.fromEntries(statuses.map(s => [s, { $ref: '#/components/responses/Error' }]))
}

/** The OpenAPI 3.1 document served at `/v1/openapi.json`; keep it true to server.ts. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'ATT node local API',
    version: '1.0.0',
    description: 'Local control API of an ATT node. Listens on 127.0.0.1 only by default; every error is `{ "error": { "code", "message" } }` with a 4xx/5xx status. ' +
      'Every route checks `Host` (the literal `host:port` the API listens on, or `localhost:port` when bound to loopback; else 421 `ERR_HOST_NOT_ALLOWED`) and a browser\'s `Origin` (only the API\'s own `http://host:port`; else 403 `ERR_ORIGIN_NOT_ALLOWED`, on every method, as for `Sec-Fetch-Site: cross-site` or `same-site`). ' +
      'The web client\'s static files are served at `/` (`/index.html`, `/assets/*`) without a token. Every route but `GET /v1/status`, `GET /metrics` and `POST /v1/login` needs the API token of the node\'s home (`$ATTN_HOME/api-token`) as `Authorization: Bearer <token>`: 401 `ERR_TOKEN_REQUIRED` without it, 401 `ERR_TOKEN_INVALID` when wrong. ' +
      'Request bodies over 1 MiB are 413 `BODY_TOO_LARGE`, refused at the `Content-Length` or at the first byte over the limit.'
  },
  servers: [{ url: 'http://127.0.0.1:7746' }],
  security: [{ apiToken: [] }],
  paths: {
    '/v1/status': {
      get: {
        summary: 'Node status: identity, listen addresses, protocols, connections, counters (no message content); needs no token',
        operationId: 'getStatus',
        security: [],
        responses: {
          200: { description: 'Status', content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } } }
        }
      }
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (text exposition format): counts only, no addresses, no content; needs no token',
        operationId: 'getMetrics',
        security: [],
        responses: {
          200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } }
        }
      }
    },
    '/v1/login': {
      post: {
        summary: 'Trade a single-use login code (from the link `attn start` prints, `#login=CODE`) for the API token; needs no token',
        operationId: 'login',
        security: [],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['code'], properties: { code: { type: 'string' } }, additionalProperties: false } } }
        },
        responses: {
          ...errorResponses(400, 401),
          200: { description: 'The API token', content: { 'application/json': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' } } } } } }
        }
      }
    },
    '/v1/connect': {
      post: {
        summary: 'Dial a peer by multiaddr',
        operationId: 'connect',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['multiaddr'], properties: { multiaddr: { type: 'string' } }, additionalProperties: false } } }
        },
        responses: {
          ...errorResponses(401, 400, 502),
          200: { description: 'Connected', content: { 'application/json': { schema: { $ref: '#/components/schemas/Connection' } } } }
        }
      }
    },
    '/v1/messages': {
      post: {
        summary: 'Send a message to an ATT address or a group (end-to-end encrypted); returns once queued',
        operationId: 'sendMessage',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['to', 'body'],
                additionalProperties: false,
                properties: {
                  to: { type: 'string', maxLength: 128, description: "recipient ATT address, a group id 'grp_…', or a contact name" },
                  body: { type: 'string', description: 'UTF-8 text; base64 when contentType is not text/*. At most 256 KiB (decoded).' },
                  contentType: { type: 'string', maxLength: 255, description: 'MIME type (default text/plain;charset=utf-8)' }
                }
              }
            }
          }
        },
        responses: {
          ...errorResponses(401, 400, 404, 413, 415, 502, 503),
          201: { description: 'Queued', content: { 'application/json': { schema: { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'message id (hex)' } } } } } }
        }
      },
      get: {
        summary: 'A page of received messages, oldest first within the page (newest last): the newest `limit` (default 1000); `before` pages back, `after` pages forward (the oldest `limit` after it)',
        operationId: 'listMessages',
        parameters: [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'before', in: 'query', required: false, description: 'the newest `limit` received before this time (receivedAt, unix ms, exclusive)', schema: { type: 'integer', minimum: 0 } },
          { name: 'after', in: 'query', required: false, description: 'the oldest `limit` received after this time (receivedAt, unix ms, exclusive)', schema: { type: 'integer', minimum: 0 } },
          { name: 'unread', in: 'query', required: false, description: 'true: unread messages only', schema: { type: 'string', enum: ['true', 'false'] } }
        ],
        responses: {
          ...errorResponses(401, 400, 503),
          200: { description: 'Inbox', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/InboxMessage' } } } } }
        }
      }
    },
    '/v1/messages/unread': {
      get: {
        summary: 'Unread received messages: in all, and by sender address',
        operationId: 'unreadCounts',
        responses: {
          ...errorResponses(401, 503),
          200: { description: 'Counts', content: { 'application/json': { schema: { type: 'object', required: ['unread', 'from'], properties: { unread: { type: 'integer' }, from: { type: 'object', additionalProperties: { type: 'integer' } } } } } } }
        }
      }
    },
    '/v1/messages/read': {
      post: {
        summary: 'Mark received messages read (`read: false`: unread again), or every message read (`all: true`)',
        operationId: 'markRead',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', pattern: '^[0-9a-f]{32}$' } }, read: { type: 'boolean' }, all: { type: 'boolean' } } } } }
        },
        responses: {
          ...errorResponses(401, 400, 404, 503),
          200: { description: 'How many messages changed', content: { 'application/json': { schema: { type: 'object', required: ['changed'], properties: { changed: { type: 'integer' } } } } } }
        }
      }
    },
    '/v1/messages/{id}': {
      delete: {
        summary: 'Delete a received message (its content is dropped; a copy delivered again is still a duplicate)',
        operationId: 'deleteMessage',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-fA-F]{32}$' } }],
        responses: {
          ...errorResponses(401, 400, 404, 503),
          200: { description: 'Deleted', content: { 'application/json': { schema: { type: 'object', required: ['id', 'deleted'], properties: { id: { type: 'string' }, deleted: { type: 'boolean' } } } } } }
        }
      }
    },
    '/v1/sent': {
      get: {
        summary: 'Messages this node sent (1:1 and group), newest first, with their delivery states',
        operationId: 'listSent',
        parameters: [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'before', in: 'query', required: false, description: 'only messages created before this time (createdAt, unix ms, exclusive)', schema: { type: 'integer', minimum: 0 } }
        ],
        responses: {
          ...errorResponses(401, 400, 503),
          200: { description: 'Sent messages', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/SentMessage' } } } } }
        }
      }
    },
    '/v1/devices': {
      get: {
        summary: 'Devices of this identity, as our directory record lists them (last published or seen); this device is always listed',
        operationId: 'listDevices',
        responses: {
          401: { $ref: '#/components/responses/Error' },
          200: {
            description: 'Devices',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['address', 'published', 'seq', 'devices'],
                  properties: {
                    address: { type: 'string' },
                    published: { type: 'boolean', description: 'false before our record was first published or seen' },
                    seq: { type: ['string', 'null'] },
                    revocationSeq: { type: ['string', 'null'], description: 'seq of the revocation list known here (messaging.md §2.2); null: none' },
                    devices: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['nodeId', 'self', 'rootKey', 'label', 'certifiedFrom', 'certifiedUntil', 'revoked'],
                        properties: {
                          nodeId: { type: 'string' },
                          self: { type: 'boolean' },
                          rootKey: { type: 'boolean', description: 'the device runs on the root key (empty chain)' },
                          label: { type: ['string', 'null'] },
                          certifiedFrom: { type: ['integer', 'null'], description: 'certificate not_before, unix seconds' },
                          certifiedUntil: { type: ['integer', 'null'], description: 'certificate not_after, unix seconds' },
                          revoked: { type: 'boolean', description: 'named by the revocation list (listed after the current devices; such a device is no longer in the record)' }
                        }
                      }
                    }
                  }
                }
              }
            }
          },
          503: { $ref: '#/components/responses/Error' }
        }
      }
    },
    '/v1/devices/{nodeId}/revoke': {
      post: {
        summary: 'Revoke a device of this identity (messaging.md §2.2): the root-signed revocation list grows by this node id, is kept in the home (revocations.json) and published at once; senders stop sealing for the device, and its records lose. Needs the root key (409 ERR_ROOT_KEY_REQUIRED on a linked device); 422 ERR_INVALID_REVOCATION for this device itself or a full list (64)',
        operationId: 'revokeDevice',
        parameters: [{ name: 'nodeId', in: 'path', required: true, schema: { type: 'string' }, description: 'the device\'s node id (peer id)' }],
        responses: {
          200: {
            description: 'Revoked; `published` (seq, peers that accepted) or `publishError` (retried with the next publication)',
            content: { 'application/json': { schema: { type: 'object', required: ['nodeId', 'seq', 'nodeIds'], properties: { nodeId: { type: 'string' }, seq: { type: 'string', description: 'the revocation list seq' }, nodeIds: { type: 'array', items: { type: 'string' } }, published: { type: 'object' }, publishError: { type: 'string' } } } } }
          },
          400: { $ref: '#/components/responses/Error' },
          401: { $ref: '#/components/responses/Error' },
          409: { $ref: '#/components/responses/Error' },
          422: { $ref: '#/components/responses/Error' },
          503: { $ref: '#/components/responses/Error' }
        }
      }
    },
    '/v1/contacts': {
      get: {
        summary: 'Contacts (names for ATT addresses), by name',
        operationId: 'listContacts',
        responses: {
          ...errorResponses(401, 503),
          200: { description: 'Contacts', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Contact' } } } } }
        }
      },
      post: {
        summary: 'Add a contact; the name is then accepted wherever an address is (409 ERR_CONTACT_EXISTS when the name is taken by another address)',
        operationId: 'addContact',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['name', 'address'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, address: { type: 'string' } } } } }
        },
        responses: {
          ...errorResponses(401, 400, 409, 503),
          201: { description: 'The contact', content: { 'application/json': { schema: { $ref: '#/components/schemas/Contact' } } } }
        }
      }
    },
    '/v1/contacts/{name}': {
      patch: {
        summary: 'Rename a contact',
        operationId: 'renameContact',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } } } }
        },
        responses: {
          ...errorResponses(401, 400, 404, 409, 503),
          200: { description: 'The contact', content: { 'application/json': { schema: { $ref: '#/components/schemas/Contact' } } } }
        }
      },
      delete: {
        summary: 'Remove a contact',
        operationId: 'removeContact',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          ...errorResponses(401, 404, 503),
          200: { description: 'The removed contact', content: { 'application/json': { schema: { $ref: '#/components/schemas/Contact' } } } }
        }
      }
    },
    '/v1/messages/{id}/status': {
      get: {
        summary: 'Delivery state of a sent message',
        operationId: 'getMessageStatus',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-fA-F]{1,128}$' } }],
        responses: {
          ...errorResponses(401, 400, 404, 503),
          200: { description: 'Status', content: { 'application/json': { schema: { $ref: '#/components/schemas/MessageStatus' } } } }
        }
      }
    },
    '/v1/events': {
      get: {
        summary: 'Server-sent events: `message` (data: InboxMessage) for every incoming message, `status` (data: MessageStatus) when a sent message changes state (once per state; receipts and other protocol traffic make none); a `: heartbeat` comment every 15 s',
        operationId: 'events',
        responses: {
          ...errorResponses(401, 503),
          200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }
        }
      }
    },
    '/v1/directory/publish': {
      post: {
        summary: "Publish this identity's directory record (prekeys, devices, mailboxes) to the DHT now",
        operationId: 'publishDirectory',
        responses: {
          ...errorResponses(401, 502, 503),
          200: { description: 'Published', content: { 'application/json': { schema: { type: 'object', required: ['seq', 'accepted'], properties: { seq: { type: 'string', description: 'record sequence number (decimal)' }, accepted: { type: 'integer', description: 'DHT peers that stored it' } } } } } }
        }
      }
    },
    '/v1/mailbox/fetch': {
      post: {
        summary: 'Fetch messages waiting in mailboxes (relays) now',
        operationId: 'fetchMailboxes',
        responses: {
          ...errorResponses(401, 502, 503),
          200: { description: 'Fetched', content: { 'application/json': { schema: { type: 'object', required: ['fetched'], properties: { fetched: { type: 'integer' } } } } } }
        }
      }
    },
    '/v1/groups': {
      post: {
        summary: 'Create a group; this identity is its admin',
        operationId: 'createGroup',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['name', 'members'],
                additionalProperties: false,
                properties: { name: { type: 'string', minLength: 1, description: 'at most 256 bytes' }, members: { type: 'array', maxItems: 1000, items: { type: 'string' } } }
              }
            }
          }
        },
        responses: {
          ...errorResponses(401, 400, 404, 502, 503),
          201: { description: 'Created', content: { 'application/json': { schema: { $ref: '#/components/schemas/GroupInfo' } } } }
        }
      },
      get: {
        summary: 'Groups this identity belongs to',
        operationId: 'listGroups',
        responses: {
          ...errorResponses(401, 503),
          200: { description: 'Groups', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/GroupInfo' } } } } }
        }
      }
    },
    '/v1/groups/{id}/members': {
      post: {
        summary: 'Add a member (admins only)',
        operationId: 'addGroupMember',
        parameters: [{ $ref: '#/components/parameters/GroupId' }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['address'], additionalProperties: false, properties: { address: { type: 'string' } } } } }
        },
        responses: {
          ...errorResponses(401, 400, 403, 404, 502, 503),
          200: { description: 'The group after the change', content: { 'application/json': { schema: { $ref: '#/components/schemas/GroupInfo' } } } }
        }
      }
    },
    '/v1/groups/{id}': {
      patch: {
        summary: 'Rename a group (admins only): a new epoch with the new name',
        operationId: 'renameGroup',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^grp_[0-9a-f]{32}$' } }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 256 } } } } }
        },
        responses: {
          ...errorResponses(401, 400, 403, 404),
          200: { description: 'The group', content: { 'application/json': { schema: { $ref: '#/components/schemas/GroupInfo' } } } }
        }
      }
    },
    '/v1/groups/{id}/leave': {
      post: {
        summary: 'Leave a group: an admin by a new epoch without itself (409 ERR_LAST_ADMIN for the only admin of a group with other members); a member locally (stops sending, drops its messages)',
        operationId: 'leaveGroup',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^grp_[0-9a-f]{32}$' } }],
        responses: {
          ...errorResponses(401, 404, 409),
          200: { description: 'The group (membership: left)', content: { 'application/json': { schema: { $ref: '#/components/schemas/GroupInfo' } } } }
        }
      }
    },
    '/v1/groups/{id}/members/{address}': {
      delete: {
        summary: 'Remove a member (admins only; rotates the group keys)',
        operationId: 'removeGroupMember',
        parameters: [{ $ref: '#/components/parameters/GroupId' }, { name: 'address', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          ...errorResponses(401, 400, 403, 404, 502, 503),
          200: { description: 'The group after the change', content: { 'application/json': { schema: { $ref: '#/components/schemas/GroupInfo' } } } }
        }
      }
    },
    '/v1/openapi.json': {
      get: { summary: 'This document', operationId: 'getOpenApi', responses: { 200: { description: 'OpenAPI document' }, 401: { $ref: '#/components/responses/Error' } } }
    },
    ...REWARDS_PATHS
  },
  components: {
    schemas: {
      ...REWARDS_SCHEMAS,
      Status: {
        type: 'object',
        required: ['peerId', 'address', 'addresses', 'protocols', 'connections'],
        properties: {
          peerId: { type: 'string', description: 'libp2p PeerId of this node (its node key)' },
          address: { type: 'string', description: 'ATT address of the user (root key), see protocols/attnproto.md §Identities' },
          addresses: { type: 'array', items: { type: 'string' }, description: 'Multiaddrs this node can be dialled on, with /p2p/<peerId>' },
          protocols: { type: 'array', items: { type: 'string' } },
          connections: { type: 'array', items: { $ref: '#/components/schemas/Connection' } },
          carriers: {
            type: 'array',
            description: 'every carrier (protocols/attnproto.md Part 2) with its address and counters: `libp2p` (the /attn/1.0.0 stream carrier), `udp` (datagrams/bytes in and out, junk, RETRYs, cookies, amplification-blocked datagrams, handshake retransmits, duplicates), `http` (requests, frames, waiting polls, queues, refused requests by code), `http-client` (per server this node POSTs to)',
            items: { type: 'object', required: ['kind', 'address'], properties: { kind: { type: 'string', enum: ['libp2p', 'udp', 'http', 'http-client'] }, address: { type: 'string' } } }
          },
          version: { type: 'string' },
          uptimeSeconds: { type: 'number' },
          counters: {
            type: 'object',
            description: 'what each layer counted: carrier frames and protocol errors by code, session handshakes and rejected frames by code, RPC calls/resends/decode errors, messaging parcels and rejected input by code, DHT records held (records, bytes) and refused puts by code (`dht.rejected`), API requests refused by error code (`api.rejected`)'
          },
          reach: {
            type: 'object',
            description: 'NAT traversal and the public network (README "Behind NAT", "Public network"): `reachability` (public | private | unknown), `relayAddresses` and `reservations` (relays holding a slot for us), `relayServer` (included, serving, reservationsHeld, reservationsDenied, circuitsDenied), `upnp`; with --public also `amino` (status connecting | ready | unreachable, mode, routingTablePeers, bootstrapPeers, `rendezvous`: cid, announcedAt, announcedTo, lookups, found, connected, attPeers)'
          },
          crypto: { type: 'object', description: '`secp256k1`: `native` (the libsecp256k1 addon signs and verifies) or `js` (fallback: @noble/curves signs, node:crypto verifies; the addon did not load, or ATTN_SECP256K1=js)', properties: { secp256k1: { type: 'string', enum: ['native', 'js'] } } },
          rewards: { type: 'boolean', description: 'whether this node runs with rewards (then GET /v1/rewards answers; otherwise 503 ERR_REWARDS_DISABLED)' },
          device: {
            type: 'object',
            description: 'this device: `linked` (no root key here, `attn init --import`), `certifiedUntil` (its certificate\'s not_after, unix seconds; null on the root key), `revoked` (the identity\'s revocation list names it: it no longer publishes)',
            properties: { linked: { type: 'boolean' }, certifiedUntil: { type: ['integer', 'null'] }, revoked: { type: 'boolean' } }
          }
        }
      },
      Connection: {
        type: 'object',
        required: ['peerId', 'remoteAddr'],
        properties: { peerId: { type: 'string' }, remoteAddr: { type: 'string' }, direction: { type: 'string', enum: ['inbound', 'outbound'] } }
      },
      InboxMessage: {
        type: 'object',
        required: ['id', 'from', 'to', 'group', 'contentType', 'body', 'sentAt', 'receivedAt'],
        properties: {
          id: { type: 'string', description: 'message id (hex)' },
          from: { type: 'string', description: 'sender ATT address' },
          to: { type: 'string', description: 'recipient ATT address' },
          group: { type: ['string', 'null'], description: "group id 'grp_…', or null for a 1:1 message" },
          contentType: { type: 'string' },
          body: { type: 'string', description: 'UTF-8 text; base64 when contentType is not text/*' },
          sentAt: { type: 'integer', description: "sender's clock, unix ms" },
          receivedAt: { type: 'integer', description: 'unix ms' },
          read: { type: 'boolean', description: 'marked read (POST /v1/messages/read)' },
          fromName: { type: 'string', description: "the sender's contact name, when the sender is a contact" }
        }
      },
      SentMessage: {
        type: 'object',
        required: ['id', 'to', 'state', 'createdAt', 'updatedAt'],
        properties: {
          id: { type: 'string' },
          to: { type: 'string', description: "recipient ATT address, or group id 'grp_…'" },
          toName: { type: 'string', description: "the recipient's contact name" },
          state: { type: 'string', enum: ['queued', 'sent', 'stored', 'delivered', 'failed'] },
          reason: { type: 'string' },
          createdAt: { type: 'integer', description: 'unix ms' },
          updatedAt: { type: 'integer', description: 'unix ms' }
        }
      },
      Contact: {
        type: 'object',
        required: ['name', 'address', 'createdAt'],
        properties: { name: { type: 'string' }, address: { type: 'string' }, createdAt: { type: 'integer', description: 'unix ms' } }
      },
      MessageStatus: {
        type: 'object',
        required: ['id', 'state', 'to', 'updatedAt'],
        properties: {
          id: { type: 'string' },
          state: { type: 'string', enum: ['queued', 'sent', 'stored', 'delivered', 'failed'] },
          reason: { type: 'string', description: 'why, when failed' },
          to: { type: 'string' },
          toName: { type: 'string', description: "the recipient's contact name, when the recipient is a contact" },
          members: {
            type: 'array',
            description: "a group message: each current member's copy and its state (delivered once that member acknowledged it)",
            items: { type: 'object', required: ['address', 'state'], properties: { address: { type: 'string' }, state: { type: 'string', enum: ['queued', 'sent', 'stored', 'delivered', 'failed'] } } }
          },
          updatedAt: { type: 'integer', description: 'unix ms' },
          transit: {
            type: 'array',
            description: 'while a direct delivery call is in flight: its last known state at each device (an RPC status query refreshes it in the background; unknown until it answers)',
            items: { type: 'object', required: ['peer', 'state'], properties: { peer: { type: 'string' }, state: { type: 'string', enum: ['unknown', 'received', 'processing', 'done', 'failed'] } } }
          },
          path: { type: 'string', enum: ['direct', 'relayed', 'mailbox'], description: 'how the first hand-off travelled: to a recipient device directly or through a circuit relay, or to a mailbox; absent before it (and after a sender restart)' },
          carrier: { type: 'string', enum: ['libp2p', 'udp', 'http'], description: 'the carrier of the call that made the first hand-off (to the device, or to the mailbox that stored the copy); absent when path is, or when unknown' }
        }
      },
      GroupInfo: {
        type: 'object',
        required: ['id', 'name', 'admins', 'members', 'epoch'],
        properties: {
          id: { type: 'string', pattern: '^grp_[0-9a-f]{32}$' },
          name: { type: 'string' },
          admins: { type: 'array', items: { type: 'string' } },
          members: { type: 'array', items: { type: 'string' } },
          epoch: { type: 'integer' },
          membership: { type: 'string', enum: ['member', 'removed', 'left'], description: 'this identity in the group: a member, removed by an admin (sending is refused, 403 ERR_NOT_GROUP_MEMBER), or left' }
        }
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } }
      }
    },
    securitySchemes: {
      apiToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'The token in `$ATTN_HOME/api-token` (mode 0600; 32 random bytes, base64url), created by `attn init` or the first `attn start`. The `attn` commands send it on their own.'
      }
    },
    parameters: {
      GroupId: { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^grp_[0-9a-f]{32}$' } }
    },
    responses: {
      Error: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
    }
  }
} as const
