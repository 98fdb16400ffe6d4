import { AttnError } from '../errors.js'

/** An API error: carried to the client as `{ "error": { "code", "message" } }` with `status`. */
export class ApiError extends AttnError {
  constructor (readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 421 | 422 | 500 | 502 | 503 | 504, code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message, code)
  }
}

export class NotFoundError extends ApiError {
  constructor (path: string) { super(404, 'NOT_FOUND', `no such endpoint: ${path}`) }
}

export class MethodNotAllowedError extends ApiError {
  constructor (method: string, path: string) { super(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`) }
}

export class BadRequestError extends ApiError {
  constructor (code: string, message: string) { super(400, code, message) }
}

/** The body is over the limit: refused at its `Content-Length`, or at the first byte over. */
export class BodyTooLargeError extends ApiError {
  // the rest of the body is not read: closing the connection stops it instead of draining it
  constructor (maxBytes: number) { super(413, 'BODY_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, { connection: 'close' }) }
}

/**
 * The `Host` header names another server: a DNS-rebinding page reaches us under its own name.
 * 421 Misdirected Request, whatever the route.
 */
export class HostNotAllowedError extends ApiError {
  constructor (host: string | undefined) {
    super(421, 'ERR_HOST_NOT_ALLOWED', `this API answers only to its own address, not to Host ${JSON.stringify(host ?? '')}`)
  }
}

/** A browser sent the request from a page of another origin: refused on every method. */
export class OriginNotAllowedError extends ApiError {
  constructor (origin: string) { super(403, 'ERR_ORIGIN_NOT_ALLOWED', `requests from ${JSON.stringify(origin)} are not allowed`) }
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="attn"' }

/** No `Authorization: Bearer` header on a route that needs the API token. */
export class TokenRequiredError extends ApiError {
  constructor () {
    super(401, 'ERR_TOKEN_REQUIRED', 'this route needs the API token (ATTN_HOME/api-token) as "Authorization: Bearer <token>"', CHALLENGE)
  }
}

/** An `Authorization` header that is not the API token. */
export class TokenInvalidError extends ApiError {
  constructor () {
    super(401, 'ERR_TOKEN_INVALID', 'the API token is wrong', { 'www-authenticate': 'Bearer realm="attn", error="invalid_token"' })
  }
}

/** `POST /v1/login` with a code that was never issued or is used already. */
export class LoginCodeInvalidError extends ApiError {
  constructor () { super(401, 'ERR_LOGIN_CODE_INVALID', 'the login code is wrong or was used already; print a new link by restarting the node, or paste the API token') }
}

/** The web client's build directory exists but cannot be read. */
export class WebFilesError extends AttnError {
  constructor (root: string, reason: string) { super(`cannot read the web client in ${root}: ${reason}`, 'ERR_WEB_FILES') }
}

/** `ATTN_HOME/api-token` exists but holds no usable token (truncated, edited by hand). */
export class ApiTokenFileError extends AttnError {
  constructor (path: string, reason: string) { super(`cannot use the API token in ${path}: ${reason}`, 'ERR_API_TOKEN_FILE') }
}
