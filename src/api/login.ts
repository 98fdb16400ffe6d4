/**
 * Single-use login codes for the web client. `attn start` prints `http://HOST:PORT/#login=CODE`;
 * the page trades the code for the API token with `POST /v1/login` once, so the link left in a
 * terminal's scrollback or a service log is worthless after that first use (the token itself is
 * never printed). Codes live in memory only: a restart invalidates them.
 */
import { randomBytes } from 'node:crypto'
import { LOGIN_CODE_BYTES, MAX_LOGIN_CODES } from './constants.js'
import { tokenMatches } from './token.js'

export class LoginCodes {
  private readonly codes: string[] = []

  /** A fresh code (base64url); the oldest is dropped past MAX_LOGIN_CODES. */
  issue (): string {
    const code = randomBytes(LOGIN_CODE_BYTES).toString('base64url')
    this.codes.push(code)
    if (this.codes.length > MAX_LOGIN_CODES) this.codes.shift()
    return code
  }

  /** True once for each issued code (compared in constant time), false for anything else. */
  redeem (code: string): boolean {
    // every code is compared, so the time does not tell which one matched
    let found = -1
    this.codes.forEach((c, i) => { if (tokenMatches(code, c)) found = i })
    if (found < 0) return false
    this.codes.splice(found, 1)
    return true
  }
}
