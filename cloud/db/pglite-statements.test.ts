import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PGlite, types, type QueryOptions } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { freshCloudDataDir } from '../../test/support/pglite.ts';
import { openDb } from './open.ts';
import { preparePgliteStatements } from './pglite-statements.ts';

/** drizzle's options for PGlite (drizzle-orm/pglite/session.js): rows as arrays, dates as Postgres writes them. */
const keep = (v: string) => v;
const drizzleOptions: QueryOptions = {
  rowMode: 'array',
  parsers: { [types.TIMESTAMP]: keep, [types.TIMESTAMPTZ]: keep, [types.INTERVAL]: keep, [types.DATE]: keep, 1231: keep, 1115: keep, 1185: keep, 1187: keep, 1182: keep },
};

async function lite() {
  const pg = new PGlite();
  await pg.exec(`create table t (
    id bigserial primary key, code text not null unique, n int, big bigint, amount numeric(12,2), ok boolean,
    day date, at timestamptz, doc jsonb, tags text[], ids int[], ats timestamptz[], raw bytea)`);
  const plain = pg.query.bind(pg);
  await preparePgliteStatements(pg);
  return { pg, plain };
}

test('HQ on PGlite prepares a statement once and runs it again without parsing', async () => {
  const dataDir = await freshCloudDataDir();
  const { db, close } = await openDb({ pgliteDir: join(dataDir, 'pglite') });
  try {
    const runs = async (q: Pick<typeof db, 'execute'> = db) => (await q.execute(sql`select statement, generic_plans + custom_plans as runs from pg_prepared_statements where statement like ${'%+ 40 as n'}`) as unknown as { rows: { statement: string; runs: number }[] }).rows;
    const seen = await db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) {
        const r = await tx.execute(sql`select ${i}::int + 40 as n`) as unknown as { rows: { n: number }[] };
        assert.is(r.rows[0]!.n, 40 + i);
      }
      return runs(tx);
    });
    assert.is(seen.length, 1, 'one prepared statement for the text');
    assert.is(Number(seen[0]!.runs), 3, 'run three times in the transaction');
    assert.is((await db.execute(sql`select ${7}::int + 40 as n`) as unknown as { rows: { n: number }[] }).rows[0]!.n, 47);
    assert.is(Number((await runs())[0]!.runs), 4, 'and once more outside it, the same statement');
  } finally {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('results, row counts and values are those of query()', async () => {
  const { pg, plain } = await lite();
  try {
    const insert = 'insert into t (code, n, big, amount, ok, day, at, doc, tags, ids, ats, raw) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning id, code, at';
    const rows: unknown[][] = [
      ['a', 1, 9007199254740993n, '12.50', true, '2026-12-08', new Date('2026-12-07T01:02:03.456Z'), { k: ['v', 1] }, ['x', 'y z'], [1, 2], [new Date(0)], new Uint8Array([0, 255])],
      ['b', null, undefined, 3, false, null, '2026-12-07 09:00:00+08', null, [], null, null, null],
    ];
    // The id and code differ (a new row each); the rest, fields and counts included, must not.
    const rest = (r: { rows: unknown[] }) => ({ ...r, rows: r.rows.map((x) => (x as unknown[]).slice(2)) });
    for (const r of rows) {
      const ours = await pg.query(insert, r, drizzleOptions);
      const theirs = await plain(insert, [`${r[0]}2`, ...r.slice(1)], drizzleOptions);
      assert.equal(rest(ours), rest(theirs));
    }
    const reads: [string, unknown[], QueryOptions | undefined][] = [
      ['select * from t where code = $1 or n is null order by id', ['a'], drizzleOptions],
      ['select * from t where id > $1 order by id', [0], { rowMode: 'object' }],
      ['select * from t order by id', [], undefined],
      ['update t set n = coalesce(n, 0) + $1 where ok = $2', [5, false], drizzleOptions],
      ['delete from t where code = $1', ['nothing'], drizzleOptions],
      ['select $1::int[] as a, $2::jsonb as j', [[3, 4], [1, { b: null }]], drizzleOptions],
    ];
    for (const [text, params, options] of reads) {
      for (let i = 0; i < 7; i++) { // past Postgres's five custom plans, onto the generic one
        assert.equal(await pg.query(text, params, options), await plain(text, params, options), text);
      }
    }
  } finally {
    await pg.close();
  }
});

test('copy to and from a blob, as query()', async () => {
  const { pg, plain } = await lite();
  try {
    await pg.query('insert into t (code, n) select $1 || i, i from generate_series(1, 3) i', ['c']);
    const text = `copy (select code, n from t order by id) to '/dev/blob'`;
    const ours = await pg.query(text);
    const theirs = await plain(text);
    assert.is(ours.affectedRows, 3);
    assert.is(await ours.blob!.text(), await theirs.blob!.text());
    await pg.query(`copy t (code, n) from '/dev/blob'`, [], { blob: new Blob(['x1\t7\n']) });
    assert.equal((await pg.query('select n from t where code = $1', ['x1'])).rows, [{ n: 7 }]);
  } finally {
    await pg.close();
  }
});

test('errors carry the call, and the statement still runs after them, in and out of transactions', async () => {
  const { pg } = await lite();
  try {
    const insert = 'insert into t (code) values ($1)';
    await pg.query(insert, ['a']);
    const err = await pg.query(insert, ['a']).then(() => undefined, (e: { code?: string; query?: string; params?: unknown[] }) => e);
    assert.is(err?.code, '23505');
    assert.is(err?.query, insert);
    assert.equal(err?.params, ['a']);
    const syntax = await pg.query('selec $1', [1]).then(() => undefined, (e: { code?: string }) => e);
    assert.is(syntax?.code, '42601');
    const failed = await pg.transaction(async (tx) => {
      await tx.query(insert, ['b']);
      await tx.query(insert, ['a']);
    }).then(() => undefined, (e: { code?: string }) => e);
    assert.is(failed?.code, '23505', 'the transaction failed, and was rolled back');
    await pg.transaction(async (tx) => {
      await tx.query(insert, ['c']);
    });
    assert.equal((await pg.query('select code from t where code <> $1 order by code', [''])).rows, [{ code: 'a' }, { code: 'c' }]);
  } finally {
    await pg.close();
  }
});

test('a query outside a transaction waits for the transaction, as query() does', async () => {
  const { pg } = await lite();
  try {
    let outside: Promise<unknown> | undefined;
    await pg.transaction(async (tx) => {
      await tx.query('insert into t (code) values ($1)', ['uncommitted']);
      outside = pg.query('select count(*)::int as n from t where code = $1', ['uncommitted']);
      await new Promise((r) => setTimeout(r, 50));
      await tx.rollback();
    });
    assert.equal(((await outside) as { rows: unknown[] }).rows, [{ n: 0 }], 'it ran after the rollback, not inside the transaction');
  } finally {
    await pg.close();
  }
});

test('a statement whose table changed fails once, then is prepared again', async () => {
  const { pg } = await lite();
  try {
    await pg.query('insert into t (code, n) values ($1, $2)', ['a', 1]);
    const read = () => pg.query('select n from t where n::int = $1', [1]);
    assert.equal((await read()).rows, [{ n: 1 }]);
    await pg.exec('alter table t alter column n type text');
    const err = await read().then(() => undefined, (e: { code?: string }) => e);
    assert.is(err?.code, '0A000', 'the stale statement is refused by PGlite');
    assert.equal((await read()).rows, [{ n: '1' }], 'and prepared again on the next call');
    const kept = await pg.query<{ n: number }>('select count(*)::int as n from pg_prepared_statements where statement = $1', ['select n from t where n::int = $1']);
    assert.equal(kept.rows, [{ n: 1 }], 'the stale one was closed');
  } finally {
    await pg.close();
  }
});

test.run();
