import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { MIGRATIONS } from '../db/open.ts';
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

/**
 * Migration 0036 moved the commit order from each waiting record (audit_pending.ord) to one row
 * per transaction (audit_pending_tx). Records committed before the upgrade and not yet chained
 * (HQ stopped between a commit and its audit_chain) keep their order and are chained after it.
 */
test('records waiting under the old numbering are chained after the upgrade, in the order they committed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tk-audit-upgrade-'));
  const client = new PGlite();
  try {
    const before = join(dir, 'migrations');
    cpSync(MIGRATIONS, before, { recursive: true });
    const journal = JSON.parse(readFileSync(join(before, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    const upgrade = journal.entries.findIndex((e) => e.tag.startsWith('0036_'));
    assert.ok(upgrade > 0, 'migration 0036 is in the journal');
    journal.entries = journal.entries.slice(0, upgrade);
    writeFileSync(join(before, 'meta/_journal.json'), JSON.stringify(journal));
    const db = drizzle(client);
    await migrate(db, { migrationsFolder: before });
    const record = (subject: string) => `insert into audit_pending (actor, action, subject, tbl, body) values ('user:1', 'note', '${subject}', null, '{"n": "${subject}"}')`;
    for (const who of ['first', 'second']) await client.exec(`begin; set local audit.defer = 'on'; ${record(`${who}-a`)}; ${record(`${who}-b`)}; commit;`);
    const numbered = await client.query<{ subject: string; ord: string | null }>('select subject, ord::text from audit_pending order by n');
    assert.ok(numbered.rows.every((r) => r.ord !== null), 'numbered at commit the old way');

    await migrate(db, { migrationsFolder: MIGRATIONS });
    const waiting = await client.query<{ n: number }>('select count(*)::int as n from audit_pending_tx');
    assert.is(waiting.rows[0]!.n, 2, 'one row per transaction waiting');
    const chained = await client.query<{ n: number }>('select audit_chain()::int as n');
    assert.is(chained.rows[0]!.n, 4);
    const log = await client.query<{ subject: string }>("select subject from audit_log where action = 'note' order by seq");
    assert.equal(log.rows.map((r) => r.subject), ['first-a', 'first-b', 'second-a', 'second-b']);
    const left = await client.query<{ p: number; t: number }>('select (select count(*) from audit_pending)::int as p, (select count(*) from audit_pending_tx)::int as t');
    assert.equal(left.rows[0], { p: 0, t: 0 }, 'nothing left waiting');
    // A record written after the upgrade without `first` (HQ's action records) still queues its flush.
    await client.exec(`begin; set local audit.defer = 'on'; ${record('third')}; commit;`);
    assert.is((await client.query<{ n: number }>('select audit_chain()::int as n')).rows[0]!.n, 1);
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
