import { and, eq, inArray } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { orders, payments, refunds, sales, tickets } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, refundRecord, type Tx } from '../office/audit.ts';
import { releaseCapacity } from '../office/pricing/pricing.ts';
import { releaseTicketSlots } from '../slots/service.ts';
import { postEntry } from './accounts.ts';
import { ACCOUNT_LEDGER, insertPayment, type Method } from './payments.ts';
import { revokeTickets } from './tickets.ts';
import { queueTicketRefunds } from '../channels/notices.ts';
import type { Actor } from './till.ts';

type Order = typeof orders.$inferSelect;
type PaymentRow = typeof payments.$inferSelect;
export interface Part { method: Method; amountFen: number }

/** What may still be given back, per method: paid minus refunded. */
export function refundable(ps: PaymentRow[]): Map<Method, number> {
  const out = new Map<Method, number>();
  for (const p of ps) out.set(p.method as Method, (out.get(p.method as Method) ?? 0) + p.amountFen);
  return out;
}

/**
 * How a refund is split over the methods the order was paid by, by the stated rule:
 * - explicit parts: each within what its method may still give back;
 * - one method: all of it by that method;
 * - otherwise original methods, newest payment first: each payment's method gives back what
 *   is left of it before an older payment's method is touched.
 */
export function splitRefund(ps: PaymentRow[], amountFen: number, rule: { parts?: Part[]; method?: Method }): Part[] {
  const left = refundable(ps);
  const net = [...left.values()].reduce((s, n) => s + n, 0);
  if (amountFen > net) throw new AppError('refund_exceeds_paid', `退款 ${amountFen} 超过已付 ${net} / refund ${amountFen} is more than the ${net} paid`, 409, { paidFen: net, askedFen: amountFen });
  if (rule.parts) {
    const sum = rule.parts.reduce((s, p) => s + p.amountFen, 0);
    if (sum !== amountFen) throw new AppError('refund_split_mismatch', `各方式退款合计 ${sum}，应为 ${amountFen} / the parts add up to ${sum}, not ${amountFen}`, 400, { askedFen: amountFen, partsFen: sum });
    const byMethod = new Map<Method, number>();
    for (const p of rule.parts) byMethod.set(p.method, (byMethod.get(p.method) ?? 0) + p.amountFen);
    for (const [method, n] of byMethod) {
      const can = left.get(method) ?? 0;
      if (n > can) throw new AppError('refund_exceeds_method', `${method} 只可退 ${can} / only ${can} was paid by ${method}`, 409, { method, paidFen: can });
    }
    return [...byMethod].filter(([, n]) => n > 0).map(([method, n]) => ({ method, amountFen: n }));
  }
  if (rule.method) {
    const can = left.get(rule.method) ?? 0;
    if (amountFen > can) throw new AppError('refund_exceeds_method', `${rule.method} 只可退 ${can} / only ${can} was paid by ${rule.method}`, 409, { method: rule.method, paidFen: can });
    return amountFen > 0 ? [{ method: rule.method, amountFen }] : [];
  }
  const parts = new Map<Method, number>();
  let rest = amountFen;
  const charges = ps.filter((p) => p.amountFen > 0).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  for (const p of charges) {
    if (rest === 0) break;
    const m = p.method as Method;
    const take = Math.min(rest, p.amountFen, (left.get(m) ?? 0) - (parts.get(m) ?? 0));
    if (take <= 0) continue;
    parts.set(m, (parts.get(m) ?? 0) + take);
    rest -= take;
  }
  return [...parts].map(([method, n]) => ({ method, amountFen: n }));
}

/**
 * Gives money back for an order in the caller's transaction, the order row locked by the
 * caller: one `refunds` row, a negative payment per method in the actor's book, account
 * entries reversed, tickets revoked and their places given back. Never more than was paid,
 * in total or by any method.
 */
export async function refund(tx: Tx, actor: Actor, o: {
  order: Order; ticketIds?: string[]; amountFen?: number; parts?: Part[]; method?: Method; reason: string; at: number;
}) {
  const { order, at } = o;
  const ps = await tx.select().from(payments).where(eq(payments.orderId, order.id));
  let ticketRows: (typeof tickets.$inferSelect)[] = [];
  if (o.ticketIds?.length) {
    const ids = [...new Set(o.ticketIds)];
    ticketRows = await tx.select({ t: tickets }).from(tickets).innerJoin(sales, eq(sales.id, tickets.saleId))
      .where(and(inArray(tickets.id, ids), eq(sales.orderId, order.id))).for('update').then((rows) => rows.map((x) => x.t));
    if (ticketRows.length !== ids.length) throw new AppError('ticket_not_in_order', '票不属于该订单 / a ticket is not in this order', 409);
    const gone = ticketRows.find((t) => t.revokedReason);
    if (gone) throw new AppError('ticket_revoked', `票 ${gone.id} 已${gone.revokedReason} / ticket ${gone.id} is already ${gone.revokedReason}`, 409);
  }
  const amountFen = o.amountFen ?? (o.parts ? o.parts.reduce((s, p) => s + p.amountFen, 0) : ticketRows.reduce((s, t) => s + t.priceFen, 0));
  const parts = splitRefund(ps, amountFen, { parts: o.parts, method: o.method });
  const refundId = uuidv7();
  const [row] = await tx.insert(refunds).values({
    id: refundId, orderId: order.id, userId: actor.user?.id ?? null, shiftId: actor.till.shiftId, book: actor.till.book, amountFen, reason: o.reason,
    ticketIds: ticketRows.map((t) => t.id), createdAt: new Date(at),
  }).returning();
  await appendAudit(tx, { at, actor: actor.name, action: 'refund', subject: refundId, body: refundRecord(row!) });
  const paid = [];
  for (const part of parts) {
    const ledger = ACCOUNT_LEDGER[part.method];
    if (ledger) {
      await postEntry(tx, { accountId: order.accountId!, ledger, amount: ledger === 'credit' ? -part.amountFen : part.amountFen, orderId: order.id, note: `refund ${refundId}`, userId: actor.user?.id ?? null, actor: actor.name, at });
    }
    paid.push(await insertPayment(tx, actor, { id: uuidv7(), orderId: order.id, method: part.method, amountFen: -part.amountFen, refundId, reference: null, createdAt: new Date(at) }));
  }
  // Places back before the change log's lock: an order takes a place and then that lock,
  // so taking them the other way round here could deadlock with it.
  // A window's tickets took the slot's walk-in share, every other channel's the rest.
  await releaseTicketSlots(tx, ticketRows.map((t) => t.id), order.channel === 'window');
  for (const t of ticketRows) await releaseCapacity(tx, t.typeId, order.visitDay, t.persons);
  for (const t of ticketRows) await revokeTickets(tx, t.site, [t.id], 'refunded', at);
  // Booked tickets: the channel that sold them is told (the channel's own cancel is told as a cancel).
  await queueTicketRefunds(tx, ticketRows, refundId, at);
  return { refundId, amountFen, parts, payments: paid, tickets: ticketRows.map((t) => t.id) };
}
