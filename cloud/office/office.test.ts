import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readChanges } from '../sync/changes.ts';
import { api, login, startTestCloud } from '../../test/support/cloud.ts';
import { cash, must, seedOffice } from '../../test/support/office.ts';

type Cloud = Awaited<ReturnType<typeof startTestCloud>>;
let cloud: Cloud;
let u: string;
let s1: { id: string; token: string };
let s2: { id: string; token: string };
let fin: { id: string; token: string };
const as = (token: string, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) => api(cloud.url, path, { ...init, token });
const order = (token: string, body: unknown, headers?: Record<string, string>) => as(token, '/api/v1/orders', { body, headers });
const auditCount = async () => (await api(u, '/api/v1/audit/verify')).body.records as number;

test.before(async () => {
  cloud = await startTestCloud();
  u = cloud.url;
  const seeded = await seedOffice(u, { capacity: 30 });
  [s1, s2] = [seeded.sellers[0]!, seeded.sellers[1]!];
  fin = seeded.finance;
});
test.after(async () => cloud.cleanup());

test('a seller sells only in an open shift, only granted types and discounts', async () => {
  const noShift = await order(s1.token, { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] });
  assert.is(noShift.status, 409);
  assert.is(noShift.body.error.code, 'no_open_shift');
  must(await as(s1.token, '/api/v1/shifts', { body: { floatFen: 50000 } }), 201);
  must(await as(s2.token, '/api/v1/shifts', { body: { floatFen: 20000 } }), 201);
  assert.is((await as(s1.token, '/api/v1/shifts', { body: { floatFen: 1 } })).body.error.code, 'shift_open');
  must(await api(u, '/api/v1/discounts', { body: { code: 'free', name: '免票', kind: 'percent', value: 100 } }), 201);
  const before = await auditCount();
  const vip = await order(s1.token, { lines: [{ type: 'adult', quantity: 1 }, { type: 'vip', quantity: 1 }], payments: [cash(62000)] });
  assert.is(vip.status, 403);
  assert.is(vip.body.error.code, 'type_not_granted');
  const free = await order(s1.token, { lines: [{ type: 'adult', quantity: 1, discount: 'free' }], payments: [] });
  assert.is(free.status, 403);
  assert.is(free.body.error.code, 'discount_not_granted');
  assert.is(await auditCount(), before, 'a refused order writes nothing');
  // The administrator may sell anything (no shift needed).
  const a = must(await api(u, '/api/v1/orders', { body: { lines: [{ type: 'vip', quantity: 1, discount: 'free' }], payments: [] } }), 201);
  assert.is(a.totalFen, 0);
  assert.is(a.lines[0].tickets.length, 1);
});

test('several lines, discounts, combined payments with change; the sum must match', async () => {
  must(await api(u, '/api/v1/vouchers', { body: { code: 'VC-0001', valueFen: 5000 } }), 201);
  const body = {
    lines: [{ type: 'adult', quantity: 2 }, { type: 'child', quantity: 1, discount: 'half' }, { type: 'adult', quantity: 1, discount: 'minus10' }],
    payments: [cash(20000, 20050), { method: 'card', amountFen: 13000, reference: 'POS-778812' }, { method: 'voucher', amountFen: 5000, code: 'VC-0001' }],
  };
  // 2 x 120 + 30 + 110 = 380 yuan
  const o = must(await order(s1.token, body), 201);
  assert.is(o.totalFen, 38000);
  assert.is(o.status, 'issued');
  assert.equal(o.lines.map((l: any) => [l.type, l.unitPriceFen, l.tickets.length]), [['adult', 12000, 2], ['child', 3000, 1], ['adult', 11000, 1]].sort(() => 0));
  const cashRow = o.payments.find((p: any) => p.method === 'cash');
  assert.is(cashRow.changeFen, 50);
  const again = await order(s1.token, { ...body, payments: [cash(33000), { method: 'voucher', amountFen: 5000, code: 'VC-0001' }] });
  assert.is(again.status, 409);
  assert.is(again.body.error.code, 'voucher_used');
  const short = await order(s1.token, { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(11999)] });
  assert.is(short.status, 400);
  assert.is(short.body.error.code, 'payment_mismatch');
  const tendered = await order(s1.token, { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000, 100)] });
  assert.is(tendered.status, 400);
  // The tickets are the gates' tickets: in the change log, with signed codes.
  const log = await readChanges(cloud.ctx!.db, { site: 'demo', since: 0, limit: 10000, now: Date.now(), logId: cloud.ctx!.changeLog });
  const ids = new Set(log.changes.flatMap((c) => (c.kind === 'ticket' ? [c.ticket.id] : [])));
  for (const l of o.lines) for (const t of l.tickets) assert.ok(ids.has(t.id));
});

