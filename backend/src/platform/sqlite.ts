import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Opens (or creates) a SQLite database in WAL mode and brings its schema up to date: step `v` of `migrations` moves
 * the database from version `v` to `v + 1` in one transaction, and `PRAGMA user_version` records where it stands.
 * Append steps, never edit old ones.
 */
export function openMigratedDatabase(file: string, migrations: readonly string[]): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
