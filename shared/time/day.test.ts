import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { calendarDay, isCalendarDay } from './day.ts';

test('a calendar day is one the calendar has', () => {
  for (const ok of ['2026-01-01', '2026-12-31', '2028-02-29', '2000-02-29', '2026-04-30']) assert.ok(isCalendarDay(ok), ok);
  for (const bad of ['2026-02-29', '2026-02-30', '1900-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '2026-1-1', '20260101', '2026-01-01T00:00', ' 2026-01-01', '']) {
    assert.not.ok(isCalendarDay(bad), bad);
  }
  assert.is(calendarDay.safeParse('2026-02-30').error?.issues[0]?.message, 'not a calendar day');
  assert.is(calendarDay.safeParse('2026-03-01').data, '2026-03-01');
});

test.run();
