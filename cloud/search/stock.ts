import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { stockBatches, stockItems, ticketTypes, users } from '../db/schema/index.ts';
import { serialOf, STOCK_STATUSES } from '../office/stock/stock.ts';
import { anyOf, cursorParam, limitParam, page, pageView, sortParam, uuidParam } from './paging.ts';

const typeCode = z.string().regex(/^[a-z0-9_-]{1,32}$/);
const counts = z.object(Object.fromEntries(STOCK_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof STOCK_STATUSES)[number], z.ZodNumber>);

export const batchesQuery = z.object({
  type: typeCode.optional().describe('Ticket type code'),
  prefix: z.string().regex(/^[A-Z0-9]{1,8}$/).optional(),
  sort: sortParam(['createdAt'], '-createdAt'),
  limit: limitParam,
  cursor: cursorParam,
}).strict();

export const batchItem = z.object({
  id: z.string(),
  type: z.string(),
  typeName: z.string(),
  prefix: z.string(),
  firstNumber: z.number().int(),
  count: z.number().int(),
  firstSerial: z.string(),
  lastSerial: z.string(),
  byStatus: counts.describe('Serials of the batch by state; they add up to count'),
  createdAt: z.string(),
}).meta({ id: 'StockBatchSummary' });
export const batchesPage = pageView(batchItem).meta({ id: 'StockBatchPage' });

export async function searchBatches(ctx: CloudContext, q: z.output<typeof batchesQuery>) {
  const where: (SQL | undefined)[] = [];
  if (q.type) where.push(eq(ticketTypes.code, q.type));
  if (q.prefix) where.push(eq(stockBatches.prefix, q.prefix));
  type Row = { batch: typeof stockBatches.$inferSelect; type: string; typeName: string };
  const p = await page<Row>({
    sorts: { createdAt: { column: stockBatches.createdAt, value: (r) => r.batch.createdAt } },
    sort: q.sort, id: stockBatches.id, idOf: (r) => r.batch.id, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select({ batch: stockBatches, type: ticketTypes.code, typeName: ticketTypes.name }).from(stockBatches)
      .innerJoin(ticketTypes, eq(ticketTypes.id, stockBatches.typeId)).where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  const ids = p.items.map((r) => r.batch.id);
  const tallies = ids.length
    ? await ctx.db.select({ batchId: stockItems.batchId, status: stockItems.status, n: sql<number>`count(*)::int` }).from(stockItems)
      .where(inArray(stockItems.batchId, ids)).groupBy(stockItems.batchId, stockItems.status)
    : [];
  return {
    items: p.items.map(({ batch: b, type, typeName }) => {
      const byStatus = Object.fromEntries(STOCK_STATUSES.map((s) => [s, 0])) as Record<(typeof STOCK_STATUSES)[number], number>;
      for (const t of tallies) if (t.batchId === b.id) byStatus[t.status as (typeof STOCK_STATUSES)[number]] = t.n;
      return {
        id: b.id, type, typeName, prefix: b.prefix, firstNumber: b.firstNumber, count: b.count,
        firstSerial: serialOf(b.prefix, b.firstNumber), lastSerial: serialOf(b.prefix, b.firstNumber + b.count - 1),
        byStatus, createdAt: b.createdAt.toISOString(),
      };
    }),
    next: p.next,
  };
}

export const itemsQuery = z.object({
  batch: uuidParam.optional(),
  status: anyOf(STOCK_STATUSES).optional(),
  holder: uuidParam.optional().describe('The seller the serials are issued to'),
  from: z.string().regex(/^[A-Z0-9]{1,16}$/).optional().describe('Serials from this one on'),
  sort: sortParam(['serial', 'updatedAt'], 'serial'),
  limit: limitParam,
  cursor: cursorParam,
}).strict();

export const stockItemView = z.object({
  serial: z.string(),
  batchId: z.string(),
  status: z.enum(STOCK_STATUSES),
  holder: z.object({ id: z.string(), username: z.string(), displayName: z.string() }).nullable(),
  ticketId: z.string().nullable(),
  updatedAt: z.string(),
}).meta({ id: 'StockItem' });
export const itemsPage = pageView(stockItemView).meta({ id: 'StockItemPage' });

/** Where every serial is: its state, who holds it, the ticket it was sold as. */
export async function searchItems(ctx: CloudContext, q: z.output<typeof itemsQuery>) {
  const where: (SQL | undefined)[] = [];
  if (q.batch) where.push(eq(stockItems.batchId, q.batch));
  if (q.status) where.push(inArray(stockItems.status, q.status));
  if (q.holder) where.push(eq(stockItems.holderId, q.holder));
  if (q.from) where.push(sql`${stockItems.serial} >= ${q.from}`);
  type Row = { item: typeof stockItems.$inferSelect; holder: { id: string; username: string; displayName: string } | null };
  const p = await page<Row>({
    sorts: {
      serial: { column: stockItems.serial, value: (r) => r.item.serial },
      updatedAt: { column: stockItems.updatedAt, value: (r) => r.item.updatedAt },
    },
    sort: q.sort, id: stockItems.serial, idOf: (r) => r.item.serial, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select({ item: stockItems, holder: { id: users.id, username: users.username, displayName: users.displayName } })
      .from(stockItems).leftJoin(users, eq(users.id, stockItems.holderId)).where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  return {
    items: p.items.map(({ item: i, holder }) => ({
      serial: i.serial, batchId: i.batchId, status: i.status as (typeof STOCK_STATUSES)[number], holder, ticketId: i.ticketId, updatedAt: i.updatedAt.toISOString(),
    })),
    next: p.next,
  };
}
