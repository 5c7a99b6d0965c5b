import { isDeepStrictEqual } from 'node:util';
import { and, eq, inArray } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Logger } from '../../shared/log/logger.ts';
import { Repeat } from '../../shared/time/repeat.ts';
import { addDays, businessDay } from '../../shared/time/zone.ts';
import type { Db } from '../db/open.ts';
import { channelDayUsage, channelNotices, channels, channelWebhooks, ticketTypes, timeSlots } from '../db/schema/index.ts';
import { slotVenue } from '../slots/service.ts';
import { listPrices, type Channel } from './admin.ts';
import { queueNoShows } from './notices.ts';

/**
 * Calendar price and stock pushed to OTA channels (价格日历 / 库存推送): for each channel with a
 * webhook and each day it may sell (today to its `maxDaysAhead`, at most CALENDAR_DAYS), what
 * the channel would be told by `GET /channels/products` and the slots: its price per ticket
 * type, its quota left, and each slot's places left for it (the walk-in share is the window's).
 *
 * A pusher looks every `intervalMs` (a minute by default) and queues a notice for each day
 * whose calendar differs from the one last queued for it: one row per channel and day in the
 * notice outbox (kind `calendar`), replaced by the newer calendar while it waits, so a channel
 * is sent the latest state, signed and retried as every notice is (./notices.ts), at most
 * `perMinute` calls a minute (the sender's limit). Sales add nothing to their own path: the
 * pusher reads what they changed.
 */
export const CALENDAR_DAYS = 90;

export interface CalendarDay {
  day: string;
  quota: number | null;
  remaining: number | null;
  products: { type: string; priceFen: number }[];
  slots: { venue: string; from: string; to: string; remaining: number }[];
}

/** A channel's calendars for a run of days, in four reads whatever the number of days. */
export async function calendarsOf(db: Db, ch: Channel, days: readonly string[]): Promise<CalendarDay[]> {
  if (days.length === 0) return [];
  const prices = await listPrices(db, ch);
  const used = new Map(ch.dailyQuota === null ? [] : (await db.select({ day: channelDayUsage.day, used: channelDayUsage.used }).from(channelDayUsage)
    .where(and(eq(channelDayUsage.channelId, ch.id), inArray(channelDayUsage.day, [...days])))).map((u) => [u.day, u.used]));
  const rules = prices.length === 0 ? [] : await db.select({ rules: ticketTypes.rules }).from(ticketTypes).where(inArray(ticketTypes.id, prices.map((p) => p.typeId)));
  const venues = [...new Set(rules.map((r) => slotVenue(r.rules)))];
  const slots = venues.length === 0 ? [] : await db.select().from(timeSlots)
    .where(and(eq(timeSlots.site, ch.site), inArray(timeSlots.venue, venues), inArray(timeSlots.day, [...days])));
  slots.sort((a, b) => a.venue.localeCompare(b.venue) || a.slotFrom.localeCompare(b.slotFrom));
  const products = prices.map((p) => ({ type: p.type, priceFen: p.priceFen }));
  return days.map((day) => ({
    day,
    quota: ch.dailyQuota,
    remaining: ch.dailyQuota === null ? null : Math.max(0, ch.dailyQuota - (used.get(day) ?? 0)),
    products,
    slots: slots.filter((s) => s.day === day).map((s) => ({
      venue: s.venue, from: s.slotFrom, to: s.slotTo,
      // What a channel may still take (cloud/capacity/places.ts): the quota less the walk-in share, and the whole quota.
      remaining: Math.max(0, Math.min(s.quota - s.walkIn - s.sold, s.quota - s.sold - s.soldWalkIn)),
    })),
  }));
}

const subjectOf = (channelId: number, day: string) => `${channelId}:${day}`;
/** Key order aside (jsonb keeps its own). */
const same = (a: unknown, b: CalendarDay) => isDeepStrictEqual(a, b);

/**
 * Queues a calendar notice for each day of each channel with a webhook whose calendar changed
 * since the one last queued (or never was). Returns how many were queued.
 */
export async function queueCalendarChanges(db: Db, now: number, timeZone: string, opts: { days?: number } = {}): Promise<number> {
  const hooked = await db.select({ ch: channels }).from(channels).innerJoin(channelWebhooks, eq(channelWebhooks.channelId, channels.id)).where(eq(channels.active, true));
  const today = businessDay(now, timeZone);
  let queued = 0;
  for (const { ch } of hooked) {
    const days = Math.min(opts.days ?? CALENDAR_DAYS, ch.maxDaysAhead + 1);
    const list = Array.from({ length: days }, (_, i) => addDays(today, i));
    const last = new Map((await db.select({ subject: channelNotices.subject, body: channelNotices.body }).from(channelNotices)
      .where(and(eq(channelNotices.kind, 'calendar'), inArray(channelNotices.subject, list.map((d) => subjectOf(ch.id, d))))))
      .map((n) => [n.subject, n.body.calendar]));
    for (const calendar of await calendarsOf(db, ch, list)) {
      const day = calendar.day;
      const subject = subjectOf(ch.id, day);
      if (last.has(subject) && same(last.get(subject), calendar)) continue;
      const id = uuidv7();
      const at = new Date(now);
      const row = { id, channelId: ch.id, kind: 'calendar', subject, nextAt: at, createdAt: at, state: 'pending', attempts: 0, lastError: null, lastStatus: null, deliveredAt: null,
        body: { eventId: id, event: 'calendar.changed', channel: ch.code, site: ch.site, calendar } };
      // The newest calendar of a day replaces the one waiting (or sent): a channel wants the state, not each step.
      await db.insert(channelNotices).values(row).onConflictDoUpdate({ target: [channelNotices.kind, channelNotices.subject], set: row });
      queued++;
    }
  }
  return queued;
}

/** Visit days looked back over for no-shows (a watch that was down longer misses the older ones). */
export const NO_SHOW_LOOKBACK_DAYS = 30;

/**
 * The channel watch: looks every `intervalMs` for what channels must be told that no sale
 * queued itself: calendar changes, and no-shows (./notices.ts queueNoShows). The notice sender
 * delivers them.
 */
export class CalendarPusher {
  private readonly repeat: Repeat;

  constructor(private readonly o: { db: Db; log: Logger; now: () => number; timeZone: string; intervalMs: number; days?: number }) {
    this.repeat = new Repeat(async () => {
      const n = await this.runOnce();
      if (n > 0) o.log.info({ queued: n }, 'channel notices queued (calendar, no-shows)');
    }, o.intervalMs, (err) => o.log.warn({ err: err.message }, 'channel watch: run failed'));
  }

  start(): void {
    this.repeat.start();
  }

  stop(): Promise<void> {
    return this.repeat.stop();
  }

  /** Queues the calendar changes and the no-shows found now; how many notices in all. */
  async runOnce(): Promise<number> {
    const now = this.o.now();
    const calendars = await queueCalendarChanges(this.o.db, now, this.o.timeZone, { days: this.o.days });
    return calendars + await queueNoShows(this.o.db, now, addDays(businessDay(now, this.o.timeZone), -NO_SHOW_LOOKBACK_DAYS));
  }
}
