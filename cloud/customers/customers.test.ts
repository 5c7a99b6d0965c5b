import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eq } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { accountEntries, orders, sales, users } from '../db/schema/index.ts';
import { openHq } from '../../test/support/hq.ts';

// 10:00 on 2026-11-25 in Shanghai.
const hq = await openHq({ now: Date.UTC(2026, 10, 25, 2, 0) });
const { req } = hq;
const [admin] = await hq.ctx.db.select().from(users).where(eq(users.username, 'admin'));
assert.is((await req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 })).status, 201);

test('agencies and agreement units; a contract sets the account credit limit and the discount', async () => {
  const a = await req('POST', '/api/v1/customers', { code: 'cits', name: '国旅', kind: 'agency', contact: '周经理', phone: '13500000001' });
  assert.is(a.status, 201, JSON.stringify(a.body));
  assert.is((await req('POST', '/api/v1/customers', { code: 'city-hall', name: '市政府接待办', kind: 'unit' })).status, 201);
  const k = await req('POST', '/api/v1/customers/cits/contracts', {
    contractNo: 'HT-2026-01', startDay: '2026-01-01', endDay: '2026-12-31', category: 'agency-a', discountPct: 20, creditLimitFen: 500000, settlement: 'monthly', settlementDays: 15,
  });
  assert.is(k.status, 201, JSON.stringify(k.body));
  assert.is(k.body.discount, 'contract-cits');
  const view = await req('GET', '/api/v1/customers/cits');
  assert.is(view.body.account.creditLimitFen, 500000);
  assert.is(view.body.account.category, 'agency-a');
  assert.ok(view.body.contracts[0].inForce);
  const d = await hq.ctx.db.execute(`select kind, value, customer_category from discounts where code = 'contract-cits'`) as unknown as { rows?: any[] } & any[];
  assert.equal((d.rows ?? d)[0], { kind: 'percent', value: 20, customer_category: 'agency-a' });
  // A new contract next year: the same account gets the new limit.
  await req('POST', '/api/v1/customers/cits/contracts', { contractNo: 'HT-2027-01', startDay: '2027-01-01', endDay: '2027-12-31', category: 'agency-a', discountPct: 25, creditLimitFen: 800000, settlement: 'monthly' });
  const again = await req('GET', '/api/v1/customers/cits');
  assert.is(again.body.account.id, view.body.account.id);
  assert.is(again.body.account.creditLimitFen, 800000);
  assert.equal(again.body.contracts.map((c: any) => [c.contractNo, c.inForce]), [['HT-2026-01', true], ['HT-2027-01', false]]);
  assert.equal((await req('GET', '/api/v1/customers?kind=unit')).body.map((c: any) => c.code), ['city-hall']);
});

