import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { addDays, businessDay, startOfBusinessDay } from '../../shared/time/zone.ts';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { requireSite } from '../sites/service.ts';
import { ticketTypeByCode } from '../catalog/service.ts';
import { sales, tickets, ticketTypes } from '../db/schema/index.ts';
import { notFound } from '../http/errors.ts';
import type { IdempotencyClaim } from '../http/idempotency.ts';
import { ledger } from '../ledger/index.ts';
import { auditedTx } from '../office/audit.ts';
import { takeCapacity } from '../office/pricing/pricing.ts';

export const saleRequest = z.object({
  type: z.string().min(1).max(32),
  quantity: z.number().int().min(1).max(500),
  site: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  /** How it was paid (default cash), into the seller's shift or the office's cash book. */
  method: z.enum(['cash', 'card', 'mobile']).default('cash'),
  /** The card slip or the provider's reference, for card and mobile. */
  reference: z.string().min(1).max(64).optional(),
  /** Why it is free, for a type sold at 0 (default: the type is free). */
  freeReason: z.string().min(2).max(200).optional(),
}).strict().refine((r) => r.method === 'cash' || r.reference, { message: '银行卡和移动支付须填写凭证号 / card and mobile need a reference', path: ['reference'] });
export type SaleRequest = z.input<typeof saleRequest>;

export const soldTicket = z.object({
  id: z.string(), code: z.string(), type: z.string(), validFrom: z.string(), validUntil: z.string(), persons: z.number(), entries: z.number(), priceFen: z.number(),
});
export const saleView = z.object({
  id: z.string(), orderId: z.string().nullable(), site: z.string(), type: z.string(), quantity: z.number(), totalFen: z.number(), createdAt: z.string(), tickets: z.array(soldTicket),
}).meta({ id: 'Sale' });
export type Sale = z.infer<typeof saleView>;

/**
 * The administrator's direct sale: `quantity` tickets of one type, valid from the start of
 * today's business day in the site's zone, paid in full, through the ledger like any sale.
 */
export async function sell(ctx: CloudContext, user: AuthUser, input: SaleRequest, idem?: IdempotencyClaim): Promise<Sale> {
  const req = saleRequest.parse(input);
  const site = req.site ?? ctx.config.site;
  await requireSite(ctx.db, site, { active: true });
  const type = await ticketTypeByCode(ctx.db, req.type);
  const at = ctx.now();
  const tz = ctx.config.timeZone;
  const day = businessDay(at, tz);
  const total = type.priceFen * req.quantity;
  const orderId = await auditedTx(ctx.db, async (tx) => {
    const actor = await ledger.staffActor(tx, user);
    await takeCapacity(tx, type, day, req.quantity * type.persons);
    const sold = await ledger.sell(tx, ctx, actor, {
      site, visitDay: day, channel: 'direct', at, request: req,
      freeReason: total === 0 ? req.freeReason ?? `免费票种 ${type.code}` : null,
      lines: [{ type, quantity: req.quantity, unitFen: type.priceFen, validFrom: startOfBusinessDay(day, tz), validUntil: startOfBusinessDay(addDays(day, type.validityDays), tz) }],
      payments: total === 0 ? [] : [req.method === 'cash' ? { method: 'cash', amountFen: total } : { method: req.method, amountFen: total, reference: req.reference! }],
    });
    await idem?.claim(tx, { orderId: sold.orderId });
    return sold.orderId;
  });
  ctx.notify(site);
  return firstSaleOf(ctx, orderId);
}

/** The (first) sale of an order: the answer to a direct sale. */
export async function firstSaleOf(ctx: CloudContext, orderId: string): Promise<Sale> {
  const [s] = await ctx.db.select({ id: sales.id }).from(sales).where(eq(sales.orderId, orderId)).orderBy(asc(sales.id)).limit(1);
  return getSale(ctx, s!.id);
}

export async function getSale(ctx: CloudContext, id: string): Promise<Sale> {
  if (!z.string().uuid().safeParse(id).success) throw notFound('sale', id);
  const [row] = await ctx.db.select({ sale: sales, type: ticketTypes.code }).from(sales)
    .innerJoin(ticketTypes, eq(ticketTypes.id, sales.typeId)).where(eq(sales.id, id));
  if (!row) throw notFound('sale', id);
  const list = await ctx.db.select().from(tickets).where(eq(tickets.saleId, id)).orderBy(asc(tickets.id));
  return {
    id, orderId: row.sale.orderId, site: row.sale.site, type: row.type, quantity: row.sale.quantity, totalFen: row.sale.totalFen,
    createdAt: row.sale.createdAt.toISOString(),
    tickets: list.map((t) => ({
      id: t.id, code: t.code, type: row.type, validFrom: t.validFrom.toISOString(), validUntil: t.validUntil.toISOString(),
      persons: t.persons, entries: t.entries, priceFen: t.priceFen,
    })),
  };
}
