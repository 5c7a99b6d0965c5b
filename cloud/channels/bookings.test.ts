import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lookupHash } from '../../shared/booking/lookup.ts';
import { readTicketCode } from '../../shared/code/ticket-code.ts';
import { changeBatch } from '../../shared/sync/messages.ts';
import { readChanges } from '../sync/changes.ts';
import { openHq } from '../../test/support/hq.ts';

// 10:00 on 2026-11-25 in Shanghai.
const hq = await openHq({ now: Date.UTC(2026, 10, 25, 2, 0) });
const { req, raw } = hq;

assert.is((await req('POST', '/api/v1/ticket-types', { code: 'adult', name: '成人票', priceFen: 12000, validityDays: 1, entries: 1, persons: 1 })).status, 201);
assert.is((await req('POST', '/api/v1/ticket-types', { code: 'child', name: '儿童票', priceFen: 6000, validityDays: 1, entries: 1, persons: 1 })).status, 201);
const made = await req('POST', '/api/v1/channels/admin', { code: 'ctrip', name: '携程', kind: 'ota', dailyQuota: 20, cancelCutoffMinutes: 0 });
assert.is(made.status, 201, JSON.stringify(made.body));
const KEY = made.body.apiKey as string;
assert.is((await req('PUT', '/api/v1/channels/admin/ctrip/prices', { prices: [{ type: 'adult', priceFen: 10000 }, { type: 'child', priceFen: 5000 }] })).status, 200);

/** One number from SQL, on either driver. */
async function scalar(query: string): Promise<number> {
  const r = (await hq.ctx.db.execute(query)) as unknown as { rows?: { n: number }[] } & { n: number }[];
  return (r.rows ?? r)[0]!.n;
}

let n = 0;
const ch = (method: string, path: string, body?: unknown, idem: string | null = `k-${++n}`) =>
  raw(method, `/api/v1/channels${path}`, body, { 'X-Channel-Key': KEY, ...(idem ? { 'Idempotency-Key': idem } : {}) });
const PHONE = '13812345678';
const ID = '11010519491231002X';
const booking = (over: Record<string, unknown> = {}) => ({
  visitDay: '2026-11-26', items: [{ type: 'adult', quantity: 2 }, { type: 'child', quantity: 1 }],
  contact: { name: '张三', phone: PHONE, idNumber: ID }, externalRef: 'CT-1', ...over,
});

test('book, replay with one key, conflict with another body', async () => {
  const replies = await Promise.all(Array.from({ length: 5 }, () => ch('POST', '/bookings', booking(), 'same-key')));
  for (const r of replies) assert.is(r.status, 201, JSON.stringify(r.body));
  assert.is(new Set(replies.map((r) => r.body.orderNo)).size, 1, 'five sends, one order');
  const b = replies[0]!.body;
  assert.is(b.state, 'booked');
  assert.is(b.totalFen, 25000);
  assert.is(b.quantity, 3);
  assert.is(await scalar('select count(*)::int as n from bookings'), 1);
  const conflict = await ch('POST', '/bookings', booking({ externalRef: 'CT-2' }), 'same-key');
  assert.is(conflict.status, 409);
  assert.is(conflict.body.error.code, 'idempotency_conflict');
  const products = await ch('GET', '/products?day=2026-11-26', undefined, null);
  assert.is(products.body.remaining, 17, 'three held of twenty');
});

