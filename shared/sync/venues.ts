import { MAIN_VENUE, type TypeRules } from '../rules/model.ts';

/**
 * Venue scoping of the down-sync: a gate that serves the water park's lanes holds no ticket
 * that grants only the main gate, and the other way round. A type without a venue list grants
 * the main venue only (shared/rules/model.ts). Keys, types, lanes, modes and revocations
 * always pass: they are small, and a revocation of a ticket a gate never held is harmless.
 */
export function grantsVenue(rules: Pick<TypeRules, 'venues'> | undefined, venues: readonly string[]): boolean {
  if (!rules) return true; // a type the scope does not know yet: keep rather than lose a ticket
  return rules.venues ? rules.venues.some((v) => venues.includes(v.venue)) : venues.includes(MAIN_VENUE);
}

export interface VenueLookup {
  /** A ticket type's rules, undefined when unknown. */
  typeRules(typeId: number): Pick<TypeRules, 'venues'> | undefined;
  /** The type of a ticket, undefined when unknown. */
  ticketType(ticketId: string): number | undefined;
}

type Scoped = { kind: string; ticket?: { id: string; typeId: number }; ticketId?: string };

/** Keeps the changes a device serving `venues` can use. */
export function scopeToVenues<C extends Scoped>(changes: C[], venues: readonly string[], lookup: VenueLookup): C[] {
  const inPage = new Map<string, number>();
  for (const c of changes) if (c.kind === 'ticket' && c.ticket) inPage.set(c.ticket.id, c.ticket.typeId);
  return changes.filter((c) => {
    if (c.kind === 'ticket' && c.ticket) return grantsVenue(lookup.typeRules(c.ticket.typeId), venues);
    if ((c.kind === 'credential' || c.kind === 'face' || c.kind === 'fingerprint') && c.ticketId) {
      const typeId = inPage.get(c.ticketId) ?? lookup.ticketType(c.ticketId);
      return typeId === undefined || grantsVenue(lookup.typeRules(typeId), venues);
    }
    return true;
  });
}

/** `venues` as a query parameter: "main,water". */
export const VENUES_PARAM = /^[A-Za-z0-9_-]{1,32}(,[A-Za-z0-9_-]{1,32}){0,31}$/;

export function parseVenues(param: string | undefined): string[] | undefined {
  return param ? [...new Set(param.split(','))].sort() : undefined;
}
