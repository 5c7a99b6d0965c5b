import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freshPostgres } from '../../test/support/cloud.ts';
import { openHq, type Hq } from '../../test/support/hq.ts';

/**
 * The one Idempotency-Key middleware (cloud/http/idempotency.ts) through HQ's app: the
 * administrator's direct sale and a window order, on PGlite and (TEST_DATABASE_URL) Postgres.
 */
const NOW = Date.UTC(2026, 10, 25, 2, 0);

async function scalar(hq: Hq, q: string): Promise<number> {
  const r = (await hq.ctx.db.execute(q)) as unknown as { rows?: { n: number }[] } & { n: number }[];
  return Number((r.rows ?? r)[0]!.n);
}

/** A request with its headers kept (the replay header is the point). */
async function send(hq: Hq, token: string, path: string, body: unknown, key?: string, extra: Record<string, string> = {}) {
  const res = await hq.app.request(path, {
    method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(key ? { 'Idempotency-Key': key } : {}), ...extra },
  });
  return { status: res.status, replayed: res.headers.get('Idempotent-Replayed'), body: await res.json() as any };
}

async function setup(hq: Hq) {
  const r = await hq.req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 10000, validityDays: 1, entries: 1, persons: 1 });
  assert.is(r.status, 201, JSON.stringify(r.body));
  return { admin: await hq.userToken('boss', ['administrator']), other: await hq.userToken('boss2', ['administrator']) };
}

const orders = (hq: Hq) => scalar(hq, 'select count(*)::int as n from orders');

