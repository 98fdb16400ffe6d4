#!/usr/bin/env node
// `npm start`'s prestart: builds (npm run build) only when a source is newer than the last build,
// so a second `npm start` with nothing changed starts at once instead of recompiling.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync, writeFileSync, utimesSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const STAMP = join(root, 'dist', '.build-stamp')
const INPUTS = ['src', 'test', 'bench', 'web', 'protocols', 'package.json', 'package-lock.json', 'tsconfig.json', 'vite.config.mjs']

function newest (path) {
  let st
  try { st = statSync(path) } catch { return 0 }
  if (!st.isDirectory()) return st.mtimeMs
  let max = st.mtimeMs
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)))
  return max
}

let built = 0
try { built = statSync(STAMP).mtimeMs } catch { built = 0 }
const changed = Math.max(...INPUTS.map(p => newest(join(root, p))))
const fresh = built > 0 && changed <= built
// --check: only say whether a build is needed (exit 0 either way)
if (process.argv.includes('--check')) {
  process.stdout.write(fresh ? 'up to date\n' : 'stale\n')
  process.exit(0)
}
if (fresh) {
  process.stderr.write('attn: build is up to date (dist/), not rebuilding\n')
  process.exit(0)
}
const startedAt = new Date()
const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
if (r.status !== 0) process.exit(r.status ?? 1)
// stamped with the build's start: a file saved during the build makes the next start rebuild
writeFileSync(STAMP, startedAt.toISOString() + '\n')
utimesSync(STAMP, startedAt, startedAt)
