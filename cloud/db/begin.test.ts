import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { sql } from 'drizzle-orm';
import { freshPostgres } from '../../test/support/cloud.ts';
import { foldIntoBegin, withBegin } from './begin.ts';
import { prepareStatements } from './statements.ts';

// On the Postgres server only: passes without running when TEST_DATABASE_URL is unset.

/** A pool set up as HQ's (cloud/db/open.ts) with one connection, and the round trips it makes (one ReadyForQuery each). */
async function hqPool(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('connect', foldIntoBegin);
  pool.on('connect', prepareStatements);
  const trips = { n: 0 };
  pool.on('connect', (c) => (c as unknown as { connection: { on(e: string, f: () => void): void } }).connection.on('readyForQuery', () => trips.n++));
  const db = drizzle(pool);
  await db.execute(sql`select 1`); // the connection made
  await pool.query('create table t (a int primary key, b text)');
  return { pool, db, trips };
}

const rows = async (db: ReturnType<typeof drizzle>, q = sql`select a, b from t order by a`) =>
  (await db.execute(q) as unknown as { rows: unknown[] }).rows;

test('a transaction\'s begin and withBegin\'s text go with its first statement: one round trip less, the same transaction', async () => {
  const server = await freshPostgres();
  if (!server) return;
  const { pool, db, trips } = await hqPool(server.url);
  try {
    trips.n = 0;
    const seen = await withBegin("select set_config('my.mark', 'on', true)", () => db.transaction(async (tx) => {
      await tx.execute(sql`insert into t values (${1}, ${'one'})`);
      return (await tx.execute(sql`select current_setting(${'my.mark'}, true) as mark, txid_current_if_assigned() is not null as open`) as unknown as { rows: unknown[] }).rows[0];
    }));
    assert.equal(seen, { mark: 'on', open: true }, 'the setting is the transaction\'s, and the insert is in it');
    assert.is(trips.n, 3, 'insert (with begin and the setting), select, commit');
    assert.equal(await rows(db), [{ a: 1, b: 'one' }]);
    assert.equal(await rows(db, sql`select current_setting(${'my.mark'}, true) as mark`), [{ mark: '' }], 'the setting ended with the transaction');

    // Rolled back: the first statement was inside the transaction.
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into t values (${2}, ${'two'})`);
      tx.rollback();
    }).catch(() => undefined);
    assert.equal(await rows(db), [{ a: 1, b: 'one' }], 'the rolled back insert is gone');

    // A first statement without parameters goes by the simple protocol, after its own begin.
    await db.transaction(async (tx) => {
      await tx.execute(sql.raw("insert into t values (3, 'three')"));
      tx.rollback();
    }).catch(() => undefined);
    assert.equal(await rows(db), [{ a: 1, b: 'one' }]);

    // Nothing sent: the begin and the commit never reach the server.
    trips.n = 0;
    await db.transaction(async () => undefined);
    assert.is(trips.n, 0, 'an empty transaction costs no round trip');
  } finally {
    await pool.end();
    await server.drop();
  }
});

test('a failing first statement fails as before: its error, nothing written, the connection fine after', async () => {
  const server = await freshPostgres();
  if (!server) return;
  const { pool, db } = await hqPool(server.url);
  try {
    await pool.query("insert into t values (1, 'one')");
    const dup = await db.transaction(async (tx) => {
      await tx.execute(sql`insert into t values (${1}, ${'again'})`);
    }).then(() => undefined, (e: { cause?: { code?: string } }) => e.cause?.code);
    assert.is(dup, '23505', 'the unique violation of the statement itself');
    // A statement whose Parse fails (its table is missing) is prepared again once the table is there.
    const read = (tx: Parameters<Parameters<typeof db.transaction>[0]>[0]) => tx.execute(sql`select a from u where a = ${5}`);
    const missing = await db.transaction(async (tx) => { await read(tx); }).then(() => undefined, (e: { cause?: { code?: string } }) => e.cause?.code);
    assert.is(missing, '42P01');
    await pool.query('create table u (a int)');
    await pool.query('insert into u values (5)');
    const found = await db.transaction(async (tx) => (await read(tx) as unknown as { rows: unknown[] }).rows);
    assert.equal(found, [{ a: 5 }], 'the text is parsed again, not taken as prepared');
    assert.equal(await rows(db), [{ a: 1, b: 'one' }]);
    const status = await pool.query('select 1 as one');
    assert.equal(status.rows, [{ one: 1 }]);
  } finally {
    await pool.end();
    await server.drop();
  }
});

test.run();
