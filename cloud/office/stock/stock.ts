import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { AuthUser } from '../../auth/roles.ts';
import { ticketTypeByCode } from '../../catalog/service.ts';
import type { CloudContext } from '../../context.ts';
import { stockBatches, stockItems, stockMoves, users } from '../../db/schema/index.ts';
import { AppError, notFound } from '../../http/errors.ts';
import { uuid } from '../payments/accounts.ts';
import { appendAudit, type Tx, auditedTx } from '../audit.ts';

/**
 * Life of a pre-printed item: made -> in_store (received) -> issued (to a seller) -> sold
 * (activated by a sale) | voided; a seller hands unsold ones back (returned, issuable again).
 */
const MOVES: Record<string, { from: string[]; to: string }> = {
  receive: { from: ['made'], to: 'in_store' },
  issue: { from: ['in_store', 'returned'], to: 'issued' },
  return: { from: ['issued'], to: 'returned' },
  void: { from: ['made', 'in_store', 'issued', 'returned'], to: 'voided' },
};
export const STOCK_STATUSES = ['made', 'in_store', 'issued', 'returned', 'sold', 'voided'] as const;

export const newBatch = z.object({
  type: z.string().regex(/^[a-z0-9_-]{1,32}$/),
  prefix: z.string().regex(/^[A-Z0-9]{1,8}$/, '1-8 capital letters or digits'),
  firstNumber: z.number().int().min(0).max(99_999_999),
  count: z.number().int().min(1).max(10_000),
}).strict().refine((b) => b.firstNumber + b.count - 1 <= 99_999_999, { message: 'serials beyond 8 digits', path: ['count'] });
export const moveRequest = z.object({
  serials: z.array(z.string().regex(/^[A-Z0-9]{5,16}$/)).min(1).max(10_000),
  /** issue: the seller who receives them. */
  to: uuid.optional(),
  reason: z.string().min(2).max(200).optional(),
}).strict();

export const serialOf = (prefix: string, n: number) => `${prefix}${String(n).padStart(8, '0')}`;

export async function createBatch(ctx: CloudContext, user: AuthUser, input: unknown) {
  const b = newBatch.parse(input);
  const type = await ticketTypeByCode(ctx.db, b.type);
  if (!type.saleMethods.includes('barcode_activation')) throw new AppError('sale_method_not_allowed', `${type.code} is not sold on pre-printed stock`, 409);
  const id = uuidv7();
  const at = ctx.now();
  const serials = Array.from({ length: b.count }, (_, i) => serialOf(b.prefix, b.firstNumber + i));
  await auditedTx(ctx.db, async (tx) => {
    const [clash] = await tx.select({ serial: stockItems.serial }).from(stockItems).where(inArray(stockItems.serial, [serials[0]!, serials[serials.length - 1]!]));
    const [overlap] = clash ? [clash] : await tx.select({ serial: stockItems.serial }).from(stockItems)
      .where(and(sql`${stockItems.serial} >= ${serials[0]}`, sql`${stockItems.serial} <= ${serials[serials.length - 1]}`)).limit(1);
    if (overlap) throw new AppError('duplicate', `serial ${overlap.serial} already exists`, 409);
    await tx.insert(stockBatches).values({ id, typeId: type.id, prefix: b.prefix, firstNumber: b.firstNumber, count: b.count, createdAt: new Date(at) });
    for (let i = 0; i < serials.length; i += 1000) {
      const chunk = serials.slice(i, i + 1000);
      await tx.insert(stockItems).values(chunk.map((serial) => ({ serial, batchId: id, status: 'made', updatedAt: new Date(at) })));
      await tx.insert(stockMoves).values(chunk.map((serial) => ({ serial, fromStatus: null, toStatus: 'made', userId: user.id, createdAt: new Date(at) })));
    }
    await appendAudit(tx, { at, actor: user.username, action: 'stock.batch', subject: id, body: { type: b.type, first: serials[0], last: serials[serials.length - 1], count: b.count } });
  });
  return getBatch(ctx, id);
}

