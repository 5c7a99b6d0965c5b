import { z } from 'zod';
import { addDays, businessDay } from '../../shared/time/zone.ts';
import { calendarDay } from '../../shared/time/day.ts';
import type { CloudContext } from '../context.ts';
import { holidays, priceRules } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { isoWeekday, priceOn } from '../office/pricing/pricing.ts';
import { newPriceRule } from '../office/pricing/setup.ts';
import { ticketTypeByCode } from './service.ts';

/** Longest calendar asked for at once: a little over two months of a month view. */
const MAX_DAYS = 93;

export const calendarQuery = z.object({ type: z.string().max(32), from: calendarDay, to: calendarDay }).strict();
export const calendarDayView = z.object({
  day: z.string(), weekday: z.number().int().describe('ISO: 1 = Monday .. 7 = Sunday'), priceFen: z.number().int(),
  rule: z.string().nullable().describe('The price rule that set it; null = the base price'), holiday: z.string().nullable(),
});
export const calendarView = z.object({ type: z.string(), name: z.string(), basePriceFen: z.number().int(), days: z.array(calendarDayView) }).meta({ id: 'PriceCalendar' });

/** POST /price-calendar/preview: a rule not saved yet, and the days to look at (default: from tomorrow, 60 days). */
export const previewBody = z.object({ rule: z.unknown(), from: calendarDay.optional(), days: z.number().int().min(1).max(MAX_DAYS).default(60) }).strict();
export const previewView = z.object({
  type: z.string(), name: z.string(), from: z.string(), to: z.string(),
  changes: z.array(z.object({ day: z.string(), weekday: z.number().int(), beforeFen: z.number().int(), afterFen: z.number().int() })),
}).meta({ id: 'PricePreview' });

function daysBetween(from: string, to: string): string[] {
  if (to < from) throw new AppError('invalid_range', `from (${from}) is after to (${to})`, 400, { from, to });
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    out.push(d);
    if (out.length > MAX_DAYS) throw new AppError('range_too_long', `at most ${MAX_DAYS} days at once`, 400, { from, to, max: MAX_DAYS });
  }
  return out;
}

/**
 * A type's price on each day of a range, as a window quote would charge it: the pricing
 * itself is cloud/office/pricing/pricing.ts's `priceOn`, asked day by day.
 */
export async function priceCalendar(ctx: CloudContext, q: z.infer<typeof calendarQuery>) {
  const type = await ticketTypeByCode(ctx.db, q.type);
  const days = daysBetween(q.from, q.to);
  const hol = new Map((await ctx.db.select().from(holidays)).map((h) => [h.day, h.name]));
  const out = [];
  for (const day of days) {
    const p = await priceOn(ctx.db, type, day);
    out.push({ day, weekday: isoWeekday(day), priceFen: p.priceFen, rule: p.rule ?? null, holiday: hol.get(day) ?? null });
  }
  return { type: type.code, name: type.name, basePriceFen: type.priceFen, days: out };
}

class Rollback extends Error {}

/**
 * What a new price rule would change, day by day, before it is saved: the rule is written in
 * a transaction that is always rolled back, and `priceOn` asked with and without it, so the
 * preview is exactly what the window would charge.
 */
export async function previewRule(ctx: CloudContext, input: z.infer<typeof previewBody>) {
  const { type: code, ...r } = newPriceRule.parse(input.rule);
  const type = await ticketTypeByCode(ctx.db, code);
  const from = input.from ?? addDays(businessDay(ctx.now(), ctx.config.timeZone), 1);
  const days = daysBetween(from, addDays(from, input.days - 1));
  const before = new Map<string, number>();
  for (const d of days) before.set(d, (await priceOn(ctx.db, type, d)).priceFen);
  const changes: { day: string; weekday: number; beforeFen: number; afterFen: number }[] = [];
  await ctx.db.transaction(async (tx) => {
    await tx.insert(priceRules).values({ ...r, typeId: type.id });
    for (const d of days) {
      const after = (await priceOn(tx, type, d)).priceFen;
      if (after !== before.get(d)) changes.push({ day: d, weekday: isoWeekday(d), beforeFen: before.get(d)!, afterFen: after });
    }
    throw new Rollback();
  }).catch((err) => {
    if (!(err instanceof Rollback)) throw err;
  });
  return { type: type.code, name: type.name, from: days[0]!, to: days.at(-1)!, changes };
}
