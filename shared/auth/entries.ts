import type { LaneRules } from '../rules/model.ts';
import type { EntryRecord } from '../sync/messages.ts';

/**
 * A device speaks only for itself: an entry is taken (at HQ, at the site hub, and by sibling
 * gates before they count it) only from a provisioned, active gate, for one of its own
 * lanes, into that lane's venue and through a reader that lane has, at a time near the
 * receiver's clock. Anything else is refused with one of these reasons.
 */
export const ENTRY_REFUSALS = [
  'unknown_device', 'inactive_device', 'not_a_gate', 'foreign_lane', 'unknown_lane', 'wrong_venue', 'wrong_direction', 'time_ahead', 'time_stale',
] as const;
export type EntryRefusal = (typeof ENTRY_REFUSALS)[number];

/** What the receiver knows of the sending device (HQ's record, or its copy from the change log). */
export interface SenderRecord {
  role: string;
  lanes: readonly string[];
  active: boolean;
}

export interface EntryLimits {
  /** How far ahead of the receiver's clock an entry's corrected time may be (clocks drift). */
  aheadMs: number;
  /** How old an entry may be: a gate holds entries through an outage, not for ever. */
  staleMs: number;
}

/** 5 minutes ahead; 8 days old (a gate re-sends a week of passages after HQ restores a backup). */
export const ENTRY_LIMITS: EntryLimits = { aheadMs: 5 * 60_000, staleMs: 8 * 86_400_000 };

/**
 * Why an entry from `sender` is refused, or undefined when it is taken. `now` is the
 * receiver's clock corrected to HQ's, the clock entries' corrected times are on.
 */
export function checkEntry(
  e: Pick<EntryRecord, 'lane' | 'venue' | 'direction' | 'kind' | 'correctedTime'>,
  sender: SenderRecord | undefined,
  laneOf: (lane: string) => LaneRules | undefined,
  now: number,
  limits: EntryLimits = ENTRY_LIMITS,
): EntryRefusal | undefined {
  if (!sender) return 'unknown_device';
  if (!sender.active) return 'inactive_device';
  // A handheld checks tickets at its own lanes like a gate without leaves.
  if (sender.role !== 'gate' && sender.role !== 'handheld') return 'not_a_gate';
  if (!sender.lanes.includes(e.lane)) return 'foreign_lane';
  const lane = laneOf(e.lane);
  if (!lane) return 'unknown_lane';
  if (e.venue !== lane.venue) return 'wrong_venue';
  // Evacuating through an entry lane is logged as it happened.
  if (e.kind !== 'emergency' && !lane.directions.includes(e.direction)) return 'wrong_direction';
  if (e.correctedTime > now + limits.aheadMs) return 'time_ahead';
  if (e.correctedTime < now - limits.staleMs) return 'time_stale';
  return undefined;
}
