/**
 * Work done in batches, one batch at a time per database handle: callers arriving while one
 * runs share the next one (it starts after they called, so it takes what they committed). At
 * 50 concurrent sales a lock the batch takes is taken by two batches at most, never by fifty
 * transactions in a row. Keyed by the handle (a WeakMap, gone with it). Used by the audit
 * chain (cloud/audit/chain.ts chainPending) and the change log (cloud/sync/changes.ts flushChanges).
 */
export function oneBatchAtATime<D extends object>(batch: (db: D) => Promise<unknown>): (db: D) => Promise<void> {
  const batches = new WeakMap<object, { running?: Promise<void>; next?: Promise<void> }>();
  return (db) => {
    let state = batches.get(db);
    if (!state) batches.set(db, (state = {}));
    const s = state;
    const run = (): Promise<void> => {
      const p = batch(db).then(() => undefined);
      const tracked: Promise<void> = p.catch(() => undefined).then(() => {
        if (s.running === tracked) s.running = undefined;
      });
      s.running = tracked;
      return p;
    };
    if (!s.running) return run();
    s.next ??= s.running.then(() => {
      s.next = undefined;
      return run();
    });
    return s.next;
  };
}

/**
 * Database handles whose transactions run one at a time: PGlite, one session inside HQ's own
 * process (cloud/db/open.ts). What the batches above are for (many sales committing at once,
 * each to queue on the chain's and the log's locks through its commit) cannot happen there, so
 * a sale chains its audit records and numbers its change-log rows inside its own transaction
 * (cloud/audit/chain.ts auditedTx, cloud/sync/changes.ts auditedSaleTx): no second
 * transaction after it, and on PGlite no second sync of the disk per sale.
 */
const oneAtATime = new WeakSet<object>();
export const markOneAtATime = (db: object): void => void oneAtATime.add(db);
export const runsOneAtATime = (db: object): boolean => oneAtATime.has(db);
