#!/usr/bin/env node
/**
 * Keeps package-lock.json complete for packages that ship their native binary as one optional
 * package per platform (`@chainsafe/libp2p-quic-<os>-<cpu>[-<libc>]`).
 *
 * Why: npm writes lock entries only for the platform packages the registry served, and the registry
 * here serves only linux-x64-gnu. `npm ci` (npm 11) then refuses the lock as out of sync with
 * package.json. An entry with name, version, `os`, `cpu`, `libc` and `optional: true` is enough for
 * npm to see that the package does not apply to this machine and to skip it, on every platform.
 *
 *   node scripts/lock-platforms.mjs           add the missing entries (rewrites package-lock.json)
 *   node scripts/lock-platforms.mjs --check   exit 1 if an entry is missing or disagrees (CI)
 *
 * The platform of each package is read from its name suffix, the version from the main package's
 * `optionalDependencies` in the lock.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Packages whose optionalDependencies are per-platform binaries. */
const NATIVE_PACKAGES = ['@chainsafe/libp2p-quic']

/** `<os>-<cpu>[-<abi>]` as napi-rs names them; `abi` gnu/musl is the libc, msvc has none. */
const PLATFORM = /^(darwin|linux|win32|freebsd|android)-(x64|arm64|arm|ia32|riscv64|s390x|ppc64|loong64)(?:-(gnu|musl|msvc|gnueabihf|musleabihf))?$/

const LIBC = { gnu: 'glibc', gnueabihf: 'glibc', musl: 'musl', musleabihf: 'musl' }

function platformOf (main, name) {
  const suffix = name.slice(main.length + 1)
  const m = PLATFORM.exec(suffix)
  if (!name.startsWith(main + '-') || m == null) return undefined
  const [, os, cpu, abi] = m
  // fields in the order npm writes them
  return { cpu: [cpu], ...(abi != null && LIBC[abi] != null ? { libc: [LIBC[abi]] } : {}), optional: true, os: [os] }
}

/** The entries the lock must hold: `node_modules/<name>` → expected fields. */
function expectedEntries (lock) {
  const out = new Map()
  for (const main of NATIVE_PACKAGES) {
    const entry = lock.packages?.[`node_modules/${main}`]
    if (entry == null) throw new Error(`${main} is not in the lock file`)
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      const platform = platformOf(main, name)
      if (platform == null) throw new Error(`cannot tell the platform of ${name} (a new naming scheme?)`)
      out.set(`node_modules/${name}`, { version, ...platform })
    }
  }
  return out
}

function same (a, b) {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** What is wrong with the lock, one line per entry. */
function problems (lock, expected) {
  const out = []
  for (const [key, want] of expected) {
    const have = lock.packages[key]
    if (have == null) { out.push(`missing: ${key}`); continue }
    for (const field of ['version', 'os', 'cpu', 'libc', 'optional']) {
      if (!same(have[field], want[field])) out.push(`${key}: ${field} is ${JSON.stringify(have[field])}, expected ${JSON.stringify(want[field])}`)
    }
  }
  return out
}

/** npm's key order in a lock file: the root first, then by name (`localeCompare(…, 'en')`). */
function npmOrder (a, b) {
  if (a === '') return -1
  if (b === '') return 1
  return a.localeCompare(b, 'en')
}

/** Adds the missing entries and corrects the platform fields of existing ones (keeping resolved/integrity). */
function fix (lock, expected) {
  const packages = { ...lock.packages }
  for (const [key, want] of expected) packages[key] = { ...(packages[key] ?? {}), ...want }
  const keys = Object.keys(lock.packages)
  const sorted = [...keys].sort(npmOrder)
  if (!same(keys, sorted)) throw new Error('package-lock.json is not in npm\'s key order; run npm install first')
  return { ...lock, packages: Object.fromEntries(Object.entries(packages).sort(([a], [b]) => npmOrder(a, b))) }
}

const lockPath = fileURLToPath(new URL('../package-lock.json', import.meta.url))
const check = process.argv.includes('--check')
const text = readFileSync(lockPath, 'utf8')
const lock = JSON.parse(text)
const expected = expectedEntries(lock)
const wrong = problems(lock, expected)

if (check) {
  if (wrong.length > 0) {
    process.stderr.write(`package-lock.json lacks platform entries (run "node scripts/lock-platforms.mjs"):\n  ${wrong.join('\n  ')}\n`)
    process.exit(1)
  }
  process.stdout.write(`package-lock.json lists all ${expected.size} platform packages of ${NATIVE_PACKAGES.join(', ')}\n`)
} else if (wrong.length === 0) {
  process.stdout.write('package-lock.json is already complete\n')
} else {
  const fixed = fix(lock, expected)
  const left = problems(fixed, expected)
  if (left.length > 0) throw new Error(`could not fix: ${left.join('; ')}`)
  writeFileSync(lockPath, JSON.stringify(fixed, null, 2) + '\n')
  process.stdout.write(`package-lock.json: ${wrong.length} fix(es)\n  ${wrong.join('\n  ')}\n`)
}
