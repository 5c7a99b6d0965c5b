import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freshPostgres } from '../../test/support/cloud.ts';
import { openHq, type Hq } from '../../test/support/hq.ts';

/**
 * The channel quota under load, and one order per idempotency key under concurrent
 * replays, on PGlite and on a Postgres server (TEST_DATABASE_URL; skipped without it).
 */
async function exercise(hq: Hq): Promise<void> {
  assert.is((await hq.req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 })).status, 201);
  const made = await hq.req('POST', '/api/v1/channels/admin', { code: 'meituan', name: '美团', kind: 'ota', dailyQuota: 30 });
  const key = made.body.apiKey as string;
  await hq.req('PUT', '/api/v1/channels/admin/meituan/prices', { prices: [{ type: 'adult', priceFen: 9900 }] });
  const book = (idem: string, quantity: number, ref = idem) => hq.raw('POST', '/api/v1/channels/bookings', {
    visitDay: '2026-11-26', items: [{ type: 'adult', quantity }], contact: { name: '王五', phone: '13900001111' }, externalRef: ref,
  }, { 'X-Channel-Key': key, 'Idempotency-Key': idem });

  // 50 bookings at once, 1 or 2 tickets each, against a quota of 30.
  const sizes = Array.from({ length: 50 }, (_, i) => 1 + (i % 2));
  const replies = await Promise.all(sizes.map((q, i) => book(`load-${i}`, q)));
  const ok = replies.filter((r) => r.status === 201);
  const refused = replies.filter((r) => r.status !== 201);
  for (const r of refused) {
    assert.is(r.status, 409, JSON.stringify(r.body));
    assert.is(r.body.error.code, 'quota_exceeded');
  }
  const held = ok.reduce((n, r) => n + r.body.quantity, 0);
  assert.ok(held <= 30, `held ${held} of 30`);
  assert.ok(held >= 29, `the quota is used up, not left idle: held ${held}`);
  const rows = (await hq.ctx.db.execute(`select coalesce(sum(quantity), 0)::int as n from bookings where state = 'booked'`)) as unknown as { rows?: { n: number }[] } & { n: number }[];
  assert.is((rows.rows ?? rows)[0]!.n, held, 'the database agrees');
  const left = await hq.raw('GET', '/api/v1/channels/products?day=2026-11-26', undefined, { 'X-Channel-Key': key });
  assert.is(left.body.remaining, 30 - held);

  // Five concurrent sends of one request with one key: one order. (Quota raised first.)
  await hq.req('PATCH', '/api/v1/channels/admin/meituan', { dailyQuota: 100 });
  const same = await Promise.all(Array.from({ length: 5 }, () => book('replay-1', 2, 'R-1')));
  for (const r of same) assert.is(r.status, 201, JSON.stringify(r.body));
  assert.is(new Set(same.map((r) => r.body.orderNo)).size, 1);
  const count = (await hq.ctx.db.execute(`select count(*)::int as n from bookings where external_ref = 'R-1'`)) as unknown as { rows?: { n: number }[] } & { n: number }[];
  assert.is((count.rows ?? count)[0]!.n, 1);
}

test('PGlite: quota never exceeded under 50 concurrent bookings; replays make one order', async () => {
  const hq = await openHq({ now: Date.UTC(2026, 10, 25, 2, 0) });
  try {
    await exercise(hq);
  } finally {
    await hq.close();
  }
});

test('Postgres: the same', async (ctx) => {
  const pg = await freshPostgres();
  if (!pg) {
    console.warn('skipped: TEST_DATABASE_URL not set');
    return;
  }
  const hq = await openHq({ now: Date.UTC(2026, 10, 25, 2, 0), databaseUrl: pg.url });
  try {
    await exercise(hq);
  } finally {
    await hq.close();
    await pg.drop();
  }
  void ctx;
});

test.run();
