import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { writeAtEnd } from '../db/at-end.ts';
import { z } from 'zod';
import { MAIN_VENUE, type TypeRules } from '../../shared/rules/model.ts';
import { isCalendarDay } from '../../shared/time/day.ts';
import { addDays } from '../../shared/time/zone.ts';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import { bookingSlots, holidays, ticketSlots, timeSlots, venues } from '../db/schema/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import { requireSite } from '../sites/service.ts';
import { appendChanges } from '../sync/changes.ts';
import { takePlaces, type Place } from '../capacity/places.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Slot = typeof timeSlots.$inferSelect;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const toMin = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
const fromMin = (m: number) => (m >= 1440 ? '24:00' : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);

/**
 * POST /slots/:site/:venue: slots for a run of days from a pattern ("every 2 h from 08:00 to
 * 18:00, 2,000 each; holidays 3,000"). A day's slot that exists keeps what it sold; its quota
 * is changed, never below what is sold.
 */
export const makeSlotsRequest = z.strictObject({
  fromDay: z.string().refine(isCalendarDay, 'YYYY-MM-DD'),
  toDay: z.string().refine(isCalendarDay, 'YYYY-MM-DD'),
  start: hhmm,
  end: z.union([hhmm, z.literal('24:00')]),
  everyMinutes: z.number().int().min(15).max(1440),
  quota: z.number().int().min(0).max(10_000_000),
  /** Quota on holidays (the holiday calendar, PUT /holidays/:day). */
  holidayQuota: z.number().int().min(0).max(10_000_000).optional(),
  /** Of each slot's quota, persons kept for the windows (walk-ins, elderly visitors). */
  walkIn: z.number().int().min(0).max(10_000_000).default(0),
});

export const slotView = z.object({
  id: z.number().int(), venue: z.string(), day: z.string(), from: z.string(), to: z.string(),
  quota: z.number().int(), walkIn: z.number().int(), sold: z.number().int(), soldWalkIn: z.number().int(), remaining: z.number().int(),
});
export type SlotView = z.infer<typeof slotView>;

export const viewSlot = (s: Slot): SlotView => ({
  id: s.id, venue: s.venue, day: s.day, from: s.slotFrom, to: s.slotTo, quota: s.quota, walkIn: s.walkIn,
  sold: s.sold, soldWalkIn: s.soldWalkIn, remaining: Math.max(0, s.quota - s.sold - s.soldWalkIn),
});

export async function makeSlots(ctx: CloudContext, site: string, venue: string, req: z.infer<typeof makeSlotsRequest>): Promise<{ days: number; slots: number }> {
  await requireSite(ctx.db, site);
  const [known] = await ctx.db.select().from(venues).where(and(eq(venues.site, site), eq(venues.venue, venue)));
  if (!known) throw notFound('venue', `${site}/${venue}`);
  if (req.toDay < req.fromDay) throw new AppError('invalid_range', `${req.toDay} 早于 ${req.fromDay} / the range ends before it starts`, 422, { from: req.fromDay, to: req.toDay });
  if (toMin(req.end) <= toMin(req.start)) throw new AppError('invalid_slot_pattern', `${req.end} 早于 ${req.start} / the day's slots end before they start`, 422, { start: req.start, end: req.end });
  const days: string[] = [];
  for (let d = req.fromDay; d <= req.toDay && days.length <= 366; d = addDays(d, 1)) days.push(d);
  if (days.length > 366) throw new AppError('invalid_range', '一次最多 366 天 / at most 366 days at a time', 422, { from: req.fromDay, to: req.toDay });
  const holiday = new Set((await ctx.db.select().from(holidays).where(inArray(holidays.day, days))).map((h) => h.day));
  const rows: (typeof timeSlots.$inferInsert)[] = [];
  for (const day of days) {
    const quota = holiday.has(day) ? req.holidayQuota ?? req.quota : req.quota;
    for (let m = toMin(req.start); m < toMin(req.end); m += req.everyMinutes) {
      rows.push({ site, venue, day, slotFrom: fromMin(m), slotTo: fromMin(Math.min(m + req.everyMinutes, toMin(req.end))), quota, walkIn: Math.min(req.walkIn, quota) });
    }
  }
  await ctx.db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += 500) {
      // A slot that exists keeps its sales; its quota never drops below them.
      await tx.insert(timeSlots).values(rows.slice(i, i + 500)).onConflictDoUpdate({
        target: [timeSlots.site, timeSlots.venue, timeSlots.day, timeSlots.slotFrom],
        set: { slotTo: sql`excluded.slot_to`, quota: sql`greatest(excluded.quota, ${timeSlots.sold} + ${timeSlots.soldWalkIn})`, walkIn: sql`excluded.walk_in` },
      });
    }
  });
  return { days: days.length, slots: rows.length };
}

