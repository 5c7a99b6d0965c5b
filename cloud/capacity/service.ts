import { and, asc, eq, gte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { IN_PARK_DELTA_SQL, inParkCount, loadLevel, type LoadLevel } from '../../shared/rules/capacity.ts';
import { KINDS, venueRules, type VenueRules } from '../../shared/rules/model.ts';
import { businessDay, startOfBusinessDay } from '../../shared/time/zone.ts';
import type { CloudContext } from '../context.ts';
import type { Db } from '../db/open.ts';
import { entries, timeSlots, venueCapacity, venues } from '../db/schema/index.ts';
import { notFound } from '../http/errors.ts';
import { requireSite } from '../sites/service.ts';
import { appendChanges } from '../sync/changes.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** PUT /venue-capacity/:site/:venue */
export const venueCapacityRequest = z.strictObject({
  capacity: z.number().int().min(1).max(10_000_000).nullable().describe('最大瞬时承载量 / persons inside at once; null: not limited'),
  warnPercent: z.number().int().min(1).max(100).default(80),
  exemptKinds: z.array(z.enum(KINDS)).max(4).default([]).describe('admitted even when full (members, staff)'),
  slotEarlyMinutes: z.number().int().min(0).max(720).default(30),
  slotLateMinutes: z.number().int().min(0).max(720).default(30),
});

export const venueCapacityView = z.object({
  site: z.string(), venue: z.string(), capacity: z.number().int().nullable(), warnPercent: z.number().int(),
  exemptKinds: z.array(z.string()), slotEarlyMinutes: z.number().int(), slotLateMinutes: z.number().int(),
});

type Row = typeof venueCapacity.$inferSelect;

/** The rules gates decide with, from a venue_capacity row. */
export function rulesOf(r: Row): VenueRules {
  return venueRules.parse({
    venue: r.venue, ...(r.capacity !== null ? { capacity: r.capacity } : {}), warnPercent: r.warnPercent,
    exemptKinds: r.exemptKinds, slotEarlyMinutes: r.slotEarlyMinutes, slotLateMinutes: r.slotLateMinutes,
  });
}

export async function venueRulesOf(db: Db | Tx, site: string, venue: string): Promise<VenueRules | undefined> {
  const [r] = await db.select().from(venueCapacity).where(and(eq(venueCapacity.site, site), eq(venueCapacity.venue, venue)));
  return r && rulesOf(r);
}

/** Sets a venue's capacity and slot rules; gates get them from their next pull. */
export async function setVenueCapacity(ctx: CloudContext, site: string, venue: string, input: z.infer<typeof venueCapacityRequest>) {
  await requireSite(ctx.db, site);
  const [known] = await ctx.db.select().from(venues).where(and(eq(venues.site, site), eq(venues.venue, venue)));
  if (!known) throw notFound('venue', `${site}/${venue}`);
  const values = { site, venue, ...input, updatedAt: new Date(ctx.now()) };
  const row = await ctx.db.transaction(async (tx) => {
    const [r] = await tx.insert(venueCapacity).values(values)
      .onConflictDoUpdate({ target: [venueCapacity.site, venueCapacity.venue], set: values }).returning();
    await appendChanges(tx, site, [{ kind: 'venue', rules: rulesOf(r!) }]);
    return r!;
  });
  ctx.notify(site);
  return view(row);
}

const view = (r: Row): z.infer<typeof venueCapacityView> => ({
  site: r.site, venue: r.venue, capacity: r.capacity, warnPercent: r.warnPercent, exemptKinds: r.exemptKinds,
  slotEarlyMinutes: r.slotEarlyMinutes, slotLateMinutes: r.slotLateMinutes,
});

export async function getVenueCapacity(ctx: CloudContext, site: string, venue: string) {
  const [r] = await ctx.db.select().from(venueCapacity).where(and(eq(venueCapacity.site, site), eq(venueCapacity.venue, venue)));
  if (!r) throw notFound('venue capacity', `${site}/${venue}`);
  return view(r);
}

/** Persons inside a venue now by HQ's entries (shared/rules/capacity.ts), since the business day began. */
export async function inParkAt(db: Db | Tx, site: string, venue: string, now: number, tz: string): Promise<number> {
  const since = new Date(startOfBusinessDay(businessDay(now, tz), tz));
  const [r] = await db.select({ net: sql<number>`coalesce(sum(${sql.raw(IN_PARK_DELTA_SQL)}), 0)::int` }).from(entries)
    .where(and(eq(entries.site, site), eq(entries.venue, venue), gte(entries.correctedTime, since), sql`${entries.correctedTime} <= ${new Date(now)}`));
  return inParkCount(Number(r?.net ?? 0));
}

export const capacityStatusView = z.object({
  site: z.string(),
  day: z.string(),
  at: z.string().describe('ISO instant of the count'),
  venues: z.array(z.object({
    venue: z.string(), name: z.string(), inPark: z.number().int(), capacity: z.number().int().nullable(),
    status: z.enum(['open', 'busy', 'full']).describe('open, busy (warning level), full'),
    slots: z.array(z.object({ from: z.string(), to: z.string(), quota: z.number().int(), remaining: z.number().int() })),
  })),
});
export type CapacityStatus = z.infer<typeof capacityStatusView>;

/**
 * What the entrance display board, the site's website and the dashboard show: per venue the
 * persons inside now, the status, and today's remaining places per slot. No personal data.
 */
export async function capacityStatus(ctx: CloudContext, site: string): Promise<CapacityStatus> {
  await requireSite(ctx.db, site);
  const now = ctx.now();
  const tz = ctx.config.timeZone;
  const day = businessDay(now, tz);
  const list = await ctx.db.select({ v: venues, c: venueCapacity }).from(venues)
    .leftJoin(venueCapacity, and(eq(venueCapacity.site, venues.site), eq(venueCapacity.venue, venues.venue)))
    .where(eq(venues.site, site)).orderBy(asc(venues.venue));
  const slots = await ctx.db.select().from(timeSlots).where(and(eq(timeSlots.site, site), eq(timeSlots.day, day))).orderBy(asc(timeSlots.slotFrom));
  const out: CapacityStatus['venues'] = [];
  for (const { v, c } of list) {
    const inPark = await inParkAt(ctx.db, site, v.venue, now, tz);
    const capacity = c?.capacity ?? null;
    const status: LoadLevel = loadLevel(inPark, capacity ?? undefined, c?.warnPercent ?? 80);
    out.push({
      venue: v.venue, name: v.name, inPark, capacity, status,
      slots: slots.filter((s) => s.venue === v.venue).map((s) => ({ from: s.slotFrom, to: s.slotTo, quota: s.quota, remaining: Math.max(0, s.quota - s.sold - s.soldWalkIn) })),
    });
  }
  return { site, day, at: new Date(now).toISOString(), venues: out };
}
