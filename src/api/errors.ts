import { AttnError } from '../errors.js'

/** An API error: carried to the client as `{ "error": { "code", "message" } }` with `status`. */
export class ApiError extends AttnError {
  constructor (readonly status: 400 | 404 | 405 | 409 | 413 | 415 | 422 | 500 | 502 | 503 | 504, code: string, message: string) {
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
