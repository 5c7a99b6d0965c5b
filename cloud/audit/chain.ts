import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/open.ts';
import { auditPending } from '../db/schema/index.ts';
import { oneBatchAtATime, runsOneAtATime } from '../db/batches.ts';
import { withBegin } from '../db/begin.ts';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** JSON with sorted keys: the same record always hashes the same (records of formula v1). */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export const GENESIS = '0'.repeat(64);

export interface AuditInput { at: number; actor: string; action: string; subject: string; body: unknown }

/**
 * Adds an action record to the chain as part of the caller's transaction (or on its own when
 * given the database). It waits in `audit_pending` and is chained at commit, with the row
 * images the triggers wrote in the same transaction, in the order they were written; a
 * record added inside a savepoint that is rolled back goes with it. The actor named here is
 * also the actor of the transaction's row images.
 */
export async function appendAudit(tx: Tx | Db, r: AuditInput): Promise<void> {
  const held = heldRecords.get(tx);
  if (held) held.push(r);
  else await tx.insert(auditPending).values(pendingRow(r));
}

/** The row of `audit_pending` an action record waits in. */
export function pendingRow(r: AuditInput): typeof auditPending.$inferInsert {
  return { at: new Date(r.at), actor: r.actor, action: r.action, subject: r.subject, body: JSON.parse(canonical(r.body)) as unknown };
}

/** Action records held back per transaction object (holdAudit); a savepoint's are never held. */
const heldRecords = new WeakMap<object, AuditInput[]>();

/**
 * From here on, appendAudit on this transaction object keeps its records in the list answered
 * instead of inserting each: the holder writes them in one statement with its own rows
 * (cloud/sync/changes.ts changesAtEnd), one round trip instead of one per record (a sale
 * wrote three). They are still committed with the transaction and chained in the order they
 * were appended; they then follow the transaction's row images in the chain instead of
 * standing between them, which verify does not read (it checks each row against its newest
 * image, and the chain's hashes). `undefined` ends the holding.
 */
export function holdAudit(tx: object, list: AuditInput[] | undefined): void {
  if (list) heldRecords.set(tx, list);
  else heldRecords.delete(tx);
}

/** The records holdAudit keeps for this transaction object now, if it does. */
export const heldAuditRecords = (tx: object): AuditInput[] | undefined => heldRecords.get(tx);

const RETRYABLE = new Set(['40P01', '40001']); // deadlock detected, serialization failure

/**
 * A transaction whose audit records are chained as soon as it has committed, before its
 * caller goes on (so before any answer is sent): its records are committed with it in
 * `audit_pending` (a sale and its records are one fact: both or neither), then
 * `audit_chain()` appends them in one batch with whatever else committed meanwhile
 * (migration 0025). Why not at commit: the chain is one sequence, so chaining at commit
 * made every audited transaction wait for the one before it through its whole commit
 * (fsync included), holding its row locks (a hot quota row) meanwhile; measured at peak this
 * was the ceiling (test/bench/peak.ts). Records a crash leaves unchained are chained by the
 * next batch (HQ chains at start, and verify and the anchor chain first).
 *
 * Postgres may still pick it as a deadlock victim (row locks taken in different orders by
 * other modules); it is then run again from the start, a few times, since it wrote nothing.
 */
export async function auditedTx<T>(db: Db, fn: (tx: Tx) => Promise<T>, afterCommit: (db: Db) => Promise<void> = chainPending): Promise<T> {
  // Where transactions run one at a time (PGlite) the records are chained at the commit, in
  // the transaction, as any other writer's are: no waiting on the chain to avoid there, and
  // one transaction (one sync of the disk) less (cloud/db/batches.ts).
  if (runsOneAtATime(db)) return db.transaction(fn);
  for (let attempt = 1; ; attempt++) {
    try {
      // The setting rides with the `begin` where the driver allows (cloud/db/begin.ts).
      const out = await withBegin(DEFER_TEXT, (sent) => db.transaction(async (tx) => {
        if (!sent()) await tx.execute(DEFER);
        return fn(tx);
      }));
      // Committed: a failed batch leaves the records waiting, and the next batch takes them.
      // `afterCommit` chains (audit_chain()) and may do more in the same round trip (cloud/sync/changes.ts auditedSaleTx).
      await afterCommit(db).catch(() => undefined);
      return out;
    } catch (err) {
      const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
      if (attempt >= 4 || !code || !RETRYABLE.has(code)) throw err;
    }
  }
}

const DEFER_TEXT = "select set_config('audit.defer', 'on', true)";
const DEFER = sql.raw(DEFER_TEXT);

/**
 * Chains every committed record waiting in audit_pending (cloud/audit/README.md), one batch at
 * a time per database handle (cloud/db/batches.ts): callers arriving while one runs share the
 * next one, so the chain's lock is taken by two batches at most, not by fifty sales in a row.
 */
export const chainPending: (db: Db) => Promise<void> = oneBatchAtATime((db: Db) => db.execute(sql`select audit_chain()`));

/**
 * Kept for callers written when records waited in memory: a savepoint's records now live in
 * the database and are rolled back with it, so there is nothing to do.
 */
export function auditSavepoint(_tx: Tx, _records: AuditInput[] = []): void {}

/** Names the person behind the row images of this transaction when no action record does. */
export async function auditActor(tx: Tx, actor: string): Promise<void> {
  await tx.execute(sql`select set_config('audit.actor', ${actor}, true)`);
}