test('price calendar: weekday, season and holiday rules; highest priority wins', async () => {
  must(await api(u, '/api/v1/ticket-types', { body: { code: 'park', name: '公园票', priceFen: 10000, validityDays: 1, entries: 1, persons: 1 } }), 201);
  must(await api(u, '/api/v1/price-rules', { body: { type: 'park', name: '周末', weekdays: [6, 7], priceFen: 15000, priority: 1 } }), 201);
  must(await api(u, '/api/v1/price-rules', { body: { type: 'park', name: '旺季', fromDay: '2030-07-01', toDay: '2030-08-31', priceFen: 13000, priority: 0 } }), 201);
  must(await api(u, '/api/v1/price-rules', { body: { type: 'park', name: '节假日', holidaysOnly: true, priceFen: 18000, priority: 5 } }), 201);
  must(await api(u, '/api/v1/holidays/2030-10-01', { method: 'PUT', body: { name: '国庆节' } }), 200);
  const price = async (day: string) => {
    const { priceOn } = await import('./pricing/pricing.ts');
    const { ticketTypeByCode } = await import('../catalog/service.ts');
    return (await priceOn(cloud.ctx!.db, await ticketTypeByCode(cloud.ctx!.db, 'park'), day)).priceFen;
  };
  assert.is(await price('2030-06-04'), 10000, 'a Tuesday out of season');
  assert.is(await price('2030-06-08'), 15000, 'a Saturday');
  assert.is(await price('2030-07-09'), 13000, 'a Tuesday in season');
  assert.is(await price('2030-07-13'), 15000, 'a Saturday in season: the weekend rule has priority');
  assert.is(await price('2030-10-01'), 18000, 'a holiday');
  assert.is((await api(u, '/api/v1/price-rules', { body: { type: 'park', name: 'x', fromDay: '2030-09-01', toDay: '2030-08-01', priceFen: 1 } })).status, 400);
});

test('capacity: 50 concurrent orders for 30 places sell exactly 30', async () => {
  const day = (await api(u, '/api/v1/health')).body.time;
  const { businessDay, addDays } = await import('../../shared/time/zone.ts');
  const visitDay = addDays(businessDay(day, 'Asia/Shanghai'), 3);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    order(i % 2 ? s1.token : s2.token, { visitDay, lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] })));
  const ok = results.filter((r) => r.status === 201).length;
  assert.is(ok, 30);
  assert.ok(results.every((r) => r.status === 201 || (r.status === 409 && r.body.error.code === 'sold_out')), JSON.stringify(results.find((r) => r.status !== 201 && r.status !== 409)?.body));
  const cap = must(await api(u, `/api/v1/capacity/adult/${visitDay}`), 200);
  assert.equal([cap.sold, cap.left], [30, 0]);
  // A refund gives a place back; then exactly one more sells.
  const first = results.find((r) => r.status === 201)!.body;
  must(await api(u, `/api/v1/orders/${first.id}/refunds`, { body: { tickets: [first.lines[0].tickets[0].id], method: 'cash', reason: '游客改期' } }), 201);
  assert.is((await order(s1.token, { visitDay, lines: [{ type: 'adult', quantity: 2 }], payments: [cash(24000)] })).body.error.code, 'sold_out');
  must(await order(s1.token, { visitDay, lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] }), 201);
});

