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
 * Origin checks and show counts and identities only, never message content; and the web client's
 * login, which gives the token only for a single-use code the node printed. `METHOD path`.
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['GET /v1/status', 'GET /metrics', 'POST /v1/login'])

/**
 * Content-Security-Policy of every answer: the web client's own files only, no inline script or
 * style, no framing (clickjacking), no plugins, and requests to this API only.
 */
export const WEB_CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Most files served from the web client's build directory (it holds a handful). */
export const MAX_WEB_FILES = 200

/** Largest single file of the web client served, bytes. */
export const MAX_WEB_FILE_BYTES = 4 * 1024 * 1024

/** Prometheus text exposition content type. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Paths of the web client's static files, readable without the token by GET (they hold no data). */
export const WEB_PUBLIC_PATH = /^\/(?:|index\.html|favicon\.svg|assets\/[A-Za-z0-9._-]{1,200})$/

/** Random bytes in a single-use login code (base64url, 43 characters). */
export const LOGIN_CODE_BYTES = 32

/** Login codes outstanding at once (each `ApiServer.loginUrl()` issues one). */
export const MAX_LOGIN_CODES = 16
