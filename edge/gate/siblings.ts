import { checkEntry, ENTRY_LIMITS, type EntryRefusal } from '../../shared/auth/entries.ts';
import type { Logger } from '../../shared/log/logger.ts';
import type { EntryRecord } from '../../shared/sync/messages.ts';
import type { GateStore } from './store.ts';

/**
 * Entries a sibling gate uploaded, heard on the site's broker. They count here only after
 * the check HQ makes (shared/auth/entries.ts): from a gate HQ provisioned, for its own
 * lanes, near this gate's clock (corrected to HQ's). A credential that speaks for another
 * gate's lane cannot use up a ticket here either.
 */
export class Siblings {
  /** Entries refused, since start, for the lane status. */
  refused = 0;
  lastRefusal: { device: string; reason: EntryRefusal } | undefined;

  constructor(private readonly o: { store: GateStore; self: string; now: () => number; log: Logger }) {}

  heard(device: string, entries: readonly EntryRecord[]): number {
    const { store, log } = this.o;
    if (device === this.o.self) return 0;
    const now = this.o.now() + Number(store.meta('clock_offset') ?? 0);
    const sender = store.device(device);
    const good: EntryRecord[] = [];
    for (const e of entries) {
      const why = checkEntry(e, sender, (l) => store.lane(l), now, ENTRY_LIMITS);
      if (!why) good.push(e);
      else {
        this.refused++;
        this.lastRefusal = { device, reason: why };
        log.warn({ device, lane: e.lane, ticket: e.ticketId, reason: why }, 'sibling entry refused');
      }
    }
    return good.length ? store.addSiblingEntries(device, good) : 0;
  }
}