test('customer accounts: credit limit for 挂账/签单, deposit and points balances', async () => {
  const acct = must(await as(fin.token, '/api/v1/customer-accounts', { body: { name: '青旅', category: 'agency', creditLimitFen: 30000 } }), 201);
  assert.is((await as(s1.token, '/api/v1/customer-accounts', { body: { name: 'x' } })).status, 403, 'sellers do not open accounts');
  const one = must(await order(s1.token, { account: acct.id, lines: [{ type: 'adult', quantity: 2 }], payments: [{ method: 'on_account', amountFen: 24000 }] }), 201);
  assert.is(one.status, 'issued');
  const over = await order(s1.token, { account: acct.id, lines: [{ type: 'child', quantity: 2 }], payments: [{ method: 'signed_bill', amountFen: 12000, signer: '张导' }] });
  assert.is(over.status, 409);
  assert.is(over.body.error.code, 'credit_limit');
  must(await order(s1.token, { account: acct.id, lines: [{ type: 'child', quantity: 1 }], payments: [{ method: 'signed_bill', amountFen: 6000, signer: '张导' }] }), 201);
  let a = must(await as(fin.token, `/api/v1/customer-accounts/${acct.id}`), 200);
  assert.equal([a.balances.credit, a.creditAvailableFen], [30000, 0]);
  // Repayment frees the credit; deposits and points pay too, never below zero.
  must(await as(fin.token, `/api/v1/customer-accounts/${acct.id}/entries`, { body: { ledger: 'credit', amount: -24000, note: '月结还款' } }), 201);
  must(await as(fin.token, `/api/v1/customer-accounts/${acct.id}/entries`, { body: { ledger: 'deposit', amount: 10000, note: '预存' } }), 201);
  must(await as(fin.token, `/api/v1/customer-accounts/${acct.id}/entries`, { body: { ledger: 'points', amount: 3000, note: '积分' } }), 201);
  const poor = await order(s1.token, { account: acct.id, lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'deposit', amountFen: 12000 }] });
  assert.is(poor.body.error.code, 'insufficient_balance');
  must(await order(s1.token, { account: acct.id, lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'deposit', amountFen: 9000 }, { method: 'points', amountFen: 3000 }] }), 201);
  a = must(await as(fin.token, `/api/v1/customer-accounts/${acct.id}`), 200);
  assert.equal(a.balances, { deposit: 1000, points: 0, credit: 6000 });
  assert.is((await order(s1.token, { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'on_account', amountFen: 12000 }] })).body.error.code, 'account_required');
  // A category discount needs a customer of that category.
  must(await api(u, '/api/v1/discounts', { body: { code: 'agency20', name: '旅行社8折', kind: 'percent', value: 20, customerCategory: 'agency' } }), 201);
  must(await api(u, `/api/v1/sellers/${s1.id}/grants`, { method: 'PUT', body: { types: ['adult', 'child'], discounts: ['half', 'minus10', 'agency20'] } }), 200);
  assert.is((await order(s1.token, { lines: [{ type: 'adult', quantity: 1, discount: 'agency20' }], payments: [cash(9600)] })).body.error.code, 'discount_not_applicable');
  must(await order(s1.token, { account: acct.id, lines: [{ type: 'adult', quantity: 1, discount: 'agency20' }], payments: [cash(9600)] }), 201);
});

test('mobile payment: pending until the provider confirms; a declined one cancels and frees the places', async () => {
  const p = must(await order(s2.token, { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(2000), { method: 'mobile', amountFen: 10000, authCode: '134567890123456781' }] }), 201);
  assert.is(p.status, 'pending');
  assert.is(p.lines.length, 0, 'nothing issued yet');
  const done = must(await as(s2.token, `/api/v1/payments/intents/${p.intents[0].id}/query`, { body: {} }), 200);
  assert.is(done.status, 'issued');
  assert.equal(done.payments.map((x: any) => x.method).sort(), ['cash', 'mobile']);
  assert.is(done.lines[0].tickets.length, 1);
  const d = must(await order(s2.token, { lines: [{ type: 'child', quantity: 1 }], payments: [{ method: 'mobile', amountFen: 6000, authCode: '134567890123456784' }] }), 201);
  assert.is(d.status, 'cancelled');
  assert.is(d.payments.length, 0);
  const now = must(await order(s2.token, { lines: [{ type: 'child', quantity: 1 }], payments: [{ method: 'mobile', amountFen: 6000, authCode: '134567890123456780' }] }), 201);
  assert.is(now.status, 'issued');
});

