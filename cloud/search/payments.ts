import { and, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { payments, refunds, users } from '../db/schema/index.ts';
import { anyOf, cursorParam, dayParam, limitParam, onDays, ownRowsOnly, page, pageView, personView, sortParam, uuidParam } from './paging.ts';

export const PAYMENT_METHODS = ['cash', 'card', 'mobile', 'voucher', 'points', 'deposit', 'on_account', 'signed_bill', 'channel'] as const;

const common = {
  seller: uuidParam.optional().describe('Who took or gave the money (user id); a seller without an office role sees only their own'),
  shift: uuidParam.optional(),
  order: uuidParam.optional(),
  from: dayParam.optional().describe('On or after this business day'),
  to: dayParam.optional().describe('On or before this business day'),
  limit: limitParam,
  cursor: cursorParam,
};

export const paymentsQuery = z.object({
  ...common,
  method: anyOf(PAYMENT_METHODS).optional(),
  kind: z.enum(['charge', 'refund']).optional().describe('charge: money in (amount > 0); refund: money out (amount < 0)'),
  sort: sortParam(['createdAt', 'amountFen'], '-createdAt'),
}).strict();

export const paymentItem = z.object({
  id: z.string(),
  orderId: z.string(),
  shiftId: z.string().nullable(),
  user: personView,
  method: z.enum(PAYMENT_METHODS),
  amountFen: z.number().int().describe('Positive: taken; negative: paid back (refundId says which refund)'),
  tenderedFen: z.number().int().nullable(),
  changeFen: z.number().int().nullable(),
  reference: z.string().nullable(),
  refundId: z.string().nullable(),
  createdAt: z.string(),
}).meta({ id: 'Payment' });
export const paymentsPage = pageView(paymentItem).meta({ id: 'PaymentPage' });

const who = alias(users, 'who');
const person = { id: who.id, username: who.username, displayName: who.displayName };

export async function searchPayments(ctx: CloudContext, user: AuthUser, q: z.output<typeof paymentsQuery>) {
  const where: (SQL | undefined)[] = [];
  const own = ownRowsOnly(user);
  if (own) where.push(eq(payments.userId, own));
  if (q.seller) where.push(eq(payments.userId, q.seller));
  if (q.shift) where.push(eq(payments.shiftId, q.shift));
  if (q.order) where.push(eq(payments.orderId, q.order));
  if (q.method) where.push(inArray(payments.method, q.method));
  if (q.kind) where.push(q.kind === 'charge' ? gt(payments.amountFen, 0) : lt(payments.amountFen, 0));
  where.push(...onDays(payments.createdAt, q.from, q.to, ctx.config.timeZone));
  type Row = { payment: typeof payments.$inferSelect; user: { id: string; username: string; displayName: string } | null };
  const p = await page<Row>({
    sorts: {
      createdAt: { column: payments.createdAt, value: (r) => r.payment.createdAt },
      amountFen: { column: payments.amountFen, value: (r) => r.payment.amountFen },
    },
    sort: q.sort, id: payments.id, idOf: (r) => r.payment.id, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select({ payment: payments, user: person }).from(payments)
      .leftJoin(who, eq(who.id, payments.userId)).where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  return {
    items: p.items.map(({ payment: x, user: u }) => ({
      id: x.id, orderId: x.orderId, shiftId: x.shiftId, user: u ?? noUser(x.book), method: x.method as (typeof PAYMENT_METHODS)[number], amountFen: x.amountFen,
      tenderedFen: x.tenderedFen, changeFen: x.changeFen, reference: x.reference, refundId: x.refundId, createdAt: x.createdAt.toISOString(),
    })),
    next: p.next,
  };
}

/** Money moved by no user: a kiosk's (in its shift) or a channel's (its settlement). */
function noUser(book: string | null) {
  return book === 'channel' ? { id: '', username: 'channel', displayName: '渠道代收' } : { id: '', username: 'kiosk', displayName: '自助售票机' };
}

export const refundsQuery = z.object({
  ...common,
  method: anyOf(PAYMENT_METHODS).optional().describe('Refunds paid back (in part) by one of these methods'),
  sort: sortParam(['createdAt', 'amountFen'], '-createdAt'),
}).strict();

export const refundItem = z.object({
  id: z.string(),
  orderId: z.string(),
  shiftId: z.string().nullable(),
  user: personView,
  amountFen: z.number().int(),
  reason: z.string(),
  ticketIds: z.array(z.string()),
  methods: z.array(z.object({ method: z.enum(PAYMENT_METHODS), amountFen: z.number().int().describe('Paid back by this method (positive)') })),
  createdAt: z.string(),
}).meta({ id: 'Refund' });
export const refundsPage = pageView(refundItem).meta({ id: 'RefundPage' });

export async function searchRefunds(ctx: CloudContext, user: AuthUser, q: z.output<typeof refundsQuery>) {
  const where: (SQL | undefined)[] = [];
  const own = ownRowsOnly(user);
  if (own) where.push(eq(refunds.userId, own));
  if (q.seller) where.push(eq(refunds.userId, q.seller));
  if (q.shift) where.push(eq(refunds.shiftId, q.shift));
  if (q.order) where.push(eq(refunds.orderId, q.order));
  if (q.method) where.push(sql`exists (select 1 from ${payments} p where p.refund_id = ${refunds}.id and p.method in ${q.method})`);
  where.push(...onDays(refunds.createdAt, q.from, q.to, ctx.config.timeZone));
  type Row = { refund: typeof refunds.$inferSelect; user: { id: string; username: string; displayName: string } | null };
  const p = await page<Row>({
    sorts: {
      createdAt: { column: refunds.createdAt, value: (r) => r.refund.createdAt },
      amountFen: { column: refunds.amountFen, value: (r) => r.refund.amountFen },
    },
    sort: q.sort, id: refunds.id, idOf: (r) => r.refund.id, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select({ refund: refunds, user: person }).from(refunds)
      .leftJoin(who, eq(who.id, refunds.userId)).where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  const ids = p.items.map((r) => r.refund.id);
  const paidBack = ids.length
    ? await ctx.db.select({ refundId: payments.refundId, method: payments.method, amountFen: payments.amountFen }).from(payments).where(inArray(payments.refundId, ids))
    : [];
  return {
    items: p.items.map(({ refund: x, user: u }) => ({
      id: x.id, orderId: x.orderId, shiftId: x.shiftId, user: u ?? noUser(x.book), amountFen: x.amountFen, reason: x.reason, ticketIds: x.ticketIds,
      methods: paidBack.filter((b) => b.refundId === x.id).map((b) => ({ method: b.method as (typeof PAYMENT_METHODS)[number], amountFen: -b.amountFen })),
      createdAt: x.createdAt.toISOString(),
    })),
    next: p.next,
  };
}
