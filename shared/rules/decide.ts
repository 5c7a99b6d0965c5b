import type { TicketFacts } from './model.ts';
import { startOfBusinessDay, wallClock } from '../time/zone.ts';
import { loadLevel, type LoadLevel } from './capacity.ts';
import { MAIN_VENUE, type EntryKind, type LaneRules, type Mode, type Passage, type TimeSlot, type TypeRules, type VenueRules } from './model.ts';
import type { Refusal, RefusalDetail } from './reasons.ts';

/**
 * The one rule engine: the gate decides with it, the cloud uses it to explain and audit a
 * decision. It is pure: everything it needs comes in, a verdict goes out.
 *
 * Entries are counted in person-entries: a ticket for `persons` visitors with `entries`
 * entries grants persons x entries passages per venue, so a group may pass in parts.
 */
export interface EntryQuestion {
  facts: TicketFacts;
  /** Rules of the ticket's type; absent when the device has not synced the type yet. */
  type?: TypeRules;
  lane: LaneRules;
  /** Which reader of the lane saw the ticket. */
  direction: 'in' | 'out';
  mode: Mode;
  /** Why the ticket was revoked, if it was. */
  revoked: string | null;
  /** The ticket's passages known to this device, from every device. */
  history: readonly Passage[];
  /** How many persons want to pass now; default: everyone the ticket still admits, up to `persons`. */
  persons?: number;
  now: number;
  tz: string;
  /** Every lane of the site, so a refusal can point to one that would admit. */
  siteLanes?: readonly LaneRules[];
  /** The ticket's booked time slot (分时预约); absent = none booked. */
  slot?: TimeSlot;
  /** Capacity and slot rules of the lane's venue; absent = none configured (or not synced yet). */
  venue?: VenueRules;
  /**
   * Persons inside the lane's venue now, as this tier knows it. A gate that has not heard its
   * siblings lately counts from the last count it knew plus its own entries: `stale`.
   */
  inPark?: { count: number; stale: boolean };
}

/** How full the venue is, told with an admission so a gate's display can warn. */
export interface Load { inPark: number; capacity: number; level: LoadLevel; stale: boolean }

export type Verdict =
  | { admit: true; kind: EntryKind; venue: string; persons: number; remaining: number | null; faceRequired: boolean; load?: Load }
  | { admit: false; reason: Refusal; detail: RefusalDetail };

