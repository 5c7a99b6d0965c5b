import type { ChangeBatch } from '../../../shared/sync/messages.ts';
import type { GateStore } from '../store.ts';
import { BatchMaker, setupChanges, ticketChanges, type World } from './fixture.ts';
import { Progress } from './stats.ts';

const DEVICE = 'bench-gate';

export interface LoadResult {
  /** Wall time: generating the change log and applying it. */
  seconds: number;
  /** Of which inside applyBatch. */
  applySeconds: number;
  changes: number;
  lastSeq: number;
}

/**
 * Fills an empty cache the way a fresh gate is: setup changes, then tickets [from, to) with
 * their credentials, pulled in batches of `batchSize` and applied by GateStore.applyBatch.
 */
export function loadTickets(store: GateStore, w: World, from: number, to: number, batchSize: number, progress?: Progress): LoadResult {
  const t0 = performance.now();
  const maker = new BatchMaker(batchSize);
  let applyMs = 0;
  let changes = 0;
  const apply = (batch: ChangeBatch | undefined) => {
    if (!batch) return;
    const t = performance.now();
    store.applyBatch(batch, DEVICE);
    applyMs += performance.now() - t;
    changes += batch.changes.length;
  };
  if (from === 0) maker.add(setupChanges(w));
  for (let i = from; i < to; i++) {
    apply(maker.add(ticketChanges(w, i)));
    if ((i & 0x3ff) === 0) progress?.update(i - from);
  }
  apply(maker.flush());
  progress?.update(to - from);
  return { seconds: (performance.now() - t0) / 1000, applySeconds: applyMs / 1000, changes, lastSeq: maker.lastSeq };
}

/**
 * Applies `count` changes (new tickets and credentials, as a day's sales) into a populated
 * cache, timing applyBatch alone: the batches are generated before the clock starts.
 */
export function applyRate(store: GateStore, w: World, firstTicket: number, count: number, batchSize: number, lastSeq: number): { rowsPerSecond: number; changes: number } {
  const maker = new BatchMaker(batchSize, lastSeq);
  const batches: ChangeBatch[] = [];
  let queued = 0;
  for (let i = firstTicket; queued < count; i++) {
    const changes = ticketChanges(w, i).slice(0, count - queued);
    queued += changes.length;
    const b = maker.add(changes);
    if (b) batches.push(b);
  }
  const last = maker.flush();
  if (last) batches.push(last);
  const t0 = performance.now();
  for (const b of batches) store.applyBatch(b, DEVICE);
  const seconds = (performance.now() - t0) / 1000;
  return { rowsPerSecond: Math.round(queued / seconds), changes: queued };
}
