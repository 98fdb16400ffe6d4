import { parseArgs } from 'node:util'
import { CliError } from './io.js'
import { COMMANDS, GLOBAL_HELP } from './commands.js'
import { version } from './version.js'

export { version } from './version.js'

/** Runs the `attn` command line; resolves with the process exit code. */
export async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name == null || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined
    const cmd = topic != null ? COMMANDS[topic] : undefined
    process.stdout.write((cmd?.help ?? GLOBAL_HELP) + '\n')
    return 0
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${await version()}\n`)
    return 0
  }
  const cmd = COMMANDS[name]
  if (cmd == null) {
    process.stderr.write(`attn: unknown command "${name}"\n\n${GLOBAL_HELP}\n`)
    return 2
  }
  let parsed
  try {
    parsed = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
  } catch (err: any) {
    process.stderr.write(`attn ${name}: ${err.message}\n\n${cmd.help}\n`)
    return 2
  }
  if (parsed.values.help === true) {
    process.stdout.write(cmd.help + '\n')
    return 0
  }
  try {
    return await cmd.run(parsed.values as Record<string, any>, parsed.positionals)
  } catch (err: any) {
    const json = (parsed.values as Record<string, unknown>).json === true
    const code = err.code ?? 'ERR_UNKNOWN'
    if (json) process.stdout.write(JSON.stringify({ error: { code, message: err.message } }) + '\n')
    else process.stderr.write(`attn ${name}: ${err.message}${code !== 'ERR_CLI' ? ` (${code})` : ''}\n`)
    return err instanceof CliError ? err.exitCode : 1
  }
}
