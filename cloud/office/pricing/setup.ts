import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { AuthUser } from '../../auth/roles.ts';
import { ticketTypeByCode } from '../../catalog/service.ts';
import type { CloudContext } from '../../context.ts';
import { dayCapacity, discounts, holidays, priceRules, sellerDiscounts, sellerTypes, ticketTypes, users } from '../../db/schema/index.ts';
import { AppError, notFound } from '../../http/errors.ts';
import { appendAudit, auditedTx } from '../audit.ts';
import { uuid } from '../payments/accounts.ts';
import { calendarDay } from '../../../shared/time/day.ts';

const day = calendarDay;
export const typeCode = z.string().regex(/^[a-z0-9_-]{1,32}$/);
const discountCode = z.string().regex(/^[a-z0-9_-]{1,32}$/);

export const newDiscount = z.object({
  code: discountCode, name: z.string().min(1).max(64), kind: z.enum(['percent', 'fixed']),
  value: z.number().int().min(0).max(100_000_000), customerCategory: z.string().regex(/^[a-z0-9_-]{1,32}$/).optional(),
}).strict().refine((d) => d.kind !== 'percent' || d.value <= 100, { message: 'a percentage is 0 to 100', path: ['value'] });

export const newPriceRule = z.object({
  type: typeCode, name: z.string().min(1).max(64), fromDay: day.optional(), toDay: day.optional(),
  weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional(), holidaysOnly: z.boolean().default(false),
  priceFen: z.number().int().min(0).max(100_000_000), priority: z.number().int().min(-1000).max(1000).default(0),
}).strict().refine((r) => !r.fromDay || !r.toDay || r.fromDay <= r.toDay, { message: 'fromDay after toDay', path: ['toDay'] });

export const holidayBody = z.object({ name: z.string().min(1).max(64) }).strict();
export const capacityBody = z.object({ capacity: z.number().int().min(0).max(10_000_000).nullable() }).strict();
export const grantsBody = z.object({ types: z.array(typeCode).max(500), discounts: z.array(discountCode).max(500) }).strict();

export async function createDiscount(ctx: CloudContext, input: unknown) {
  const d = newDiscount.parse(input);
  const [row] = await ctx.db.insert(discounts).values(d).onConflictDoNothing().returning();
  if (!row) throw new AppError('duplicate', `discount already exists: ${d.code}`, 409);
  return row;
}
export const listDiscounts = (ctx: CloudContext) => ctx.db.select().from(discounts).orderBy(asc(discounts.id));

export async function createPriceRule(ctx: CloudContext, input: unknown) {
  const { type: code, ...r } = newPriceRule.parse(input);
  const type = await ticketTypeByCode(ctx.db, code);
  const [row] = await ctx.db.insert(priceRules).values({ ...r, typeId: type.id }).returning();
  return { ...row!, type: code };
}
export async function listPriceRules(ctx: CloudContext, code?: string) {
  const q = ctx.db.select().from(priceRules);
  return code ? q.where(eq(priceRules.typeId, (await ticketTypeByCode(ctx.db, code)).id)) : q.orderBy(asc(priceRules.id));
}
export async function deletePriceRule(ctx: CloudContext, id: string) {
  const n = z.coerce.number().int().min(1).max(2 ** 31 - 1).safeParse(id);
  if (!n.success) throw notFound('price rule', id);
  const [row] = await ctx.db.delete(priceRules).where(eq(priceRules.id, n.data)).returning();
  if (!row) throw notFound('price rule', id);
  return row;
}

export async function putHoliday(ctx: CloudContext, d: string, input: unknown) {
  const dd = day.parse(d);
  const { name } = holidayBody.parse(input);
  await ctx.db.insert(holidays).values({ day: dd, name }).onConflictDoUpdate({ target: holidays.day, set: { name } });
  return { day: dd, name };
}
export const listHolidays = (ctx: CloudContext) => ctx.db.select().from(holidays).orderBy(asc(holidays.day));

