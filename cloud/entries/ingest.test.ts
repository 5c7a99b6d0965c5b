import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { EntryRecord, UpBatch } from '../../shared/sync/messages.ts';
import { entryNonce } from '../../shared/sync/nonce.ts';
import { api, onBothBackends, startTestCloud } from '../../test/support/cloud.ts';
import { provision } from '../../test/support/provision.ts';
import type { Db } from '../db/open.ts';
import { ingestBatch } from './ingest.ts';

/** Rows of a raw statement, the same shape from PGlite and node-postgres. */
async function rows<T>(db: Db, q: ReturnType<typeof sql>): Promise<T[]> {
  const r = (await db.execute(q)) as unknown as { rows?: T[] } & T[];
  return r.rows ?? r;
}

/** The running counter (ticket_use) against a recount of the entries HQ holds: they must agree. */
async function useDrift(db: Db): Promise<unknown[]> {
  return rows(db, sql`
    with recount as (
      select ticket_id, venue, sum(case when kind = 'normal' and direction = 'in' then persons when kind = 'return' then -persons else 0 end)::int used,
        coalesce(array_agg(distinct device order by device) filter (where kind = 'normal'), '{}') devices
      from entries where ticket_id is not null and kind in ('normal', 'return') group by ticket_id, venue)
    select coalesce(r.ticket_id, u.ticket_id) ticket_id, r.used recounted, u.used counted, r.devices::text recount_devices, u.devices::text counted_devices
    from recount r full join ticket_use u on u.ticket_id = r.ticket_id and u.venue = r.venue
    where r.used is distinct from u.used or r.devices is distinct from u.devices`);
}

/**
 * Ingest is idempotent by entry nonce however a device's stream is re-sent (the same batch
 * again, overlapping, split differently), and the running use counter it keeps stays what a
 * recount of the entries gives; a ticket with 2 entries admitted 3 times across batches and
 * devices is recorded as over-used once, with the counts of the entries stored.
 */
onBothBackends(test, 'a re-sent, overlapping or re-split batch stores each entry once and the use counter never drifts from the entries', async (extra) => {
  const cloud = await startTestCloud(extra);
  try {
    const db = cloud.ctx!.db;
    await provision(cloud.url, 'demo', [{ device: 'gate-a', lanes: ['lane-a'] }, { device: 'gate-b', lanes: ['lane-b'] }]);
    const type = await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'twice', name: '两次票', priceFen: 5000, validityDays: 1, entries: 2, persons: 1 } });
    assert.is(type.status, 201);
    const sale = await api(cloud.url, '/api/v1/sales', { body: { type: 'twice', quantity: 3 } });
    assert.is(sale.status, 201);
    const [t1, t2, t3] = (sale.body.tickets as { id: string }[]).map((t) => t.id);
    const now = Date.now();
    const epochA = randomUUID();
    const epochB = randomUUID();
    const entry = (device: string, epoch: string, seq: number, ticketId: string, lane: string, kind: EntryRecord['kind'] = 'normal'): EntryRecord => ({
      nonce: entryNonce(device, epoch, seq), ticketId, persons: 1, lane, venue: 'main', direction: 'in', kind, deviceTime: now - 60_000 + seq, correctedTime: now - 60_000 + seq,
    });
    // gate-a's stream: t1 in, t2 in, t1 in again (its 2nd), t2 given back, t3 in.
    const a = [entry('gate-a', epochA, 1, t1!, 'lane-a'), entry('gate-a', epochA, 2, t2!, 'lane-a'), entry('gate-a', epochA, 3, t1!, 'lane-a'),
      entry('gate-a', epochA, 4, t2!, 'lane-a', 'return'), entry('gate-a', epochA, 5, t3!, 'lane-a')];
    const batchA = (first: number, last: number): UpBatch => ({ device: 'gate-a', epoch: epochA, firstSeq: first, lastSeq: last, entries: a.slice(first - 1, last) });
    const ingest = (b: UpBatch) => ingestBatch(db, 'demo', b);

    assert.is((await ingest(batchA(1, 2))).inserted, 2);
    assert.is((await ingest(batchA(1, 2))).inserted, 0, 'the same batch again stores nothing');
    const overlap = await ingest(batchA(2, 4));
    assert.is(overlap.inserted, 2, 'an overlapping batch stores only what is new');
    assert.is(overlap.ackedUpTo, 4);
    // Re-split after a restart: one big batch, then two small ones, and a gap the watermark must not jump.
    assert.is((await ingest(batchA(1, 5))).inserted, 1);
    assert.is((await ingest(batchA(3, 3))).inserted, 0);
    assert.is((await ingest(batchA(4, 5))).inserted, 0);
    // gate-b admits t1 a third time (offline from gate-a), twice delivered at once.
    const b: UpBatch = { device: 'gate-b', epoch: epochB, firstSeq: 1, lastSeq: 1, entries: [entry('gate-b', epochB, 1, t1!, 'lane-b')] };
    const [b1, b2] = await Promise.all([ingest(b), ingest(b)]);
    assert.is(b1.inserted + b2.inserted, 1, 'two deliveries at once store the entry once');

    const [stored] = await rows<{ n: number; distinct_n: number }>(db, sql`select count(*)::int n, count(distinct nonce)::int distinct_n from entries`);
    assert.equal(stored, { n: 6, distinct_n: 6 }, 'each entry once');
    assert.equal(await useDrift(db), [], 'the counter is the recount of the entries');
    const use = await rows<{ ticket_id: string; used: number }>(db, sql`select ticket_id::text, used from ticket_use order by used desc, ticket_id`);
    assert.equal(use.find((u) => u.ticket_id === t1)?.used, 3, 't1 admitted 3 times');
    assert.equal(use.find((u) => u.ticket_id === t2)?.used, 0, 't2 admitted once and given back');
    const over = await rows<{ ticket_id: string; allowed: number; used: number; devices: string[] }>(db, sql`select ticket_id::text, allowed, used, devices from over_use`);
    assert.equal(over, [{ ticket_id: t1, allowed: 2, used: 3, devices: ['gate-a', 'gate-b'] }], 'only t1 is over-used, by both gates');
  } finally {
    await cloud.cleanup();
  }
});