test('refunds: partial, never beyond what was paid or by a method not used; only with the right', async () => {
  const o = must(await order(s1.token, { lines: [{ type: 'adult', quantity: 3 }], payments: [cash(20000), { method: 'card', amountFen: 16000, reference: 'POS-1' }] }), 201);
  const [t1, t2, t3] = o.lines[0].tickets.map((t: any) => t.id);
  const denied = await as(s1.token, `/api/v1/orders/${o.id}/refunds`, { body: { tickets: [t1], method: 'cash', reason: '不想去了' } });
  assert.is(denied.status, 403);
  assert.is(denied.body.error.code, 'refund_not_allowed');
  const r1 = must(await as(fin.token, `/api/v1/orders/${o.id}/refunds`, { body: { tickets: [t1], method: 'cash', reason: '不想去了' } }), 201);
  assert.is(r1.order.refundedFen, 12000);
  assert.is(r1.order.lines[0].tickets.find((t: any) => t.id === t1).revoked, 'refunded');
  assert.is((await as(fin.token, `/api/v1/orders/${o.id}/refunds`, { body: { tickets: [t1], method: 'cash', reason: 'again' } })).body.error.code, 'ticket_revoked');
  const r2 = await as(fin.token, `/api/v1/orders/${o.id}/refunds`, { body: { tickets: [t2], method: 'cash', reason: '现金不够' } });
  assert.is(r2.body.error.code, 'refund_exceeds_method', JSON.stringify(r2.body));
  assert.is((await as(fin.token, `/api/v1/orders/${o.id}/refunds`, { body: { amountFen: 24001, method: 'card', reason: '超额' } })).body.error.code, 'refund_exceeds_paid');
  assert.is((await as(fin.token, `/api/v1/orders/${o.id}/refunds`, { body: { tickets: [t2], method: 'points', reason: '无理由' } })).body.error.code, 'refund_exceeds_method');
  must(await as(fin.token, `/api/v1/orders/${o.id}/refunds`, { body: { tickets: [t2, t3], amountFen: 16000, method: 'card', reason: '全部退' } }), 201);
  must(await as(fin.token, `/api/v1/orders/${o.id}/refunds`, { body: { amountFen: 8000, method: 'cash', reason: '全部退（现金部分）' } }), 201);
  assert.is((await as(fin.token, `/api/v1/orders/${o.id}/refunds`, { body: { amountFen: 1, method: 'cash', reason: '再退' } })).body.error.code, 'refund_exceeds_paid');
  const after = must(await api(u, `/api/v1/orders/${o.id}`), 200);
  assert.equal([after.netFen, after.refundedFen], [0, 36000]);
  const log = await readChanges(cloud.ctx!.db, { site: 'demo', since: 0, limit: 100000, now: Date.now(), logId: cloud.ctx!.changeLog });
  const revoked = new Set(log.changes.flatMap((c) => (c.kind === 'revoke' ? [c.ticketId] : [])));
  assert.ok([t1, t2, t3].every((t) => revoked.has(t)));
  // A seller given the right may refund.
  must(await api(u, `/api/v1/users/${s2.id}`, { method: 'PATCH', body: { permissions: ['refund'] } }), 200);
  const o2 = must(await order(s2.token, { lines: [{ type: 'child', quantity: 1 }], payments: [cash(6000)] }), 201);
  must(await as(s2.token, `/api/v1/orders/${o2.id}/refunds`, { body: { amountFen: 1000, method: 'cash', reason: '价格更正' } }), 201);
});

