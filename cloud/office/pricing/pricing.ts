import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/open.ts';
import { dayCapacity, holidays, priceRules, type discounts, type ticketTypes } from '../../db/schema/index.ts';
import { AppError } from '../../http/errors.ts';
import type { Tx } from '../audit.ts';

/** ISO weekday of a business day "YYYY-MM-DD": 1 = Monday .. 7 = Sunday. */
export function isoWeekday(day: string): number {
  const d = new Date(`${day}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
}

/** The price of a type on a visit day: the matching calendar rule of highest priority, else the base price. */
export async function priceOn(db: Db | Tx, type: typeof ticketTypes.$inferSelect, day: string): Promise<{ priceFen: number; rule?: string }> {
  const rules = await db.select().from(priceRules).where(eq(priceRules.typeId, type.id)).orderBy(asc(priceRules.id));
  if (rules.length === 0) return { priceFen: type.priceFen };
  const [holiday] = await db.select().from(holidays).where(eq(holidays.day, day));
  const wd = isoWeekday(day);
  const match = rules
    .filter((r) => (!r.fromDay || day >= r.fromDay) && (!r.toDay || day <= r.toDay)
      && (!r.weekdays || r.weekdays.includes(wd)) && (!r.holidaysOnly || holiday))
    .sort((a, b) => b.priority - a.priority || b.id - a.id)[0];
  return match ? { priceFen: match.priceFen, rule: match.name } : { priceFen: type.priceFen };
}

/** A unit price after a discount, never below zero. */
export function discounted(unitFen: number, d: typeof discounts.$inferSelect | undefined): number {
  if (!d) return unitFen;
  if (d.kind === 'percent') return unitFen - Math.round((unitFen * d.value) / 100);
  return Math.max(0, unitFen - d.value);
}

const UNLIMITED = 2_000_000_000;

/**
 * Takes `persons` places of a type's capacity on a day, in the caller's transaction. One
 * conditional upsert: the row lock it takes makes concurrent sellers queue, and the WHERE
 * refuses the one that would go past capacity, on PGlite and on Postgres alike.
 */
export async function takeCapacity(tx: Tx, type: typeof ticketTypes.$inferSelect, day: string, persons: number): Promise<void> {
  const cap = type.dailyCapacity ?? UNLIMITED;
  const rows = await tx.execute(sql`
    insert into ${dayCapacity} (type_id, day, sold)
    select ${type.id}::int, ${day}::text, ${persons}::int where ${persons}::int <= ${cap}::int
    on conflict (type_id, day) do update set sold = ${dayCapacity}.sold + excluded.sold
      where ${dayCapacity}.sold + excluded.sold <= coalesce(${dayCapacity}.capacity, ${cap}::int)
    returning sold`);
  const n = (rows as unknown as { rows?: unknown[] }).rows?.length ?? (rows as unknown as unknown[]).length;
  if (!n) {
    const [row] = await tx.select().from(dayCapacity).where(and(eq(dayCapacity.typeId, type.id), eq(dayCapacity.day, day)));
    const capacity = row?.capacity ?? type.dailyCapacity ?? UNLIMITED;
    const left = Math.max(0, capacity - (row?.sold ?? 0));
    throw new AppError('sold_out', `${type.name} ${day} 余票不足：剩 ${left} / not enough left for ${day}: ${left} of ${capacity}`, 409, { type: type.code, day, left, asked: persons });
  }
}

export async function releaseCapacity(tx: Tx, typeId: number, day: string, persons: number): Promise<void> {
  await tx.update(dayCapacity).set({ sold: sql`greatest(0, ${dayCapacity.sold} - ${persons})` })
    .where(and(eq(dayCapacity.typeId, typeId), eq(dayCapacity.day, day)));
}
