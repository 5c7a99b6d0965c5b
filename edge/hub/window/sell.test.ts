import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { issuerKeyFromSeed } from '../../../shared/code/keys.ts';
import { readTicketCode } from '../../../shared/code/ticket-code.ts';
import type { HubKit } from '../../../shared/hub/journal.ts';
import { startOfBusinessDay } from '../../../shared/time/zone.ts';
import { HubStore } from '../store.ts';
import { SaleBook } from './book.ts';
import { HubError } from './errors.ts';
import { refund, sell, type SellContext } from './sell.ts';
import { closeShift, openShift } from './shifts.ts';

// The hub's port of the window's rules, on a real hub.sqlite (in memory), without HQ.
const key = issuerKeyFromSeed(Buffer.alloc(32, 3));
const now = Date.UTC(2026, 6, 1, 2, 0, 0); // 10:00 in Shanghai, 2026-07-01
const user = (id: string, roles: string[], permissions: string[] = []) => ({
  id, username: id.slice(0, 8), displayName: id.slice(0, 8), roles, permissions, passwordHash: 'x', active: true, grants: { types: ['adult'], discounts: ['half', 'members'] },
});
const seller = user('0190a1b2-0000-7000-8000-000000000001', ['seller']);
const admin = user('0190a1b2-0000-7000-8000-000000000002', ['administrator']);
const kit: HubKit = {
  site: 'demo', at: now, timeZone: 'Asia/Shanghai',
  types: [
    { id: 1, code: 'adult', name: '成人票', active: true, persons: 1, entries: 1, validityDays: 1, saleMethods: ['print'], category: 'visitor', prices: { '2026-07-01': 12000, '2026-07-02': 15000 }, basePriceFen: 12000 },
    { id: 2, code: 'week', name: '周票', active: true, persons: 1, entries: 0, validityDays: 7, saleMethods: ['print'], category: 'visitor', prices: { '2026-07-01': 50000 }, basePriceFen: 50000 },
  ],
  discounts: [
    { code: 'half', name: '半价', kind: 'percent', value: 50, customerCategory: null, active: true },
    { code: 'members', name: '会员', kind: 'fixed', value: 1000, customerCategory: 'member', active: true },
  ],
  users: [seller, admin],
};

function setup(notAfter = now + 3 * 86_400_000) {
  const store = HubStore.open(':memory:');
  const book = new SaleBook(store.db);
  const ctx: SellContext = { kit, key, delegation: { keyId: key.keyId, notAfter }, book, now, site: 'demo' };
  return { store, book, ctx };
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof HubError) return err.code;
    throw err;
  }
  return 'ok';
};
const cash = (amountFen: number) => ({ method: 'cash', amountFen, tenderedFen: amountFen });