test('group reservation: places held now, paid and issued when the group arrives; or cancelled', async () => {
  const { businessDay, addDays } = await import('../../shared/time/zone.ts');
  const visitDay = addDays(businessDay(Date.now(), 'Asia/Shanghai'), 5);
  const r = must(await order(s1.token, { visitDay, reserve: true, lines: [{ type: 'adult', quantity: 20, group: 'one' }] }), 201);
  assert.is(r.status, 'reserved');
  assert.is(must(await api(u, `/api/v1/capacity/adult/${visitDay}`), 200).sold, 20);
  assert.is((await as(s1.token, `/api/v1/orders/${r.id}/issue`, { body: { payments: [cash(1)] } })).body.error.code, 'payment_mismatch');
  const issued = must(await as(s1.token, `/api/v1/orders/${r.id}/issue`, { body: { payments: [cash(240000)] } }), 200);
  assert.is(issued.status, 'issued');
  assert.is(issued.lines[0].tickets.length, 1, 'one ticket for the group');
  assert.is(issued.lines[0].tickets[0].persons, 20);
  assert.is((await as(s1.token, `/api/v1/orders/${r.id}/issue`, { body: { payments: [cash(240000)] } })).body.error.code, 'order_not_reserved');
  const each = must(await order(s1.token, { visitDay, reserve: true, lines: [{ type: 'child', quantity: 5 }] }), 201);
  must(await as(s1.token, `/api/v1/orders/${each.id}/cancel`, { body: {} }), 200);
  assert.is(must(await api(u, `/api/v1/capacity/child/${visitDay}`), 200).sold, 0);
  assert.is((await order(s1.token, { visitDay, reserve: true, lines: [{ type: 'child', quantity: 1 }], payments: [cash(6000)] })).status, 400);
});

test('issue on cards and ID cards; reissue revokes the old ticket and its card; extension re-signs', async () => {
  const o = must(await order(s1.token, { lines: [{ type: 'adult', quantity: 1, cards: ['04A1B2C3'] }, { type: 'adult', quantity: 1, idcards: ['11010519491231002X'] }], payments: [cash(24000)] }), 201);
  const card = await api(u, `/api/v1/tickets/${o.lines[0].tickets[0].id}`);
  assert.equal(card.body.credentials, [{ kind: 'card', value: '04A1B2C3' }]);
  assert.is((await order(s1.token, { lines: [{ type: 'child', quantity: 1, cards: ['04A1B2C4'] }], payments: [cash(6000)] })).body.error.code, 'sale_method_not_allowed');
  assert.is((await order(s1.token, { lines: [{ type: 'adult', quantity: 1, cards: ['04A1B2C3'] }], payments: [cash(12000)] })).body.error.code, 'credential_in_use');
  const oldId = o.lines[0].tickets[0].id;
  const re = must(await as(s1.token, `/api/v1/tickets/${oldId}/reissue`, { body: { reason: 'lost', card: '04FFEE01' } }), 201);
  assert.is.not(re.ticket.id, oldId);
  assert.is((await api(u, `/api/v1/tickets/${oldId}`)).body.revokedReason, 'reissued');
  assert.is((await api(u, '/api/v1/sites/demo/lanes/lane-1', { method: 'PUT', body: {} })).status, 200);
  const refused = (await api(u, `/api/v1/tickets/${oldId}/explain`)).body;
  assert.is(refused.verdict.admit, false);
  assert.ok((await api(u, `/api/v1/tickets/${re.ticket.id}/explain`)).body.verdict.admit);
  assert.is((await as(s1.token, `/api/v1/tickets/${oldId}/reissue`, { body: { reason: 'lost' } })).body.error.code, 'ticket_revoked');
  const ext = must(await as(s1.token, `/api/v1/tickets/${re.ticket.id}/extend`, { body: { days: 2, reason: '天气原因' } }), 200);
  assert.is(Date.parse(ext.validUntil) - Date.parse(re.ticket.validUntil), 2 * 86_400_000);
});

