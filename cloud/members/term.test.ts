import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addMonths, renewedExpiry, termFrom } from './term.ts';

test('months add calendar months and clamp to the month end', () => {
  assert.is(addMonths('2026-01-31', 1), '2026-02-28');
  assert.is(addMonths('2028-01-31', 1), '2028-02-29');
  assert.is(addMonths('2028-02-29', 12), '2029-02-28');
  assert.is(addMonths('2026-11-25', 3), '2027-02-25');
  assert.is(addMonths('2026-12-15', 1), '2027-01-15');
});

test('a term from a day', () => {
  assert.is(termFrom('2026-11-25', 'annual'), '2027-11-24');
  assert.is(termFrom('2026-11-25', 'season'), '2027-02-24');
  assert.is(termFrom('2026-11-25', 'month'), '2026-12-24');
  assert.is(termFrom('2026-03-01', 'annual'), '2027-02-28');
});

test('renewal: unexpired gains a year on its expiry, expired a year from today', () => {
  assert.is(renewedExpiry('2026-12-31', '2026-11-25', 'annual'), '2027-12-31', 'unexpired');
  assert.is(renewedExpiry('2026-11-25', '2026-11-25', 'annual'), '2027-11-25', 'last valid day is still unexpired');
  assert.is(renewedExpiry('2026-11-24', '2026-11-25', 'annual'), '2027-11-24', 'expired yesterday: a year from today');
  assert.is(renewedExpiry('2025-06-30', '2026-11-25', 'annual'), '2027-11-24', 'long expired');
  assert.is(renewedExpiry('2026-12-10', '2026-11-25', 'month'), '2027-01-10');
});

test.run();