test('pay issues signed tickets for the visit day; the booking reaches the site change log', async () => {
  const b = (await ch('POST', '/bookings', booking({ externalRef: 'CT-pay' }))).body;
  const wrong = await ch('POST', `/bookings/${b.orderNo}/pay`, { amountFen: 1, paymentRef: 'P1' });
  assert.is(wrong.status, 422);
  assert.is(wrong.body.error.code, 'amount_mismatch');
  const paid = await ch('POST', `/bookings/${b.orderNo}/pay`, { amountFen: 25000, paymentRef: 'P1' });
  assert.is(paid.status, 200, JSON.stringify(paid.body));
  assert.is(paid.body.state, 'issued');
  assert.is(paid.body.tickets.length, 3);
  const t = paid.body.tickets[0];
  assert.is(t.validFrom, '2026-11-25T16:00:00.000Z', 'from the start of the visit day in Shanghai');
  assert.is(t.validUntil, '2026-11-26T16:00:00.000Z');
  const code = readTicketCode(t.code, new Map([[hq.ctx.key.keyId, hq.ctx.key.publicKey]]));
  assert.ok(code.ok);
  // Paying again with the same reference (a retry with a new key) changes nothing.
  const again = await ch('POST', `/bookings/${b.orderNo}/pay`, { amountFen: 25000, paymentRef: 'P1' });
  assert.is(again.status, 200);
  assert.equal(again.body.tickets.map((x: any) => x.id), paid.body.tickets.map((x: any) => x.id));

  const log = await readChanges(hq.ctx.db, { site: 'demo', since: 0, limit: 1000, now: hq.clock.now, logId: hq.ctx.changeLog });
  const parsed = changeBatch.parse(JSON.parse(JSON.stringify(log)));
  const mine = parsed.changes.filter((c) => c.kind === 'booking' && c.booking.orderNo === b.orderNo);
  assert.is(mine.length, 1);
  const row = (mine[0] as any).booking;
  assert.is(row.state, 'issued');
  assert.is(row.phoneHash, lookupHash('phone', PHONE));
  assert.is(row.idHash, lookupHash('id', ID));
  assert.is(row.phoneLast4, '5678');
  assert.is(row.tickets.length, 3);
  assert.is(row.tickets[0].code, t.code);
  assert.not.ok(JSON.stringify(row).includes(PHONE), 'no phone number in the clear');
  assert.ok(hq.notified.includes('demo'));
  const svg = await raw('GET', `/api/v1/channels/bookings/${b.orderNo}/qr.svg`, undefined, { 'X-Channel-Key': KEY });
  assert.is(svg.status, 200);
  assert.match(String(svg.body), /<svg/);
});

test('pickup at a window: lookup by order+phone, ID, QR; idempotent; a second pickup refused', async () => {
  const b = (await ch('POST', '/bookings', booking({ externalRef: 'CT-pick' }))).body;
  await ch('POST', `/bookings/${b.orderNo}/pay`, { amountFen: 25000, paymentRef: 'P2' });
  const byOrder = await req('GET', `/api/v1/pickups/lookup?order=${b.orderNo}&phone=${PHONE}`);
  assert.is(byOrder.status, 200);
  assert.equal(byOrder.body.map((x: any) => x.orderNo), [b.orderNo]);
  const wrongPhone = await req('GET', `/api/v1/pickups/lookup?order=${b.orderNo}&phone=13900000000`);
  assert.equal(wrongPhone.body, []);
  const byId = await req('GET', `/api/v1/pickups/lookup?id=${ID.toLowerCase()}`);
  assert.ok(byId.body.some((x: any) => x.orderNo === b.orderNo));
  const byQr = await req('GET', `/api/v1/pickups/lookup?code=${b.pickupCode}`);
  assert.equal(byQr.body.map((x: any) => x.orderNo), [b.orderNo]);
  const full = (await ch('GET', `/bookings/${b.orderNo}`, undefined, null)).body;
  const byTicket = await req('GET', `/api/v1/pickups/lookup?code=${full.tickets[1].code}`);
  assert.equal(byTicket.body.map((x: any) => x.orderNo), [b.orderNo]);

  const p = { pickupId: 'window-1-0001', orderNo: b.orderNo, device: 'window-1' };
  const first = await req('POST', '/api/v1/pickups', p);
  assert.is(first.status, 200, JSON.stringify(first.body));
  assert.is(first.body.result, 'picked_up');
  assert.is(first.body.booking.tickets.length, 3);
  const retry = await req('POST', '/api/v1/pickups', p);
  assert.is(retry.status, 200);
  assert.is(retry.body.result, 'picked_up');
  const second = await req('POST', '/api/v1/pickups', { ...p, pickupId: 'window-2-0001', device: 'window-2' });
  assert.is(second.status, 409);
  assert.is(second.body.error.code, 'already_picked_up');
  const cancel = await ch('POST', `/bookings/${b.orderNo}/cancel`, {});
  assert.is(cancel.status, 409);
  assert.is(cancel.body.error.code, 'already_picked_up');
});

