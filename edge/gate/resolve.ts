import { readTicketCode, type TicketFacts } from '../../shared/code/ticket-code.ts';
import { classifyText, credentialLookup, normaliseCredential, type CacheCredential, type Credential, type CredentialKind } from '../../shared/rules/credential.ts';
import { grantAt, type EntryQuestion } from '../../shared/rules/decide.ts';
import type { LaneRules, Mode } from '../../shared/rules/model.ts';
import { pickTicket, type Pick } from '../../shared/rules/pick.ts';
import type { Refusal } from '../../shared/rules/reasons.ts';
import { addDays, businessDay, startOfBusinessDay } from '../../shared/time/zone.ts';
import type { GateStore } from './store.ts';

/** What a presented credential stands for: tickets, or why none. */
export type Resolved = { tickets: TicketFacts[]; credential: CredentialKind } | { refusal: Refusal; credential?: CredentialKind };

export interface DecideOptions {
  lane: LaneRules;
  direction: 'in' | 'out';
  mode: Mode;
  persons?: number;
  now: number;
}

/**
 * Resolve and decide, the hot path of every presentation: a signed code is its own ticket
 * (no sync needed); a barcode, card UID or ID number is looked up in the cache, where it may
 * stand for several tickets, and the shared pick order (shared/rules/pick.ts) chooses. Reads
 * only; recording is the caller's.
 */
export class Decider {
  private day = { start: 0, end: 0 };

  constructor(private readonly store: GateStore, private readonly tz: string) {}

  resolve(input: string | Credential): Resolved {
    if (typeof input === 'string') {
      const code = readTicketCode(input, this.store.keyring);
      if (code.ok) {
        // A site hub's key is trusted for what HQ delegated it: codes ending by its limit.
        const limit = this.store.keyLimit(code.facts.keyId);
        if (limit !== undefined && code.facts.validUntil > limit) return { refusal: 'unknown_key', credential: 'code' };
        return { tickets: [code.facts], credential: 'code' };
      }
      if (code.reason !== 'malformed') return { refusal: code.reason, credential: 'code' };
      const c = classifyText(input);
      if (!c || c.kind === 'code') return { refusal: 'malformed' };
      input = c;
    }
    // Readers are drivers, and drivers have bugs: check the shape before trusting it.
    if (typeof input !== 'object' || input === null || typeof input.value !== 'string' || input.value.length > 64) return { refusal: 'malformed' };
    if (input.kind === 'code') return this.resolve(input.value);
    if (input.kind !== 'barcode' && input.kind !== 'card' && input.kind !== 'idcard') return { refusal: 'malformed' };
    let ids = this.lookup(input.kind, input.value);
    // A card UID of digits only reads like a barcode when typed: try cards too.
    if (ids.length === 0 && input.kind === 'barcode') ids = this.lookup('card', input.value);
    const tickets = ids.map((id) => this.store.ticket(id)).filter((t): t is TicketFacts => t !== undefined);
    return tickets.length ? { tickets, credential: input.kind } : { refusal: 'unknown', credential: input.kind };
  }

  /** Card UIDs and ID numbers are cached as keyed hashes: hash what was read the same way. */
  private lookup(kind: CacheCredential, raw: string): string[] {
    if (kind === 'barcode') return this.store.ticketsByCredential(kind, normaliseCredential(kind, raw));
    const key = this.store.credentialKey();
    return key ? this.store.ticketsByCredential(kind, credentialLookup(key, kind, raw)) : [];
  }

  /** The verdict for a credential standing for `tickets` (at least one), and which ticket it is for. */
  decide(tickets: readonly TicketFacts[], o: DecideOptions): Pick {
    return pickTicket(tickets.map((facts) => this.question(facts, o)));
  }

  private question(facts: TicketFacts, o: DecideOptions): EntryQuestion {
    const { store } = this;
    const type = store.typeRules(facts.typeId);
    // Consumption matters only where entries are counted; otherwise today's passages are enough.
    const counted = grantAt(facts, type, o.lane.venue) !== 0 || type?.venues !== undefined;
    const history = store.history(facts.ticketId, counted ? undefined : this.dayStart(o.now));
    const venue = store.venue(o.lane.venue);
    // The cache's slot (HQ may have moved the booking) else the one signed into the code.
    const slot = store.slot(facts.ticketId) ?? facts.slot;
    return {
      facts, type, lane: o.lane, direction: o.direction, mode: o.mode, revoked: store.revokedReason(facts.ticketId), history,
      persons: o.persons, now: o.now, tz: this.tz, siteLanes: store.lanes,
      ...(slot ? { slot } : {}),
      ...(venue ? { venue } : {}),
      // Counted only where a capacity is set: from every passage this gate holds, stale while it does not hear its site.
      ...(venue?.capacity !== undefined ? { inPark: { count: store.inPark(o.lane.venue, this.dayStart(o.now)), stale: !store.siteConnected() } } : {}),
    };
  }

  private dayStart(now: number): number {
    if (now < this.day.start || now >= this.day.end) {
      const day = businessDay(now, this.tz);
      this.day = { start: startOfBusinessDay(day, this.tz), end: startOfBusinessDay(addDays(day, 1), this.tz) };
    }
    return this.day.start;
  }
}
