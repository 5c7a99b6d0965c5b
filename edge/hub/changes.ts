import { scopeToVenues } from '../../shared/sync/venues.ts';
import { changesChecksum } from '../../shared/sync/checksum.ts';
import type { ChangeBatch } from '../../shared/sync/messages.ts';
import type { HubStore } from './store.ts';

/** The batch shape HQ serves, with the changes passed through as HQ sent them. */
export type HubBatch = Omit<ChangeBatch, 'changes'> & { changes: unknown[] };

/** As HQ (cloud/sync/changes.ts): a ticket expired this long ago is left out. */
const EXPIRED_GRACE_S = 86_400;

/**
 * One page of the hub's copy of the site's change log, in HQ's shape and with HQ's `reset`
 * rules, so a gate cannot tell the hub from HQ. Undefined while the hub holds no copy yet.
 *
 * A checkpoint beyond the copy's means either that HQ rewound (restored from a backup: the
 * gate must start over, as HQ would tell it) or that the hub lags behind a gate that pulled
 * from HQ itself. Only a hub that caught up with HQ after the gate asked (`caughtUp`) can
 * tell them apart; otherwise it answers "nothing new yet" and lets the gate keep its cache.
 */
export function readHubChanges(store: HubStore, q: { since: number; limit: number; log?: string; venues?: readonly string[] }, at: { serverTime: number; caughtUp: boolean; credentialKey?: string }): HubBatch | undefined {
  const { log, checkpoint } = store.changeLog();
  if (!log) return undefined;
  const { since, limit } = q;
  const base = { log, since, serverTime: at.serverTime, ...(at.credentialKey ? { credentialKey: at.credentialKey } : {}) };
  const reset = { ...base, reset: true, next: 0, more: true, changes: [], checksum: changesChecksum([]) };
  if (q.log && q.log !== log && since > 0) return reset;
  if (since > checkpoint) return at.caughtUp ? reset : { ...base, next: since, more: false, changes: [], checksum: changesChecksum([]) };
  const rows = store.readChanges(since, limit + 1);
  const page = rows.slice(0, limit);
  const more = rows.length > limit;
  // Every stored row is at or below the checkpoint, so the last page brings a gate up to it
  // (HQ may have skipped rows of other sites or expired tickets past the last one stored).
  const next = more ? page[page.length - 1]!.seq : checkpoint;
  const horizon = at.serverTime / 1000 - EXPIRED_GRACE_S;
  let changes = page.filter((r) => r.validUntil === null || r.validUntil > horizon).map((r) => JSON.parse(r.body) as Parameters<typeof scopeToVenues>[0][number]);
  if (q.venues) changes = scopeToVenues(changes, q.venues, store.venueLookup());
  return { ...base, next, more, changes, checksum: changesChecksum(changes) };
}