test('offline kiosk pickups: recorded once, a double pickup is flagged not lost', async () => {
  const b = (await ch('POST', '/bookings', booking({ externalRef: 'CT-kiosk' }))).body;
  await ch('POST', `/bookings/${b.orderNo}/pay`, { amountFen: 25000, paymentRef: 'P3' });
  const at = hq.clock.now - 60_000;
  const post = (device: string, pickupId: string) =>
    raw('POST', '/api/v1/sync/pickups', { device, pickups: [{ pickupId, orderNo: b.orderNo, at }] });
  const k1 = await post('kiosk-1', 'kiosk-1:000001');
  assert.is(k1.status, 200, JSON.stringify(k1.body));
  assert.is(k1.body.results[0].result, 'picked_up');
  assert.is((await post('kiosk-1', 'kiosk-1:000001')).body.results[0].result, 'picked_up', 'resent: same answer');
  const k2 = await post('kiosk-2', 'kiosk-2:000007');
  assert.is(k2.body.results[0].result, 'duplicate');
  const flagged = await req('GET', '/api/v1/channels/admin/pickups/flagged');
  assert.ok(flagged.body.some((f: any) => f.pickupId === 'kiosk-2:000007' && f.flag === 'duplicate' && f.device === 'kiosk-2'));
  const view = (await ch('GET', `/bookings/${b.orderNo}`, undefined, null)).body;
  assert.is(view.state, 'picked_up');
  assert.is(view.pickedUpAt, new Date(at).toISOString());
  const unknown = await raw('POST', '/api/v1/sync/pickups', { device: 'kiosk-1', pickups: [{ pickupId: 'kiosk-1:000002', orderNo: 'NOPE' }] });
  assert.is(unknown.body.results[0].result, 'unknown_booking');
  // A pickup id reused for another booking is refused on its own; the rest of the batch goes in.
  const other = (await ch('POST', '/bookings', booking({ externalRef: 'CT-kiosk-2' }))).body;
  await ch('POST', `/bookings/${other.orderNo}/pay`, { amountFen: 25000, paymentRef: 'P3b' });
  const mixed = await raw('POST', '/api/v1/sync/pickups', { device: 'kiosk-1', pickups: [
    { pickupId: 'kiosk-1:000001', orderNo: other.orderNo }, { pickupId: 'kiosk-1:000003', orderNo: other.orderNo },
  ] });
  assert.is(mixed.status, 200, JSON.stringify(mixed.body));
  assert.equal(mixed.body.results.map((r: any) => r.result), ['rejected', 'picked_up']);
  assert.is(mixed.body.results[0].error.code, 'pickup_id_reused');
});

test('cancel revokes the tickets and gives the quota back; cutoff and used tickets refuse', async () => {
  const before = (await ch('GET', '/products?day=2026-11-27', undefined, null)).body.remaining;
  const b = (await ch('POST', '/bookings', booking({ visitDay: '2026-11-27', externalRef: 'CT-cancel' }))).body;
  const paid = (await ch('POST', `/bookings/${b.orderNo}/pay`, { amountFen: 25000, paymentRef: 'P4' })).body;
  assert.is((await ch('GET', '/products?day=2026-11-27', undefined, null)).body.remaining, before - 3);
  const c = await ch('POST', `/bookings/${b.orderNo}/cancel`, { reason: '行程变更' }, 'cancel-1');
  assert.is(c.status, 200, JSON.stringify(c.body));
  assert.is(c.body.state, 'cancelled');
  assert.ok(c.body.tickets.every((t: any) => t.revoked === 'cancelled'));
  assert.is((await ch('GET', '/products?day=2026-11-27', undefined, null)).body.remaining, before);
  const log = await readChanges(hq.ctx.db, { site: 'demo', since: 0, limit: 5000, now: hq.clock.now, logId: hq.ctx.changeLog });
  const revoked = new Set(log.changes.flatMap((x) => (x.kind === 'revoke' ? [x.ticketId] : [])));
  for (const t of paid.tickets) assert.ok(revoked.has(t.id));
  const last = log.changes.filter((x) => x.kind === 'booking' && x.booking.orderNo === b.orderNo).at(-1) as any;
  assert.is(last.booking.state, 'cancelled');
  assert.is((await ch('POST', `/bookings/${b.orderNo}/cancel`, { reason: '行程变更' }, 'cancel-1')).body.state, 'cancelled', 'replayed');

  // Too late: the visit day has begun (cutoff 0 minutes before it).
  const late = (await ch('POST', '/bookings', booking({ visitDay: '2026-11-25', externalRef: 'CT-late' }))).body;
  assert.is((await ch('POST', `/bookings/${late.orderNo}/pay`, { amountFen: 25000, paymentRef: 'P-late' })).status, 200);
  const lateCancel = await ch('POST', `/bookings/${late.orderNo}/cancel`, {});
  assert.is(lateCancel.status, 409);
  assert.is(lateCancel.body.error.code, 'cancel_too_late');

  // A ticket used at a gate: no cancellation.
  const used = (await ch('POST', '/bookings', booking({ visitDay: '2026-11-28', externalRef: 'CT-used' }))).body;
  const usedPaid = (await ch('POST', `/bookings/${used.orderNo}/pay`, { amountFen: 25000, paymentRef: 'P5' })).body;
  const { ingestBatch } = await import('../entries/ingest.ts');
  // Only a provisioned gate's entries for its own lane count.
  assert.is((await req('PUT', '/api/v1/sites/demo/lanes/lane-1', {})).status, 200);
  assert.is((await req('PUT', '/api/v1/sites/demo/devices/gate-1', { role: 'gate', lanes: ['lane-1'] })).status, 200);
  await ingestBatch(hq.ctx.db, 'demo', {
    device: 'gate-1', epoch: '018f0000-0000-7000-8000-000000000001', firstSeq: 1, lastSeq: 1,
    entries: [{ nonce: '018f0000-0000-7000-8000-0000000000aa', ticketId: usedPaid.tickets[0].id, persons: 1, lane: 'lane-1', venue: 'main', direction: 'in', kind: 'normal', deviceTime: hq.clock.now, correctedTime: hq.clock.now }],
  }, new Date(hq.clock.now));
  const usedCancel = await ch('POST', `/bookings/${used.orderNo}/cancel`, {});
  assert.is(usedCancel.status, 409);
  assert.is(usedCancel.body.error.code, 'already_used');
});

