import { scopeToVenues } from '../../shared/sync/venues.ts';
import { changePage } from '../../shared/sync/page.ts';
import type { ChangeBatch } from '../../shared/sync/messages.ts';
import type { HubStore } from './store.ts';

/** The batch shape HQ serves, with the changes passed through as HQ sent them. */
export type HubBatch = Omit<ChangeBatch, 'changes'> & { changes: unknown[] };

/**
 * One page of the hub's copy of the site's change log, by HQ's own page rules
 * (shared/sync/page.ts), so a gate cannot tell the hub from HQ. Undefined while the hub holds
 * no copy yet.
 *
 * A checkpoint beyond the copy's means either that HQ rewound (restored from a backup: the
 * gate must start over, as HQ would tell it) or that the hub lags behind a gate that pulled
 * from HQ itself. Only a hub that caught up with HQ after the gate asked (`caughtUp`) can
 * tell them apart; otherwise it answers "nothing new yet" and lets the gate keep its cache.
 */
export function readHubChanges(store: HubStore, q: { since: number; limit: number; log?: string; venues?: readonly string[]; skipKinds?: readonly string[] }, at: { serverTime: number; caughtUp: boolean; credentialKey?: string; refunded?: () => string[] }): HubBatch | undefined {
  const { log, checkpoint } = store.changeLog();
  if (!log) return undefined;
  type Body = Parameters<typeof scopeToVenues>[0][number] & { seq: number };
  const beyond = q.since > checkpoint;
  // Every stored row is at or below the checkpoint, so the last page brings a gate up to it
  // (HQ may have skipped rows of other sites or expired tickets past the last one stored).
  const rows = beyond ? [] : store.readChanges(q.since, q.limit + 1).map((r) => JSON.parse(r.body) as Body);
  const page = changePage(q, { log, serverTime: at.serverTime, rows, end: checkpoint, beyondEnd: beyond ? (at.caughtUp ? 'reset' : 'wait') : undefined },
    (changes) => {
      const kept = q.skipKinds ? changes.filter((c) => !q.skipKinds!.includes(c.kind)) : changes;
      return q.venues ? scopeToVenues(kept, q.venues, store.venueLookup()) : kept;
    });
  const local = page.more || page.reset ? [] : localRevocations(store, at.refunded?.() ?? []);
  return { ...page, ...(at.credentialKey ? { credentialKey: at.credentialKey } : {}), ...(local.length ? { local } : {}) } as HubBatch;
}

/**
 * Tickets the hub's windows refunded that HQ's log does not revoke yet (the refund waits for
 * the line): the last page of every pull carries them as `local` revocations (outside HQ's
 * numbering, applied by ticket id any number of times), so the site's gates refuse them at
 * once. HQ's own revocation takes their place once it is in the copy.
 */
function localRevocations(store: HubStore, refunded: string[]): { kind: 'revoke'; ticketId: string; reason: string }[] {
  if (refunded.length === 0) return [];
  const known = store.revokedTickets(refunded);
  return refunded.filter((id) => !known.has(id)).map((ticketId) => ({ kind: 'revoke' as const, ticketId, reason: 'refunded' }));
}