export async function getCapacity(ctx: CloudContext, code: string, d: string) {
  const dd = day.parse(d);
  const type = await ticketTypeByCode(ctx.db, code);
  const [row] = await ctx.db.select().from(dayCapacity).where(and(eq(dayCapacity.typeId, type.id), eq(dayCapacity.day, dd)));
  const capacity = row?.capacity ?? type.dailyCapacity;
  const sold = row?.sold ?? 0;
  return { type: code, day: dd, capacity, sold, left: capacity === null ? null : Math.max(0, capacity - sold) };
}
export async function putCapacity(ctx: CloudContext, user: AuthUser, code: string, d: string, input: unknown) {
  const dd = day.parse(d);
  const { capacity } = capacityBody.parse(input);
  const type = await ticketTypeByCode(ctx.db, code);
  await auditedTx(ctx.db, async (tx) => {
    // Never below what is sold: checked in the upsert itself, so a sale racing it cannot slip past.
    const [set] = await tx.insert(dayCapacity).values({ typeId: type.id, day: dd, capacity, sold: 0 })
      .onConflictDoUpdate({ target: [dayCapacity.typeId, dayCapacity.day], set: { capacity }, setWhere: sql`${capacity}::int is null or ${dayCapacity.sold} <= ${capacity}::int` })
      .returning({ sold: dayCapacity.sold });
    if (!set) {
      const [row] = await tx.select({ sold: dayCapacity.sold }).from(dayCapacity).where(and(eq(dayCapacity.typeId, type.id), eq(dayCapacity.day, dd)));
      const sold = row?.sold ?? 0;
      throw new AppError('capacity_below_sold', `${code} ${dd} 已售 ${sold}，容量不能少于已售 / ${sold} already sold for ${dd}: capacity cannot be less`, 409, { type: code, day: dd, sold, capacity });
    }
    await appendAudit(tx, { at: ctx.now(), actor: user.username, action: 'capacity', subject: `${code}/${dd}`, body: { capacity } });
  });
  return getCapacity(ctx, code, dd);
}

async function sellerRow(ctx: CloudContext, id: string) {
  if (!uuid.safeParse(id).success) throw notFound('user', id);
  const [u] = await ctx.db.select().from(users).where(eq(users.id, id));
  if (!u) throw notFound('user', id);
  return u;
}

/** Replaces what a seller may sell: ticket types and discounts, by code. */
export async function putGrants(ctx: CloudContext, admin: AuthUser, userId: string, input: unknown) {
  const g = grantsBody.parse(input);
  await sellerRow(ctx, userId);
  const types = g.types.length ? await ctx.db.select().from(ticketTypes).where(inArray(ticketTypes.code, g.types)) : [];
  const ds = g.discounts.length ? await ctx.db.select().from(discounts).where(inArray(discounts.code, g.discounts)) : [];
  const missingT = g.types.filter((c) => !types.some((t) => t.code === c));
  const missingD = g.discounts.filter((c) => !ds.some((d) => d.code === c));
  if (missingT.length) throw notFound('ticket type', missingT.join(','));
  if (missingD.length) throw notFound('discount', missingD.join(','));
  await auditedTx(ctx.db, async (tx) => {
    await tx.delete(sellerTypes).where(eq(sellerTypes.userId, userId));
    await tx.delete(sellerDiscounts).where(eq(sellerDiscounts.userId, userId));
    if (types.length) await tx.insert(sellerTypes).values(types.map((t) => ({ userId, typeId: t.id })));
    if (ds.length) await tx.insert(sellerDiscounts).values(ds.map((d) => ({ userId, discountId: d.id })));
    await appendAudit(tx, { at: ctx.now(), actor: admin.username, action: 'seller_grants', subject: userId, body: { types: [...g.types].sort(), discounts: [...g.discounts].sort() } });
  });
  return getGrants(ctx, userId);
}

export async function getGrants(ctx: CloudContext, userId: string) {
  await sellerRow(ctx, userId);
  const types = await ctx.db.select({ code: ticketTypes.code }).from(sellerTypes).innerJoin(ticketTypes, eq(ticketTypes.id, sellerTypes.typeId)).where(eq(sellerTypes.userId, userId));
  const ds = await ctx.db.select({ code: discounts.code }).from(sellerDiscounts).innerJoin(discounts, eq(discounts.id, sellerDiscounts.discountId)).where(eq(sellerDiscounts.userId, userId));
  return { userId, types: types.map((t) => t.code).sort(), discounts: ds.map((d) => d.code).sort() };
}