test('the window\'s rules at the hub: shift, grants, prices of the visit day, discounts, payments', () => {
  const { store, book, ctx } = setup();
  try {
    assert.is(code(() => sell(ctx, seller, { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] }, undefined)), 'no_open_shift');
    openShift(book, seller, { floatFen: 0 }, now);
    assert.is(code(() => openShift(book, seller, { floatFen: 0 }, now)), 'shift_open');
    assert.is(code(() => sell(ctx, seller, { lines: [{ type: 'week', quantity: 1 }], payments: [cash(50000)] }, undefined)), 'type_not_granted');
    assert.is(code(() => sell(ctx, seller, { lines: [{ type: 'adult', quantity: 1, discount: 'members' }], payments: [cash(11000)] }, undefined)), 'discount_not_applicable');
    assert.is(code(() => sell(ctx, seller, { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(11000)] }, undefined)), 'payment_mismatch');
    assert.is(code(() => sell(ctx, seller, { lines: [{ type: 'adult', quantity: 1 }], payments: [{ method: 'voucher', amountFen: 12000, code: 'V-1' }] }, undefined)), 'offline_method');
    assert.is(code(() => sell(ctx, seller, { lines: [{ type: 'adult', quantity: 1 }], reserve: true }, undefined)), 'not_at_hub');
    assert.is(code(() => sell(ctx, seller, { lines: [{ type: 'adult', quantity: 1, cards: ['04A1B2C3'] }], payments: [cash(12000)] }, undefined)), 'not_at_hub');
    assert.is(code(() => sell(ctx, seller, { visitDay: '2026-06-30', lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] }, undefined)), 'visit_day_past');
    assert.is(code(() => sell(ctx, seller, { visitDay: '2026-07-03', lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] }, undefined)), 'visit_day_too_far');
    // Tomorrow's price from the kit's calendar, half off: 150.00 / 2.
    const o = sell(ctx, seller, { visitDay: '2026-07-02', lines: [{ type: 'adult', quantity: 2, discount: 'half' }], payments: [cash(15000)] }, 'k1');
    assert.is(o.order.totalFen, 15000);
    assert.is(o.order.lines[0]!.unitFen, 7500);
    const t = o.order.lines[0]!.tickets[0]!;
    assert.is(t.validFrom, startOfBusinessDay('2026-07-02', 'Asia/Shanghai'));
    const read = readTicketCode(t.code, new Map([[key.keyId, key.publicKey]]));
    assert.ok(read.ok && read.facts.ticketId === t.id && read.facts.keyId === key.keyId, 'signed with the hub\'s key');
    assert.is(sell(ctx, seller, { visitDay: '2026-07-02', lines: [{ type: 'adult', quantity: 2, discount: 'half' }], payments: [cash(15000)] }, 'k1').id, o.id, 'same key, same order');
    assert.is(book.journalStats().entries, 1);
    assert.equal(book.pending(10).map((e) => [e.seq, e.kind]), [[1, 'order']]);
  } finally {
    store.close();
  }
});

test('codes never outlive the delegation; without a delegated key nothing is sold', () => {
  const { store, book, ctx } = setup(startOfBusinessDay('2026-07-03', 'Asia/Shanghai'));
  try {
    openShift(book, admin, { floatFen: 0 }, now);
    assert.is(code(() => sell(ctx, admin, { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] }, undefined)), 'ok');
    assert.is(code(() => sell(ctx, admin, { lines: [{ type: 'week', quantity: 1 }], payments: [cash(50000)] }, undefined)), 'delegation_expired');
    assert.is(code(() => sell({ ...ctx, delegation: undefined }, admin, { lines: [{ type: 'adult', quantity: 1 }], payments: [cash(12000)] }, undefined)), 'hub_no_key');
  } finally {
    store.close();
  }
});

test('refunds at the hub: whole, once, by one who may, in the refunder\'s shift; the shift closes with the drawer\'s figures', () => {
  const { store, book, ctx } = setup();
  try {
    const shift = openShift(book, seller, { floatFen: 10000 }, now);
    const o = sell(ctx, seller, { lines: [{ type: 'adult', quantity: 2 }], payments: [{ method: 'cash', amountFen: 24000, tenderedFen: 30000 }] }, undefined);
    assert.is(code(() => refund(ctx, seller, o.id, { method: 'cash', reason: '改期' })), 'refund_not_allowed');
    openShift(book, admin, { floatFen: 0 }, now);
    assert.is(code(() => refund(ctx, admin, o.id, { method: 'cash', amountFen: 12000, reason: '改期' })), 'not_at_hub');
    assert.is(code(() => refund(ctx, admin, o.id, { method: 'card', reason: '改期' })), 'refund_exceeds_method');
    const r = refund(ctx, admin, o.id, { method: 'cash', reason: '改期' });
    assert.is(r.row.refund!.amountFen, 24000);
    assert.is(code(() => refund(ctx, admin, o.id, { method: 'cash', reason: '改期' })), 'order_refunded');
    const closed = closeShift(book, seller, shift.id, { counted: { cash: 34000 } }, now + 3600_000);
    const report = closed.report as { payments: { method: string; expectedFen: number; differenceFen: number }[] };
    assert.equal(report.payments.find((p) => p.method === 'cash'), { method: 'cash', chargesFen: 24000, refundsFen: 0, expectedFen: 34000, countedFen: 34000, differenceFen: 0 }, 'the refund is in the admin\'s drawer, not the seller\'s');
    assert.equal(book.pending(10).map((e) => e.kind), ['order', 'refund', 'shift']);
  } finally {
    store.close();
  }
});

test.run();