export async function listSlots(db: Db | Tx, site: string, venue: string, day: string): Promise<SlotView[]> {
  const rows = await db.select().from(timeSlots)
    .where(and(eq(timeSlots.site, site), eq(timeSlots.venue, venue), eq(timeSlots.day, day))).orderBy(asc(timeSlots.slotFrom));
  return rows.map(viewSlot);
}

/** The venue a ticket type's time slots are kept for: its first venue, else the main one. */
export const slotVenue = (rules: Pick<TypeRules, 'venues'> | undefined): string => rules?.venues?.[0]?.venue ?? MAIN_VENUE;

/**
 * Takes `persons` places of a slot in the sale's transaction, in one conditional update, so
 * concurrent sales never exceed it. Channels and kiosks (`walkIn: false`) sell at most
 * quota - walkIn; windows (`walkIn: true`) may sell the whole quota. A day without slots for
 * the venue needs none (undefined); a day with slots needs one to be chosen.
 */
export async function takeSlot(tx: Tx, o: { site: string; venue: string; day: string; from?: string; persons: number; walkIn: boolean }): Promise<Slot | undefined> {
  if (o.from === undefined) {
    const [any] = await tx.select({ id: timeSlots.id }).from(timeSlots).where(and(eq(timeSlots.site, o.site), eq(timeSlots.venue, o.venue), eq(timeSlots.day, o.day))).limit(1);
    if (!any) return undefined;
    throw new AppError('slot_required', `${o.day} 需预约入园时段 / ${o.day} is sold by time slot: choose one`, 422, { day: o.day });
  }
  const taken = await takePlaces(tx, [slotPlace({ ...o, from: o.from })]);
  if (taken.slot) return taken.slot;
  throw await slotRefusal(tx, { ...o, from: o.from });
}

/** A slot's places as one of a sale's places (cloud/capacity/places.ts). */
export const slotPlace = (o: { site: string; venue: string; day: string; from: string; persons: number; walkIn: boolean }): Place =>
  ({ kind: 'slot', site: o.site, venue: o.venue, day: o.day, from: o.from, persons: o.persons, walkIn: o.walkIn });

/** Why a slot's places were refused (read after the refusal): there is no such slot, or it is full. */
export async function slotRefusal(tx: Tx, o: { site: string; venue: string; day: string; from: string }): Promise<AppError> {
  const where = and(eq(timeSlots.site, o.site), eq(timeSlots.venue, o.venue), eq(timeSlots.day, o.day), eq(timeSlots.slotFrom, o.from));
  const [slot] = await tx.select().from(timeSlots).where(where);
  if (!slot) return new AppError('slot_unknown', `${o.day} 没有 ${o.from} 开始的时段 / no time slot at ${o.from} on ${o.day}`, 422, { day: o.day, from: o.from });
  return new AppError('slot_full', `${o.day} ${slot.slotFrom}-${slot.slotTo} 时段已约满 / the ${slot.slotFrom}-${slot.slotTo} slot on ${o.day} is full`, 409,
    { day: o.day, from: slot.slotFrom, to: slot.slotTo });
}

