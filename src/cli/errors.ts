/**
 * Named failures of the `attn` command line. Each is a CliError (printed as `attn CMD: message (CODE)`,
 * or `{"error"}` with --json) with a stable code.
 */
/** A user-facing failure: printed as `attn: message` (or JSON with --json), exit code 1. */
export class CliError extends Error {
  constructor (message: string, readonly code = 'ERR_CLI', readonly exitCode = 1) {
    super(message)
  }
}

/** No node runs for the home: no node.json, or the pid it names has exited (a kill -9 leaves it behind). */
export class NotRunningError extends CliError {
  constructor (message: string) { super(message, 'ERR_NOT_RUNNING') }
}

/** A listen address is taken by another process. */
export class AddressInUseError extends CliError {
  constructor (address: string) {
    super(`cannot listen on ${address}: the address is already in use (another attn node?); choose another with --listen MA (or "listen" in DIR/config.json)`, 'ERR_ADDRESS_IN_USE')
  }
}

/** `attn start --detach`: the background node exited, or did not report ready in time. */
export class DetachFailedError extends CliError {
  constructor (message: string) { super(message, 'ERR_START_FAILED') }
}

/** `attn stop`: the node did not exit in time after SIGTERM. */
export class StopTimeoutError extends CliError {
  constructor (pid: number, seconds: number) { super(`the node (pid ${pid}) did not stop within ${seconds} s; run "attn stop --force" to kill it`, 'ERR_STOP_TIMEOUT') }
}

/** `attn send` of a body over the message limit (checked before the request, which has its own HTTP limit). */
export class MessageTooLargeCliError extends CliError {
  constructor (size: number, max: number) { super(`a message is at most ${max} bytes (256 KiB); this one is ${size} bytes`, 'ERR_MESSAGE_TOO_LARGE') }
}

/** `attn send` of an empty text without --allow-empty. */
export class EmptyMessageError extends CliError {
  constructor () { super('the message is empty (pass --allow-empty to send it anyway)', 'ERR_EMPTY_MESSAGE') }
}

/** A name where an address was expected that is not a contact. */
export class UnknownContactError extends CliError {
  constructor (name: string) { super(`"${name}" is neither an ATT address, a group id nor a contact name (see "attn contacts list")`, 'ERR_UNKNOWN_CONTACT') }
}

/** `--passphrase-file FILE` cannot be read, or is empty. */
export class PassphraseFileError extends CliError {
  constructor (file: string, reason: string, flag = '--passphrase-file') { super(`cannot read the passphrase from ${flag} ${file}: ${reason}`, 'ERR_PASSPHRASE_FILE') }
}

/** Two passphrases typed at the prompt differ. */
export class PassphraseMismatchError extends CliError {
  constructor () { super('the passphrases do not match', 'ERR_PASSPHRASE_MISMATCH') }
}
