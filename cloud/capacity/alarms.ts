import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { businessDay } from '../../shared/time/zone.ts';
import type { AuthUser } from '../auth/roles.ts';
import type { CloudContext } from '../context.ts';
import { capacityAlarmAcks, dayCapacity, ticketTypes } from '../db/schema/index.ts';
import { AppError } from '../http/errors.ts';
import { appendAudit, auditedTx, type Tx } from '../office/audit.ts';
import { capacityStatus, inParkAt, venueRulesOf } from './service.ts';

/** The warning level where a venue has none of its own (LB/T 034-2014 practice: 80 %). */
export const DEFAULT_WARN_PERCENT = 80;

export const capacityAlarmView = z.object({
  subject: z.string().describe('venue:<venue> (persons inside now) or type:<code> (today\'s sales against the daily capacity)'),
  level: z.enum(['warning', 'full']),
  count: z.number().int(), capacity: z.number().int(), percent: z.number().int(),
  message: z.string(),
  acked: z.object({ by: z.string(), at: z.string(), level: z.enum(['warning', 'full']), note: z.string().nullable() }).nullable()
    .describe('A supervisor acknowledged it at this level (or higher); null: open'),
});
export type CapacityAlarm = z.infer<typeof capacityAlarmView>;

export const capacityAckBody = z.strictObject({ subject: z.string().regex(/^(venue|type):[A-Za-z0-9_-]{1,32}$/), note: z.string().max(200).optional() });

const RANK = { warning: 1, full: 2 } as const;
const levelOf = (count: number, capacity: number, warnPercent: number): CapacityAlarm['level'] | undefined =>
  count >= capacity ? 'full' : count * 100 >= capacity * warnPercent ? 'warning' : undefined;

/**
 * Today's capacity alarms of a site: each venue whose persons inside reached its warning
 * level (default 80 %) or its capacity, and each ticket type whose day's sales did against
 * its daily capacity. Both levels are alarms; an acknowledgement covers the level it saw
 * until the level rises (warning -> full) or the day ends.
 */
export async function capacityAlarms(ctx: CloudContext, site: string): Promise<CapacityAlarm[]> {
  const status = await capacityStatus(ctx, site);
  const out: Omit<CapacityAlarm, 'acked'>[] = [];
  for (const v of status.venues) {
    if (v.capacity === null) continue;
    const warn = (await venueRulesOf(ctx.db, site, v.venue))?.warnPercent ?? DEFAULT_WARN_PERCENT;
    const level = levelOf(v.inPark, v.capacity, warn);
    if (!level) continue;
    out.push({
      subject: `venue:${v.venue}`, level, count: v.inPark, capacity: v.capacity, percent: Math.floor((v.inPark * 100) / v.capacity),
      message: level === 'full' ? `${v.name}已达最大承载量（${v.inPark}/${v.capacity}），暂停售票与入园` : `${v.name}接近最大承载量（${v.inPark}/${v.capacity}）`,
    });
  }
  const sold = await ctx.db.select({ code: ticketTypes.code, name: ticketTypes.name, typeCap: ticketTypes.dailyCapacity, dayCap: dayCapacity.capacity, sold: dayCapacity.sold })
    .from(dayCapacity).innerJoin(ticketTypes, eq(ticketTypes.id, dayCapacity.typeId)).where(eq(dayCapacity.day, status.day));
  for (const s of sold) {
    const capacity = s.dayCap ?? s.typeCap;
    if (capacity === null || capacity <= 0) continue;
    const level = levelOf(s.sold, capacity, DEFAULT_WARN_PERCENT);
    if (!level) continue;
    out.push({
      subject: `type:${s.code}`, level, count: s.sold, capacity, percent: Math.floor((s.sold * 100) / capacity),
      message: level === 'full' ? `${s.name}今日已售罄（${s.sold}/${capacity}），各渠道停售` : `${s.name}今日已售 ${Math.floor((s.sold * 100) / capacity)}%（${s.sold}/${capacity}）`,
    });
  }
  const acks = await ctx.db.select().from(capacityAlarmAcks).where(and(eq(capacityAlarmAcks.site, site), eq(capacityAlarmAcks.day, status.day)));
  return out.map((a) => {
    const k = acks.find((x) => x.subject === a.subject);
    const covers = k && RANK[k.level as CapacityAlarm['level']] >= RANK[a.level];
    return { ...a, acked: covers ? { by: k.ackedBy, at: k.ackedAt.toISOString(), level: k.level as CapacityAlarm['level'], note: k.note } : null };
  });
}

/** A supervisor acknowledges a capacity alarm at the level it stands at now (audited). */
export async function ackCapacityAlarm(ctx: CloudContext, user: AuthUser, site: string, subject: string, note?: string): Promise<CapacityAlarm[]> {
  const alarm = (await capacityAlarms(ctx, site)).find((a) => a.subject === subject);
  if (!alarm) throw new AppError('no_alarm', `没有此承载量告警 / no capacity alarm for ${subject} now`, 409, { site, subject });
  const at = ctx.now();
  const day = businessDay(at, ctx.config.timeZone);
  const row = { site, subject, day, level: alarm.level, note: note ?? null, ackedBy: user.username, ackedAt: new Date(at) };
  await auditedTx(ctx.db, async (tx) => {
    await tx.insert(capacityAlarmAcks).values(row)
      .onConflictDoUpdate({ target: [capacityAlarmAcks.site, capacityAlarmAcks.subject, capacityAlarmAcks.day], set: { level: row.level, note: row.note, ackedBy: row.ackedBy, ackedAt: row.ackedAt } });
    await appendAudit(tx, { at, actor: user.username, action: 'alarm_ack', subject: `${site}/${subject}`, body: { level: alarm.level, count: alarm.count, capacity: alarm.capacity, note: row.note } });
  });
  ctx.log.info({ site, subject, level: alarm.level, by: user.username }, 'capacity alarm acknowledged');
  return capacityAlarms(ctx, site);
}

/**
 * Sales stop at 100 % (Tourism Law art. 45): a sale for today at a venue whose persons
 * inside reached its capacity is refused, on every channel (windows, kiosks, bookings), in
 * the sale's transaction. A day's sales against a type's daily capacity stop in the upsert
 * that takes the places (office/pricing.ts takeCapacity, `sold_out`).
 */
export async function refuseWhenFull(tx: Tx | CloudContext['db'], ctx: CloudContext, site: string, venue: string, day: string): Promise<void> {
  const now = ctx.now();
  const tz = ctx.config.timeZone;
  if (day !== businessDay(now, tz)) return;
  const rules = await venueRulesOf(tx, site, venue);
  if (rules?.capacity === undefined) return;
  const inPark = await inParkAt(tx, site, venue, now, tz);
  if (inPark >= rules.capacity) {
    throw new AppError('park_full', `景区已达最大承载量（${inPark}/${rules.capacity}），今日暂停售票，请稍后再试 / the park is at its maximum capacity: sales for today are stopped`, 409,
      { site, venue, inPark, capacity: rules.capacity });
  }
}
