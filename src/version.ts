import { readFileSync } from 'node:fs'
import { PackageInfoError } from './errors.js'

/**
 * The version of this implementation, read once at load time from package.json (the one source
 * of truth, so a release bump cannot leave a stale copy in code). Announced by `attn.info`.
 * Resolved relative to this module: src/version.ts → package.json, dist/src/version.js → ../../package.json.
 */
function readVersion (): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string, version?: unknown }
      if (pkg.name === 'attn-node' && typeof pkg.version === 'string') return pkg.version
    } catch (err: any) {
      // not at this level (source vs dist layout): try the next; anything but "missing" is a real error
      if (err?.code !== 'ENOENT') throw err
    }
  }
  throw new PackageInfoError('attn-node package.json not found beside the code')
}

export const ATTN_VERSION: string = readVersion()
