/**
 * What every `attn` command module shares: the command shape and the output helper. Command
 * modules import this, and `commands.ts` assembles them, so no module imports its assembler.
 */
import type { ParseArgsConfig } from 'node:util'

export interface Command {
  help: string
  options: NonNullable<ParseArgsConfig['options']>
  run(flags: Record<string, any>, positionals: string[]): Promise<number>
}

/** One result on stdout: JSON with `--json`, else the human text. */
export function print (value: unknown, json: boolean, human: () => string): void {
  process.stdout.write((json ? JSON.stringify(value) : human()) + '\n')
}