const refuse = (reason: Refusal, detail: RefusalDetail = {}): Verdict => ({ admit: false, reason, detail });

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** Site-local weekday (1 = Monday), minute of the day and business day, from one clock reading. */
function localTime(now: number, tz: string): { weekday: number; minute: number; day: string } {
  const w = wallClock(now, tz);
  const weekday = ((new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay() + 6) % 7) + 1;
  const day = `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
  return { weekday, minute: w.hour * 60 + w.minute, day };
}

const inWindow = (minute: number, w: { from: string; to: string }) => minute >= minutes(w.from) && minute < minutes(w.to);

/** Person-entries a ticket grants at a venue per person; 0 = unlimited; undefined = not granted. */
export function grantAt(facts: TicketFacts, type: TypeRules | undefined, venue: string): number | undefined {
  if (type?.venues) return type.venues.find((v) => v.venue === venue)?.entries;
  return venue === MAIN_VENUE ? facts.entries : undefined;
}

/** Net person-entries used at a venue: entries, less passages given back unused. */
export function consumedAt(history: readonly Passage[], venue: string): number {
  let n = 0;
  for (const p of history) {
    if (p.venue !== venue) continue;
    if (p.kind === 'normal' && p.direction === 'in') n += p.persons;
    else if (p.kind === 'return') n -= p.persons;
  }
  return n;
}

function laneAdmits(lane: LaneRules, facts: TicketFacts, type: TypeRules | undefined, direction: 'in' | 'out', weekday: number, minute: number): boolean {
  if (!lane.directions.includes(direction)) return false;
  if (lane.types && !lane.types.includes(facts.typeId)) return false;
  if (lane.kinds && !lane.kinds.includes(type?.kind ?? 'visitor')) return false;
  if (grantAt(facts, type, lane.venue) === undefined) return false;
  if (lane.windows && !lane.windows.some((w) => (!w.weekdays || w.weekdays.includes(weekday)) && inWindow(minute, w))) return false;
  return true;
}

type Room = { room: number; warnPercent: number; load: Load };

/**
 * Room left under the venue's instantaneous capacity for this ticket, or a refusal. Undefined
 * when nothing limits it (no capacity, no count known, or the ticket's kind is exempt).
 */
function roomFor(q: EntryQuestion): Room | { refusal: Verdict } | undefined {
  const v = q.venue;
  if (v?.capacity === undefined || !q.inPark) return undefined;
  const { count, stale } = q.inPark;
  if (v.exemptKinds.includes(q.type?.kind ?? 'visitor')) return undefined;
  if (count >= v.capacity) return { refusal: refuse('park_full', { capacity: v.capacity, inPark: count, ...(stale ? { stale: true } : {}) }) };
  return { room: v.capacity - count, warnPercent: v.warnPercent, load: { inPark: count, capacity: v.capacity, level: loadLevel(count, v.capacity, v.warnPercent), stale } };
}

/**
 * The admission held to the room left: a group passes as far as there is room (as it may
 * pass in parts), and the load after it is told for the display.
 */
function within(v: Extract<Verdict, { admit: true }>, r: Room | undefined): Verdict {
  if (!r) return v;
  const persons = Math.min(v.persons, r.room);
  const inPark = r.load.inPark + persons;
  const load: Load = { ...r.load, inPark, level: loadLevel(inPark, r.load.capacity, r.warnPercent) };
  return { ...v, persons, remaining: v.remaining === null ? null : v.remaining + (v.persons - persons), load };
}

/**
 * A booked slot admits from its start less the venue's early tolerance until its end plus the
 * late one (site-local minutes of the day); otherwise it says when to come.
 */
function slotCheck(q: EntryQuestion, minute: number): Verdict | undefined {
  if (!q.slot) return undefined;
  const early = q.venue?.slotEarlyMinutes ?? 30;
  const late = q.venue?.slotLateMinutes ?? 30;
  const detail = { slotFrom: q.slot.from, slotTo: q.slot.to };
  if (minute < minutes(q.slot.from) - early) return refuse('slot_early', detail);
  if (minute >= minutes(q.slot.to) + late) return refuse('slot_late', detail);
  return undefined;
}

export function decideEntry(q: EntryQuestion): Verdict {
  const { facts, type, lane, direction, now, tz } = q;
  // Nobody is checked while the gates stand open for an evacuation; the passage is still logged.
  if (q.mode === 'emergency') {
    return { admit: true, kind: 'emergency', venue: lane.venue, persons: Math.min(q.persons ?? 1, facts.persons), remaining: null, faceRequired: false };
  }
  if (q.mode === 'closed') return refuse('closed');
  if (!lane.directions.includes(direction)) return refuse('wrong_direction');
  const { weekday, minute, day } = localTime(now, tz);
  if (lane.windows && !lane.windows.some((w) => (!w.weekdays || w.weekdays.includes(weekday)) && inWindow(minute, w))) {
    const next = lane.windows.filter((w) => (!w.weekdays || w.weekdays.includes(weekday)) && minutes(w.from) > minute)
      .sort((a, b) => minutes(a.from) - minutes(b.from))[0];
    return refuse('lane_closed', next ? { opensAt: next.from } : {});
  }
  if (q.revoked) return refuse('revoked', { revokeReason: q.revoked });
  if (now < facts.validFrom * 1000) return refuse('not_yet_valid', { validFrom: facts.validFrom * 1000 });
  if (now >= facts.validUntil * 1000) return refuse('expired', { validUntil: facts.validUntil * 1000 });
  if (type?.weekdays && !type.weekdays.includes(weekday)) return refuse('wrong_weekday', { weekdays: type.weekdays });
  if (direction === 'in' && type?.entryWindow && !inWindow(minute, type.entryWindow)) {
    return minute < minutes(type.entryWindow.from)
      ? refuse('too_early', { opensAt: type.entryWindow.from })
      : refuse('too_late', { closedAt: type.entryWindow.to });
  }

  const grant = grantAt(facts, type, lane.venue);
  const typeOk = (!lane.types || lane.types.includes(facts.typeId)) && (!lane.kinds || lane.kinds.includes(type?.kind ?? 'visitor'));
  if (grant === undefined || !typeOk) {
    const other = q.siteLanes?.find((l) => l.lane !== lane.lane && laneAdmits(l, facts, type, direction, weekday, minute));
    const detail = other ? { useLane: other.label ?? other.lane } : {};
    return refuse(grant === undefined ? 'wrong_venue' : 'wrong_lane', detail);
  }
  const faceRequired = type?.faceRequired ?? false;
  const venue = lane.venue;
  const dayStart = startOfBusinessDay(day, tz);
  const today = q.history.filter((p) => p.at >= dayStart && p.at <= now).sort((a, b) => a.at - b.at);
  const here = presence(today, venue);

  // An exit lets out persons who came in today. Without an entry to exit from it still opens
  // (nobody is kept inside), is logged as such, and grants nothing: no re-entry follows.
  if (direction === 'out') {
    if (here.inside === 0) {
      return { admit: true, kind: 'exit_unmatched', venue, persons: Math.min(q.persons ?? 1, facts.persons), remaining: null, faceRequired: false };
    }
    return { admit: true, kind: 'exit', venue, persons: Math.min(q.persons ?? here.inside, here.inside), remaining: null, faceRequired: false };
  }

  // Anti-passback, at this lane as at any other of the venue: a ticket whose persons all came
  // in within the last N seconds admits nobody more. A group passing in parts is not held up.
  if (lane.antiPassbackSeconds > 0) {
    const since = now - lane.antiPassbackSeconds * 1000;
    let recent = 0;
    let last = 0;
    for (const p of today) {
      if (p.venue !== venue || p.at <= since) continue;
      if (p.direction === 'in' && (p.kind === 'normal' || p.kind === 'reentry')) {
        recent += p.persons;
        last = Math.max(last, p.at);
      } else if (p.kind === 'return') recent -= p.persons;
    }
    if (recent >= facts.persons) {
      return refuse('anti_passback', { waitSeconds: Math.ceil((last + lane.antiPassbackSeconds * 1000 - now) / 1000) });
    }
  }

  // Capacity holds every way in but the exit and the emergency: a re-entry fills the park too.
  const cap = roomFor(q);
  const capped = (v: Extract<Verdict, { admit: true }>): Verdict => (cap && 'refusal' in cap ? cap.refusal : within(v, cap));

  // Re-entry: persons who went out today, after coming in, within the window, and have not
  // come back yet. Only exits matched to real entries open one.
  if (type?.reentry) {
    const windowMs = type.reentry.windowMinutes * 60_000;
    const eligible = Math.min(here.openExits.reduce((sum, e) => sum + (now - e.at <= windowMs ? e.persons : 0), 0), facts.persons);
    if (eligible > 0) {
      const persons = Math.min(q.persons ?? eligible, eligible);
      // A re-entry is not held to the booked slot (the visit began in it), but it does fill the park.
      return capped({ admit: true, kind: 'reentry', venue, persons, remaining: null, faceRequired });
    }
  }

  let allowance = Infinity;
  if (grant > 0) allowance = facts.persons * grant - consumedAt(q.history, venue);
  if (allowance <= 0) return refuse('used');
  if (type?.perDay) {
    const usedToday = consumedAt(today, venue);
    const left = facts.persons * type.perDay - usedToday;
    if (left <= 0) return refuse('daily_limit', { perDay: type.perDay });
    allowance = Math.min(allowance, left);
  }
  const persons = Math.min(q.persons ?? facts.persons, facts.persons, allowance);
  const remaining = grant > 0 ? facts.persons * grant - consumedAt(q.history, venue) - persons : null;
  const wrongSlot = slotCheck(q, minute);
  if (wrongSlot) return wrongSlot;
  return capped({ admit: true, kind: 'normal', venue, persons, remaining, faceRequired });
}

/**
 * Who of a ticket is inside a venue, from the day's passages in time order: entries and
 * re-entries bring persons in, passages given back take them off again, an exit lets out at
 * most those inside (the rest of it matched nothing), and each matched exit stays open for a
 * re-entry until a re-entry takes it, oldest first.
 */
export function presence(today: readonly Passage[], venue: string): { inside: number; openExits: { at: number; persons: number }[] } {
  let inside = 0;
  const open: { at: number; persons: number }[] = [];
  for (const p of today) {
    if (p.venue !== venue) continue;
    if (p.kind === 'normal' && p.direction === 'in') inside += p.persons;
    else if (p.kind === 'reentry') {
      inside += p.persons;
      let n = p.persons;
      while (n > 0 && open.length) {
        const first = open[0]!;
        const take = Math.min(n, first.persons);
        first.persons -= take;
        n -= take;
        if (first.persons === 0) open.shift();
      }
    } else if (p.kind === 'return') inside = Math.max(0, inside - p.persons);
    else if (p.kind === 'exit') {
      const matched = Math.min(p.persons, inside);
      inside -= matched;
      if (matched > 0) open.push({ at: p.at, persons: matched });
    }
  }
  return { inside, openExits: open };
}
