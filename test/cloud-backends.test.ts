import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { readChanges } from '../cloud/sync/changes.ts';
import { ingestBatch } from '../cloud/entries/ingest.ts';
import { ADULT, api, freshPostgres, startTestCloud } from './support/cloud.ts';
import { provisionGates } from './support/provision.ts';

type TestCloud = Awaited<ReturnType<typeof startTestCloud>>;

/** The same checks on PGlite (the default) and on a Postgres server (DATABASE_URL). */
async function exercise(cloud: TestCloud): Promise<void> {
  assert.is((await api(cloud.url, '/api/v1/health')).status, 200);
  assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: ADULT })).status, 201);
  const again = await api(cloud.url, '/api/v1/ticket-types', { body: ADULT });
  assert.is(again.status, 409);
  assert.is(again.body.error.code, 'duplicate');

  // 20 sales at once: the change log has every ticket, in gap-free order.
  const sales = await Promise.all(Array.from({ length: 20 }, () => api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 3 } })));
  assert.ok(sales.every((s) => s.status === 201));
  const log = await readChanges(cloud.ctx!.db, { site: 'demo', since: 0, limit: 5000, now: Date.now(), logId: cloud.ctx!.changeLog });
  const seqs = log.changes.map((c) => c.seq);
  assert.equal(seqs, [...seqs].sort((a, b) => a - b));
  const ticketIds = new Set(log.changes.flatMap((c) => (c.kind === 'ticket' ? [c.ticket.id] : [])));
  assert.is(ticketIds.size, 60);
  for (const s of sales) for (const t of s.body.tickets) assert.ok(ticketIds.has(t.id));

  // Idempotency-Key: five retries, one sale.
  const key = randomUUID();
  const retries = await Promise.all(Array.from({ length: 5 }, () => api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 1 }, headers: { 'Idempotency-Key': key } })));
  assert.is(new Set(retries.map((r) => r.body.id)).size, 1);
  const conflict = await api(cloud.url, '/api/v1/sales', { body: { type: 'adult', quantity: 2 }, headers: { 'Idempotency-Key': key } });
  assert.is(conflict.status, 409);

  await provisionGates(cloud.url, 'demo', [['gate-1', 'lane-1']]);
  // Ingest: a batch delivered twice, concurrently, counts once; a gap holds the ack back.
  const t = sales[0]!.body.tickets[0];
  const entry = (n: number) => ({
    nonce: randomUUID(), ticketId: t.id, persons: 1, lane: 'lane-1', venue: 'main', direction: 'in' as const, kind: 'normal' as const,
    deviceTime: Date.now() + n, correctedTime: Date.now() + n,
  });
  const epoch = randomUUID();
  const b1 = { device: 'gate-1', epoch, firstSeq: 1, lastSeq: 2, entries: [entry(1), entry(2)] };
  const [r1, r2] = await Promise.all([ingestBatch(cloud.ctx!.db, 'demo', b1), ingestBatch(cloud.ctx!.db, 'demo', b1)]);
  assert.is(r1.inserted + r2.inserted, 2);
  assert.is(Math.max(r1.ackedUpTo, r2.ackedUpTo), 2);
  const gap = await ingestBatch(cloud.ctx!.db, 'demo', { device: 'gate-1', epoch, firstSeq: 5, lastSeq: 5, entries: [entry(5)] });
  assert.is(gap.ackedUpTo, 2, 'seq 3-4 missing: ack stays at 2');
  const fill = await ingestBatch(cloud.ctx!.db, 'demo', { device: 'gate-1', epoch, firstSeq: 3, lastSeq: 5, entries: [entry(3), entry(4)] });
  assert.is(fill.ackedUpTo, 5);
  assert.equal((await api(cloud.url, `/api/v1/tickets/${t.id}`)).body.used, { entries: 5, persons: 5 });
}

test('PGlite: migrations, sales, ordered change log, idempotent ingest', async () => {
  const cloud = await startTestCloud();
  try {
    await exercise(cloud);
  } finally {
    await cloud.cleanup();
  }
});

// CI always has the server (.ci/run starts one); elsewhere the suite says it was skipped.
const pgAvailable = Boolean(process.env.TEST_DATABASE_URL);
(pgAvailable || process.env.CI ? test : test.skip)('Postgres server: the same checks', async () => {
  const pg = await freshPostgres();
  assert.ok(pg, 'TEST_DATABASE_URL must name a Postgres server in CI (.ci/run starts one)');
  const cloud = await startTestCloud({ databaseUrl: pg.url });
  try {
    await exercise(cloud);
  } finally {
    await cloud.cleanup();
    await pg.drop();
  }
});

test.run();
