import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { HubShift } from '../../../shared/hub/journal.ts';
import type { SaleBook, ShiftRow } from './book.ts';
import { HubError } from './errors.ts';
import type { KitUser } from './sell.ts';

const money = z.number().int().min(0).max(1e12);
export const openRequest = z.object({ floatFen: money.default(0) }).strict();
export const closeRequest = z.object({ counted: z.record(z.string().regex(/^[a-z_]{1,32}$/), money).default({}) }).strict();

const mayWindow = (u: KitUser) => u.roles.includes('seller') || u.roles.includes('administrator');

export function openShift(book: SaleBook, user: KitUser, input: unknown, now: number): ShiftRow {
  const { floatFen } = openRequest.parse(input ?? {});
  if (!mayWindow(user)) throw new HubError('forbidden', 'only a window seller opens a shift', 403);
  const open = book.openShiftOf(user.id);
  if (open) throw new HubError('shift_open', `shift ${open.id} is still open`, 409, { shiftId: open.id });
  const id = uuidv7();
  book.openShift({ id, sellerId: user.id, floatFen, at: now });
  return book.shift(id)!;
}

/** The handover figures, from the hub's own records, shaped as HQ's shift report. */
function figures(book: SaleBook, s: ShiftRow, user: KitUser, counted: Record<string, number>, closedAt: number) {
  const orders = book.ordersOfShift(s.id);
  const pays = orders.flatMap((o) => o.order.payments);
  // Refunds made in this shift, of orders of any shift of this hub.
  const refunds = book.refundsOfShift(s.id);
  const outs = refunds.flatMap((r) => r.payments);
  const methods = [...new Set([...pays.map((p) => p.method), ...outs.map((p) => p.method), ...Object.keys(counted), 'cash'])].sort();
  const byMethod = methods.map((m) => {
    const charges = pays.filter((p) => p.method === m).reduce((a, p) => a + p.amountFen, 0);
    const refunded = -outs.filter((p) => p.method === m).reduce((a, p) => a + p.amountFen, 0);
    const expected = charges - refunded + (m === 'cash' ? s.floatFen : 0);
    const c = counted[m];
    return { method: m, chargesFen: charges, refundsFen: refunded, expectedFen: expected, countedFen: c ?? null, differenceFen: c === undefined ? null : c - expected };
  });
  const byType = new Map<string, { type: string; quantity: number; persons: number; amountFen: number }>();
  for (const l of orders.flatMap((o) => o.order.lines)) {
    const v = byType.get(l.type) ?? { type: l.type, quantity: 0, persons: 0, amountFen: 0 };
    v.quantity += l.quantity;
    v.persons += l.persons;
    v.amountFen += l.totalFen;
    byType.set(l.type, v);
  }
  return {
    shiftId: s.id,
    seller: { id: user.id, username: user.username, displayName: user.displayName },
    openedAt: new Date(s.openedAt).toISOString(), closedAt: new Date(closedAt).toISOString(), floatFen: s.floatFen,
    payments: byMethod,
    totals: { chargesFen: byMethod.reduce((a, m) => a + m.chargesFen, 0), refundsFen: byMethod.reduce((a, m) => a + m.refundsFen, 0) },
    orders: orders.length,
    tickets: [...byType.values()].sort((a, b) => a.type.localeCompare(b.type)),
    refunds: { count: refunds.length, amountFen: refunds.reduce((a, r) => a + r.amountFen, 0), tickets: refunds.reduce((a, r) => a + r.tickets.length, 0) },
    stock: {},
    ticketEvents: {},
  };
}

/** 交班 at the hub: the report is frozen with its hash, and goes to HQ in the journal. */
export function closeShift(book: SaleBook, user: KitUser, id: string, input: unknown, now: number): ShiftRow {
  const { counted } = closeRequest.parse(input ?? {});
  const s = book.shift(id);
  if (!s) throw new HubError('not_found', `no shift ${id}`, 404, { what: 'shift', id });
  if (s.sellerId !== user.id && !user.roles.includes('administrator')) throw new HubError('forbidden', 'not your shift', 403);
  if (s.closedAt) throw new HubError('shift_closed', 'shift is already closed', 409);
  const report = figures(book, s, user, counted, now);
  const reportHash = createHash('sha256').update(JSON.stringify(report)).digest('hex');
  const cash = report.payments.find((p) => p.method === 'cash')!;
  const entry: HubShift = {
    id, seller: { id: user.id, username: user.username }, openedAt: s.openedAt, closedAt: now, floatFen: s.floatFen,
    expectedCashFen: cash.expectedFen, countedCashFen: counted.cash ?? cash.expectedFen,
    salesFen: report.totals.chargesFen, refundsFen: report.totals.refundsFen, orders: report.orders, counted,
  };
  book.closeShift(entry, { ...report, reportHash });
  return book.shift(id)!;
}

export function shiftView(s: ShiftRow) {
  const r = s.report as { reportHash?: string } | null;
  return { id: s.id, sellerId: s.sellerId, floatFen: s.floatFen, openedAt: new Date(s.openedAt).toISOString(), closedAt: s.closedAt ? new Date(s.closedAt).toISOString() : null, report: s.report, reportHash: r?.reportHash ?? null };
}
