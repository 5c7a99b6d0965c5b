import type { TicketFacts } from '../code/ticket-code.ts';
import type { Refusal, RefusalDetail } from './reasons.ts';

/**
 * The one rule engine: the gate decides with it, the cloud uses it to explain and audit a
 * decision. It is pure: everything it needs comes in, a verdict goes out.
 *
 * Entries are counted in person-entries: a ticket for `persons` visitors with `entries`
 * entries grants persons x entries passages, so a group may pass in parts.
 */
export interface EntryQuestion {
  facts: TicketFacts;
  /** Why the ticket was revoked, if it was. */
  revoked: string | null;
  /** Person-entries already consumed, merged from every device this gate knows of. */
  consumed: number;
  /** How many persons want to pass now; default: everyone the ticket still admits, up to `persons`. */
  persons?: number;
  now: number;
}

export type Verdict =
  | { admit: true; persons: number; remaining: number | null }
  | { admit: false; reason: Refusal; detail: RefusalDetail };

export function decideEntry(q: EntryQuestion): Verdict {
  const { facts } = q;
  if (q.revoked) return { admit: false, reason: 'revoked', detail: { revokeReason: q.revoked } };
  if (q.now < facts.validFrom * 1000) return { admit: false, reason: 'not_yet_valid', detail: { validFrom: facts.validFrom * 1000 } };
  if (q.now >= facts.validUntil * 1000) return { admit: false, reason: 'expired', detail: { validUntil: facts.validUntil * 1000 } };
  if (facts.entries === 0) {
    const persons = Math.min(q.persons ?? facts.persons, facts.persons);
    return { admit: true, persons, remaining: null };
  }
  const left = facts.persons * facts.entries - q.consumed;
  if (left <= 0) return { admit: false, reason: 'used', detail: {} };
  const persons = Math.min(q.persons ?? facts.persons, facts.persons, left);
  return { admit: true, persons, remaining: left - persons };
}
