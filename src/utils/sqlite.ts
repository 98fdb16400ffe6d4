import type { DatabaseSync } from 'node:sqlite'

/** Runs `fn` in one `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back when it throws. */
export function transaction<T> (db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE')
  try {
    const out = fn()
    db.exec('COMMIT')
    return out
  } catch (err) {
    db.exec('ROLLBACK')
    throw err
  }
}

/**
 * Brings a database to the newest schema: a `schema_version` table, then forward-only migrations
 * (index i takes version i to i + 1), each in its own transaction. A file from newer code is
 * refused with the error `tooNew(version, known)` makes.
 */
export function migrate (db: DatabaseSync, migrations: readonly string[], tooNew: (version: number, known: number) => Error): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)')
  const row = db.prepare('SELECT version FROM schema_version').get()
  let version = row == null ? 0 : Number(row.version)
  if (version > migrations.length) throw tooNew(version, migrations.length)
  if (row == null) db.prepare('INSERT INTO schema_version (version) VALUES (0)').run()
  while (version < migrations.length) {
    const next = version
    transaction(db, () => {
      db.exec(migrations[next])
      db.prepare('UPDATE schema_version SET version = ?').run(next + 1)
    })
    version++
  }
}
