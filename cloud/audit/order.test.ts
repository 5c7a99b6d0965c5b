import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { freshPostgres } from '../../test/support/cloud.ts';
import { openHq } from '../../test/support/hq.ts';

/**
 * HQ's transactions are chained just after their commit (audit.defer, cloud/audit/chain.ts),
 * so the chain must take them in the order they committed: here transaction A got its id
 * first, B wrote a row and committed, then A wrote the same row (it would have waited on B's
 * lock) and committed, and both are chained together. Ordered by transaction id, B's older
 * image would be chained last and verify would call the row edited.
 */
test('Postgres: two writers of one row, chained together, in the order they committed', async () => {
  const db = await freshPostgres();
  if (!db) {
    console.warn('skipped: TEST_DATABASE_URL not set');
    return;
  }
  const hq = await openHq({ databaseUrl: db.url });
  const a = new pg.Client({ connectionString: db.url });
  const b = new pg.Client({ connectionString: db.url });
  try {
    const made = await hq.req('POST', '/api/v1/customer-accounts', { name: '青山旅行社' });
    assert.is(made.status, 201, JSON.stringify(made.body));
    const id = made.body.id as string;
    await a.connect();
    await b.connect();
    await a.query(`begin; set local audit.defer = 'on'`);
    const txA = Number((await a.query('select txid_current() as t')).rows[0].t);
    await b.query(`begin; set local audit.defer = 'on'`);
    await b.query('update customer_accounts set name = $1 where id = $2', ['B 改名', id]);
    const txB = Number((await b.query('select txid_current() as t')).rows[0].t);
    assert.ok(txA < txB, 'A has the older transaction id');
    await b.query('commit');
    await a.query('update customer_accounts set name = $1 where id = $2', ['A 改名', id]);
    await a.query('commit');
    await a.query('select audit_chain()');
    const images = (await a.query(`select body->>'name' as name from audit_log where tbl = 'customer_accounts' and subject = $1 order by seq`, [id])).rows.map((r) => r.name);
    assert.equal(images.slice(-2), ['B 改名', 'A 改名'], 'B committed first, so its image is chained first');
    const verified = await hq.req('GET', '/api/v1/audit/verify');
    assert.is(verified.status, 200);
    assert.ok(verified.body.ok, JSON.stringify(verified.body.problems?.slice(0, 3)));
  } finally {
    await a.end().catch(() => {});
    await b.end().catch(() => {});
    await hq.close();
    await db.drop();
  }
});

test.run();
