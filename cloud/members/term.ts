import { addDays } from '../../shared/time/zone.ts';

export const CARD_KINDS = ['annual', 'season', 'month', 'count', 'resident', 'staff'] as const;
export type CardKind = (typeof CARD_KINDS)[number];

/** How long one purchase of a card runs, in calendar months. */
export const TERM_MONTHS: Record<CardKind, number> = { annual: 12, season: 3, month: 1, count: 12, resident: 12, staff: 12 };

/** The same day `months` later; a day the month lacks becomes its last day (Jan 31 + 1 = Feb 28/29). */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** Last valid day of a term that starts on `day`: a year from 2026-11-25 runs to 2027-11-24. */
export function termFrom(day: string, kind: CardKind): string {
  return addDays(addMonths(day, TERM_MONTHS[kind]), -1);
}

/**
 * The renewal rule: a card not yet expired on `today` gains a term on top of its current
 * expiry; an expired one runs a term from `today`.
 */
export function renewedExpiry(expiresOn: string, today: string, kind: CardKind): string {
  return expiresOn >= today ? addMonths(expiresOn, TERM_MONTHS[kind]) : termFrom(today, kind);
}
