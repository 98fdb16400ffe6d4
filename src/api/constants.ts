/** Largest request body the local API reads, bytes; one byte more is 413 before the rest is read. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/** Interval of the heartbeat comment on `GET /v1/events`, ms. */
export const DEFAULT_SSE_HEARTBEAT_MS = 15_000

/** The API token's file under the home directory (mode 0600). */
export const API_TOKEN_FILE = 'api-token'

/** Random bytes in a new API token (sent base64url, 43 characters). */
export const API_TOKEN_BYTES = 32

/** Accepted token syntax in the token file and the header: RFC 6750 `b64token`, 32..512 characters. */
export const API_TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]{32,512}=*$/

/**
 * Routes readable without the token, for health checks and scrapers: they still pass the Host and
 * Origin checks and show counts and identities only, never message content. `METHOD path`.
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['GET /v1/status', 'GET /metrics'])
