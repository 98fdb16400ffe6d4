/**
 * The node home (`$ATTN_HOME`): which identity its data belongs to, and refusing to start on a
 * home that lost its identity, holds another identity's data, or lost its messages — instead of
 * silently starting a new address or an empty inbox. `home.json` is the marker: written after each
 * successful start, it names the identity's address and the data files the home should contain.
 */
import { DatabaseSync } from 'node:sqlite'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DHT_DB, HOME_MARKER, HOME_MARKER_VERSION, IDENTITY_FILE_NAME, MESSAGES_DB, SESSIONS_DB } from './constants.js'
import {
  HomeDataMissingError, HomeIdentityMismatchError, HomeIdentityMissingError, HomeMarkerCorruptError, StoreOpenError
} from './errors.js'

/** Data files of a home, with what losing each one costs. */
const DATA_FILES: Array<{ name: string, lost: string, required: boolean }> = [
  { name: MESSAGES_DB, lost: 'the inbox, the outbox (messages not yet delivered), mailbox contents and prekeys', required: true },
  { name: SESSIONS_DB, lost: 'open sessions (peers handshake again)', required: false },
  { name: DHT_DB, lost: 'DHT records held for others (their owners publish them again)', required: false }
]

export interface HomeMarker {
  version: number
  /** ATT address of the identity the data belongs to. */
  address: string
  /** Data files the home holds. */
  files: string[]
}

export interface HomeState {
  hasIdentity: boolean
  marker?: HomeMarker
  /** Data files present (of DATA_FILES). */
  present: string[]
}

export interface HomeCheckOptions {
  /** Move data that does not fit the identity aside (to `reset-<time>/`) / accept missing data. */
  reset?: boolean
}

async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err: any) {
    if (err?.code === 'ENOENT') return false
    throw err
  }
}

export async function readHomeMarker (home: string): Promise<HomeMarker | undefined> {
  let text: string
  try {
    text = await readFile(join(home, HOME_MARKER), 'utf8')
  } catch (err: any) {
    if (err?.code === 'ENOENT') return undefined
    throw err
  }
  let value: any
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new HomeMarkerCorruptError(`${join(home, HOME_MARKER)} is not JSON; delete it to adopt the data as the current identity's`, { cause: err })
  }
  if (value?.version !== HOME_MARKER_VERSION || typeof value.address !== 'string' || !Array.isArray(value.files) || value.files.some((f: unknown) => typeof f !== 'string')) {
    throw new HomeMarkerCorruptError(`${join(home, HOME_MARKER)} is not a version ${HOME_MARKER_VERSION} home marker`)
  }
  return value
}

export async function inspectHome (home: string): Promise<HomeState> {
  const present: string[] = []
  for (const f of DATA_FILES) if (await exists(join(home, f.name))) present.push(f.name)
  return { hasIdentity: await exists(join(home, IDENTITY_FILE_NAME)), marker: await readHomeMarker(home), present }
}

/** Moves the data files (with their -wal/-shm) and the marker to `reset-<time>/`; returns that directory. */
async function moveAside (home: string): Promise<string> {
  const dir = join(home, `reset-${new Date().toISOString().replace(/[:.]/g, '-')}`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  for (const f of [...DATA_FILES.map(d => d.name), HOME_MARKER]) {
    for (const name of [f, `${f}-wal`, `${f}-shm`]) {
      if (await exists(join(home, name))) await rename(join(home, name), join(dir, name))
    }
  }
  return dir
}

/**
 * Before the identity is loaded or created: a home holding data but no identity.json is refused
 * (ERR_HOME_IDENTITY_MISSING) — creating an identity there would put a new address on old data.
 * With `reset`, the data is moved aside first. Returns messages for stderr.
 */
export async function checkHomeBeforeIdentity (home: string, options: HomeCheckOptions = {}): Promise<string[]> {
  const state = await inspectHome(home)
  if (state.hasIdentity || (state.marker == null && state.present.length === 0)) return []
  const what = [...state.present, ...(state.marker != null ? [HOME_MARKER] : [])].join(', ')
  const owner = state.marker != null ? ` (data of ${state.marker.address})` : ''
  if (options.reset !== true) {
    throw new HomeIdentityMissingError(`${home} holds ${what}${owner} but no ${IDENTITY_FILE_NAME}: restore ${IDENTITY_FILE_NAME} from a backup, or start with --reset to move the old data aside and create a new identity`)
  }
  const dir = await moveAside(home)
  return [`--reset: ${IDENTITY_FILE_NAME} was missing; moved ${what}${owner} to ${dir}`]
}

/**
 * After the identity is loaded: the marker must name this identity (else ERR_HOME_IDENTITY_MISMATCH)
 * and every required data file it lists must be there (else ERR_HOME_DATA_MISSING); optional ones
 * missing only warn. Present databases must open (else ERR_STORE_OPEN, naming the file). With
 * `reset`, another identity's data is moved aside and missing data is accepted.
 */
export async function checkHome (home: string, address: string, options: HomeCheckOptions = {}): Promise<string[]> {
  const notes: string[] = []
  let state = await inspectHome(home)
  if (state.marker != null && state.marker.address !== address) {
    if (options.reset !== true) {
      throw new HomeIdentityMismatchError(`the data in ${home} (${[...state.present, HOME_MARKER].join(', ')}) belongs to ${state.marker.address}, but ${IDENTITY_FILE_NAME} is ${address}: restore the matching ${IDENTITY_FILE_NAME}, or start with --reset to move the old data aside`)
    }
    notes.push(`--reset: moved the data of ${state.marker.address} to ${await moveAside(home)}`)
    state = await inspectHome(home)
  }
  for (const f of DATA_FILES) {
    if (state.marker?.files.includes(f.name) !== true || state.present.includes(f.name)) continue
    if (f.required && options.reset !== true) {
      throw new HomeDataMissingError(`${join(home, f.name)} is missing: ${f.lost} of ${address} would be lost; restore it from a backup, or start with --reset to start with an empty one`)
    }
    notes.push(`${join(home, f.name)} is missing: starting without ${f.lost}`)
  }
  for (const name of [MESSAGES_DB, SESSIONS_DB]) {
    if (state.present.includes(name)) checkDatabase(join(home, name))
  }
  return notes
}

/** Records that the home's data belongs to `address` (after a successful start). */
export async function writeHomeMarker (home: string, address: string): Promise<void> {
  const state = await inspectHome(home)
  const marker: HomeMarker = { version: HOME_MARKER_VERSION, address, files: state.present }
  const tmp = join(home, `${HOME_MARKER}.${process.pid}.tmp`)
  await writeFile(tmp, JSON.stringify(marker, null, 2) + '\n', { mode: 0o600 })
  try {
    await rename(tmp, join(home, HOME_MARKER))
  } finally {
    await rm(tmp, { force: true })
  }
}

/**
 * Opens an SQLite file and reads its schema: a file that is not a database, or whose header or
 * schema is damaged, fails here with the file named, before the node opens any port. (Damage deeper
 * in the file surfaces when that page is read.)
 */
export function checkDatabase (path: string): void {
  let db: DatabaseSync | undefined
  try {
    db = new DatabaseSync(path)
    db.prepare('SELECT count(*) AS n FROM sqlite_master').get()
  } catch (err: any) {
    throw new StoreOpenError(`cannot open ${path}: ${err.message} (the file is damaged or not an ATT database; move it aside and restore a backup, or start without it and lose its data)`, { cause: err })
  } finally {
    try { db?.close() } catch { /* the open error above is the one to report */ }
  }
}
