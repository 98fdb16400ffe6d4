import { readFile } from 'node:fs/promises'

/** The package's version (package.json), for `attn --version` and `/v1/status`. */
export async function version (): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'))
  return pkg.version as string
}
