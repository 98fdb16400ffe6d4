/**
 * Loaded with `--import` into an `attn` child process: records the URL of every module the
 * process resolves (static and dynamic imports, builtins as node:…) and writes them, one JSON
 * array, to the file in $ATTN_LOAD_TRACE when the process exits.
 */
import { registerHooks } from 'node:module'
import { writeFileSync } from 'node:fs'

const out = process.env.ATTN_LOAD_TRACE
const seen = new Set<string>()
registerHooks({
  resolve (specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context)
    seen.add(resolved.url)
    return resolved
  }
})
process.on('exit', () => {
  if (out != null && out !== '') writeFileSync(out, JSON.stringify([...seen]))
})
