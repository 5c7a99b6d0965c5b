import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { sql } from 'drizzle-orm';
import { freshPostgres } from '../../test/support/cloud.ts';
import { commitWithNext, withBegin } from './begin.ts';
import { batchStatements } from './open.ts';

// On the Postgres server only: passes without running when TEST_DATABASE_URL is unset.

/** A pool set up as HQ's (cloud/db/open.ts) with one connection, and the round trips it makes (one ReadyForQuery each). */
async function hqPool(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  batchStatements(pool);
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

test('commitWithNext: the last statement and the commit in one round trip; a failure in either commits nothing', async () => {
  const server = await freshPostgres();
  if (!server) return;
  const { pool, db, trips } = await hqPool(server.url);
  try {
    // A check at commit, to make the commit itself fail: b may not be 'late' when the transaction ends.
    await pool.query(`create function no_late() returns trigger language plpgsql as $$ begin
      if new.b = 'late' then raise exception 'late at commit' using errcode = 'TK999'; end if; return null; end $$`);
    await pool.query('create constraint trigger no_late after insert on t deferrable initially deferred for each row execute function no_late()');

    trips.n = 0;
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into t values (${1}, ${'one'})`);
      await commitWithNext(tx, () => tx.execute(sql`insert into t values (${2}, ${'two'})`));
    });
    assert.is(trips.n, 2, 'begin with the first insert, the commit with the second');
    assert.equal(await rows(db), [{ a: 1, b: 'one' }, { a: 2, b: 'two' }]);

    // A transaction of one statement: begin, statement and commit in one round trip; its rows are its own.
    trips.n = 0;
    const got = await db.transaction(async (tx) => commitWithNext(tx, async () =>
      (await tx.execute(sql`insert into t values (${3}, ${'three'}) returning a`) as unknown as { rows: unknown[] }).rows));
    assert.is(trips.n, 1);
    assert.equal(got, [{ a: 3 }]);

    // The statement fails: the commit is skipped, drizzle's rollback ends the transaction.
    const dup = await db.transaction(async (tx) => {
      await tx.execute(sql`insert into t values (${4}, ${'four'})`);
      await commitWithNext(tx, () => tx.execute(sql`insert into t values (${1}, ${'again'})`));
    }).then(() => undefined, (e: { cause?: { code?: string } }) => e.cause?.code);
    assert.is(dup, '23505');
    // The commit fails (the deferred check): the statement's call fails with its error, nothing is written.
    const late = await db.transaction(async (tx) => {
      await tx.execute(sql`insert into t values (${5}, ${'five'})`);
      await commitWithNext(tx, () => tx.execute(sql`insert into t values (${6}, ${'late'})`));
    }).then(() => undefined, (e: { cause?: { code?: string } }) => e.cause?.code);
    assert.is(late, 'TK999');
    assert.equal((await rows(db)).length, 3, 'rows 4, 5 and 6 were not written');

    // Values pg cannot bind: the statement is never executed, and nothing commits with it.
    const unbindable = { toPostgres: () => { throw new Error('cannot bind'); } };
    const bad = await db.transaction(async (tx) => {
      await tx.execute(sql`insert into t values (${7}, ${'seven'})`);
      await commitWithNext(tx, () => tx.execute(sql`insert into t values (${8}, ${unbindable})`));
    }).then(() => undefined, (e: Error & { cause?: Error }) => (e.cause ?? e).message);
    assert.is(bad, 'cannot bind');
    assert.equal((await rows(db)).length, 3, 'row 7 was rolled back');

    // Anything after the committed statement fails loudly instead of running outside the transaction.
    const after = await db.transaction(async (tx) => {
      await commitWithNext(tx, () => tx.execute(sql`insert into t values (${9}, ${'nine'})`));
      await tx.execute(sql`insert into t values (${10}, ${'ten'})`);
    }).then(() => undefined, (e: Error & { cause?: Error }) => (e.cause ?? e).message);
    assert.match(String(after), /after its transaction.s commit/);
    assert.equal((await rows(db)).map((r) => (r as { a: number }).a), [1, 2, 3, 9], 'the committed statement stays; the one after never ran');
  } finally {
    await pool.end();
    await server.drop();
  }
});

test.run();
