/**
 * Reads a passphrase from the terminal without echoing it (raw mode; Backspace edits, Ctrl-C and
 * Ctrl-D abort). Only used when stdin is a TTY: scripts pass ATTN_PASSPHRASE or --passphrase-file.
 */
import { CliError } from './errors.js'

/** Longest passphrase the prompt takes, characters. */
const MAX_PASSPHRASE_CHARS = 1024

export function canPrompt (): boolean {
  return process.stdin.isTTY === true && typeof process.stdin.setRawMode === 'function'
}

export async function promptHidden (question: string): Promise<string> {
  const stdin = process.stdin
  // echo off before the question shows: an answer typed the moment it appears (a fast typist, a
  // script) must not reach a terminal that still echoes
  stdin.setRawMode(true)
  process.stderr.write(question)
  stdin.resume()
  stdin.setEncoding('utf8')
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = ''
      const onData = (chunk: string): void => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData)
            resolve(value)
            return
          }
          if (ch === '\u0003' || ch === '\u0004') {
            stdin.off('data', onData)
            reject(new CliError('cancelled', 'ERR_CANCELLED', 130))
            return
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
          else if (value.length < MAX_PASSPHRASE_CHARS) value += ch
        }
      }
      stdin.on('data', onData)
    })
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
    process.stderr.write('\n')
  }
}