/**
 * Two gates upload at once, each admitting the same tickets (a ticket for one entry): the
 * counter rows order them, so neither misses the other's entry and neither deadlocks. On
 * PGlite the transactions take turns; on Postgres they run at once.
 */
onBothBackends(test, 'concurrent batches from two gates sharing tickets count every entry and find the over-use', async (extra) => {
  const cloud = await startTestCloud(extra);
  try {
    const db = cloud.ctx!.db;
    const gates = ['gate-1', 'gate-2', 'gate-3', 'gate-4'];
    await provision(cloud.url, 'demo', gates.map((g) => ({ device: g, lanes: [`${g}-lane`] })));
    assert.is((await api(cloud.url, '/api/v1/ticket-types', { body: { code: 'once', name: '单次票', priceFen: 5000, validityDays: 1, entries: 1, persons: 1 } })).status, 201);
    const ids = ((await api(cloud.url, '/api/v1/sales', { body: { type: 'once', quantity: 60 } })).body.tickets as { id: string }[]).map((t) => t.id);
    const now = Date.now();
    // Each gate admits every ticket once, in its own order (reversed on half the gates).
    const batches = gates.map((device, g): UpBatch => {
      const epoch = randomUUID();
      const order = g % 2 ? [...ids].reverse() : ids;
      return {
        device, epoch, firstSeq: 1, lastSeq: order.length,
        entries: order.map((ticketId, i) => ({ nonce: entryNonce(device, epoch, i + 1), ticketId, persons: 1, lane: `${device}-lane`, venue: 'main', direction: 'in' as const, kind: 'normal' as const, deviceTime: now - 1000 + i, correctedTime: now - 1000 + i })),
      };
    });
    const results = await Promise.all(batches.map((b) => ingestBatch(db, 'demo', b)));
    assert.equal(results.map((r) => r.inserted), gates.map(() => ids.length));
    assert.equal(await useDrift(db), []);
    const over = await rows<{ n: number; min_used: number; max_used: number; allowed: number }>(db, sql`select count(*)::int n, min(used) min_used, max(used) max_used, max(allowed) allowed from over_use`);
    assert.equal(over, [{ n: ids.length, min_used: gates.length, max_used: gates.length, allowed: 1 }], 'every ticket over-used, with the use of all four gates');
  } finally {
    await cloud.cleanup();
  }
});

test.run();
