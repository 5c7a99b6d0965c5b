import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { businessDay } from '../../shared/time/zone.ts';
import type { CloudContext } from '../context.ts';
import { discounts, ticketTypes } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { accountRow } from '../office/payments/accounts.ts';
import { orderRequest } from '../office/orders/orders.ts';
import { discounted, priceOn } from '../office/pricing/pricing.ts';

/** What an order would cost: the order's own lines, account and visit day (payments are not needed). */
export const quoteRequest = orderRequest.pick({ lines: true, account: true, visitDay: true, site: true }).strict().meta({ id: 'QuoteRequest' });

export const quoteView = z.object({
  visitDay: z.string(),
  account: z.object({ id: z.string(), name: z.string(), category: z.string() }).nullable(),
  lines: z.array(z.object({
    type: z.string(),
    typeName: z.string(),
    quantity: z.number().int(),
    group: z.enum(['each', 'one']),
    tickets: z.number().int().describe('Tickets issued: quantity, or 1 for a group on one ticket'),
    persons: z.number().int(),
    listFen: z.number().int().describe('Price per person on the visit day (price calendar applied)'),
    priceRule: z.string().nullable().describe('The price calendar rule that set it; null = the base price'),
    discount: z.object({ code: z.string(), name: z.string() }).nullable(),
    discountFen: z.number().int().describe('Off per person'),
    unitFen: z.number().int().describe('Price per person after the discount'),
    amountFen: z.number().int(),
  })),
  listTotalFen: z.number().int(),
  discountTotalFen: z.number().int(),
  totalFen: z.number().int().describe('What the order will charge'),
}).meta({ id: 'Quote' });

/**
 * The price of an order before it is made, computed by the office's pricing (price calendar,
 * discounts) exactly as the order computes it, so the window shows the total as it changes.
 * The seller's grants and the day's capacity are checked when the order is made.
 */
export async function quote(ctx: CloudContext, req: z.output<typeof quoteRequest>): Promise<z.infer<typeof quoteView>> {
  const visitDay = req.visitDay ?? businessDay(ctx.now(), ctx.config.timeZone);
  const account = req.account ? await accountRow(ctx.db, req.account) : undefined;
  if (account && !account.active) throw new AppError('account_inactive', `account ${account.name} is closed`, 409);
  const lines = [];
  for (const [i, l] of req.lines.entries()) {
    const [type] = await ctx.db.select().from(ticketTypes).where(eq(ticketTypes.code, l.type));
    if (!type) throw notFound('ticket type', l.type);
    if (!type.active) throw new AppError('type_inactive', `${type.name} is not on sale`, 409, { line: i });
    let d: typeof discounts.$inferSelect | undefined;
    if (l.discount) {
      [d] = await ctx.db.select().from(discounts).where(eq(discounts.code, l.discount));
      if (!d || !d.active) throw notFound('discount', l.discount);
      if (d.customerCategory && d.customerCategory !== account?.category) {
        throw new AppError('discount_not_applicable', `discount ${d.code} is for ${d.customerCategory} customers only`, 409, { line: i });
      }
    }
    const price = await priceOn(ctx.db, type, visitDay);
    const unit = discounted(price.priceFen, d);
    lines.push({
      type: type.code, typeName: type.name, quantity: l.quantity, group: l.group,
      tickets: l.group === 'one' ? 1 : l.quantity, persons: l.quantity * type.persons,
      listFen: price.priceFen, priceRule: price.rule ?? null, discount: d ? { code: d.code, name: d.name } : null,
      discountFen: price.priceFen - unit, unitFen: unit, amountFen: unit * l.quantity,
    });
  }
  const totalFen = lines.reduce((s, l) => s + l.amountFen, 0);
  const listTotalFen = lines.reduce((s, l) => s + l.listFen * l.quantity, 0);
  return {
    visitDay, account: account ? { id: account.id, name: account.name, category: account.category } : null,
    lines, listTotalFen, discountTotalFen: listTotalFen - totalFen, totalFen,
  };
}