/** Gives places back (a refund, a cancelled or expired booking). */
export async function releaseSlot(tx: Tx, slotId: number, persons: number, walkIn: boolean): Promise<void> {
  if (persons <= 0) return;
  const set = walkIn ? { soldWalkIn: sql`greatest(${timeSlots.soldWalkIn} - ${persons}, 0)` } : { sold: sql`greatest(${timeSlots.sold} - ${persons}, 0)` };
  await tx.update(timeSlots).set(set).where(eq(timeSlots.id, slotId));
}

/** Tickets sold for a slot: kept at HQ and sent to the site's gates with the tickets. */
export async function bindTicketSlots(tx: Tx, site: string, slot: Slot, list: readonly { id: string; persons: number }[]): Promise<void> {
  if (list.length === 0) return;
  // Read by nothing later in a sale: sent with its last statement (cloud/db/at-end.ts).
  await writeAtEnd(tx, tx.insert(ticketSlots).values(list.map((t) => ({ ticketId: t.id, slotId: slot.id, persons: t.persons }))));
  await appendChanges(tx, site, list.map((t) => ({ kind: 'slot' as const, ticketId: t.id, slot: { from: slot.slotFrom, to: slot.slotTo } })));
}

/**
 * A booking, or a window order not yet paid (a group reservation, a mobile payment pending),
 * holds its slot's places until it is paid or let go; `booking_slots` keeps the hold by the
 * holder's id (a booking's or an order's).
 */
export async function holdSlot(tx: Tx, holderId: string, slot: Slot | undefined, persons: number): Promise<void> {
  // Sent with the holder's other rows where they are held (cloud/db/at-end.ts).
  if (slot) await writeAtEnd(tx, tx.insert(bookingSlots).values({ bookingId: holderId, slotId: slot.id, persons }));
}

/** A booking holds its slot's places until paid or let go. */
export async function holdBookingSlot(tx: Tx, bookingId: string, o: Parameters<typeof takeSlot>[1]): Promise<Slot | undefined> {
  const slot = await takeSlot(tx, o);
  await holdSlot(tx, bookingId, slot, o.persons);
  return slot;
}

/** The slot a booking or an unpaid order holds, if any. */
export async function heldSlot(tx: Tx, holderId: string): Promise<Slot | undefined> {
  const [held] = await tx.select({ slot: timeSlots }).from(bookingSlots).innerJoin(timeSlots, eq(timeSlots.id, bookingSlots.slotId)).where(eq(bookingSlots.bookingId, holderId));
  return held?.slot;
}

/**
 * Paid: the tickets get the slot held, and its places go with them (the hold keeps the slot
 * for the booking's view with no places of its own, so letting the holder go later gives back
 * nothing twice; the tickets give theirs back when refunded or cancelled, releaseTicketSlots).
 */
export async function bindHeldSlot(tx: Tx, site: string, holderId: string, list: readonly { id: string; persons: number }[], held?: Slot | null): Promise<void> {
  // `held`: the caller read it already (null: it holds none); undefined: read it here.
  const slot = held === undefined ? await heldSlot(tx, holderId) : held ?? undefined;
  if (!slot) return;
  await bindTicketSlots(tx, site, slot, list);
  await writeAtEnd(tx, tx.update(bookingSlots).set({ persons: 0 }).where(eq(bookingSlots.bookingId, holderId)));
}

/** Bookings or orders let go (cancelled, expired, declined): their slots' places come back. */
export async function releaseHeldSlots(tx: Tx, holderIds: readonly string[], walkIn: boolean): Promise<void> {
  if (holderIds.length === 0) return;
  const held = await tx.delete(bookingSlots).where(inArray(bookingSlots.bookingId, [...holderIds])).returning();
  for (const h of held) await releaseSlot(tx, h.slotId, h.persons, walkIn);
}

/** Bookings let go (cancelled, expired): their slots' places come back. */
export const releaseBookingSlots = (tx: Tx, bookingIds: readonly string[]) => releaseHeldSlots(tx, bookingIds, false);