test('an unpaid booking past its hold expires and gives its quota back', async () => {
  const b = (await ch('POST', '/bookings', booking({ visitDay: '2026-11-29', externalRef: 'CT-hold' }))).body;
  assert.is((await ch('GET', '/products?day=2026-11-29', undefined, null)).body.remaining, 17);
  hq.clock.now += 31 * 60_000;
  const pay = await ch('POST', `/bookings/${b.orderNo}/pay`, { amountFen: 25000, paymentRef: 'P6' });
  assert.is(pay.status, 409);
  assert.is(pay.body.error.code, 'booking_expired');
  assert.is((await ch('GET', '/products?day=2026-11-29', undefined, null)).body.remaining, 20);
  hq.clock.now -= 31 * 60_000;
});

test('bookings share the ticket type\'s daily capacity with the windows', async () => {
  assert.is((await req('POST', '/api/v1/ticket-types', { code: 'cave', name: '溶洞', priceFen: 5000, validityDays: 1, entries: 1, persons: 1, dailyCapacity: 3 })).status, 201);
  await req('PUT', '/api/v1/channels/admin/ctrip/prices', { prices: [{ type: 'cave', priceFen: 4000 }] });
  const cave = (quantity: number, ref: string) => ch('POST', '/bookings', booking({ visitDay: '2026-11-30', items: [{ type: 'cave', quantity }], externalRef: ref }));
  const first = await cave(2, 'CT-cave-1');
  assert.is(first.status, 201);
  const full = await cave(2, 'CT-cave-2');
  assert.is(full.status, 409);
  assert.is(full.body.error.code, 'sold_out');
  assert.is((await ch('GET', '/products?day=2026-11-30', undefined, null)).body.remaining, 18, 'the refused booking held no quota');
  assert.is((await ch('POST', `/bookings/${first.body.orderNo}/cancel`, {})).status, 200);
  assert.is((await cave(3, 'CT-cave-3')).status, 201, 'the cancelled places are free again');
});

test('daily reconciliation per channel, in the site time zone', async () => {
  const r = await ch('GET', '/reconciliation?day=2026-11-25', undefined, null);
  assert.is(r.status, 200, JSON.stringify(r.body));
  const orders = r.body.orders as any[];
  assert.is(r.body.booked.count, orders.filter((o) => o.createdAt).length);
  assert.is(r.body.paid.count, orders.filter((o) => o.paidAt).length);
  assert.is(r.body.paid.amountFen, 25000 * r.body.paid.count);
  assert.is(r.body.cancelled.count, 2, 'one paid, one not');
  assert.is(r.body.cancelled.refundFen, 25000);
  assert.is(r.body.netFen, r.body.paid.amountFen - 25000);
  assert.is(r.body.pickedUp.count, 3);
  const list = await req('GET', '/api/v1/channels/admin/ctrip/bookings?day=2026-11-27&state=cancelled');
  assert.is(list.status, 200, JSON.stringify(list.body));
  assert.equal(list.body.map((b: any) => b.externalRef), ['CT-cancel']);
  assert.is((await req('GET', '/api/v1/channels/admin/ctrip/bookings?day=2026-11-27&state=lost')).status, 400);
  const admin = await req('GET', '/api/v1/channels/admin/ctrip/reconciliation?day=2026-11-25');
  assert.equal(admin.body, r.body);
  const other = await ch('GET', '/reconciliation?day=2026-11-24', undefined, null);
  assert.is(other.body.booked.count, 0);
});