test('stock: made, received, issued to a seller, sold by activation, voided, returned; every serial accounted for', async () => {
  const b = must(await as(fin.token, '/api/v1/stock/batches', { body: { type: 'adult', prefix: 'AD', firstNumber: 1, count: 10 } }), 201);
  assert.equal([b.total, b.byStatus.made], [10, 10]);
  const serials = Array.from({ length: 10 }, (_, i) => `AD${String(i + 1).padStart(8, '0')}`);
  assert.is((await as(fin.token, '/api/v1/stock/issue', { body: { serials: serials.slice(0, 3), to: s1.id } })).body.error.code, 'stock_state', 'not received yet');
  must(await as(fin.token, '/api/v1/stock/receive', { body: { serials } }), 200);
  must(await as(fin.token, '/api/v1/stock/issue', { body: { serials: serials.slice(0, 4), to: s1.id } }), 200);
  const sold = must(await order(s1.token, { lines: [{ type: 'adult', quantity: 2, barcodes: serials.slice(0, 2) }], payments: [cash(24000)] }), 201);
  assert.equal((await api(u, `/api/v1/tickets/${sold.lines[0].tickets[0].id}`)).body.credentials, [{ kind: 'barcode', value: serials[0] }]);
  assert.is((await order(s2.token, { lines: [{ type: 'adult', quantity: 1, barcodes: [serials[2]] }], payments: [cash(12000)] })).body.error.code, 'stock_not_held', 'held by another seller');
  assert.is((await order(s1.token, { lines: [{ type: 'adult', quantity: 1, barcodes: [serials[0]] }], payments: [cash(12000)] })).body.error.code, 'stock_not_held', 'already sold');
  must(await as(fin.token, '/api/v1/stock/void', { body: { serials: [serials[2]], reason: '打印污损' } }), 200);
  must(await as(fin.token, '/api/v1/stock/return', { body: { serials: [serials[3]] } }), 200);
  assert.is((await as(fin.token, '/api/v1/stock/void', { body: { serials: [serials[0]], reason: 'x1' } })).body.error.code, 'stock_state', 'a sold item cannot be voided');
  const now = must(await api(u, `/api/v1/stock/batches/${b.id}`), 200);
  assert.equal(now.byStatus, { made: 0, in_store: 6, issued: 0, returned: 1, sold: 2, voided: 1 });
  assert.is(now.total, 10);
  assert.is((await as(fin.token, '/api/v1/stock/batches', { body: { type: 'adult', prefix: 'AD', firstNumber: 5, count: 10 } })).body.error.code, 'duplicate');
});

test('shift handover: counted against expected per method, sealed, printable, closed once', async () => {
  const sh = must(await as(s1.token, '/api/v1/shifts/current'), 200);
  const closed = must(await as(s1.token, `/api/v1/shifts/${sh.id}/close`, { body: { counted: { cash: 1_000_000 } } }), 200);
  const r = closed.report;
  const cashRow = r.payments.find((p: any) => p.method === 'cash');
  assert.is(cashRow.expectedFen, cashRow.chargesFen - cashRow.refundsFen + 50000);
  assert.is(cashRow.differenceFen, 1_000_000 - cashRow.expectedFen);
  assert.ok(r.tickets.some((t: any) => t.type === 'adult' && t.quantity > 0));
  assert.is(r.stock.sold, 2);
  assert.is((await as(s1.token, `/api/v1/shifts/${sh.id}/close`, { body: { counted: {} } })).body.error.code, 'shift_closed');
  assert.is((await order(s1.token, { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] })).body.error.code, 'no_open_shift');
  const res = await fetch(`${u}/api/v1/shifts/${sh.id}/print`, { headers: { authorization: `Bearer ${s1.token}` } });
  const text = await res.text();
  assert.match(text, /交班报表/);
  assert.match(text, new RegExp(closed.reportHash));
});

