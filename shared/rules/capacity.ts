import type { EntryKind } from './model.ts';

/**
 * How many persons are inside a venue, the one rule every tier counts by (gates from their
 * passage log, HQ from its entries, the in-park report alike): since the start of the site's
 * business day, persons who passed in (entries, re-entries, emergency passages) less those
 * given back unused (`return`), less persons who passed out; never below zero, because not
 * every site counts its exits. Visitors never seen leaving are counted until the business day
 * ends (the documented time-out rule: the count starts from zero each day).
 */
export function inParkDelta(p: { direction: 'in' | 'out'; kind: EntryKind; persons: number }): number {
  const signed = p.kind === 'return' ? -p.persons : p.persons;
  return p.direction === 'in' ? signed : -signed;
}

export const inParkCount = (net: number): number => Math.max(0, net);

/** The SQL of inParkDelta over an entries table with direction, kind and persons columns. */
export const IN_PARK_DELTA_SQL = `(case when direction = 'in' then 1 else -1 end) * (case when kind = 'return' then -persons else persons end)`;

export type LoadLevel = 'open' | 'busy' | 'full';

/** open below the warning level, busy from it, full at capacity. */
export function loadLevel(inPark: number, capacity: number | undefined, warnPercent: number): LoadLevel {
  if (capacity === undefined) return 'open';
  if (inPark >= capacity) return 'full';
  return inPark * 100 >= capacity * warnPercent ? 'busy' : 'open';
}