test('the answers of book and pay (built from what they wrote) are the booking as GET reads it', async () => {
  const b = await ch('POST', '/bookings', booking({ externalRef: 'CT-view', visitDay: '2026-11-28', items: [{ type: 'child', quantity: 1 }, { type: 'adult', quantity: 2 }] }));
  assert.is(b.status, 201, JSON.stringify(b.body));
  assert.equal(b.body, (await ch('GET', `/bookings/${b.body.orderNo}`, undefined, null)).body);
  assert.equal(b.body.items.map((i: any) => i.type), ['adult', 'child'], 'by type, as GET lists them');
  const paid = await ch('POST', `/bookings/${b.body.orderNo}/pay`, { amountFen: 25000, paymentRef: 'P-view' });
  assert.is(paid.status, 200, JSON.stringify(paid.body));
  assert.is(paid.body.tickets.length, 3);
  assert.equal(paid.body, (await ch('GET', `/bookings/${b.body.orderNo}`, undefined, null)).body);
  // The change log's copy for the kiosks names the same tickets.
  const log = await readChanges(hq.ctx.db, { site: 'demo', since: 0, limit: 1000, now: hq.clock.now, logId: hq.ctx.changeLog });
  const row = log.changes.find((c: any) => c.kind === 'booking' && c.booking.orderNo === b.body.orderNo) as any;
  assert.equal(row.booking.tickets.map((t: any) => t.code), paid.body.tickets.map((t: any) => t.code));
  // In a time slot: the slot held, then the tickets', are in the answers as in GET's.
  assert.is((await req('POST', '/api/v1/slots/demo/main', { fromDay: '2026-11-28', toDay: '2026-11-28', start: '08:00', end: '12:00', everyMinutes: 120, quota: 10, walkIn: 0 })).status, 200);
  const s = await ch('POST', '/bookings', booking({ externalRef: 'CT-slot', visitDay: '2026-11-28', slot: '10:00', items: [{ type: 'adult', quantity: 1 }] }));
  assert.is(s.status, 201, JSON.stringify(s.body));
  assert.equal(s.body.slot, { from: '10:00', to: '12:00' });
  assert.equal(s.body, (await ch('GET', `/bookings/${s.body.orderNo}`, undefined, null)).body);
  const sp = await ch('POST', `/bookings/${s.body.orderNo}/pay`, { amountFen: 10000, paymentRef: 'P-slot' });
  assert.is(sp.status, 200, JSON.stringify(sp.body));
  assert.equal(sp.body, (await ch('GET', `/bookings/${s.body.orderNo}`, undefined, null)).body);
});

