import { randomUUID } from 'node:crypto';
import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { Change, ChangeBatch, ChangeBody } from '../../shared/sync/messages.ts';
import type { Db } from '../db/open.ts';
import { auditPending, changePending, changes, syncMeta, tickets, ticketTypes as ticketTypesTable } from '../db/schema/index.ts';
import type { TypeRules } from '../../shared/rules/model.ts';
import type { CacheCredential } from '../../shared/rules/credential.ts';
import { scopeToVenues, type VenueLookup } from '../../shared/sync/venues.ts';
import { changePage } from '../../shared/sync/page.ts';
import { oneBatchAtATime, runsOneAtATime } from '../db/batches.ts';
import { heldWrites, holdWrites, sendTogether } from '../db/at-end.ts';
import { commitWithNext } from '../db/begin.ts';
import { auditedTx, heldAuditRecords, holdAudit, pendingRow, type AuditInput } from '../audit/chain.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Appends to the down-sync change log inside the caller's transaction. The rule that keeps a
 * device reading since=N from skipping a change that commits late: a row enters `changes`
 * (gets its number) only under the advisory lock 7301, held to the commit, so numbers become
 * visible in order. Sales (changesAtEnd) do not take the lock: they write to `change_pending`
 * and their rows are numbered after their commit, in batches (flushChanges). A writer here
 * numbers what sales committed before it first, so a change it makes to what a sale wrote
 * (a refund's revoke of a ticket just sold) comes after the sale's in the log.
 */
export async function appendChanges(tx: Tx | Db, site: string, bodies: ChangeBody[]): Promise<number[]> {
  if (bodies.length === 0) return [];
  const held = atEnd.get(tx);
  if (held) {
    held.push(...bodies.map((body) => ({ site, body })));
    return [];
  }
  await tx.execute(sql`select pg_advisory_xact_lock(7301), changes_flush()`);
  const rows = await tx.insert(changes).values(bodies.map((b) => ({ site, kind: b.kind, body: b }))).returning({ seq: changes.seq });
  return rows.map((r) => r.seq);
}

/** Changes held back by changesAtEnd, per transaction object (a savepoint's appends are not held). */
const atEnd = new WeakMap<object, { site: string; body: ChangeBody }[]>();

/**
 * Runs `fn` with its transaction's change-log appends held back and written as its last
 * statement, to `change_pending`, without the log's lock: a sale's commit (its fsync) no
 * longer waits for the sale before it to commit (measured at peak: the lock, held by each sale
 * in turn through its commit, serialised every commit; test/bench/peak.ts). The rows get their
 * numbers once committed, by flushChanges, which the caller runs after the commit and before
 * it answers (a device may then see the sale). Same rows, same order; appendChanges answers no
 * sequence numbers meanwhile, so a writer that needs them (a mode's version) is not run
 * inside this.
 */
export async function changesAtEnd<T>(tx: Tx, fn: () => Promise<T>, opts: { last?: boolean; number?: boolean } = {}): Promise<T> {
  const held: { site: string; body: ChangeBody }[] = [];
  // The transaction's audit action records are held too, and written in the same statement
  // (cloud/audit/chain.ts holdAudit): a sale's three records and its change-log rows were
  // four round trips, now one.
  const records: AuditInput[] = [];
  // So are writes whose result nothing reads (cloud/db/at-end.ts writeAtEnd): the booking's
  // and the slot's updates of a payment.
  const writes: SQL[] = [];
  atEnd.set(tx, held);
  holdAudit(tx, records);
  holdWrites(tx, writes);
  let out: T;
  try {
    out = await fn();
  } finally {
    atEnd.delete(tx);
    holdAudit(tx, undefined);
    holdWrites(tx, undefined);
  }
  // The transaction's last statement when the caller says so (auditedSaleTx): its commit goes with it (cloud/db/begin.ts).
  if (opts.last) await commitWithNext(tx, () => writeHeldChanges(tx, held, records, writes));
  else await writeHeldChanges(tx, held, records, writes);
  // Numbered in the transaction where transactions run one at a time (auditedSaleTx).
  if (opts.number) await tx.execute(sql`select changes_flush()`);
  return out;
}

/**
 * Writes what changesAtEnd has held so far now, before the sale takes the rows every sale
 * queues on (its places): those are then held through fewer round trips to the commit. Later
 * appends are held again and written at the end, after these (the same order). Held writes,
 * audit records and change-log rows go in one statement (cloud/db/at-end.ts sendTogether).
 */
export async function writeHeldChanges(tx: Tx, held = atEnd.get(tx), records = heldAuditRecords(tx), writes = heldWrites(tx)): Promise<void> {
  const rows = held?.splice(0) ?? [];
  const recs = records?.splice(0) ?? [];
  await sendTogether(tx, [
    ...(writes?.splice(0) ?? []),
    ...(recs.length ? [tx.insert(auditPending).values(recs.map(pendingRow)).getSQL()] : []),
    ...(rows.length ? [tx.insert(changePending).values(rows.map((h) => ({ site: h.site, kind: h.body.kind, body: h.body }))).getSQL()] : []),
  ]);
}

/**
 * An audited transaction (cloud/audit/chain.ts auditedTx) of a sale: `fn` runs under
 * changesAtEnd, and after the commit one statement numbers its change-log rows and chains its
 * audit records (changes_flush() then audit_chain(), the order the locks 7301 and 7302 are
 * taken everywhere) where two ran before: one round trip less per sale. The held writes are
 * the transaction's last statement, and carry its commit on a Postgres server (another).
 */
export async function auditedSaleTx<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  // Where transactions run one at a time (PGlite) the rows are numbered in the sale's own
  // transaction and its records chained at its commit: nothing to do after (cloud/db/batches.ts).
  const number = runsOneAtATime(db);
  return auditedTx(db, (tx) => changesAtEnd(tx, () => fn(tx), { last: !number, number }), flushAndChain);
}

