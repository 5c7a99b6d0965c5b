import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addDays, businessDay, formatLocal, startOfBusinessDay } from './zone.ts';

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

test.run();
