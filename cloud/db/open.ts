import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema/index.ts';
import { silentLogger, type Logger } from '../../shared/log/logger.ts';
import { foldIntoBegin } from './begin.ts';
import { markOneAtATime } from './batches.ts';
import { prepareStatements } from './statements.ts';
import type pg from 'pg';

/**
 * HQ's database handle, without drizzle's relational queries (`db.query.*`, unused here): with a
 * schema given, drizzle builds a query builder for each of HQ's ~100 tables on every
 * transaction it opens (bench:peak's profile: ~1 % of HQ's CPU per sale, and their garbage).
 */
export type Db = PgDatabase<PgQueryResultHKT>;
export { schema };

export interface OpenDb {
  db: Db;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * PGlite in a data directory by default; a Postgres server when a URL is given. Both get the
 * committed migrations applied before anything else touches the database. Drivers load
 * lazily so a Postgres deployment never loads the WASM build and vice versa.
 */
export async function openDb(opts: { databaseUrl?: string; pgliteDir: string; log?: Logger }): Promise<OpenDb> {
  if (opts.databaseUrl) {
    const { drizzle } = await import('drizzle-orm/node-postgres');
    const { migrate } = await import('drizzle-orm/node-postgres/migrator');
    const { serverPool } = await import('./hosts.ts');
    // Several hosts (a primary and its standby): connections follow whichever is read-write.
    const pool = serverPool(opts.databaseUrl, { max: 10, log: opts.log ?? silentLogger });
    batchStatements(pool);
    const db = withoutTypings(drizzle(pool, { casing: 'snake_case' }));
    // HQ nodes starting together against one server: one migrates, the others wait for it.
    const lock = await pool.connect();
    try {
      await lock.query('select pg_advisory_lock(7300)');
      await migrate(db, { migrationsFolder: MIGRATIONS });
    } finally {
      await lock.query('select pg_advisory_unlock(7300)').catch(() => undefined);
      lock.release();
    }
    return { db: db as unknown as Db, kind: 'postgres', close: () => pool.end() };
  }
  mkdirSync(opts.pgliteDir, { recursive: true });
  const { openDurablePglite } = await import('./pglite-durable.ts');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  // Commits on disk before they are answered, as on the server (./pglite-durable.ts).
  const client = await openDurablePglite(opts.pgliteDir);
  const db = withoutTypings(drizzle(client, { casing: 'snake_case' }));
  // One session: its transactions run one at a time (./batches.ts).
  markOneAtATime(db);
  await migrate(db, { migrationsFolder: MIGRATIONS });
  // From here each statement text is parsed and planned once, and a call is one trip into
  // PGlite (./pglite-statements.ts); the migrations' texts, each run once, went the plain way.
  const { preparePgliteStatements } = await import('./pglite-statements.ts');
  await preparePgliteStatements(client);
  // PGlite has no autovacuum: HQ's queue tables are vacuumed here (./pglite-vacuum.ts).
  const { startPgliteVacuum } = await import('./pglite-vacuum.ts');
  const vacuum = startPgliteVacuum(client, { log: opts.log?.child('vacuum') });
  return {
    db: db as unknown as Db, kind: 'pglite',
    async close() {
      await vacuum.stop();
      await client.close();
    },
  };
}

/**
 * drizzle's Postgres dialect works out a type hint for every parameter of every statement it
 * builds (`prepareTyping`: up to ten class checks per value, each walking the value's class
 * chain), which only its AWS Data API and proxy drivers read; node-postgres and PGlite drop
 * them. Without it HQ builds the same statement texts and parameters with ~4 % less CPU
 * (bench:peak's profile). The dialect is this handle's own.
 */
export function withoutTypings<T extends object>(db: T): T {
  const dialect = (db as { dialect?: { prepareTyping?: unknown } }).dialect;
  if (dialect && typeof dialect.prepareTyping === 'function') dialect.prepareTyping = undefined;
  return db;
}

/**
 * How HQ's connections to a Postgres server send statements: a transaction's `begin` rides with
 * its first statement, and its commit with its last where the caller says so (./begin.ts: a
 * round trip less each); each statement text is parsed and planned once per connection
 * (./statements.ts).
 */
export function batchStatements(pool: { on(event: 'connect', fn: (c: pg.PoolClient) => void): unknown }): void {
  pool.on('connect', foldIntoBegin);
  pool.on('connect', prepareStatements);
}
