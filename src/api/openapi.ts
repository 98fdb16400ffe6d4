/** The OpenAPI 3.1 document served at `/v1/openapi.json`; keep it true to server.ts. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'ATT node local API',
    version: '1.0.0',
    description: 'Local control API of an ATT node. Listens on 127.0.0.1 only by default; every error is `{ "error": { "code", "message" } }` with a 4xx/5xx status.'
  },
  servers: [{ url: 'http://127.0.0.1:7746' }],
  paths: {
    '/v1/status': {
      get: {
        summary: 'Node status: identity, listen addresses, protocols, connections',
        operationId: 'getStatus',
        responses: {
          200: { description: 'Status', content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } } }
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
          200: { description: 'Connected', content: { 'application/json': { schema: { $ref: '#/components/schemas/Connection' } } } },
          400: { $ref: '#/components/responses/Error' },
          502: { $ref: '#/components/responses/Error' }
        }
      }
    },
    '/v1/openapi.json': {
      get: { summary: 'This document', operationId: 'getOpenApi', responses: { 200: { description: 'OpenAPI document' } } }
    }
  },
  components: {
    schemas: {
      Status: {
        type: 'object',
        required: ['peerId', 'address', 'addresses', 'protocols', 'connections'],
        properties: {
          peerId: { type: 'string', description: 'libp2p PeerId of this node (its node key)' },
          address: { type: 'string', description: 'ATT address of the user (root key), see protocols/attnproto.md §Identities' },
          addresses: { type: 'array', items: { type: 'string' }, description: 'Multiaddrs this node can be dialled on, with /p2p/<peerId>' },
          protocols: { type: 'array', items: { type: 'string' } },
          connections: { type: 'array', items: { $ref: '#/components/schemas/Connection' } },
          version: { type: 'string' },
          uptimeSeconds: { type: 'number' }
        }
      },
      Connection: {
        type: 'object',
        required: ['peerId', 'remoteAddr'],
        properties: { peerId: { type: 'string' }, remoteAddr: { type: 'string' }, direction: { type: 'string', enum: ['inbound', 'outbound'] } }
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } }
      }
    },
    responses: {
      Error: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
    }
  }
} as const
