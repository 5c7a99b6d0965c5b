import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { api, freshPostgres, startTestCloud } from './support/cloud.ts';
import { isPeriodic, recordStatements } from './support/statements.ts';
import { addDays, businessDay, DEFAULT_TZ } from '../shared/time/zone.ts';

/**
 * At peak a sale's round trips to the server are its cost (bench:peak; issue 21). Counted here
 * on the Postgres server (TEST_DATABASE_URL; passes without running when unset), every
 * statement HQ sends for one booking + payment in a time slot and for one window order, after
 * a warm-up of each, against the budgets reached so far: a change that adds a round trip to a
 * sale fails here. Then the audit chain and every audited row still verify.
 */
const BUDGET = { bookingPaySlot: 8, windowOrder: 10 };

test('a booking + payment in a slot and a window order stay within their statement budgets; the audit verifies', async () => {
  const db = await freshPostgres();
  if (!db) return;
  const { seen, stop } = recordStatements();
  const cloud = await startTestCloud({ databaseUrl: db.url });
  try {
    const u = cloud.url;
    assert.is((await api(u, '/api/v1/ticket-types', { body: { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 } })).status, 201);
    const ch = await api(u, '/api/v1/channels/admin', { body: { code: 'ota', name: 'OTA', kind: 'ota', cancelCutoffMinutes: 0 } });
    await api(u, '/api/v1/channels/admin/ota/prices', { method: 'PUT', body: { prices: [{ type: 'adult', priceFen: 10000 }] } });
    const day = addDays(businessDay(Date.now(), DEFAULT_TZ), 2);
    await api(u, '/api/v1/slots/demo/main', { body: { fromDay: day, toDay: day, start: '08:00', end: '12:00', everyMinutes: 120, quota: 100, walkIn: 0 } });
    const key = ch.body.apiKey as string;
    const book = async (i: number) => {
      const h = { 'X-Channel-Key': key, 'Idempotency-Key': `s-${i}` };
      const b = await api(u, '/api/v1/channels/bookings', { token: null, headers: h, body: { visitDay: day, slot: '08:00', items: [{ type: 'adult', quantity: 2 }], contact: { name: '游客', phone: '13900000000' } } });
      assert.is(b.status, 201, JSON.stringify(b.body));
      const p = await api(u, `/api/v1/channels/bookings/${b.body.orderNo}/pay`, { token: null, headers: { ...h, 'Idempotency-Key': `sp-${i}` }, body: { amountFen: b.body.totalFen, paymentRef: `P-${i}` } });
      assert.is(p.status, 200, JSON.stringify(p.body));
      assert.is(p.body.tickets.length, 2);
      paid.push(p.body);
    };
    const paid: { orderNo: string }[] = [];
    const order = async (i: number) => {
      const r = await api(u, '/api/v1/orders', { headers: { 'Idempotency-Key': `w-${i}` }, body: { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 12000, tenderedFen: 12000 }] } });
      assert.is(r.status, 201, JSON.stringify(r.body));
    };
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

test.run();
