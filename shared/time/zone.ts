/**
 * Business days are days in the site's time zone (default Asia/Shanghai); instants are stored
 * in UTC. These helpers convert between the two with Intl, so DST zones work too.
 */
export const DEFAULT_TZ = 'Asia/Shanghai';
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsFormatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz, hourCycle: 'h23',
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

interface WallClock { year: number; month: number; day: number; hour: number; minute: number; second: number }

/** The zone's wall clock at an instant, as Intl says it (to the second). */
function intlWallClock(instantMs: number, tz: string): WallClock {
  const p: Record<string, number> = {};
  for (const part of partsFormatter(tz).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}

function intlOffsetMs(instantMs: number, tz: string): number {
  const w = intlWallClock(instantMs, tz);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instantMs / 1000) * 1000;
}

/**
 * Zone offsets by quarter hour of UTC (null: the offset changes within it). Intl's
 * formatToParts costs ~10 µs a call, and HQ asks for business days several times per sale
 * (bench:peak's profile). Offsets change at whole quarter hours of UTC in every zone today,
 * and never twice within one; a quarter whose first and last second differ (a historical
 * local mean time) is asked of Intl each time.
 */
const QUARTER_MS = 900_000;
const offsets = new Map<string, number | null>();

/** Offset of the zone from UTC at that instant, in ms (Shanghai: +8h). */
export function zoneOffsetMs(instantMs: number, tz: string): number {
  const quarter = Math.floor(instantMs / QUARTER_MS);
  const key = `${tz} ${quarter}`;
  let o = offsets.get(key);
  if (o === undefined) {
    const first = intlOffsetMs(quarter * QUARTER_MS, tz);
    o = first === intlOffsetMs(quarter * QUARTER_MS + QUARTER_MS - 1000, tz) ? first : null;
    if (offsets.size > 4096) offsets.clear();
    offsets.set(key, o);
  }
  return o ?? intlOffsetMs(instantMs, tz);
}

export function wallClock(instantMs: number, tz: string): WallClock {
  const d = new Date(Math.floor(instantMs / 1000) * 1000 + zoneOffsetMs(instantMs, tz));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

/** "YYYY-MM-DD" of the business day that contains the instant. */
export function businessDay(instantMs: number, tz: string): string {
  const w = wallClock(instantMs, tz);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

const DAY_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;

const dayStarts = new Map<string, number>();

/** The UTC instant at which a business day starts in the zone (remembered: gates ask on every decision). */
export function startOfBusinessDay(day: string, tz: string): number {
  const key = `${tz} ${day}`;
  let start = dayStarts.get(key);
  if (start === undefined) {
    start = computeStartOfDay(day, tz);
    if (dayStarts.size > 4096) dayStarts.clear();
    dayStarts.set(key, start);
  }
  return start;
}

function computeStartOfDay(day: string, tz: string): number {
  const m = DAY_TEXT.exec(day);
  if (!m) throw new Error(`not a day (YYYY-MM-DD): ${day}`);
  const utcMidnight = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Two passes settle the offset across a DST change.
  let guess = utcMidnight - zoneOffsetMs(utcMidnight, tz);
  guess = utcMidnight - zoneOffsetMs(guess, tz);
  return guess;
}

export function addDays(day: string, days: number): string {
  const m = DAY_TEXT.exec(day);
  if (!m) throw new Error(`not a day (YYYY-MM-DD): ${day}`);
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + days * DAY_MS;
  return new Date(t).toISOString().slice(0, 10);
}

/** Local display of an instant, e.g. "2026-11-25 08:00". */
export function formatLocal(instantMs: number, tz: string): string {
  const w = wallClock(instantMs, tz);
  return `${businessDay(instantMs, tz)} ${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}
