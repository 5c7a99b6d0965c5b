import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addDays, businessDay, formatLocal, startOfBusinessDay, wallClock } from './zone.ts';

test('business day follows the site zone, not UTC', () => {
  // 2026-11-25 17:30 UTC is already 01:30 on the 26th in Shanghai.
  const t = Date.UTC(2026, 10, 25, 17, 30);
  assert.is(businessDay(t, 'Asia/Shanghai'), '2026-11-26');
  assert.is(businessDay(t, 'UTC'), '2026-11-25');
  assert.is(formatLocal(t, 'Asia/Shanghai'), '2026-11-26 01:30');
});

test('a business day starts at local midnight', () => {
  assert.is(startOfBusinessDay('2026-11-26', 'Asia/Shanghai'), Date.UTC(2026, 10, 25, 16, 0));
  assert.is(startOfBusinessDay('2026-03-29', 'Europe/Berlin'), Date.UTC(2026, 2, 28, 23, 0));
  assert.is(startOfBusinessDay('2026-03-30', 'Europe/Berlin'), Date.UTC(2026, 2, 29, 22, 0));
});

test('adds days across month ends', () => {
  assert.is(addDays('2026-12-31', 1), '2027-01-01');
  assert.is(addDays('2028-02-28', 1), '2028-02-29');
  assert.throws(() => addDays('26-1-1', 1), /not a day/);
});

/** The wall clock from the quarter-hour offset cache is Intl's, second for second, across offset changes. */
test('wall clock equals Intl in zones with daylight saving, half-hour changes and odd offsets', () => {
  const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham'];
  const formats = new Map(zones.map((tz) => [tz, new Intl.DateTimeFormat('en-CA', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })]));
  const intl = (ms: number, tz: string) => {
    const p: Record<string, number> = {};
    for (const part of formats.get(tz)!.formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return p;
  };
  // Shanghai's daylight saving (1986-1991), and a span of recent years around each change.
  const instants: number[] = [Date.UTC(1986, 4, 3, 17, 59, 59), Date.UTC(1986, 4, 3, 18, 0, 0), Date.UTC(1991, 8, 14, 16, 59, 59), Date.UTC(1991, 8, 14, 17, 0, 1)];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 3000; i++) instants.push(Date.UTC(2024, 0, 1) + Math.floor(rand() * 3 * 365 * 86_400_000));
  for (const tz of zones) {
    // Every minute of the days around this zone's changes in 2025 (found by comparing offsets a day apart).
    for (let d = Date.UTC(2025, 0, 1); d < Date.UTC(2026, 0, 1); d += 86_400_000) {
      const a = intl(d, tz), b = intl(d + 86_400_000, tz);
      if ((b.hour! - a.hour!) * 60 + (b.minute! - a.minute!) !== 0) for (let m = 0; m < 2 * 1440; m++) instants.push(d + m * 60_000 + 30_500);
    }
    for (const ms of instants) {
      const want = intl(ms, tz);
      assert.equal(wallClock(ms, tz), { year: want.year, month: want.month, day: want.day, hour: want.hour, minute: want.minute, second: want.second }, `${tz} ${new Date(ms).toISOString()}`);
    }
  }
});

test.run();
