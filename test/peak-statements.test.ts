import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { api, freshPostgres, startTestCloud } from './support/cloud.ts';
import { isPeriodic, recordStatements } from './support/statements.ts';
import { pgliteSyncs } from '../cloud/db/pglite-durable.ts';
import { sql } from 'drizzle-orm';
import { addDays, businessDay, DEFAULT_TZ } from '../shared/time/zone.ts';

/**
 * At peak a sale's round trips to the server are its cost (bench:peak; issue 21). Counted here
 * on the Postgres server (TEST_DATABASE_URL; passes without running when unset), every
 * statement HQ sends for one booking + payment in a time slot and for one window order, after
 * a warm-up of each, against the budgets reached so far: a change that adds a round trip to a
 * sale fails here. Then the audit chain and every audited row still verify.
 */
const BUDGET = { bookingPaySlot: 8, windowOrder: 10 };

/** A type, a channel with its price and a day of slots on HQ at `u`; a booking + payment and a window order there. */
async function saleDay(u: string) {
  assert.is((await api(u, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 } })).status, 201);
  const ch = await api(u, '/api/v1/channels/admin', { body: { code: 'ota', name: 'OTA', kind: 'ota', cancelCutoffMinutes: 0 } });
  await api(u, '/api/v1/channels/admin/ota/prices', { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 10000 }] } });
  const day = addDays(businessDay(Date.now(), DEFAULT_TZ), 2);
  await api(u, '/api/v1/slots/demo/main', { body: { fromDay: day, toDay: day, start: '08:00', end: '12:00', everyMinutes: 120, quota: 100, walkIn: 0 } });
  const key = ch.body.apiKey as string;
  const paid: { orderNo: string }[] = [];
  const book = async (i: number) => {
    const h = { 'X-Channel-Key': key, 'Idempotency-Key': `s-${i}` };
    const b = await api(u, '/api/v1/channels/bookings', { token: null, headers: h, body: { visitDay: day, slot: '08:00', items: [{ type: 'adult', quantity: 2 }], contact: { name: '游客', phone: '13900000000' } } });
    assert.is(b.status, 201, JSON.stringify(b.body));
    const p = await api(u, `/api/v1/channels/bookings/${b.body.orderNo}/pay`, { token: null, headers: { ...h, 'Idempotency-Key': `sp-${i}` }, body: { amountFen: b.body.totalFen, paymentRef: `P-${i}` } });
    assert.is(p.status, 200, JSON.stringify(p.body));
    assert.is(p.body.tickets.length, 2);
    paid.push(p.body);
  };
  const order = async (i: number) => {
    const r = await api(u, '/api/v1/orders', { headers: { 'Idempotency-Key': `w-${i}` }, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 12000, tenderedFen: 12000 }] } });
    assert.is(r.status, 201, JSON.stringify(r.body));
  };
  return { key, paid, book, order };
}

test('a booking + payment in a slot and a window order stay within their statement budgets; the audit verifies', async () => {
  const db = await freshPostgres();
  if (!db) return;
  const { seen, stop } = recordStatements();
  const cloud = await startTestCloud({ databaseUrl: db.url });
  try {
    const u = cloud.url;
    const { key, paid, book, order } = await saleDay(u);
    const count = async (run: () => Promise<void>) => {
      await new Promise((r) => setTimeout(r, 300)); // the audit writer's batch of what ran before
      seen.length = 0;
      await run();
      await new Promise((r) => setTimeout(r, 300));
      return seen.filter((s) => !isPeriodic(s)).length;
    };
    await book(0);
    await order(0);
    const bookingPay = await count(() => book(1));
    const windowOrder = await count(() => order(1));
    assert.ok(bookingPay <= BUDGET.bookingPaySlot, `booking + pay in a slot: ${bookingPay} statements, budget ${BUDGET.bookingPaySlot}`);
    assert.ok(windowOrder <= BUDGET.windowOrder, `window order: ${windowOrder} statements, budget ${BUDGET.windowOrder}`);
    for (const p of paid) {
      const read = await api(u, `/api/v1/channels/bookings/${p.orderNo}`, { token: null, headers: { 'X-Channel-Key': key } });
      assert.equal(p, read.body, 'the payment\'s answer is the booking as read back');
    }
    const v = await api(u, '/api/v1/audit/verify');
    assert.is(v.status, 200);
    assert.ok(v.body.ok, JSON.stringify(v.body).slice(0, 2000));
  } finally {
    stop();
    await cloud.cleanup();
    await db.drop();
  }
});

/**
 * On PGlite (HQ's embedded database, one session in HQ's process) a sale's transactions are
 * its cost: each commit waits for the disk (cloud/db/pglite-durable.ts), and HQ's one thread
 * with it. A booking is one transaction and its payment another, a window order one: their
 * audit records are chained and their change-log rows numbered inside them, with no
 * transaction after (cloud/db/batches.ts runsOneAtATime). Counted by the syncs of the disk.
 */
test('on PGlite a booking + payment syncs the disk twice and a window order once; nothing is left waiting after', async () => {
  const cloud = await startTestCloud();
  try {
    const u = cloud.url;
    const { book, order } = await saleDay(u);
    const waiting = async () => (await cloud.ctx!.db.execute(sql`select (select count(*) from audit_pending)::int as records, (select count(*) from audit_pending_tx)::int as txs, (select count(*) from change_pending)::int as changes`) as unknown as { rows: unknown[] }).rows[0];
    const syncs = async (run: () => Promise<void>) => {
      await new Promise((r) => setTimeout(r, 300)); // timers' work (the channel watch, ...) out of the way
      const before = pgliteSyncs.files;
      await run();
      const n = pgliteSyncs.files - before;
      assert.equal(await waiting(), { records: 0, txs: 0, changes: 0 }, 'chained and numbered in the sale\'s own transaction');
      return n;
    };
    await book(0);
    await order(0);
    assert.is(await syncs(() => book(1)), 2, 'booking + payment');
    assert.is(await syncs(() => order(1)), 1, 'window order');
    const v = await api(u, '/api/v1/audit/verify');
    assert.ok(v.body.ok, JSON.stringify(v.body).slice(0, 2000));
    const changes = await cloud.ctx!.db.execute(sql`select count(*)::int as n from changes where kind = 'ticket'`) as unknown as { rows: { n: number }[] };
    assert.ok(changes.rows[0]!.n >= 6, 'the tickets sold are in the change log');
  } finally {
    await cloud.cleanup();
  }
});

test.run();