test('audit: the chain verifies; an edited payment, an edited record or a removed record fails it', async () => {
  const ok = must(await api(u, '/api/v1/audit/verify'), 200);
  assert.ok(ok.ok, JSON.stringify(ok.problems));
  assert.ok(ok.records > 50);
  assert.is((await as(s1.token, '/api/v1/audit/verify')).status, 403);
  const db = cloud.ctx!.db;
  const { sql } = await import('drizzle-orm');
  // Triggers off (as only someone with full database access can): found by comparing the row with its image.
  const asAttacker = (q: ReturnType<typeof sql>) => db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(q);
  });
  const cashId = sql`(select id from payments where method = 'cash' order by id limit 1)`;
  await asAttacker(sql`update payments set amount_fen = amount_fen - 100 where id = ${cashId}`);
  let v = must(await api(u, '/api/v1/audit/verify'), 200);
  assert.not.ok(v.ok);
  assert.equal(v.problems.map((p: any) => [p.kind, p.table, p.column]), [['row_edited', 'payments', 'amount_fen']]);
  assert.match(v.problems[0].problem, /收款 .*：列 amount_fen 与审计记录 #\d+ 不符/);
  await asAttacker(sql`update payments set amount_fen = amount_fen + 100 where id = ${cashId}`);
  assert.ok(must(await api(u, '/api/v1/audit/verify'), 200).ok);
  // Triggers on: the edit is recorded, and a payment is never edited.
  await db.execute(sql`update payments set amount_fen = amount_fen - 100 where id = ${cashId}`);
  v = must(await api(u, '/api/v1/audit/verify'), 200);
  assert.equal(v.problems.map((p: any) => [p.kind, p.table, p.column]), [['forbidden_change', 'payments', 'amount_fen']]);
  await db.execute(sql`update audit_log set body = jsonb_set(body, '{amountFen}', '1') where seq = 5`);
  v = must(await api(u, '/api/v1/audit/verify'), 200);
  assert.not.ok(v.ok);
  assert.ok(v.problems.some((p: any) => p.kind === 'record_edited' && p.seq === 5), JSON.stringify(v.problems));
});