/**
 * Tickets refunded or cancelled give their slot's places back, once: the binding is removed
 * with it (the gates hold the ticket revoked anyway). Window sales took the walk-in share
 * (`walkIn`), every other channel the rest.
 */
export async function releaseTicketSlots(tx: Tx, ticketIds: readonly string[], walkIn: boolean): Promise<void> {
  if (ticketIds.length === 0) return;
  const gone = await tx.delete(ticketSlots).where(inArray(ticketSlots.ticketId, [...ticketIds])).returning();
  const bySlot = new Map<number, number>();
  for (const g of gone) bySlot.set(g.slotId, (bySlot.get(g.slotId) ?? 0) + g.persons);
  for (const [slotId, persons] of [...bySlot].sort((a, b) => a[0] - b[0])) await releaseSlot(tx, slotId, persons, walkIn);
}

/** A slot as its tickets' codes carry it. */
export const slotOf = (s: Slot | undefined): { from: string; to: string } | undefined => (s ? { from: s.slotFrom, to: s.slotTo } : undefined);

/** The slot of a ticket, for HQ's explain. */
export async function ticketSlot(db: Db | Tx, ticketId: string): Promise<{ from: string; to: string } | undefined> {
  const [s] = await db.select({ from: timeSlots.slotFrom, to: timeSlots.slotTo }).from(ticketSlots).innerJoin(timeSlots, eq(timeSlots.id, ticketSlots.slotId)).where(eq(ticketSlots.ticketId, ticketId));
  return s;
}

/** Places a sale may still take of a slot: windows the whole quota, everyone else all but the walk-in share. */
export const slotRoom = (s: Slot, walkIn: boolean): number =>
  walkIn ? s.quota - s.sold - s.soldWalkIn : Math.min(s.quota - s.walkIn - s.sold, s.quota - s.sold - s.soldWalkIn);

/**
 * Today's slots not yet over at `minute` (site-local minutes after midnight) with room for
 * `persons`, in order; `open` is every slot not yet over. A day without slots: undefined.
 */
export async function openSlots(db: Db | Tx, o: { site: string; venue: string; day: string; persons: number; minute: number; walkIn: boolean }): Promise<{ open: Slot[]; room: Slot[]; all: Slot[] } | undefined> {
  const all = await db.select().from(timeSlots).where(and(eq(timeSlots.site, o.site), eq(timeSlots.venue, o.venue), eq(timeSlots.day, o.day))).orderBy(asc(timeSlots.slotFrom));
  if (all.length === 0) return undefined;
  const open = all.filter((s) => toMin(s.slotTo) > o.minute);
  return { all, open, room: open.filter((s) => slotRoom(s, o.walkIn) >= o.persons) };
}

/**
 * A walk-in sale's slot: a window's (`walkIn`: the walk-in share first, then the rest of the
 * quota) or a kiosk's (the quota less the walk-in share, kept for the windows). Named: that
 * slot. Not named, on a day sold by slot: today, the slot under way (or the next one with
 * room); another day needs one named.
 */
export async function takeWindowSlot(tx: Tx, o: { site: string; venue: string; day: string; from?: string; persons: number; today: string; minute: number; walkIn?: boolean }): Promise<Slot | undefined> {
  const walkIn = o.walkIn ?? true;
  if (o.from !== undefined || o.day !== o.today) return takeSlot(tx, { ...o, walkIn });
  const found = await openSlots(tx, { ...o, walkIn });
  if (!found) return undefined;
  const { open, all: slots } = found;
  for (const s of found.room) {
    try {
      return await takeSlot(tx, { ...o, from: s.slotFrom, walkIn });
    } catch (err) {
      if ((err as AppError).code !== 'slot_full') throw err; // taken meanwhile: try the next
    }
  }
  const last = open[open.length - 1] ?? slots[slots.length - 1]!;
  throw new AppError('slot_full', `${o.day} 今日余下时段已约满 / today's remaining slots are full`, 409, { day: o.day, from: last.slotFrom, to: last.slotTo });
}
