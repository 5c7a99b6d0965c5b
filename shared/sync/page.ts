import { changesChecksum } from './checksum.ts';

/**
 * The rules of a change-log page, one implementation for HQ (cloud/sync/changes.ts) and the
 * site hub's copy (edge/hub/changes.ts), so a device cannot tell one from the other.
 */

/** A ticket (booking, face, fingerprint) that ended this long ago is of no use to a device: left out of pages. */
export const EXPIRED_GRACE_S = 86_400;

/** When a change stops mattering (unix s): tickets, bookings (end of the visit day) and faces; null for the rest. */
export function changeValidUntil(body: unknown): number | null {
  const b = body as { kind?: unknown; ticket?: { validUntil?: unknown }; booking?: { validUntil?: unknown }; validUntil?: unknown };
  if (b.kind === 'ticket' && typeof b.ticket?.validUntil === 'number') return b.ticket.validUntil;
  if (b.kind === 'booking' && typeof b.booking?.validUntil === 'number') return b.booking.validUntil;
  if ((b.kind === 'face' || b.kind === 'fingerprint') && typeof b.validUntil === 'number') return b.validUntil;
  return null;
}

export interface PageEnvelope<C> {
  log: string;
  reset?: boolean;
  since: number;
  next: number;
  more: boolean;
  serverTime: number;
  changes: C[];
  checksum: string;
}

export interface PageSource<C extends { seq: number }> {
  /** The log's identity. */
  log: string;
  serverTime: number;
  /** Up to limit + 1 changes after `since`, in order (one more than a page says whether more follow). */
  rows: C[];
  /** The checkpoint a device holds after the last page (the log's end as this server knows it). */
  end: number;
  /**
   * `since` lies beyond what this server holds: 'reset' (the log rewound: the device starts
   * over) or 'wait' (this copy lags: nothing new yet, keep the cache).
   */
  beyondEnd?: 'reset' | 'wait';
}

/**
 * One page after `since`. A checkpoint from another log, or beyond the log's end, gets
 * `reset`: the device drops its cache and pulls from 0. Changes that ended are skipped (the
 * checkpoint still moves past them); `scope` keeps what the asking device can use.
 */
export function changePage<C extends { seq: number }>(
  q: { since: number; limit: number; log?: string },
  src: PageSource<C>,
  scope: (changes: C[]) => C[] = (c) => c,
): PageEnvelope<C> {
  const { since, limit } = q;
  const base = { log: src.log, since, serverTime: src.serverTime };
  const reset = { ...base, reset: true, next: 0, more: true, changes: [], checksum: changesChecksum([]) };
  if (q.log && q.log !== src.log && since > 0) return reset;
  if (src.beyondEnd === 'reset') return reset;
  if (src.beyondEnd === 'wait') return { ...base, next: since, more: false, changes: [], checksum: changesChecksum([]) };
  const page = src.rows.slice(0, limit);
  const more = src.rows.length > limit;
  const next = more ? page[page.length - 1]!.seq : Math.max(since, src.end);
  const horizon = src.serverTime / 1000 - EXPIRED_GRACE_S;
  const changes = scope(page.filter((c) => {
    const until = changeValidUntil(c);
    return until === null || until > horizon;
  }));
  return { ...base, next, more, changes, checksum: changesChecksum(changes) };
}
