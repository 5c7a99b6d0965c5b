import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshPostgres } from '../../test/support/cloud.ts';
import { openDb } from './open.ts';
import { prepareStatements } from './statements.ts';

// On the Postgres server only (PGlite has no named statements): passes without running when TEST_DATABASE_URL is unset.

test('HQ prepares a statement once per connection and runs it again without parsing', async () => {
  const server = await freshPostgres();
  if (!server) return;
  const dir = mkdtempSync(join(tmpdir(), 'tk-stmt-'));
  const { db, close } = await openDb({ databaseUrl: server.url, pgliteDir: dir });
  try {
    const seen = await db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) {
        const r = await tx.execute(sql`select ${i}::int + 40 as n`) as unknown as { rows: { n: number }[] };
        assert.is(r.rows[0]!.n, 40 + i);
      }
      return (await tx.execute(sql`select statement, generic_plans + custom_plans as runs from pg_prepared_statements where statement like ${'%+ 40 as n'}`) as unknown as { rows: { statement: string; runs: number }[] }).rows;
    });
    assert.is(seen.length, 1, 'one prepared statement for the text');
    assert.is(Number(seen[0]!.runs), 3, 'run three times');
    // A text without parameters keeps the simple protocol (the `begin` of begin.ts rides there): not prepared.
    const plain = await db.transaction(async (tx) => {
      await tx.execute(sql.raw('select 1 + 41 as n'));
      return (await tx.execute(sql`select count(*)::int as n from pg_prepared_statements where statement like ${'%1 + 41%'}`) as unknown as { rows: { n: number }[] }).rows[0]!;
    });
    assert.is(plain.n, 0);
  } finally {
    await close();
    await server.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a statement whose table changed fails once, then is prepared again', async () => {
  const server = await freshPostgres();
  if (!server) return;
  const pool = new pg.Pool({ connectionString: server.url, max: 1 });
  pool.on('connect', prepareStatements);
  try {
    await pool.query('create table t (a int)');
    await pool.query('insert into t values (1)');
    const read = () => pool.query({ text: 'select a from t where a::int = $1' }, [1]);
    assert.equal((await read()).rows, [{ a: 1 }]);
    await pool.query('alter table t alter column a type text');
    const err = await read().then(() => undefined, (e: { code?: string }) => e);
    assert.is(err?.code, '0A000', 'the stale statement is refused by the server');
    assert.equal((await read()).rows, [{ a: '1' }], 'and prepared again on the next call');
  } finally {
    await pool.end();
    await server.drop();
  }
});

test('a call whose values pg cannot bind fails alone: the next call of the text runs', async () => {
  const server = await freshPostgres();
  if (!server) return;
  const pool = new pg.Pool({ connectionString: server.url, max: 1 });
  pool.on('connect', prepareStatements);
  const client = await pool.connect(); // as a transaction's statements go
  try {
    const read = (v: unknown) => client.query({ text: 'select $1::int + 1 as n' }, [v]);
    assert.equal((await read(1)).rows, [{ n: 2 }]);
    const err = await read({ toPostgres: () => { throw new Error('cannot bind'); } }).then(() => undefined, (e: Error) => e.message);
    assert.is(err, 'cannot bind');
    assert.equal((await read(2)).rows, [{ n: 3 }], 'prepared again (pg closed it on the server)');
  } finally {
    client.release();
    await pool.end();
    await server.drop();
  }
});

test.run();
