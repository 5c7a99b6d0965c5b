import { sql, type SQL } from 'drizzle-orm';
import { isCalendarDay } from '../../shared/time/day.ts';
import { addDays, startOfBusinessDay, zoneOffsetMs } from '../../shared/time/zone.ts';
import { AppError } from '../http/errors.ts';

/** Longest range a report covers, in days: a year, leap day included. */
export const MAX_RANGE_DAYS = 366;

/** A report's period: whole business days `from`..`to` (inclusive) in the site's zone. */
export interface ReportRange {
  from: string;
  to: string;
  timeZone: string;
  /** UTC instants: start of `from`, start of the day after `to` (exclusive). */
  start: Date;
  end: Date;
  days: number;
}

/** Parses "YYYY-MM-DD", refusing days that do not exist (2026-02-30). */
export function parseDay(text: string, what: string): string {
  if (!isCalendarDay(text)) {
    throw new AppError('invalid_date', `${what} is not a day (YYYY-MM-DD): ${text}`, 400, { [what]: text });
  }
  return text;
}

export function dayNumber(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
}

export function reportRange(from: string, to: string, timeZone: string): ReportRange {
  parseDay(from, 'from');
  parseDay(to, 'to');
  const days = dayNumber(to) - dayNumber(from) + 1;
  if (days < 1) throw new AppError('invalid_range', `from (${from}) is after to (${to})`, 400, { from, to });
  if (days > MAX_RANGE_DAYS) {
    throw new AppError('range_too_long', `a report covers at most ${MAX_RANGE_DAYS} days; ${from}..${to} is ${days}`, 400, { from, to, days, max: MAX_RANGE_DAYS });
  }
  return {
    from, to, timeZone, days,
    start: new Date(startOfBusinessDay(from, timeZone)),
    end: new Date(startOfBusinessDay(addDays(to, 1), timeZone)),
  };
}

/** The zone's UTC offset over [startMs, endMs): one segment per offset, in order. */
export function offsetSegments(startMs: number, endMs: number, timeZone: string): { from: number; offsetMs: number }[] {
  const segments = [{ from: startMs, offsetMs: zoneOffsetMs(startMs, timeZone) }];
  const STEP = 3 * 3_600_000; // zones change offset at most once in a few hours
  for (let t = startMs; t < endMs; t += STEP) {
    const next = Math.min(t + STEP, endMs);
    const before = segments[segments.length - 1]!.offsetMs;
    if (zoneOffsetMs(next, timeZone) === before) continue;
    // Bisect to the minute at which the offset changes.
    let lo = t;
    let hi = next;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (zoneOffsetMs(mid, timeZone) === before) lo = mid;
      else hi = mid;
    }
    segments.push({ from: hi, offsetMs: zoneOffsetMs(hi, timeZone) });
  }
  return segments;
}

/**
 * Buckets a timestamptz column into UTC bins that never straddle a local hour: date_bin on a
 * fixed origin is the cheapest per-row bucketing PGlite has (about half the cost of epoch
 * arithmetic, a third of `at time zone`). A bin is an hour when every offset the zone has in
 * the range is whole hours, else 30 or 15 minutes (India, Nepal). `hourOf` turns a bin's
 * start into its local hour number (hours since 1970-01-01 00:00 local), with the offset in
 * force at that instant, so DST changes are honoured.
 */
export function localHourBins(column: SQL, range: Pick<ReportRange, 'start' | 'end' | 'timeZone'>): { bin: SQL; hourOf(binStart: unknown): number } {
  const segments = offsetSegments(range.start.getTime(), range.end.getTime(), range.timeZone);
  const width = segments.every((x) => x.offsetMs % 3_600_000 === 0) ? 3600 : segments.every((x) => x.offsetMs % 1_800_000 === 0) ? 1800 : 900;
  return {
    bin: sql`date_bin(${sql.raw(`'${width} seconds'`)}, ${column}, timestamptz '1970-01-01 00:00:00+00')`,
    hourOf(binStart) {
      const t = binStart instanceof Date ? binStart.getTime() : Date.parse(String(binStart));
      let offset = segments[0]!.offsetMs;
      for (const x of segments) if (x.from <= t) offset = x.offsetMs;
      return Math.floor((t + offset) / 3_600_000);
    },
  };
}

/** "YYYY-MM-DD" and hour of day of a local hour number from localHourSql. */
export function fromLocalHour(hourNumber: number): { day: string; hour: number } {
  const dayNo = Math.floor(hourNumber / 24);
  return { day: new Date(dayNo * 86_400_000).toISOString().slice(0, 10), hour: hourNumber - dayNo * 24 };
}

/** Every day of the range, in order. */
export function daysOf(range: Pick<ReportRange, 'from' | 'days'>): string[] {
  return Array.from({ length: range.days }, (_, i) => addDays(range.from, i));
}