test('settlement statement and sales performance from orders on account and channel bookings', async () => {
  const acct = (await req('GET', '/api/v1/customers/cits')).body.account.id as string;
  const at = (d: number, h: number) => new Date(Date.UTC(2026, 10, d, h));
  // Window orders on the account (the ticket office writes these), with their credit charges.
  const order = async (issuedAt: Date, totalFen: number, quantity: number) => {
    const id = uuidv7();
    await hq.ctx.db.insert(orders).values({ id, site: 'demo', sellerId: admin!.id, accountId: acct, status: 'issued', visitDay: '2026-11-20', totalFen, request: {}, createdAt: issuedAt, issuedAt });
    await hq.ctx.db.insert(sales).values({ id: uuidv7(), site: 'demo', typeId: 1, quantity, unitPriceFen: totalFen / quantity, totalFen, orderId: id, persons: quantity, createdAt: issuedAt });
    await hq.ctx.db.insert(accountEntries).values({ id: uuidv7(), accountId: acct, ledger: 'credit', amount: totalFen, orderId: id, note: 'on_account', createdAt: issuedAt });
  };
  await order(at(5, 2), 96000, 10); // before the period: the opening balance
  await order(at(20, 2), 48000, 5);
  await order(at(21, 2), 19200, 2);
  await hq.ctx.db.insert(accountEntries).values({ id: uuidv7(), accountId: acct, ledger: 'credit', amount: -96000, note: 'repaid', createdAt: at(22, 2) });
  // The agency also books through its own channel.
  const ch = await req('POST', '/api/v1/channels/admin', { code: 'cits-api', name: '国旅接口', kind: 'ota', customerId: (await req('GET', '/api/v1/customers/cits')).body.id });
  await req('PUT', '/api/v1/channels/admin/cits-api/prices', { prices: [{ type: 'adult', priceFen: 9600 }] });
  const key = { 'X-Channel-Key': ch.body.apiKey };
  const b = await hq.raw('POST', '/api/v1/channels/bookings', { visitDay: '2026-11-26', items: [{ type: 'adult', quantity: 3 }], contact: { name: '团', phone: '13500000002' } }, { ...key, 'Idempotency-Key': 'cits-1' });
  await hq.raw('POST', `/api/v1/channels/bookings/${b.body.orderNo}/pay`, { amountFen: 28800, paymentRef: 'T1' }, { ...key, 'Idempotency-Key': 'cits-2' });

  const s = await req('GET', '/api/v1/customers/cits/statement?from=2026-11-16&to=2026-11-30');
  assert.is(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.credit, { openingFen: 96000, chargedFen: 67200, repaidFen: 96000, closingFen: 67200 });
  assert.is(s.body.orders.length, 3);
  assert.equal(s.body.orders.map((o: any) => [o.source, o.tickets, o.amountFen]), [['window', 5, 48000], ['window', 2, 19200], ['booking', 3, 28800]]);
  assert.is(s.body.totals.amountFen, 96000);
  assert.is(s.body.contract.contractNo, 'HT-2026-01');
  assert.is(s.body.dueDay, '2026-12-15');

  const p = await req('GET', '/api/v1/customers/performance?from=2026-11-01&to=2026-11-30');
  assert.is(p.status, 200, JSON.stringify(p.body));
  assert.equal(p.body.customers, [{ customer: 'cits', name: '国旅', kind: 'agency', orders: 4, tickets: 20, persons: 20, amountFen: 192000 }]);
  const none = await req('GET', '/api/v1/customers/performance?from=2026-10-01&to=2026-10-31');
  assert.equal(none.body.customers, []);
});

test('guides and drivers: points and rebates per visitor, once per group; payouts by finance, never below zero', async () => {
  const g = await req('POST', '/api/v1/customers/guides', { kind: 'guide', name: '孙导', phone: '13400000001', licenseNo: 'D-1234', customer: 'cits', discountPct: 100, pointsPerPerson: 2, rebateFenPerPerson: 500 });
  assert.is(g.status, 201, JSON.stringify(g.body));
  const dr = await req('POST', '/api/v1/customers/guides', { kind: 'driver', name: '李师傅', phone: '13400000002', licenseNo: '浙A12345', rebateFenPerPerson: 200 });
  assert.is(dr.status, 201);
  const v = await req('POST', `/api/v1/customers/guides/${g.body.id}/visits`, { ref: 'ORDER-1', persons: 30 });
  assert.is(v.status, 201, JSON.stringify(v.body));
  assert.equal(v.body.balances, { points: 60, rebateFen: 15000, persons: 30 });
  const twice = await req('POST', `/api/v1/customers/guides/${g.body.id}/visits`, { ref: 'ORDER-1', persons: 30 });
  assert.is(twice.status, 409);
  assert.is(twice.body.error.code, 'visit_recorded');
  await req('POST', `/api/v1/customers/guides/${dr.body.id}/visits`, { ref: 'ORDER-1', persons: 30 });
  assert.is((await req('GET', `/api/v1/customers/guides/${dr.body.id}`)).body.balances.rebateFen, 6000);
  const seller = await hq.userToken('seller-g', ['seller']);
  const bySeller = await hq.raw('POST', `/api/v1/customers/guides/${g.body.id}/payouts`, { entry: 'payout', amount: 100, note: 'x' }, { authorization: `Bearer ${seller}` });
  assert.is(bySeller.status, 403);
  const visitBySeller = await hq.raw('POST', `/api/v1/customers/guides/${g.body.id}/visits`, { ref: 'ORDER-2', persons: 1 }, { authorization: `Bearer ${seller}` });
  assert.is(visitBySeller.status, 201);
  const pay = await req('POST', `/api/v1/customers/guides/${g.body.id}/payouts`, { entry: 'payout', amount: 10000, note: '11月返利' });
  assert.is(pay.status, 201, JSON.stringify(pay.body));
  assert.is(pay.body.balances.rebateFen, 5500);
  const over = await req('POST', `/api/v1/customers/guides/${g.body.id}/payouts`, { entry: 'redeem', amount: 1000, note: 'too much' });
  assert.is(over.status, 409);
  assert.is(over.body.error.code, 'insufficient_balance');
  assert.equal((await req('GET', '/api/v1/customers/guides?phone=13400000001')).body.map((x: any) => x.name), ['孙导']);
  assert.is((await req('GET', '/api/v1/customers/cits')).body.guides.length, 1);
});

