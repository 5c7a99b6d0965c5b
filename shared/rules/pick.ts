import { businessDay, startOfBusinessDay } from '../time/zone.ts';
import { decideEntry, type EntryQuestion, type Verdict } from './decide.ts';

/**
 * A credential may stand for several tickets at once: an ID card holding tickets for several
 * days, for two venues, or a day ticket beside an annual card; a card UID re-bound after a
 * refund. The gate (and HQ's explain) asks the rule engine about each, in this order, and
 * takes the first that admits now; when none does, the first one's refusal is the answer:
 *
 *  1. tickets valid now, then tickets valid later (the visitor came early), then the rest
 *     (expired or revoked);
 *  2. a ticket already used today at the lane's venue (its holder is inside, or went out and
 *     may come back) before a fresh one, so a visit goes on on the ticket it began with;
 *  3. the ticket that ends first: a day ticket before an annual card, so nothing that would
 *     lapse is left unused;
 *  4. the older ticket (ids are time-ordered UUIDv7), so the order never depends on chance.
 */
export function orderCandidates(questions: readonly EntryQuestion[]): EntryQuestion[] {
  const keyed = questions.map((q) => {
    const from = q.facts.validFrom * 1000;
    const until = q.facts.validUntil * 1000;
    const when = q.revoked ? 2 : q.now >= from && q.now < until ? 0 : q.now < from ? 1 : 2;
    const dayStart = startOfBusinessDay(businessDay(q.now, q.tz), q.tz);
    const usedToday = q.history.some((p) => p.venue === q.lane.venue && p.at >= dayStart && p.at <= q.now) ? 0 : 1;
    return { q, key: [when, usedToday, q.facts.validUntil] as const };
  });
  keyed.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2]
    || (a.q.facts.ticketId < b.q.facts.ticketId ? -1 : a.q.facts.ticketId > b.q.facts.ticketId ? 1 : 0));
  return keyed.map((k) => k.q);
}

export interface Pick {
  /** The ticket the verdict is for (the one admitted, or the first refused). */
  chosen: EntryQuestion;
  verdict: Verdict;
  /** How many tickets the credential stood for. */
  among: number;
}

/** The decision for a credential that stands for `questions` (at least one). */
export function pickTicket(questions: readonly EntryQuestion[]): Pick {
  if (questions.length === 0) throw new RangeError('pickTicket needs at least one ticket');
  if (questions.length === 1) return { chosen: questions[0]!, verdict: decideEntry(questions[0]!), among: 1 };
  const ordered = orderCandidates(questions);
  let first: { chosen: EntryQuestion; verdict: Verdict } | undefined;
  for (const q of ordered) {
    const verdict = decideEntry(q);
    if (verdict.admit) return { chosen: q, verdict, among: questions.length };
    first ??= { chosen: q, verdict };
  }
  return { ...first!, among: questions.length };
}
