import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.ts';

export type GateDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Opens the gate's SQLite file. WAL keeps reads from waiting on writes; synchronous=FULL
 * makes every committed entry survive a power cut, not only a process crash.
 */
export function openGateDb(path: string): GateDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  // better-sqlite3 builds SQLite with a 16 MB page cache: at 1,000,000 tickets a day of random
  // lookups fills it, and it was an eighth of the gate's RSS (issue 18's goal: under 150 MB).
  // A decision reads one leaf page per index; 4 MB still holds every interior page of the
  // tickets table and credential indexes, and a missed leaf is one read from the OS's cache.
  sqlite.pragma('cache_size = -4000');
  const db = drizzle(sqlite, { schema, casing: 'snake_case' }) as GateDb;
  migrate(db, { migrationsFolder: MIGRATIONS });
  // The epoch names this database's life: upload sequence numbers restart with a new one.
  sqlite.prepare(`insert or ignore into meta (key, value) values ('epoch', ?)`).run(randomUUID());
  return db;
}
