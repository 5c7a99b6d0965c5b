import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { AppError } from '../http/errors.ts';
import { fromLocalHour, localHourBins, offsetSegments, parseDay, reportRange } from './range.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof AppError ? e.code : String(e);
  }
  return 'no error';
};

test('days must exist', () => {
  assert.is(parseDay('2024-02-29', 'from'), '2024-02-29');
  for (const bad of ['2026-02-29', '2026-02-30', '2026-13-01', '2026-1-1', '20261101', '', '2026-11-01T00:00']) assert.is(code(() => parseDay(bad, 'from')), 'invalid_date', bad);
});

test('a range is whole local days, to included, at most 366', () => {
  const r = reportRange('2026-10-01', '2026-10-31', 'Asia/Shanghai');
  assert.is(r.days, 31);
  assert.is(r.start.toISOString(), '2026-09-30T16:00:00.000Z');
  assert.is(r.end.toISOString(), '2026-10-31T16:00:00.000Z');
  assert.is(reportRange('2024-01-01', '2024-12-31', 'Asia/Shanghai').days, 366);
  assert.is(code(() => reportRange('2024-01-01', '2025-01-01', 'Asia/Shanghai')), 'range_too_long');
  assert.is(code(() => reportRange('2026-10-02', '2026-10-01', 'Asia/Shanghai')), 'invalid_range');
  assert.is(reportRange('2026-10-02', '2026-10-02', 'Asia/Shanghai').days, 1);
});

test('offset segments find a DST change to the minute', () => {
  const r = reportRange('2026-11-01', '2026-11-30', 'America/New_York');
  const segs = offsetSegments(r.start.getTime(), r.end.getTime(), r.timeZone);
  assert.equal(segs.map((x) => [new Date(x.from).toISOString(), x.offsetMs / 3_600_000]), [['2026-11-01T04:00:00.000Z', -4], ['2026-11-01T06:00:00.000Z', -5]]);
  assert.is(offsetSegments(Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1), 'Asia/Shanghai').length, 1);
});

const dialect = new PgDialect();
const binSql = (tz: string) => dialect.sqlToQuery(localHourBins(sql`t`, reportRange('2026-10-01', '2026-10-31', tz)).bin).sql;

test('bins never straddle a local hour: 1 h, or 30 / 15 min in zones off the hour', () => {
  assert.match(binSql('Asia/Shanghai'), /'3600 seconds'/);
  assert.match(binSql('Asia/Kolkata'), /'1800 seconds'/);
  assert.match(binSql('Asia/Kathmandu'), /'900 seconds'/);
});

test('a bin start maps to its local hour, with the offset in force then', () => {
  const kolkata = localHourBins(sql`t`, reportRange('2026-10-01', '2026-10-31', 'Asia/Kolkata'));
  assert.equal(fromLocalHour(kolkata.hourOf(new Date('2026-10-01T18:30:00Z'))), { day: '2026-10-02', hour: 0 });
  assert.equal(fromLocalHour(kolkata.hourOf(new Date('2026-10-01T18:00:00Z'))), { day: '2026-10-01', hour: 23 });
  const ny = localHourBins(sql`t`, reportRange('2026-11-01', '2026-11-30', 'America/New_York'));
  // 01:00 happens twice on 2026-11-01: both bins land in hour 1.
  assert.equal(fromLocalHour(ny.hourOf('2026-11-01T05:00:00Z')), { day: '2026-11-01', hour: 1 });
  assert.equal(fromLocalHour(ny.hourOf('2026-11-01T06:00:00Z')), { day: '2026-11-01', hour: 1 });
  assert.equal(fromLocalHour(ny.hourOf('2026-11-01T07:00:00Z')), { day: '2026-11-01', hour: 2 });
  assert.equal(fromLocalHour(ny.hourOf('2026-11-02T04:59:59Z')), { day: '2026-11-01', hour: 23 });
});

test.run();
