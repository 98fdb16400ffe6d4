import { readFileSync } from 'node:fs'

/** The package version (package.json), reported by `attn.info` and the CLI. Read once at load. */
export const ATTN_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