test('bad input: 4xx with a clear error, nothing written', async () => {
  const count = () => scalar('select (select count(*) from bookings)::int + (select count(*) from idempotency_keys)::int as n');
  const before = await count();
  const cases: [string, string, unknown, Record<string, string>, number, string][] = [
    ['POST', '/bookings', 'not json', { 'Idempotency-Key': 'b1' }, 400, 'invalid_json'],
    ['POST', '/bookings', {}, { 'Idempotency-Key': 'b2' }, 400, 'invalid_request'],
    ['POST', '/bookings', booking(), {}, 400, 'idempotency_key_required'],
    ['POST', '/bookings', booking(), { 'Idempotency-Key': 'x'.repeat(200) }, 400, 'invalid_idempotency_key'],
    ['POST', '/bookings', booking({ items: [{ type: 'adult', quantity: 0 }] }), { 'Idempotency-Key': 'b3' }, 400, 'invalid_request'],
    ['POST', '/bookings', booking({ items: [{ type: 'adult', quantity: 1 }, { type: 'adult', quantity: 1 }] }), { 'Idempotency-Key': 'b4' }, 400, 'invalid_request'],
    ['POST', '/bookings', booking({ extra: 1 }), { 'Idempotency-Key': 'b5' }, 400, 'invalid_request'],
    ['GET', '/bookings/NOPE', undefined, {}, 404, 'not_found'],
    ['POST', '/bookings/NOPE/pay', { amountFen: 1, paymentRef: 'x' }, { 'Idempotency-Key': 'b6' }, 404, 'not_found'],
    ['POST', '/bookings/NOPE/pay', { amountFen: -1, paymentRef: 'x' }, { 'Idempotency-Key': 'b7' }, 400, 'invalid_request'],
    ['GET', '/reconciliation?day=2026-13-40', undefined, {}, 400, 'invalid_day'],
    ['GET', '/reconciliation?day=yesterday', undefined, {}, 400, 'invalid_request'],
    ['GET', '/reconciliation', undefined, {}, 400, 'invalid_request'],
    ['GET', '/products?day=2026-02-30', undefined, {}, 400, 'invalid_day'],
  ];
  for (const [method, path, body, headers, status, code] of cases) {
    const r = await raw(method, `/api/v1/channels${path}`, body, { 'X-Channel-Key': KEY, ...headers });
    assert.is(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.is(r.body.error.code, code, `${method} ${path}`);
    assert.type(r.body.error.message, 'string');
  }
  // Refusals that are answers: nothing was written, so no key is kept either (a retry runs again).
  const refusals: [unknown, number, string][] = [
    [booking({ visitDay: '2026-11-20' }), 422, 'day_past'],
    [booking({ visitDay: '2027-06-01' }), 422, 'day_too_far'],
    [booking({ visitDay: '2026-11-31' }), 422, 'invalid_day'],
    [booking({ items: [{ type: 'vip', quantity: 1 }] }), 422, 'type_not_offered'],
    [booking({ contact: { name: '李四', phone: '12345' } }), 422, 'invalid_phone'],
    [booking({ contact: { name: '李四', phone: PHONE, idNumber: '110105194912310021' } }), 422, 'invalid_id_number'],
  ];
  for (const [body, status, code] of refusals) {
    const r = await ch('POST', '/bookings', body);
    assert.is(r.status, status, JSON.stringify(r.body));
    assert.is(r.body.error.code, code);
  }
  assert.is(await count() - before, 0, 'refusals keep no key');
  // Authentication.
  assert.is((await raw('GET', '/api/v1/channels/products')).status, 401);
  assert.is((await raw('GET', '/api/v1/channels/products', undefined, { 'X-Channel-Key': 'ck_wrong' })).body.error.code, 'invalid_channel_key');
  assert.is((await raw('GET', '/api/v1/channels/admin')).status, 401, 'admin routes need a user');
  const seller = await hq.userToken('seller1', ['seller']);
  assert.is((await raw('GET', '/api/v1/channels/admin', undefined, { authorization: `Bearer ${seller}` })).status, 403);
  assert.is((await raw('GET', `/api/v1/pickups/lookup?phone=${PHONE}`, undefined, { authorization: `Bearer ${seller}` })).status, 200);
  // Admin input.
  assert.is((await req('POST', '/api/v1/channels/admin', { code: 'ctrip', name: 'x', kind: 'ota' })).body.error.code, 'duplicate');
  assert.is((await req('POST', '/api/v1/channels/admin', { code: 'Bad Code', name: 'x', kind: 'ota' })).status, 400);
  assert.is((await req('PUT', '/api/v1/channels/admin/ctrip/prices', { prices: [{ type: 'nope', priceFen: 1 }] })).status, 422);
  assert.is((await req('PUT', '/api/v1/channels/admin/none/prices', { prices: [{ type: 'adult', priceFen: 1 }] })).status, 404);
  assert.is((await req('POST', '/api/v1/pickups', { pickupId: 'short' })).status, 400);
  assert.is((await req('POST', '/api/v1/pickups', { pickupId: 'window-1-0009', orderNo: 'NOPE', device: 'window-1' })).status, 404);
  assert.is((await req('GET', '/api/v1/pickups/lookup')).status, 400);
  assert.is((await raw('POST', '/api/v1/sync/pickups', { device: 'k', pickups: [] })).status, 400);
  // A rotated key: the old one no longer works.
  const rotated = await req('POST', '/api/v1/channels/admin/ctrip/key');
  assert.is((await raw('GET', '/api/v1/channels/products', undefined, { 'X-Channel-Key': KEY })).status, 401);
  assert.is((await raw('GET', '/api/v1/channels/products', undefined, { 'X-Channel-Key': rotated.body.apiKey })).status, 200);
});

test.after(() => hq.close());
test.run();
