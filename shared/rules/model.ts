import { z } from 'zod';

/**
 * What the rule engine reasons about, beside the ticket's own facts: the rules of its ticket
 * type, the rules of the lane it is presented at, and its recent history. These travel from
 * HQ to devices in the change log, so each has a zod schema.
 */
export const KINDS = ['visitor', 'member', 'staff', 'guide'] as const;
export type Kind = (typeof KINDS)[number];
export const MAIN_VENUE = 'main';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM');
const weekdays = z.array(z.number().int().min(1).max(7)).min(1).max(7);
const venue = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);

export const typeRules = z.object({
  kind: z.enum(KINDS).default('visitor'),
  /** ISO weekdays (1 = Monday .. 7 = Sunday) on which the ticket admits; absent = every day. */
  weekdays: weekdays.optional(),
  /** Daily release times, site-local: entry only from..to (e.g. 08:00-17:30). */
  entryWindow: z.object({ from: hhmm, to: hhmm }).optional(),
  /** At most this many entries per person per business day. */
  perDay: z.number().int().min(1).max(1000).optional(),
  /** Re-entry (二次入园): after an exit, the same day, within this many minutes, without using an entry. */
  reentry: z.object({ windowMinutes: z.number().int().min(1).max(1440) }).optional(),
  /** Package (套票): venues granted, each with its own entry count per person (0 = unlimited). Absent: the main venue, with the ticket's entries. */
  venues: z.array(z.object({ venue, entries: z.number().int().min(0).max(10_000) })).min(1).max(32).optional(),
  /** A face check must follow (real-name / ID card tickets). */
  faceRequired: z.boolean().default(false),
  /** The face must be seen live (several frames, moving like a face, not a photo held up): for entry by face alone. */
  livenessRequired: z.boolean().optional(),
});
export type TypeRules = z.infer<typeof typeRules>;

export const laneRules = z.object({
  lane: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** Name shown to visitors when the gate suggests this lane. */
  label: z.string().max(32).optional(),
  venue: venue.default(MAIN_VENUE),
  /** Readers of this lane: entry, exit or both. */
  directions: z.array(z.enum(['in', 'out'])).min(1).default(['in']),
  /** Ticket type ids admitted; absent = all. */
  types: z.array(z.number().int().nonnegative()).optional(),
  /** Ticket kinds admitted; absent = all. */
  kinds: z.array(z.enum(KINDS)).optional(),
  /** When the lane admits, site-local; absent = always. */
  windows: z.array(z.object({ from: hhmm, to: hhmm, weekdays: weekdays.optional() })).optional(),
  /** Wider lane for wheelchairs and prams: the leaves stay open longer. */
  accessible: z.boolean().default(false),
  /**
   * Anti-passback: once a ticket has admitted all its persons into the lane's venue, it admits
   * nobody there again, at this lane or any other, for this many seconds (every ticket kind).
   */
  antiPassbackSeconds: z.number().int().min(0).max(86_400).default(0),
});
export type LaneRules = z.infer<typeof laneRules>;

/**
 * A venue's carrying capacity and time-slot rules (Tourism Law art. 45, LB/T 034-2014): the
 * instantaneous capacity gates keep the in-park count under, the warning level, who is let in
 * when full, and how early or late a visitor may come for a booked time slot (分时预约).
 */
export const venueRules = z.object({
  venue,
  /** Persons inside at once (最大瞬时承载量); absent = gates do not count. */
  capacity: z.number().int().min(1).max(10_000_000).optional(),
  /** Gates' displays and the dashboard warn from this share of capacity on. */
  warnPercent: z.number().int().min(1).max(100).default(80),
  /** Ticket kinds admitted even when full (members, staff), if the site so decides. */
  exemptKinds: z.array(z.enum(KINDS)).max(4).default([]),
  /** A visitor may come this many minutes before the slot begins... */
  slotEarlyMinutes: z.number().int().min(0).max(720).default(30),
  /** ...and this many after it ends. */
  slotLateMinutes: z.number().int().min(0).max(720).default(30),
});
export type VenueRules = z.infer<typeof venueRules>;
export type VenueRulesInput = z.input<typeof venueRules>;

/** A booked time slot, site-local on the ticket's visit day. */
export const timeSlot = z.object({ from: hhmm, to: hhmm });
export type TimeSlot = z.infer<typeof timeSlot>;
export type LaneRulesInput = z.input<typeof laneRules>;

/**
 * How a passage is logged. normal and reentry admit (normal uses an entry); exit lets out
 * persons who came in; exit_unmatched lets out someone with no entry on record that day (it
 * grants nothing: no re-entry follows from it); return gives back passages nobody used;
 * emergency is a free passage while the gates stand open.
 */
export const ENTRY_KINDS = ['normal', 'reentry', 'exit', 'return', 'emergency', 'exit_unmatched'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** One passage in a ticket's history, as the engine sees it. */
export interface Passage {
  /** HQ-corrected time, UTC ms. */
  at: number;
  lane: string;
  venue: string;
  direction: 'in' | 'out';
  kind: EntryKind;
  persons: number;
}

export const MODES = ['normal', 'closed', 'emergency'] as const;
export type Mode = (typeof MODES)[number];

/** What a ticket's signed code carries (shared/code/ticket-code.ts), and what the engine decides on. */
export interface TicketFacts {
  ticketId: string;
  typeId: number;
  /** UTC seconds since 1970, inclusive. */
  validFrom: number;
  /** UTC seconds since 1970, exclusive. */
  validUntil: number;
  persons: number;
  /** 0 means unlimited within validity. */
  entries: number;
}

export interface SignedFacts extends TicketFacts {
  keyId: string;
}

/** Credentials resolved through the synced cache (shared/rules/credential.ts hashes them). */
export const CACHE_CREDENTIALS = ['barcode', 'card', 'idcard'] as const;