test('bad input: 4xx with a clear JSON error, never a 500, nothing written', async () => {
  const before = await auditCount();
  const sid = s2.token;
  const nil = '0190d3a2-7c4e-7a11-9b2c-3d4e5f607182';
  const cases: [string, string, unknown, number, string?][] = [
    ['POST', '/api/v1/orders', 'not json', 400],
    ['POST', '/api/v1/orders', {}, 400],
    ['POST', '/api/v1/orders', { lines: [] }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: -1 }] }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1e15 }], payments: [cash(1)] }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: '1' }] }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(1e20)] }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(-12000)] }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'bitcoin', amountFen: 12000 }] }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'nosuch', quantity: 1 }], payments: [] }, 404],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)], account: nil }, 404],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)], visitDay: '2020-01-01' }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)], visitDay: '2099-13-01' }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1, discount: 'nosuch' }], payments: [cash(12000)] }, 404],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 2, cards: ['04A1B2C9'] }], payments: [cash(24000)] }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1, idcards: ['110105194912310021'] }], payments: [cash(12000)] }, 400],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'voucher', amountFen: 12000, code: 'NOPE-1' }] }, 404],
    ['POST', '/api/v1/orders', { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)], extra: 1 }, 400],
    ['GET', '/api/v1/orders/not-a-uuid', undefined, 404],
    ['GET', `/api/v1/orders/${nil}`, undefined, 404],
    ['POST', `/api/v1/orders/${nil}/refunds`, { amountFen: 1, method: 'cash', reason: 'xx' }, 404],
    ['POST', `/api/v1/orders/${nil}/issue`, { payments: [] }, 404],
    ['POST', `/api/v1/orders/${nil}/cancel`, {}, 404],
    ['POST', `/api/v1/payments/intents/${nil}/query`, {}, 404],
    ['POST', '/api/v1/payments/intents/zzz/query', {}, 404],
    ['POST', `/api/v1/tickets/${nil}/reissue`, { reason: 'lost' }, 404],
    ['POST', `/api/v1/tickets/${nil}/reissue`, { reason: 'stolen' }, 400],
    ['POST', `/api/v1/tickets/${nil}/extend`, { days: 0, reason: 'xx' }, 400],
    ['POST', `/api/v1/tickets/${nil}/extend`, { days: 1e9, reason: 'xx' }, 400],
    ['POST', '/api/v1/shifts', { floatFen: -1 }, 400],
    ['POST', `/api/v1/shifts/${nil}/close`, { counted: {} }, 404],
    ['POST', '/api/v1/shifts/bad/close', { counted: { cash: 'lots' } }, 400],
    ['GET', '/api/v1/shifts/bad', undefined, 404],
  ];
  for (const [method, path, body, status] of cases) {
    const r = await as(sid, path, { method, body });
    assert.is(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    assert.type(r.body.error?.message, 'string', path);
  }
  const adminCases: [string, string, unknown, number][] = [
    ['POST', '/api/v1/discounts', { code: 'p', name: 'x', kind: 'percent', value: 101 }, 400],
    ['POST', '/api/v1/discounts', { code: 'half', name: 'x', kind: 'percent', value: 10 }, 409],
    ['POST', '/api/v1/price-rules', { type: 'adult', name: 'x', weekdays: [0], priceFen: 1 }, 400],
    ['POST', '/api/v1/price-rules', { type: 'nosuch', name: 'x', priceFen: 1 }, 404],
    ['DELETE', '/api/v1/price-rules/abc', undefined, 404],
    ['PUT', '/api/v1/holidays/not-a-day', { name: 'x' }, 400],
    ['PUT', '/api/v1/capacity/adult/2030-01-01', { capacity: -5 }, 400],
    ['PUT', '/api/v1/capacity/nosuch/2030-01-01', { capacity: 5 }, 404],
    ['GET', '/api/v1/capacity/adult/yesterday', undefined, 400],
    ['PUT', `/api/v1/sellers/${nil}/grants`, { types: [], discounts: [] }, 404],
    ['PUT', `/api/v1/sellers/${s1.id}/grants`, { types: ['nosuch'], discounts: [] }, 404],
    ['PUT', `/api/v1/sellers/${s1.id}/grants`, { types: 'adult' }, 400],
    ['POST', '/api/v1/customer-accounts', { name: 'x', creditLimitFen: -1 }, 400],
    ['GET', `/api/v1/customer-accounts/${nil}`, undefined, 404],
    ['POST', `/api/v1/customer-accounts/${nil}/entries`, { ledger: 'deposit', amount: 5, note: 'x' }, 404],
    ['POST', '/api/v1/vouchers', { code: 'x', valueFen: 5 }, 400],
    ['GET', '/api/v1/vouchers/NOPE-2', undefined, 404],
    ['POST', '/api/v1/stock/batches', { type: 'child', prefix: 'CH', firstNumber: 1, count: 5 }, 409],
    ['POST', '/api/v1/stock/batches', { type: 'adult', prefix: 'ad', firstNumber: 1, count: 5 }, 400],
    ['POST', '/api/v1/stock/batches', { type: 'adult', prefix: 'ZZ', firstNumber: 1, count: 1e6 }, 400],
    ['POST', '/api/v1/stock/receive', { serials: ['ZZ00000001'] }, 404],
    ['POST', '/api/v1/stock/issue', { serials: ['AD00000005'] }, 400],
    ['GET', `/api/v1/stock/batches/${nil}`, undefined, 404],
    ['PATCH', '/api/v1/ticket-types/adult', { priceFen: -1 }, 400],
    ['PATCH', '/api/v1/ticket-types/nosuch', { priceFen: 1 }, 404],
  ];
  for (const [method, path, body, status] of adminCases) {
    const r = await api(u, path, { method, body });
    assert.is(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    assert.type(r.body.error?.message, 'string', path);
  }
  // Without a token, or with the wrong role: refused before anything runs.
  assert.is((await api(u, '/api/v1/orders', { token: null, body: { lines: [{ type: 'adult', quantity: 1 }] } })).status, 401);
  assert.is((await as(s1.token, '/api/v1/discounts', { body: { code: 'mine', name: 'x', kind: 'percent', value: 90 } })).status, 403);
  assert.is((await as(s1.token, `/api/v1/sellers/${s1.id}/grants`, { method: 'PUT', body: { types: ['vip'], discounts: [] } })).status, 403);
  assert.is(await auditCount(), before, 'nothing written');
});

test.run();