/** flushChanges and chainPending in one statement, one batch at a time (cloud/db/batches.ts). */
const flushAndChain: (db: Db) => Promise<void> = oneBatchAtATime((db: Db) => db.execute(sql`select changes_flush(), audit_chain()`));

/**
 * Numbers every committed row waiting in change_pending (changes_flush(), migration 0032):
 * a writer that used changesAtEnd runs it once its transaction has committed, before it
 * answers. A failed or missed batch leaves the rows waiting; the next batch (any writer's,
 * or a device's read) takes them.
 * One batch at a time per database handle (cloud/db/batches.ts): callers arriving while one
 * runs share the next one, so the log's lock is taken by two batches at most, not by fifty
 * commits in a row.
 */
export const flushChanges: (db: Db) => Promise<void> = oneBatchAtATime((db: Db) => db.execute(sql`select changes_flush()`));

/** The change log's identity, made once per database. */
export async function changeLogId(db: Db): Promise<string> {
  await db.insert(syncMeta).values({ key: 'log', value: randomUUID() }).onConflictDoNothing();
  const [row] = await db.select().from(syncMeta).where(eq(syncMeta.key, 'log'));
  return row!.value;
}

/**
 * One page of a site's change log after `since`, by the page rules HQ and the hub share
 * (shared/sync/page.ts): expired tickets skipped, `reset` for a checkpoint from another log
 * or beyond this log's end (HQ was restored from an older backup).
 */
export async function readChanges(db: Db, opts: {
  site: string; since: number; limit: number; log?: string; now: number; logId: string; venues?: readonly string[]; skipKinds?: readonly string[];
  /** How credential values leave HQ (shared/rules/credential.ts keyedCredential); absent: as stored. */
  seal?: (kind: CacheCredential, value: string) => string;
}): Promise<ChangeBatch> {
  const { site, since, limit, now } = opts;
  const src = { log: opts.logId, serverTime: now };
  if (opts.log && opts.log !== opts.logId && since > 0) return changePage(opts, { ...src, rows: [], end: since }) as ChangeBatch;
  // Sales' rows a crash left unnumbered (committed, not yet flushed) are numbered before the
  // read (nothing to do, one cheap statement, when none wait; a failed batch leaves them for the next).
  await flushChanges(db).catch(() => undefined);
  const rows = (await db.select().from(changes)
    .where(and(gt(changes.seq, since), inArray(changes.site, [site, '*'])))
    .orderBy(asc(changes.seq)).limit(limit + 1))
    .map((r) => ({ ...(r.body as ChangeBody), seq: r.seq }) as Change);
  let beyondEnd: 'reset' | undefined;
  if (rows.length === 0 && since > 0) {
    const [{ max }] = (await db.select({ max: sql<number>`coalesce(max(${changes.seq}), 0)::int` }).from(changes)) as [{ max: number }];
    if (since > max) beyondEnd = 'reset';
  }
  const lookup = opts.venues ? await hqVenueLookup(db, rows) : undefined;
  const seal = opts.seal;
  const skip = opts.skipKinds ?? [];
  return changePage(opts, { ...src, rows, end: rows.at(limit - 1)?.seq ?? rows.at(-1)?.seq ?? since, beyondEnd }, (page) => {
    let out = lookup ? scopeToVenues(page, opts.venues!, lookup) : page;
    if (skip.length) out = out.filter((c) => !skip.includes(c.kind));
    if (seal) out = out.map((c) => (c.kind === 'credential' || c.kind === 'unbind' ? { ...c, value: seal(c.credential, c.value) } : c));
    return out;
  }) as ChangeBatch;
}

/** What venue scoping (shared/sync/venues.ts) needs to know of a page, from HQ's own tables. */
async function hqVenueLookup(db: Db, page: Change[]): Promise<VenueLookup> {
  const ticketIds = page.flatMap((c) => (c.kind === 'credential' || c.kind === 'face' || c.kind === 'fingerprint' ? [c.ticketId] : []));
  const ticketTypes = new Map<string, number>();
  if (ticketIds.length) {
    for (const t of await db.select({ id: tickets.id, typeId: tickets.typeId }).from(tickets).where(inArray(tickets.id, ticketIds))) ticketTypes.set(t.id, t.typeId);
  }
  const typeIds = [...new Set([...page.flatMap((c) => (c.kind === 'ticket' ? [c.ticket.typeId] : [])), ...ticketTypes.values()])];
  const rules = new Map<number, TypeRules>();
  if (typeIds.length) {
    for (const t of await db.select({ id: ticketTypesTable.id, rules: ticketTypesTable.rules }).from(ticketTypesTable).where(inArray(ticketTypesTable.id, typeIds))) rules.set(t.id, t.rules);
  }
  return { typeRules: (id) => rules.get(id), ticketType: (id) => ticketTypes.get(id) };
}