/** Moves items all together or not at all: one item in the wrong state refuses the lot. */
export async function moveStock(ctx: CloudContext, user: AuthUser, kind: keyof typeof MOVES, input: unknown) {
  const r = moveRequest.parse(input);
  const move = MOVES[kind]!;
  if (kind === 'issue') {
    if (!r.to) throw new AppError('invalid_request', 'issue needs `to`: the seller');
    const [seller] = await ctx.db.select().from(users).where(eq(users.id, r.to));
    if (!seller || !seller.active) throw notFound('user', r.to);
    if (!(seller.roles as string[]).includes('seller')) throw new AppError('not_a_seller', `${seller.username} is not a window seller`, 409);
  }
  if (kind === 'void' && !r.reason) throw new AppError('invalid_request', 'void needs a reason');
  const serials = [...new Set(r.serials)];
  const at = ctx.now();
  await auditedTx(ctx.db, async (tx) => {
    const items = await tx.select().from(stockItems).where(inArray(stockItems.serial, serials)).orderBy(asc(stockItems.serial)).for('update');
    if (items.length !== serials.length) {
      const missing = serials.filter((s) => !items.some((i) => i.serial === s));
      throw new AppError('not_found', `stock not found: ${missing.slice(0, 5).join(', ')}`, 404, { missing: missing.length });
    }
    const wrong = items.filter((i) => !move.from.includes(i.status));
    if (wrong.length) throw new AppError('stock_state', `${wrong[0]!.serial} is ${wrong[0]!.status}; ${kind} needs ${move.from.join(' or ')}`, 409, { count: wrong.length });
    const holderId = kind === 'issue' ? r.to! : null;
    await tx.update(stockItems).set({ status: move.to, holderId, updatedAt: new Date(at) }).where(inArray(stockItems.serial, serials));
    await tx.insert(stockMoves).values(items.map((i) => ({ serial: i.serial, fromStatus: i.status, toStatus: move.to, userId: user.id, holderId, createdAt: new Date(at) })));
    await appendAudit(tx, { at, actor: user.username, action: `stock.${kind}`, subject: serials.length === 1 ? serials[0]! : `${serials[0]}..${serials[serials.length - 1]} (${serials.length})`, body: { serials, to: holderId, reason: r.reason ?? null } });
  });
  return { moved: serials.length, to: move.to };
}

/** A batch with every serial accounted for: counts per status add up to the batch size. */
export async function getBatch(ctx: CloudContext, id: string) {
  if (!uuid.safeParse(id).success) throw notFound('stock batch', id);
  const [b] = await ctx.db.select().from(stockBatches).where(eq(stockBatches.id, id));
  if (!b) throw notFound('stock batch', id);
  return { ...b, ...(await countByStatus(ctx.db, eq(stockItems.batchId, id))) };
}

export async function stockHeldBy(ctx: CloudContext, userId: string) {
  if (!uuid.safeParse(userId).success) throw notFound('user', userId);
  const items = await ctx.db.select({ serial: stockItems.serial }).from(stockItems)
    .where(and(eq(stockItems.holderId, userId), eq(stockItems.status, 'issued'))).orderBy(asc(stockItems.serial));
  return { userId, serials: items.map((i) => i.serial) };
}

async function countByStatus(db: CloudContext['db'] | Tx, where: ReturnType<typeof eq>) {
  const rows = await db.select({ status: stockItems.status, n: sql<number>`count(*)::int` }).from(stockItems).where(where).groupBy(stockItems.status);
  const byStatus = Object.fromEntries(STOCK_STATUSES.map((s) => [s, 0])) as Record<string, number>;
  for (const r of rows) byStatus[r.status] = r.n;
  return { byStatus, total: rows.reduce((a, r) => a + r.n, 0) };
}
