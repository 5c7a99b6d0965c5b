import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAnswer } from '../../test/support/api-schema.ts';
import { openHq } from '../../test/support/hq.ts';

// 10:00 on 2026-11-25 in Shanghai.
const hq = await openHq({ now: Date.UTC(2026, 10, 25, 2, 0) });
const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const cash = (amountFen: number) => ({ method: 'cash', amountFen, tenderedFen: amountFen });

/** A GET as this token, its answer held to the route's declared schema. */
async function list(token: string | null, path: string) {
  const r = token === null ? await hq.req('GET', path) : await hq.req('GET', path, undefined, auth(token));
  if (r.status === 200) checkAnswer(hq.app, 'GET', path, 200, r.body);
  return r;
}
async function must(r: Promise<{ status: number; body: any }>, status: number) {
  const got = await r;
  if (got.status !== status) throw new Error(`expected ${status}, got ${got.status}: ${JSON.stringify(got.body)}`);
  return got.body;
}
/** Every row of a list, one page of `limit` at a time. */
async function walk(token: string | null, path: string, limit: number) {
  const seen: any[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await list(token, `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.is(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.items.length <= limit);
    seen.push(...r.body.items);
    cursor = r.body.next;
    if (!cursor) return seen;
  }
  throw new Error('paging did not end');
}
const tick = () => { hq.clock.now += 60_000; };

const seller1 = await hq.userToken('seller1', ['seller']);
const seller2 = await hq.userToken('seller2', ['seller']);
const finance = await hq.userToken('finance1', ['finance']);
const marketing = await hq.userToken('market1', ['marketing']);
const idOf = async (token: string) => (await hq.req('GET', '/api/v1/auth/me', undefined, auth(token))).body.id as string;
const s1 = await idOf(seller1);
const s2 = await idOf(seller2);
const orders: Record<string, any> = {};

test.before(async () => {
  await must(hq.req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1, saleMethods: ['print', 'barcode_activation'] }), 201);
  await must(hq.req('POST', '/api/v1/ticket-types', { code: 'child', name: '儿童票', priceFen: 6000, validityDays: 1, entries: 1, persons: 1 }), 201);
  await must(hq.req('POST', '/api/v1/discounts', { code: 'half', name: '半价', kind: 'percent', value: 50 }), 201);
  await must(hq.req('POST', '/api/v1/price-rules', { type: 'adult', name: '周末', weekdays: [6, 7], priceFen: 15000, priority: 1 }), 201);
  for (const id of [s1, s2]) await must(hq.req('PUT', `/api/v1/sellers/${id}/grants`, { types: ['adult', 'child'], discounts: ['half'] }), 200);
  await must(hq.req('POST', '/api/v1/shifts', { floatFen: 10000 }, auth(seller1)), 201);
  await must(hq.req('POST', '/api/v1/shifts', { floatFen: 5000 }, auth(seller2)), 201);
  await must(hq.req('POST', '/api/v1/vouchers', { code: 'VC-1000', valueFen: 6000 }), 201);
  await must(hq.req('POST', '/api/v1/vouchers', { code: 'VC-2000', valueFen: 3000 }), 201);
  const sell = async (name: string, token: string, body: object) => {
    tick();
    orders[name] = await must(hq.req('POST', '/api/v1/orders', body, auth(token)), 201);
  };
  await sell('o1', seller1, { lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000)], note: '散客' });
  await sell('o2', seller1, { lines: [{ type: 'child', quantity: 1, discount: 'half' }, { type: 'adult', quantity: 1 }], payments: [{ method: 'card', amountFen: 15000, reference: 'POS-1234' }] });
  await sell('o3', seller1, { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(6000), { method: 'voucher', amountFen: 6000, code: 'VC-1000' }] });
  await sell('o4', seller2, { lines: [{ type: 'child', quantity: 1 }], payments: [cash(6000)] });
  tick();
  // The administrator (who has the refund permission) takes one ticket of o1 back in cash.
  await must(hq.req('POST', `/api/v1/orders/${orders.o1.id}/refunds`, { tickets: [orders.o1.lines[0].tickets[0].id], method: 'cash', reason: '游客改期' }), 201);
});

test('orders: finance sees every seller, a seller only their own; filters, sort and paging', async () => {
  const all = await walk(finance, '/api/v1/orders', 1);
  assert.equal(all.map((o) => o.id), [orders.o4.id, orders.o3.id, orders.o2.id, orders.o1.id], 'newest first, each once');
  const o1 = all.find((o) => o.id === orders.o1.id);
  assert.equal([o1.totalFen, o1.paidFen, o1.refundedFen, o1.seller.username, o1.note], [24000, 24000, 12000, 'seller1', '散客']);
  assert.equal(o1.lines, [{ type: 'adult', typeName: '成人票', quantity: 2, amountFen: 24000 }]);
  const mine = await walk(seller1, '/api/v1/orders', 2);
  assert.equal(mine.map((o) => o.id).sort(), [orders.o1.id, orders.o2.id, orders.o3.id].sort());
  assert.is((await list(seller1, `/api/v1/orders?seller=${s2}`)).body.items.length, 0, 'another seller\'s orders stay hidden');
  assert.is((await list(finance, `/api/v1/orders?seller=${s2}`)).body.items[0].id, orders.o4.id);
  const byTotal = await walk(finance, '/api/v1/orders?sort=totalFen', 3);
  assert.equal(byTotal.map((o) => o.totalFen), [6000, 12000, 15000, 24000]);
  assert.is((await list(finance, `/api/v1/orders?q=${orders.o2.id.slice(0, 13)}`)).body.items[0].id, orders.o2.id);
  assert.is((await list(finance, '/api/v1/orders?q=散客')).body.items.length, 1);
  assert.is((await list(finance, '/api/v1/orders?from=2026-11-25&to=2026-11-25')).body.items.length, 4);
  assert.is((await list(finance, '/api/v1/orders?from=2026-11-26')).body.items.length, 0);
  assert.is((await list(finance, '/api/v1/orders?status=cancelled,reserved')).body.items.length, 0);
  assert.is((await list(finance, '/api/v1/orders?status=issued')).body.items.length, 4);
});

test('lists refuse what they do not know, in Chinese by default and in English on request', async () => {
  const page = await list(finance, '/api/v1/orders?limit=1');
  const other = await hq.req('GET', `/api/v1/orders?sort=totalFen&cursor=${page.body.next}`, undefined, auth(finance));
  assert.is(other.status, 400);
  assert.is(other.body.error.code, 'invalid_cursor', 'a cursor of another sort');
  const garbage = await hq.req('GET', '/api/v1/orders?cursor=bm90IGEgY3Vyc29y', undefined, auth(finance));
  assert.is(garbage.body.error.code, 'invalid_cursor');
  assert.is(garbage.body.error.message, '翻页参数无效，请从第一页重新查询');
  const bad = await hq.req('GET', '/api/v1/orders?status=sold&limit=0', undefined, auth(finance));
  assert.is(bad.status, 400);
  assert.equal(bad.body.error.issues.map((i: any) => [i.path, i.field]), [['status', '状态'], ['limit', '每页条数']]);
  assert.is(bad.body.error.message, '状态应为以下之一：reserved、pending、issued、cancelled');
  const en = await hq.req('GET', '/api/v1/orders?limit=0', undefined, { ...auth(finance), 'accept-language': 'en-US,en;q=0.9' });
  assert.is(en.body.error.message, 'page size must be at least 1');
  assert.is((await hq.req('GET', '/api/v1/orders', undefined, auth(marketing))).status, 403, 'marketing does not read orders');
  assert.is((await hq.req('GET', '/api/v1/users', undefined, auth(seller1))).status, 403, 'sellers do not list users');
});

test('payments and refunds: by method, kind, seller; a refund with the methods it was paid back by', async () => {
  const pays = await walk(finance, '/api/v1/payments', 2);
  assert.is(pays.length, 6, 'five charges and one payment back');
  assert.is(pays.reduce((s, p) => s + p.amountFen, 0), 24000 + 15000 + 12000 + 6000 - 12000);
  assert.equal((await list(finance, '/api/v1/payments?kind=refund')).body.items.map((p: any) => [p.method, p.amountFen]), [['cash', -12000]]);
  assert.equal((await list(finance, '/api/v1/payments?method=card,voucher&sort=amountFen')).body.items.map((p: any) => p.amountFen), [6000, 15000]);
  assert.is((await list(seller2, '/api/v1/payments')).body.items.length, 1, 'a seller sees their own takings');
  assert.is((await list(finance, `/api/v1/payments?order=${orders.o3.id}`)).body.items.length, 2);
  const refunds = await list(finance, '/api/v1/refunds');
  assert.is(refunds.body.items.length, 1);
  const r = refunds.body.items[0];
  assert.equal([r.orderId, r.amountFen, r.reason, r.ticketIds.length, r.methods], [orders.o1.id, 12000, '游客改期', 1, [{ method: 'cash', amountFen: 12000 }]]);
  assert.is((await list(finance, '/api/v1/refunds?method=card')).body.items.length, 0);
  assert.is((await list(seller1, '/api/v1/refunds')).body.items.length, 0, 'the administrator made the refund, not seller1');
});

test('tickets: by order, state, type, ticket id or a bound credential', async () => {
  const all = await walk(finance, '/api/v1/tickets', 2);
  assert.is(all.length, 6);
  const revoked = await list(finance, '/api/v1/tickets?state=revoked');
  assert.equal(revoked.body.items.map((t: any) => [t.id, t.revokedReason]), [[orders.o1.lines[0].tickets[0].id, 'refunded']]);
  assert.is((await list(finance, '/api/v1/tickets?state=valid')).body.items.length, 5);
  assert.is((await list(finance, `/api/v1/tickets?order=${orders.o2.id}`)).body.items.length, 2);
  assert.is((await list(finance, '/api/v1/tickets?type=child')).body.items.length, 2);
  const one = orders.o2.lines[0].tickets[0].id as string;
  const byId = (await list(seller2, `/api/v1/tickets?q=${one}`)).body.items;
  assert.equal(byId.map((t: any) => [t.id, t.orderId, t.type, t.typeName, t.state]), [[one, orders.o2.id, 'child', '儿童票', 'valid']]);
  const bound = await must(hq.req('POST', `/api/v1/tickets/${one}/credentials`, { kind: 'card', value: '04A1B2C3D4' }), 201);
  checkAnswer(hq.app, 'POST', `/api/v1/tickets/${one}/credentials`, 201, bound);
  const ticket = await list(seller1, `/api/v1/tickets/${one}`);
  assert.equal([ticket.body.type, ticket.body.credentials, ticket.body.used], ['child', [{ kind: 'card', value: '04A1B2C3D4' }], { entries: 0, persons: 0 }]);
  const byCard = (await list(finance, '/api/v1/tickets?q=04A1B2C3D4')).body.items;
  assert.equal(byCard.map((t: any) => [t.id, t.credentials]), [[one, [{ kind: 'card', value: '04A1B2C3D4' }]]]);
});

test('shifts: open and closed, differences; sellers see their own', async () => {
  const [mine] = (await list(seller1, '/api/v1/shifts')).body.items;
  assert.equal([mine.state, mine.totals, mine.seller.username], ['open', null, 'seller1']);
  // Float 100 + cash 240 + 60 = 400 yuan expected (the refund was the administrator's); 399.50 counted.
  const closed = await must(hq.req('POST', `/api/v1/shifts/${mine.id}/close`, { counted: { cash: 39950, card: 15000, voucher: 6000 } }, auth(seller1)), 200);
  assert.ok(closed.reportHash);
  const all = await walk(finance, '/api/v1/shifts', 1);
  assert.equal(all.map((s) => s.seller.username).sort(), ['seller1', 'seller2']);
  const differing = (await list(finance, '/api/v1/shifts?differences=true')).body.items;
  assert.equal(differing.map((s: any) => [s.id, s.totals.differenceFen, s.totals.expectedFen]), [[mine.id, -50, 40000 + 15000 + 6000]]);
  assert.is((await list(finance, '/api/v1/shifts?state=open')).body.items[0].seller.username, 'seller2');
  assert.is((await list(finance, '/api/v1/shifts?differences=false')).body.items.length, 0, 'the open shift is not counted yet');
  assert.is((await list(seller2, '/api/v1/shifts')).body.items.length, 1);
});

test('customer accounts with balances, and their entries', async () => {
  const a = await must(hq.req('POST', '/api/v1/customer-accounts', { name: '青年旅行社', category: 'agency', creditLimitFen: 50000 }, auth(finance)), 201);
  await must(hq.req('POST', '/api/v1/customer-accounts', { name: '市政府接待办', category: 'unit' }, auth(finance)), 201);
  tick();
  await must(hq.req('POST', `/api/v1/customer-accounts/${a.id}/entries`, { ledger: 'deposit', amount: 20000, note: '预存' }, auth(finance)), 201);
  tick();
  await must(hq.req('POST', `/api/v1/customer-accounts/${a.id}/entries`, { ledger: 'credit', amount: 8000, note: '挂账' }, auth(finance)), 201);
  const found = (await list(seller1, '/api/v1/customer-accounts?q=旅行')).body.items;
  assert.equal(found.map((x: any) => [x.name, x.balances, x.creditLeftFen]), [['青年旅行社', { deposit: 20000, points: 0, credit: 8000 }, 42000]]);
  assert.equal((await walk(finance, '/api/v1/customer-accounts', 1)).map((x) => x.name), ['市政府接待办', '青年旅行社'].sort());
  assert.is((await list(finance, '/api/v1/customer-accounts?category=unit')).body.items.length, 1);
  const entries = await walk(finance, `/api/v1/customer-accounts/${a.id}/entries`, 1);
  assert.equal(entries.map((e) => [e.ledger, e.amount, e.by.username]), [['credit', 8000, 'finance1'], ['deposit', 20000, 'finance1']]);
  assert.is((await list(finance, `/api/v1/customer-accounts/${a.id}/entries?ledger=deposit`)).body.items.length, 1);
  const none = await hq.req('GET', '/api/v1/customer-accounts/0196f0a0-0000-7000-8000-000000000000/entries', undefined, auth(finance));
  assert.equal([none.status, none.body.error.code, none.body.error.message], [404, 'not_found', '客户账户不存在：0196f0a0-0000-7000-8000-000000000000']);
});

test('vouchers by state; stock batches and where each serial is', async () => {
  assert.equal((await list(finance, '/api/v1/vouchers?state=used')).body.items.map((v: any) => [v.code, v.usedBy.orderId]), [['VC-1000', orders.o3.id]]);
  assert.equal((await list(finance, '/api/v1/vouchers?state=unused')).body.items.map((v: any) => v.code), ['VC-2000']);
  assert.is((await list(finance, '/api/v1/vouchers?q=VC-2')).body.items.length, 1);
  const b = await must(hq.req('POST', '/api/v1/stock/batches', { type: 'adult', prefix: 'AD', firstNumber: 1, count: 5 }, auth(finance)), 201);
  await must(hq.req('POST', '/api/v1/stock/receive', { serials: ['AD00000001', 'AD00000002', 'AD00000003'] }, auth(finance)), 200);
  await must(hq.req('POST', '/api/v1/stock/issue', { serials: ['AD00000001'], to: s1 }, auth(finance)), 200);
  const [batch] = (await list(seller1, '/api/v1/stock/batches?type=adult')).body.items;
  assert.equal([batch.id, batch.firstSerial, batch.lastSerial, batch.byStatus], [b.id, 'AD00000001', 'AD00000005', { made: 2, in_store: 2, issued: 1, returned: 0, sold: 0, voided: 0 }]);
  const items = await walk(finance, `/api/v1/stock/items?batch=${b.id}`, 2);
  assert.equal(items.map((i) => i.serial), ['AD00000001', 'AD00000002', 'AD00000003', 'AD00000004', 'AD00000005']);
  assert.equal((await list(finance, `/api/v1/stock/items?holder=${s1}`)).body.items.map((i: any) => [i.serial, i.status, i.holder.username]), [['AD00000001', 'issued', 'seller1']]);
  assert.is((await list(finance, '/api/v1/stock/items?status=in_store,made')).body.items.length, 4);
});

test('users: search, role and activity', async () => {
  assert.equal((await walk(null, '/api/v1/users?role=seller', 1)).map((u) => u.username), ['seller1', 'seller2']);
  assert.equal((await list(finance, '/api/v1/users?q=SELL&sort=-username')).body.items.map((u: any) => u.username), ['seller2', 'seller1']);
  await must(hq.req('PATCH', `/api/v1/users/${s2}`, { active: false }), 200);
  assert.equal((await list(null, '/api/v1/users?active=false')).body.items.map((u: any) => u.username), ['seller2']);
});

test('quote: the office\'s prices, calendar and discounts; the order charges what the quote said', async () => {
  const body = { visitDay: '2026-11-28', lines: [{ type: 'adult', quantity: 2 }, { type: 'child', quantity: 3, discount: 'half', group: 'one' }] };
  const q = await must(hq.req('POST', '/api/v1/quote', body, auth(seller1)), 200);
  checkAnswer(hq.app, 'POST', '/api/v1/quote', 200, q);
  assert.equal(q.lines.map((l: any) => [l.type, l.listFen, l.priceRule, l.discountFen, l.unitFen, l.amountFen, l.tickets, l.persons]), [
    ['adult', 15000, '周末', 0, 15000, 30000, 2, 2],
    ['child', 6000, null, 3000, 3000, 9000, 1, 3],
  ]);
  assert.equal([q.listTotalFen, q.discountTotalFen, q.totalFen], [48000, 9000, 39000]);
  const weekday = await must(hq.req('POST', '/api/v1/quote', { ...body, visitDay: '2026-11-26' }, auth(seller1)), 200);
  assert.is(weekday.totalFen, 24000 + 9000);
  await must(hq.req('POST', '/api/v1/shifts', { floatFen: 0 }, auth(seller1)), 201);
  const o = await must(hq.req('POST', '/api/v1/orders', { ...body, payments: [cash(q.totalFen)] }, auth(seller1)), 201);
  assert.is(o.totalFen, q.totalFen);
  const unknown = await hq.req('POST', '/api/v1/quote', { lines: [{ type: 'nope', quantity: 1 }] }, auth(seller1));
  assert.equal([unknown.status, unknown.body.error.message], [404, '票种不存在：nope']);
  const invalid = await hq.req('POST', '/api/v1/quote', { lines: [{ type: 'adult', quantity: 0 }] }, auth(seller1));
  assert.equal([invalid.body.error.field, invalid.body.error.message], ['lines.0.quantity', '购票明细第 1 项的数量不能小于 1']);
});

test.after(() => hq.close());
test.run();