async function exercise(hq: Hq) {
  const { admin, other } = await setup(hq);
  const sale = { type: 'adult', quantity: 1 };

  // Same key, same request: the stored answer, marked, and one sale.
  const first = await send(hq, admin, '/api/v1/sales', sale, 'k-1');
  assert.is(first.status, 201, JSON.stringify(first.body));
  assert.is(first.replayed, null);
  const again = await send(hq, admin, '/api/v1/sales', { quantity: 1, type: 'adult' }, 'k-1');
  assert.equal([again.status, again.replayed, again.body], [201, 'true', first.body], 'key order in the body does not matter');
  assert.is(await orders(hq), 1);

  // Same key, another request: refused, in Chinese by default and in English when asked.
  const clash = await send(hq, admin, '/api/v1/sales', { type: 'adult', quantity: 2 }, 'k-1');
  assert.equal([clash.status, clash.body.error.code, clash.body.error.message], [409, 'idempotency_conflict', '此幂等键已用于另一个请求']);
  const en = await send(hq, admin, '/api/v1/sales', { type: 'adult', quantity: 2 }, 'k-1', { 'accept-language': 'en' });
  assert.is(en.body.error.message, 'This Idempotency-Key was already used for a different request');
  const elsewhere = await send(hq, admin, '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'cash', amountFen: 10000, tenderedFen: 10000 }] }, 'k-1');
  assert.is(elsewhere.body.error?.code, 'idempotency_conflict', 'the path is part of the request');
  assert.is(await orders(hq), 1);

  // Keys belong to their principal: another user's k-1 is another key.
  const theirs = await send(hq, other, '/api/v1/sales', { type: 'adult', quantity: 2 }, 'k-1');
  assert.equal([theirs.status, theirs.replayed], [201, null]);
  assert.is(await orders(hq), 2);

  // A failed write keeps no key: the retry (here corrected) runs.
  const failed = await send(hq, admin, '/api/v1/sales', { type: 'nosuch', quantity: 1 }, 'k-fail');
  assert.is(failed.status, 404);
  assert.is(await scalar(hq, `select count(*)::int as n from idempotency_keys where key = 'k-fail'`), 0);
  const fixed = await send(hq, admin, '/api/v1/sales', sale, 'k-fail');
  assert.equal([fixed.status, fixed.replayed], [201, null]);
  assert.is(await orders(hq), 3);

  // Five at once with one key: one write, five identical answers.
  const five = await Promise.all(Array.from({ length: 5 }, () => send(hq, admin, '/api/v1/sales', sale, 'k-race')));
  for (const r of five) assert.is(r.status, 201, JSON.stringify(r.body));
  assert.is(new Set(five.map((r) => r.body.id)).size, 1, 'one sale');
  assert.is(five.filter((r) => r.replayed === 'true').length, 4);
  assert.is(await orders(hq), 4);

  // The process died after the sale committed, before its answer was stored: the key row was
  // committed with the sale (same transaction), so the retry rebuilds the answer and sells nothing.
  const sold = await send(hq, admin, '/api/v1/sales', sale, 'k-crash');
  await hq.ctx.db.execute(`update idempotency_keys set status = null, response = null where key = 'k-crash'`);
  const retry = await send(hq, admin, '/api/v1/sales', sale, 'k-crash');
  assert.equal([retry.status, retry.replayed, retry.body.id], [201, 'true', sold.body.id]);
  assert.is(await orders(hq), 5, 'not sold twice');
  assert.is(await scalar(hq, `select status as n from idempotency_keys where key = 'k-crash'`), 201, 'the rebuilt answer is kept');

  // The window's orders: the same middleware, the same table.
  const order = { lines: [{ type: 'adult', quantity: 2 }], payments: [{ method: 'cash', amountFen: 20000, tenderedFen: 20000 }] };
  const o1 = await send(hq, admin, '/api/v1/orders', order, 'w-1');
  const o2 = await send(hq, admin, '/api/v1/orders', order, 'w-1');
  assert.equal([o1.status, o2.status, o2.replayed, o2.body.id], [201, 201, 'true', o1.body.id]);
  await hq.ctx.db.execute(`update idempotency_keys set status = null, response = null where key = 'w-1'`);
  const o3 = await send(hq, admin, '/api/v1/orders', order, 'w-1');
  assert.equal([o3.status, o3.body.id, o3.body.totalFen], [201, o1.body.id, 20000]);
  assert.is(await orders(hq), 6);
  // A refund of it, split over no more than was paid: once, however often it is sent.
  const refund = { amountFen: 10000, reason: '游客退一张' };
  const r1 = await send(hq, admin, `/api/v1/orders/${o1.body.id}/refunds`, refund, 'r-1');
  const r2 = await send(hq, admin, `/api/v1/orders/${o1.body.id}/refunds`, refund, 'r-1');
  assert.equal([r1.status, r2.status, r2.replayed, r2.body.refundId], [201, 201, 'true', r1.body.refundId], JSON.stringify(r1.body));
  await hq.ctx.db.execute(`update idempotency_keys set status = null, response = null where key = 'r-1'`);
  const r3 = await send(hq, admin, `/api/v1/orders/${o1.body.id}/refunds`, refund, 'r-1');
  assert.equal([r3.status, r3.body.refundId, r3.body.parts, r3.body.order.refundedFen], [201, r1.body.refundId, [{ method: 'cash', amountFen: 10000 }], 10000]);
  assert.is(await scalar(hq, `select count(*)::int as n from refunds`), 1, 'refunded once');
  // Without a key a write is not deduplicated (the key is optional here), and a malformed one is refused.
  assert.is((await send(hq, admin, '/api/v1/sales', sale)).status, 201);
  assert.is((await send(hq, admin, '/api/v1/sales', sale, 'x'.repeat(129))).body.error.code, 'invalid_idempotency_key');
  assert.is(await orders(hq), 7);

  // A customer account's deposit (money in, in the office's book): once, however often it is sent.
  const acct = await send(hq, admin, '/api/v1/customer-accounts', { name: '青山旅行社' });
  assert.is(acct.status, 201, JSON.stringify(acct.body));
  const deposit = { ledger: 'deposit', amount: 50000, note: '预存', method: 'card', reference: 'pos-77' };
  const d1 = await send(hq, admin, `/api/v1/customer-accounts/${acct.body.id}/entries`, deposit, 'd-1');
  const d2 = await send(hq, admin, `/api/v1/customer-accounts/${acct.body.id}/entries`, deposit, 'd-1');
  assert.equal([d1.status, d2.status, d2.replayed, d2.body.entry.id], [201, 201, 'true', d1.body.entry.id], JSON.stringify(d1.body));
  await hq.ctx.db.execute(`update idempotency_keys set status = null, response = null where key = 'd-1'`);
  const d3 = await send(hq, admin, `/api/v1/customer-accounts/${acct.body.id}/entries`, deposit, 'd-1');
  assert.equal([d3.status, d3.body.entry.id], [201, d1.body.entry.id]);
  assert.is(await scalar(hq, `select count(*)::int as n from account_entries where account_id = '${acct.body.id}'`), 1, 'deposited once');
  assert.is(await scalar(hq, `select count(*)::int as n from payments where reference = 'pos-77'`), 1, 'one payment in a book');
}

test('PGlite: replay, conflict, per principal, failures keep no key, one write under a race, a lost answer rebuilt', async () => {
  const hq = await openHq({ now: NOW });
  try {
    await exercise(hq);
  } finally {
    await hq.close();
  }
});

test('Postgres: the same', async () => {
  const pg = await freshPostgres();
  if (!pg) {
    console.warn('skipped: TEST_DATABASE_URL not set');
    return;
  }
  const hq = await openHq({ now: NOW, databaseUrl: pg.url });
  try {
    await exercise(hq);
  } finally {
    await hq.close();
    await pg.drop();
  }
});

test.run();
