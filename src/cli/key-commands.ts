/** `attn passphrase`: encrypt a development key, or change the passphrase, keeping the address. */
import { readFile } from 'node:fs/promises'
import { defaultHome } from '../node/locations.js'
import { print } from './command.js'
import { CliError, PassphraseFileError } from './errors.js'
import { askPassphrase, keyOptions } from './io.js'
import { canPrompt } from './prompt.js'
import type { Command } from './command.js'

async function newPassphrase (flags: Record<string, any>, env = process.env): Promise<string> {
  const file: string | undefined = flags['new-passphrase-file']
  if (file != null) {
    let text: string
    try {
      text = (await readFile(file, 'utf8')).replace(/\r?\n$/, '')
    } catch (err: any) {
      throw new PassphraseFileError(file, err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message, '--new-passphrase-file')
    }
    if (text === '') throw new PassphraseFileError(file, 'the file is empty', '--new-passphrase-file')
    return text
  }
  if (env.ATTN_NEW_PASSPHRASE != null && env.ATTN_NEW_PASSPHRASE !== '') return env.ATTN_NEW_PASSPHRASE
  if (canPrompt()) return await askPassphrase('new passphrase: ', true)
  throw new CliError('no new passphrase: pass --new-passphrase-file FILE or set ATTN_NEW_PASSPHRASE (or run it in a terminal to be asked)', 'ERR_PASSPHRASE_REQUIRED')
}

const passphrase: Command = {
  help: `Usage: attn passphrase [--home DIR] [--passphrase-file FILE] [--new-passphrase-file FILE] [--json]

Encrypts the keys of DIR under a new passphrase: an unencrypted development key
(from "npm start" or --insecure-dev-key), or keys encrypted under the current
passphrase. The ATT address does not change. Atomic: the new identity.json is
written beside the old one and decrypted again before it replaces it; on any
failure the old file is left as it was. A running node keeps running (restart it
with the new passphrase).

  --home DIR                  data directory (default $ATTN_HOME or ~/.attn)
  --passphrase-file FILE      the current passphrase (default: $ATTN_PASSPHRASE; asked
                              for on a terminal; not needed for an unencrypted key)
  --new-passphrase-file FILE  the new passphrase (default: $ATTN_NEW_PASSPHRASE; asked for
                              twice, without echo, on a terminal)
  --json                      print {"address","encrypted":true,"wasEncrypted"}`,
  options: { home: { type: 'string' }, 'passphrase-file': { type: 'string' }, 'new-passphrase-file': { type: 'string' }, json: { type: 'boolean' } },
  async run (flags, positionals) {
    if (positionals.length !== 0) throw new CliError('passphrase takes no arguments (see "attn passphrase --help")', 'ERR_USAGE', 2)
    const home: string = flags.home ?? defaultHome()
    const { readFile: read } = await import('node:fs/promises')
    const { join } = await import('node:path')
    // an unencrypted key needs no current passphrase: do not ask for one
    const plain = await read(join(home, 'identity.json'), 'utf8').then(t => /"cipher":\s*"none"/.test(t)).catch(() => false)
    const current = plain ? { insecureDevKey: true } : await keyOptions(flags)
    const next = await newPassphrase(flags)
    const { changePassphrase } = await import('../keys/index.js')
    const out = await changePassphrase(home, current, next)
    print({ address: out.address, encrypted: true, wasEncrypted: out.wasEncrypted }, flags.json === true,
      () => `${out.wasEncrypted ? 'changed the passphrase' : 'encrypted the key'} of ${out.address} in ${home}; start the node with the new passphrase (ATTN_PASSPHRASE)`)
    return 0
  }
}

export const KEY_COMMANDS: Record<string, Command> = { passphrase }
export const KEY_HELP = '  passphrase  encrypt a development key or change the passphrase (same address)'
