/**
 * Base class of every error ATT raises on purpose. Each condition has its own
 * subclass with a stable machine-readable `code` (documented in protocols/),
 * so callers branch on `code` or `instanceof`, never on message text.
 */
export class AttnError extends Error {
  /** Stable identifier of the condition, e.g. `ERR_FRAME_TOO_LARGE`. */
  readonly code: string

  constructor (message: string, code: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Configuration given by the user is invalid (bad flag, bad config.json). */
export class InvalidConfigError extends AttnError {
  constructor (message: string) { super(message, 'ERR_INVALID_CONFIG') }
}

/** package.json could not be found or read beside the code (a broken installation). */
export class PackageInfoError extends AttnError {
  constructor (message: string) { super(message, 'ERR_PACKAGE_INFO') }
}

/**
 * A method that needs a started service (attn, messaging) was called before start() or after
 * stop(), or the service runs without the layer the method needs (raw-frame mode has no RPC).
 */
export class NotStartedError extends AttnError {
  constructor (what: string) { super(`${what} is not started`, 'ERR_NOT_STARTED') }
}
