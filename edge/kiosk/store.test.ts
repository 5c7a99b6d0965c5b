import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lookupHash } from '../../shared/booking/lookup.ts';
import type { BookingRow } from '../../shared/sync/messages.ts';
import { openKioskDb } from './db/open.ts';
import { KioskStore } from './store.ts';

const NOW = Date.UTC(2026, 10, 25, 2, 0);
const T1 = '0193a000-0000-7000-8000-000000000001';
const T2 = '0193a000-0000-7000-8000-000000000002';

const row = (over: Partial<BookingRow> = {}): BookingRow => ({
  orderNo: 'B2611250001', pickupCode: 'BKPICKUP0001', visitDay: '2026-11-25', validUntil: Math.floor(Date.UTC(2026, 10, 25, 16) / 1000),
  state: 'issued', phoneHash: lookupHash('phone', '13812345678'), phoneLast4: '5678', idHash: lookupHash('id', '11010519491231002X'),
  contactName: '张三', tickets: [{ id: T1, code: 'CODE1', typeId: 1, persons: 1 }, { id: T2, code: 'CODE2', typeId: 1, persons: 1 }], ...over,
});

function fresh(now = () => NOW) {
  return new KioskStore(openKioskDb(':memory:'), now);
}

test('bookings from the change log: found by order+phone hash, QR, ticket code, ID hash; other kinds skipped', () => {
  const s = fresh();
  const counts = s.applyBatch({ next: 7, changes: [
    { seq: 3, kind: 'ticket', ticket: { id: T1 } },
    { seq: 4, kind: 'booking', booking: row() },
    { seq: 5, kind: 'some-future-kind', whatever: true },
    { seq: 6, kind: 'template', code: 'child', version: 1, name: 'x', typeId: 2, layout: { elements: [] } },
    { seq: 7, kind: 'template', code: 'dflt', version: 1, name: 'x', typeId: null, layout: { elements: [] } },
  ] });
  assert.equal(counts, { bookings: 1, templates: 2 });
  assert.is(s.checkpoint(), 7);
  assert.is(s.byOrderAndPhone('B2611250001', lookupHash('phone', '+86 138-1234-5678')).length, 1);
  assert.is(s.byOrderAndPhone('B2611250001', lookupHash('phone', '13800000000')).length, 0);
  assert.is(s.byCode('BKPICKUP0001')[0]!.tickets.length, 2);
  assert.is(s.byCode('CODE2')[0]!.orderNo, 'B2611250001');
  assert.is(s.byIdHash(lookupHash('id', '11010519491231002x'), '2026-11-25').length, 1);
  assert.is(s.byIdHash(lookupHash('id', '11010519491231002X'), '2026-11-26').length, 0, 'only today and later');
  assert.ok(s.template('type:2'));
  assert.ok(s.template('default'));
});

test('a newer state replaces the row and its tickets; an older one does not; bad rows roll back the page', () => {
  const s = fresh();
  s.applyBatch({ next: 4, changes: [{ seq: 4, kind: 'booking', booking: row() }] });
  s.applyBatch({ next: 9, changes: [{ seq: 9, kind: 'booking', booking: row({ state: 'picked_up', tickets: [{ id: T1, code: 'CODE1', typeId: 1, persons: 1 }] }) }] });
  assert.is(s.booking('B2611250001')!.state, 'picked_up');
  assert.is(s.booking('B2611250001')!.tickets.length, 1);
  s.applyBatch({ next: 10, changes: [{ seq: 5, kind: 'booking', booking: row() }] });
  assert.is(s.booking('B2611250001')!.state, 'picked_up', 'seq 5 is older than what we hold');
  assert.throws(() => s.applyBatch({ next: 12, changes: [
    { seq: 11, kind: 'booking', booking: row({ orderNo: 'B2', state: 'issued' }) },
    { seq: 12, kind: 'booking', booking: { ...row(), phoneHash: 'not-a-hash' } },
  ] }));
  assert.is(s.booking('B2'), undefined, 'nothing of a failed page is applied');
  assert.is(s.checkpoint(), 10);
});

test('bookings whose visit day is over leave the cache', () => {
  let now = NOW;
  const s = fresh(() => now);
  s.applyBatch({ next: 1, changes: [{ seq: 1, kind: 'booking', booking: row() }] });
  now = Date.UTC(2026, 10, 25, 17);
  s.applyBatch({ next: 1, changes: [] });
  assert.is(s.bookingCount(), 0);
  assert.is(s.byCode('CODE1').length, 0);
});

test('pickup: the first printed ticket queues it for HQ, the last one ends it; reset keeps pickups and outbox', () => {
  const s = fresh();
  s.applyBatch({ next: 1, changes: [{ seq: 1, kind: 'booking', booking: row() }] });
  const p = s.beginPickup({ pickupId: 'pickup-0001', orderNo: 'B2611250001', total: 2, source: 'cache' });
  assert.is(s.beginPickup({ pickupId: 'pickup-0002', orderNo: 'B2611250001', total: 2, source: 'cache' }).pickupId, 'pickup-0001', 'an open pickup resumes');
  assert.is(s.outboxSize(), 0, 'nothing queued before a ticket is printed');
  s.ticketPrinted(p.pickupId, T1, 'demo');
  assert.is(s.outboxSize(), 1);
  assert.is(s.booking('B2611250001')!.state, 'picked_up');
  assert.is(s.pickup(p.pickupId)!.state, 'printing');
  s.ticketPrinted(p.pickupId, T1, 'demo');
  assert.equal(JSON.parse(s.pickup(p.pickupId)!.printed), [T1], 'the same ticket twice counts once');
  s.ticketPrinted(p.pickupId, T2, 'demo');
  assert.is(s.pickup(p.pickupId)!.state, 'done');
  assert.is(s.outboxSize(), 1);
  const [due] = s.outboxDue(10);
  assert.equal(JSON.parse(due!.body), { pickupId: 'pickup-0001', orderNo: 'B2611250001', at: NOW, site: 'demo' });

  s.resetCache('new-log');
  assert.is(s.bookingCount(), 0);
  assert.is(s.checkpoint(), 0);
  assert.is(s.outboxSize(), 1);
  assert.is(s.pickupsOf('B2611250001').length, 1);

  s.deferred(['pickup-0001'], 'line down', NOW + 5000);
  assert.is(s.outboxDue(10).length, 0);
  assert.is(s.outboxNextAt(), NOW + 5000);
  s.acknowledge([{ pickupId: 'pickup-0001', result: 'picked_up' }]);
  assert.is(s.outboxSize(), 0);
  assert.is(s.pickup('pickup-0001')!.hqResult, 'picked_up');
});

test('sale attempts: stored before paying, tickets printed once each', () => {
  const s = fresh();
  s.createSale({ attemptId: 'attempt-0001', items: [{ type: 'adult', quantity: 2 }], amountFen: 24000 });
  assert.throws(() => s.createSale({ attemptId: 'attempt-0001', items: [], amountFen: 1 }), 'one row per attempt id');
  s.updateSale('attempt-0001', { state: 'paid', tickets: JSON.stringify([{ ticketId: T1 }, { ticketId: T2 }]) });
  s.saleTicketPrinted('attempt-0001', T1);
  s.saleTicketPrinted('attempt-0001', T1);
  assert.is(s.sale('attempt-0001')!.state, 'paid');
  assert.is(s.saleTicketPrinted('attempt-0001', T2).state, 'done');
  assert.equal(JSON.parse(s.sale('attempt-0001')!.printed), [T1, T2]);
});

test.run();