test('bad input: 4xx with clear errors, nothing written', async () => {
  const count = async () => {
    const r = (await hq.ctx.db.execute('select (select count(*) from customers)::int + (select count(*) from contracts)::int + (select count(*) from guides)::int + (select count(*) from guide_ledger)::int as n')) as unknown as { rows?: { n: number }[] } & { n: number }[];
    return (r.rows ?? r)[0]!.n;
  };
  const before = await count();
  const cases: [string, string, unknown, number, string][] = [
    ['POST', '/api/v1/customers', 'x', 400, 'invalid_json'],
    ['POST', '/api/v1/customers', { code: 'cits', name: '重复', kind: 'agency' }, 409, 'duplicate'],
    ['POST', '/api/v1/customers', { code: 'X Y', name: 'a', kind: 'agency' }, 400, 'invalid_request'],
    ['POST', '/api/v1/customers', { code: 'abc', name: 'a', kind: 'shop' }, 400, 'invalid_request'],
    ['POST', '/api/v1/customers/cits/contracts', { contractNo: 'HT-X', startDay: '2026-12-01', endDay: '2026-11-01', category: 'a', settlement: 'monthly' }, 400, 'invalid_request'],
    ['POST', '/api/v1/customers/cits/contracts', { contractNo: 'HT-X', startDay: '2026-02-30', endDay: '2026-11-01', category: 'a', settlement: 'monthly' }, 400, 'invalid_request'],
    ['POST', '/api/v1/customers/cits/contracts', { contractNo: 'HT-2026-01', startDay: '2026-01-01', endDay: '2026-11-01', category: 'a', settlement: 'monthly' }, 409, 'duplicate'],
    ['POST', '/api/v1/customers/cits/contracts', { contractNo: 'HT-Y', startDay: '2026-01-01', endDay: '2026-11-01', category: 'a', settlement: 'monthly', discountPct: 120 }, 400, 'invalid_request'],
    ['POST', '/api/v1/customers/nope/contracts', { contractNo: 'HT-Z', startDay: '2026-01-01', endDay: '2026-11-01', category: 'a', settlement: 'monthly' }, 404, 'not_found'],
    ['GET', '/api/v1/customers/nope', undefined, 404, 'not_found'],
    ['GET', '/api/v1/customers/cits/statement?from=2026-11-30&to=2026-11-01', undefined, 400, 'invalid_request'],
    ['GET', '/api/v1/customers/cits/statement', undefined, 400, 'invalid_request'],
    ['GET', '/api/v1/customers/performance?from=x&to=y', undefined, 400, 'invalid_request'],
    ['POST', '/api/v1/customers/guides', { kind: 'guide', name: 'a', phone: '12345678' }, 422, 'invalid_phone'],
    ['POST', '/api/v1/customers/guides', { kind: 'guide', name: 'a', phone: '13400000009', customer: 'nope' }, 404, 'not_found'],
    ['POST', '/api/v1/customers/guides', { kind: 'pilot', name: 'a', phone: '13400000009' }, 400, 'invalid_request'],
    ['GET', '/api/v1/customers/guides/abc', undefined, 404, 'not_found'],
    ['GET', '/api/v1/customers/guides/99999999999', undefined, 404, 'not_found'],
    ['POST', '/api/v1/customers/guides/1/visits', { ref: 'X', persons: 0 }, 400, 'invalid_request'],
    ['POST', '/api/v1/customers/guides/1/payouts', { entry: 'payout', amount: -5, note: 'x' }, 400, 'invalid_request'],
  ];
  for (const [method, path, body, status, code] of cases) {
    const r = await req(method, path, body);
    assert.is(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.is(r.body.error.code, code, `${method} ${path}`);
  }
  assert.is(await count(), before);
  const seller = await hq.userToken('seller-c', ['seller']);
  assert.is((await hq.raw('POST', '/api/v1/customers', { code: 'zz', name: 'z', kind: 'unit' }, { authorization: `Bearer ${seller}` })).status, 403);
  assert.is((await hq.raw('GET', '/api/v1/customers/cits', undefined, { authorization: `Bearer ${seller}` })).status, 200);
});

test.after(() => hq.close());
test.run();
