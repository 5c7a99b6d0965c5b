import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PGlite } from '@electric-sql/pglite';
import { startPgliteVacuum } from './pglite-vacuum.ts';

// Postgres reports table statistics at most once a second; here at once (so does the vacuum's next look).
const flush = (pg: PGlite) => pg.exec('select pg_stat_force_next_flush()');
const stats = async (pg: PGlite, table: string) => (await flush(pg), await pg.query<{ dead: number; vacuums: number; bytes: number }>(
  `select n_dead_tup::int as dead, vacuum_count::int as vacuums, pg_relation_size(relid)::int as bytes from pg_stat_user_tables where relname = $1`, [table])).rows[0]!;

/** A queue as HQ's audit_pending: every round fills it and empties it. */
async function churn(pg: PGlite, table: string, rows = 2000) {
  await pg.query(`insert into ${table} (body) select repeat('x', 100) from generate_series(1, $1)`, [rows]);
  const full = (await pg.query<{ bytes: number }>('select pg_relation_size($1)::int as bytes', [table])).rows[0]!.bytes;
  await pg.exec(`delete from ${table}`);
  await flush(pg);
  return full;
}

async function until(check: () => Promise<boolean>, ms = 5000) {
  for (const t0 = Date.now(); !(await check()); ) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a queue table that is filled and emptied is vacuumed, and stays the size of one filling', async () => {
  const pg = new PGlite();
  await pg.exec('create table q (id serial primary key, body text)');
  const vacuum = startPgliteVacuum(pg, { everyMs: 30 });
  try {
    let first = 0;
    for (let round = 0; round < 5; round++) {
      const before = (await stats(pg, 'q')).vacuums;
      const full = await churn(pg, 'q');
      first ||= full;
      assert.ok(full <= first * 1.2, `round ${round}: ${full} bytes full, the first filling took ${first}`);
      await until(async () => (await stats(pg, 'q')).vacuums > before);
      assert.is((await stats(pg, 'q')).dead, 0, 'no dead rows left');
    }
  } finally {
    await vacuum.stop();
    await pg.close();
  }
});

test('a table with few dead rows, or with many live ones, is left alone', async () => {
  const pg = new PGlite();
  await pg.exec('create table few (id serial primary key, body text); create table big (id serial primary key, body text)');
  const vacuum = startPgliteVacuum(pg, { everyMs: 30, maxLive: 500 });
  try {
    await pg.query(`insert into few (body) select 'x' from generate_series(1, 1000)`);
    await pg.exec('delete from few where id <= 40'); // under 50 + 20 % of the live rows
    await pg.query(`insert into big (body) select 'x' from generate_series(1, 1000)`);
    await pg.exec('delete from big where id <= 400'); // 600 live rows
    await new Promise((r) => setTimeout(r, 300));
    assert.is((await stats(pg, 'few')).vacuums, 0);
    assert.is((await stats(pg, 'big')).vacuums, 0);
    assert.ok((await stats(pg, 'big')).dead > 0);
  } finally {
    await vacuum.stop();
    await pg.close();
  }
});

test.run();
