import { addDays, businessDay } from '../../shared/time/zone.ts';
import type { CloudContext } from '../context.ts';
import { listDevices } from '../devices/service.ts';
import { runReport } from '../reports/routes.ts';
import { listVenues, requireSite } from '../sites/service.ts';
import { capacityAlarms } from '../capacity/alarms.ts';

const HOURS = 24;

/** Persons in by local hour (0..23) from an entries-by-hour result. */
function byHour(rows: Record<string, unknown>[]): number[] {
  const out = new Array<number>(HOURS).fill(0);
  for (const r of rows) {
    const h = Number(r.hour);
    if (h >= 0 && h < HOURS) out[h]! += Number(r.personsIn ?? 0);
  }
  return out;
}

/**
 * The figures of a site's control-room screen: persons in the park now per venue, entries per
 * hour today beside the same weekday last week, today's sales by channel. Drawn from the
 * reports (cloud/reports), so the wall and the report never disagree.
 */
export async function liveSummary(ctx: CloudContext, site: string) {
  await requireSite(ctx.db, site);
  const tz = ctx.config.timeZone;
  const now = ctx.now();
  const today = businessDay(now, tz);
  const lastWeek = addDays(today, -7);
  const [venues, inPark, hoursToday, hoursLastWeek, sales, alarms] = await Promise.all([
    listVenues(ctx, site),
    runReport(ctx, 'in-park', { site }),
    runReport(ctx, 'entries-by-hour', { from: today, to: today, site }),
    runReport(ctx, 'entries-by-hour', { from: lastWeek, to: lastWeek, site }),
    runReport(ctx, 'sales-by-channel', { from: today, to: today, site }),
    capacityAlarms(ctx, site),
  ]);
  const parkRows = inPark.rows as { venue: string; personsIn: number; personsOut: number; inPark: number; lastPassage: string }[];
  const venueList = venues.map((v) => {
    const r = parkRows.find((p) => p.venue === v.venue);
    return { venue: v.venue, name: v.name, personsIn: r?.personsIn ?? 0, personsOut: r?.personsOut ?? 0, inPark: r?.inPark ?? 0, lastPassage: r?.lastPassage ?? null };
  });
  // Entries for a venue that is no longer on record still count.
  for (const r of parkRows) {
    if (!venueList.some((v) => v.venue === r.venue)) venueList.push({ venue: r.venue, name: r.venue, personsIn: r.personsIn, personsOut: r.personsOut, inPark: r.inPark, lastPassage: r.lastPassage });
  }
  return {
    site, day: today, lastWeekDay: lastWeek, at: new Date(now).toISOString(), timeZone: tz,
    inPark: venueList.reduce((n, v) => n + v.inPark, 0),
    venues: venueList,
    hours: { today: byHour(hoursToday.rows), lastWeek: byHour(hoursLastWeek.rows) },
    sales: (sales.rows as { channel: string; channelName: string; visitors: number; quantity: number; grossFen: number }[])
      .map((r) => ({ channel: r.channel, channelName: r.channelName, quantity: r.quantity, visitors: r.visitors, grossFen: r.grossFen })),
    capacityAlarms: alarms,
  };
}

/** Every device of the site as a tile: presence, desired and reported mode, door, last decision, backlog, alarms. */
export const liveDevices = (ctx: CloudContext, site: string) => listDevices(ctx, site);
