import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/open.ts';
import { customerAccounts, customers, dayCapacity, discounts, holidays, priceRules, type ticketTypes } from '../../db/schema/index.ts';
import { contractOn } from '../../customers/service.ts';
import { AppError } from '../../http/errors.ts';
import type { Tx } from '../audit.ts';
import { takePlaces, type Place } from '../../capacity/places.ts';

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
  if ((await takePlaces(tx, [capacityPlace(type, day, persons)])).failed >= 0) throw await soldOut(tx, type, day, persons);
}

/** A type's day capacity as one of a sale's places (cloud/capacity/places.ts). */
export const capacityPlace = (type: typeof ticketTypes.$inferSelect, day: string, persons: number): Place =>
  ({ kind: 'capacity', typeId: type.id, day, persons, cap: type.dailyCapacity ?? UNLIMITED });

/** The refusal of a sale its type's day capacity has no room for (read after the refusal: how many are left). */
export async function soldOut(tx: Tx, type: typeof ticketTypes.$inferSelect, day: string, persons: number): Promise<AppError> {
  const [row] = await tx.select().from(dayCapacity).where(and(eq(dayCapacity.typeId, type.id), eq(dayCapacity.day, day)));
  const capacity = row?.capacity ?? type.dailyCapacity ?? UNLIMITED;
  const left = Math.max(0, capacity - (row?.sold ?? 0));
  return new AppError('sold_out', `${type.name} ${day} 余票不足：剩 ${left} / not enough left for ${day}: ${left} of ${capacity}`, 409, { type: type.code, day, left, asked: persons });
}

export async function releaseCapacity(tx: Tx, typeId: number, day: string, persons: number): Promise<void> {
  await tx.update(dayCapacity).set({ sold: sql`greatest(0, ${dayCapacity.sold} - ${persons})` })
    .where(and(eq(dayCapacity.typeId, typeId), eq(dayCapacity.day, day)));
}

/**
 * The discount a customer's contract in force on the visit day gives its account's orders
 * (`contract-<customer>`, made when the contract was signed), or undefined. It applies to a
 * line that names no discount, and needs no seller grant: marketing's signed (audited)
 * contract is the grant.
 */
export async function contractDiscount(db: Db | Tx, accountId: string | undefined, day: string): Promise<typeof discounts.$inferSelect | undefined> {
  if (!accountId) return undefined;
  const [a] = await db.select({ customerId: customerAccounts.customerId }).from(customerAccounts).where(eq(customerAccounts.id, accountId));
  if (!a?.customerId) return undefined;
  const c = await contractOn(db as Db, a.customerId, day);
  if (!c || c.discountPct <= 0) return undefined;
  const [cust] = await db.select({ code: customers.code }).from(customers).where(eq(customers.id, a.customerId));
  const [d] = await db.select().from(discounts).where(and(eq(discounts.code, `contract-${cust!.code}`), eq(discounts.active, true)));
  return d;
}
