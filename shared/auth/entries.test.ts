import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { laneRules } from '../rules/model.ts';
import { checkEntry, ENTRY_LIMITS } from './entries.ts';

const lanes = new Map([
  ['lane-1', laneRules.parse({ lane: 'lane-1' })],
  ['lane-2', laneRules.parse({ lane: 'lane-2', venue: 'garden', directions: ['in', 'out'] })],
]);
const laneOf = (l: string) => lanes.get(l);
const now = Date.UTC(2026, 10, 26, 2);
const gate1 = { role: 'gate', lanes: ['lane-1'], active: true };
const entry = (over: Record<string, unknown> = {}) => ({ lane: 'lane-1', venue: 'main', direction: 'in' as const, kind: 'normal' as const, correctedTime: now - 1000, ...over });

test('an entry of the sender\'s own lane, near the clock, is taken', () => {
  assert.is(checkEntry(entry(), gate1, laneOf, now), undefined);
  assert.is(checkEntry(entry({ correctedTime: now + ENTRY_LIMITS.aheadMs }), gate1, laneOf, now), undefined, 'drift within the tolerance');
  assert.is(checkEntry(entry({ correctedTime: now - ENTRY_LIMITS.staleMs }), gate1, laneOf, now), undefined, 'a week-old backlog');
});

test('another device\'s lane, an unknown or inactive sender, a kiosk: refused', () => {
  assert.is(checkEntry(entry({ lane: 'lane-2', venue: 'garden' }), gate1, laneOf, now), 'foreign_lane');
  assert.is(checkEntry(entry(), undefined, laneOf, now), 'unknown_device');
  assert.is(checkEntry(entry(), { ...gate1, active: false }, laneOf, now), 'inactive_device');
  assert.is(checkEntry(entry(), { ...gate1, role: 'kiosk' }, laneOf, now), 'not_a_gate');
  assert.is(checkEntry(entry({ lane: 'lane-9' }), { ...gate1, lanes: ['lane-9'] }, laneOf, now), 'unknown_lane');
});

test('the lane\'s venue and readers hold; emergency passages go either way', () => {
  assert.is(checkEntry(entry({ venue: 'garden' }), gate1, laneOf, now), 'wrong_venue');
  assert.is(checkEntry(entry({ direction: 'out', kind: 'exit' }), gate1, laneOf, now), 'wrong_direction');
  assert.is(checkEntry(entry({ direction: 'out', kind: 'emergency' }), gate1, laneOf, now), undefined);
});

test('a time far off the clock: refused', () => {
  assert.is(checkEntry(entry({ correctedTime: now + ENTRY_LIMITS.aheadMs + 1 }), gate1, laneOf, now), 'time_ahead');
  assert.is(checkEntry(entry({ correctedTime: now - ENTRY_LIMITS.staleMs - 1 }), gate1, laneOf, now), 'time_stale');
  assert.is(checkEntry(entry({ correctedTime: now - 400 * 86_400_000 }), gate1, laneOf, now), 'time_stale');
});

test.run();
