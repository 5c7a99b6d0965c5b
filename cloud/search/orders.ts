import { and, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { customerAccounts, orders, sales, ticketTypes, users } from '../db/schema/index.ts';
import { likeText } from './users.ts';
import {
  anyOf, cursorParam, dayParam, limitParam, onDays, ownRowsOnly, page, pageView, personView, searchText, siteParam, sortParam, uuidParam,
} from './paging.ts';

export const ORDER_STATUSES = ['reserved', 'pending', 'issued', 'cancelled'] as const;

export const ordersQuery = z.object({
  status: anyOf(ORDER_STATUSES).optional(),
  seller: uuidParam.optional().describe('Seller (user id); a seller without an office role sees only their own orders'),
  shift: uuidParam.optional(),
  account: uuidParam.optional().describe('Customer account'),
  site: siteParam.optional(),
  from: dayParam.optional().describe('Made on or after this business day'),
  to: dayParam.optional().describe('Made on or before this business day'),
  visitFrom: dayParam.optional(),
  visitTo: dayParam.optional(),
  q: searchText.optional().describe('Start of the order id, or part of its note'),
  sort: sortParam(['createdAt', 'totalFen', 'visitDay'], '-createdAt'),
  limit: limitParam,
  cursor: cursorParam,
}).strict();

export const orderItem = z.object({
  id: z.string(),
  site: z.string(),
  status: z.enum(ORDER_STATUSES),
  visitDay: z.string(),
  totalFen: z.number().int(),
  paidFen: z.number().int().describe('Charges taken for it (refunds not subtracted)'),
  refundedFen: z.number().int(),
  seller: personView,
  shiftId: z.string().nullable(),
  account: z.object({ id: z.string(), name: z.string() }).nullable(),
  note: z.string().nullable(),
  lines: z.array(z.object({ type: z.string(), typeName: z.string(), quantity: z.number().int(), amountFen: z.number().int().nullable() })),
  createdAt: z.string(),
  issuedAt: z.string().nullable(),
}).meta({ id: 'OrderSummary' });
export const ordersPage = pageView(orderItem).meta({ id: 'OrderPage' });

const seller = alias(users, 'seller');

export async function searchOrders(ctx: CloudContext, user: AuthUser, q: z.output<typeof ordersQuery>) {
  const where: (SQL | undefined)[] = [];
  const own = ownRowsOnly(user);
  if (own) where.push(eq(orders.sellerId, own));
  if (q.seller) where.push(eq(orders.sellerId, q.seller));
  if (q.status) where.push(inArray(orders.status, q.status));
  if (q.shift) where.push(eq(orders.shiftId, q.shift));
  if (q.account) where.push(eq(orders.accountId, q.account));
  if (q.site) where.push(eq(orders.site, q.site));
  where.push(...onDays(orders.createdAt, q.from, q.to, ctx.config.timeZone));
  if (q.visitFrom) where.push(sql`${orders.visitDay} >= ${q.visitFrom}`);
  if (q.visitTo) where.push(sql`${orders.visitDay} <= ${q.visitTo}`);
  if (q.q) {
    const whole = uuidParam.safeParse(q.q.toLowerCase());
    const id = whole.success ? eq(orders.id, whole.data) : sql`${orders.id}::text like ${`${q.q.toLowerCase().replace(/[\\%_]/g, '')}%`}`;
    where.push(or(id, ilike(orders.note, likeText(q.q))));
  }
  const row = {
    order: orders,
    seller: { id: seller.id, username: seller.username, displayName: seller.displayName },
    accountName: customerAccounts.name,
    paidFen: sql<number>`(select coalesce(sum(p.amount_fen), 0) from payments p where p.order_id = ${orders}.id and p.amount_fen > 0)`.mapWith(Number),
    refundedFen: sql<number>`(select coalesce(sum(r.amount_fen), 0) from refunds r where r.order_id = ${orders}.id)`.mapWith(Number),
  };
  type Row = { order: typeof orders.$inferSelect; seller: { id: string; username: string; displayName: string } | null; accountName: string | null; paidFen: number; refundedFen: number };
  const p = await page<Row>({
    sorts: {
      createdAt: { column: orders.createdAt, value: (r) => r.order.createdAt },
      totalFen: { column: orders.totalFen, value: (r) => r.order.totalFen },
      visitDay: { column: orders.visitDay, value: (r) => r.order.visitDay },
    },
    sort: q.sort, id: orders.id, idOf: (r) => r.order.id, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select(row).from(orders)
      .leftJoin(seller, eq(seller.id, orders.sellerId))
      .leftJoin(customerAccounts, eq(customerAccounts.id, orders.accountId))
      .where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  const ids = p.items.map((r) => r.order.id);
  const types = new Map((await ctx.db.select({ id: ticketTypes.id, code: ticketTypes.code, name: ticketTypes.name }).from(ticketTypes)).map((t) => [t.id, t]));
  const byCode = new Map([...types.values()].map((t) => [t.code, t]));
  const lines = ids.length
    ? await ctx.db.select({ orderId: sales.orderId, typeId: sales.typeId, quantity: sales.quantity, totalFen: sales.totalFen }).from(sales).where(inArray(sales.orderId, ids))
    : [];
  return {
    items: p.items.map((r) => {
      const sold = lines.filter((l) => l.orderId === r.order.id);
      // A reservation has no sales yet: its lines are in the request it keeps.
      const requested = (r.order.request as { lines?: { type: string; quantity: number }[] }).lines ?? [];
      return {
        id: r.order.id, site: r.order.site, status: r.order.status as (typeof ORDER_STATUSES)[number], visitDay: r.order.visitDay,
        totalFen: r.order.totalFen, paidFen: r.paidFen, refundedFen: r.refundedFen,
        // A kiosk's or a channel's order has no seller: the kiosk or channel stands in.
        seller: r.seller ?? { id: '', username: `${r.order.channel}:${r.order.source ?? ''}`, displayName: r.order.channel === 'kiosk' ? `自助机 ${r.order.source ?? ''}` : `渠道 ${r.order.source ?? ''}` }, shiftId: r.order.shiftId,
        account: r.order.accountId ? { id: r.order.accountId, name: r.accountName ?? '' } : null, note: r.order.note,
        lines: sold.length
          ? sold.map((l) => ({ type: types.get(l.typeId)?.code ?? '', typeName: types.get(l.typeId)?.name ?? '', quantity: l.quantity, amountFen: l.totalFen }))
          : requested.map((l) => ({ type: l.type, typeName: byCode.get(l.type)?.name ?? l.type, quantity: l.quantity, amountFen: null })),
        createdAt: r.order.createdAt.toISOString(), issuedAt: r.order.issuedAt?.toISOString() ?? null,
      };
    }),
    next: p.next,
  };
}
