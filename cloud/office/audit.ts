import { createHash } from 'node:crypto';
import { asc, desc, sql } from 'drizzle-orm';
import type { Db } from '../db/open.ts';
import { auditLog, payments, refunds, shifts } from '../db/schema/index.ts';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** JSON with sorted keys: the same record always hashes the same. */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const GENESIS = '0'.repeat(64);
const recordHash = (prev: string, r: { seq: number; at: Date; actor: string; action: string; subject: string; body: unknown }) =>
  sha256(prev + canonical({ seq: r.seq, at: r.at.toISOString(), actor: r.actor, action: r.action, subject: r.subject, body: r.body }));

type AuditInput = { at: number; actor: string; action: string; subject: string; body: unknown };
const pending = new WeakMap<object, AuditInput[]>();

/**
 * Adds a record to the chain as part of the caller's transaction. Records are written when
 * the transaction ends (auditedTx), after every row lock it takes: the chain's lock is then
 * always the last one taken, so two financial transactions can never wait on each other
 * through it. A record added inside a savepoint that is rolled back is dropped with it.
 */
export async function appendAudit(tx: Tx, r: AuditInput): Promise<void> {
  const list = pending.get(tx);
  if (list) list.push(r);
  else await writeAudit(tx, [r]); // a transaction not opened by auditedTx: written at once
}

const RETRYABLE = new Set(['40P01', '40001']); // deadlock detected, serialization failure

/**
 * A transaction whose audit records are chained at its end. Postgres may still pick it as a
 * deadlock victim (row locks taken in different orders by other modules); it is then run
 * again from the start, a few times, since it wrote nothing.
 */
export async function auditedTx<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        pending.set(tx, []);
        const out = await fn(tx);
        const list = pending.get(tx)!;
        if (list.length) await writeAudit(tx, list);
        return out;
      });
    } catch (err) {
      const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
      if (attempt >= 4 || !code || !RETRYABLE.has(code)) throw err;
    }
  }
}

/** Savepoints inside an audited transaction get their own list, dropped when rolled back. */
export function auditSavepoint(tx: Tx, records: AuditInput[] = []): void {
  pending.set(tx, records);
}

async function writeAudit(tx: Tx, list: AuditInput[]): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(7302)`);
  const [last] = await tx.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
  let seq = last?.seq ?? 0;
  let prev = last?.hash ?? GENESIS;
  const rows = list.map((r) => {
    seq += 1;
    const rec = { seq, at: new Date(r.at), actor: r.actor, action: r.action, subject: r.subject, body: JSON.parse(canonical(r.body)) as unknown };
    const hash = recordHash(prev, rec);
    const row = { ...rec, prevHash: prev, hash };
    prev = hash;
    return row;
  });
  await tx.insert(auditLog).values(rows);
}

/** What the audit log holds of a payment row: every column. */
export function paymentRecord(p: typeof payments.$inferSelect) {
  return {
    id: p.id, orderId: p.orderId, shiftId: p.shiftId, userId: p.userId, method: p.method, amountFen: p.amountFen,
    tenderedFen: p.tenderedFen, changeFen: p.changeFen, reference: p.reference, refundId: p.refundId, createdAt: p.createdAt.toISOString(),
  };
}
export function refundRecord(r: typeof refunds.$inferSelect) {
  return { id: r.id, orderId: r.orderId, userId: r.userId, shiftId: r.shiftId, amountFen: r.amountFen, reason: r.reason, ticketIds: r.ticketIds, createdAt: r.createdAt.toISOString() };
}

export interface AuditProblem { seq?: number; subject?: string; problem: string }
export interface AuditVerdict { ok: boolean; records: number; head: string; problems: AuditProblem[] }

/**
 * Walks the chain from the first record, then checks every payment, refund and sealed shift
 * against its record: an edited, removed or inserted row of either shows up here.
 */
export async function verifyAudit(db: Db): Promise<AuditVerdict> {
  const problems: AuditProblem[] = [];
  const rows = await db.select().from(auditLog).orderBy(asc(auditLog.seq));
  let prev = GENESIS;
  let expect = 1;
  const bySubject = new Map<string, unknown>();
  for (const r of rows) {
    if (r.seq !== expect) problems.push({ seq: r.seq, problem: `record ${expect}${r.seq - 1 > expect ? `-${r.seq - 1}` : ''} missing` });
    if (r.prevHash !== prev) problems.push({ seq: r.seq, problem: 'does not link to the record before it' });
    if (recordHash(r.prevHash, r) !== r.hash) problems.push({ seq: r.seq, problem: 'record was changed after it was written' });
    prev = r.hash;
    expect = r.seq + 1;
    bySubject.set(`${r.action}:${r.subject}`, r.body);
  }
  const check = (action: string, id: string, record: unknown) => {
    const logged = bySubject.get(`${action}:${id}`);
    if (logged === undefined) problems.push({ subject: id, problem: `${action} ${id} has no audit record` });
    else if (canonical(logged) !== canonical(record)) problems.push({ subject: id, problem: `${action} ${id} differs from its audit record` });
    bySubject.delete(`${action}:${id}`);
  };
  for (const p of await db.select().from(payments)) check('payment', p.id, paymentRecord(p));
  for (const r of await db.select().from(refunds)) check('refund', r.id, refundRecord(r));
  for (const s of await db.select().from(shifts)) {
    if (!s.closedAt) continue;
    const hash = sha256(canonical(s.report));
    if (hash !== s.reportHash) problems.push({ subject: s.id, problem: `shift ${s.id}: sealed report was changed` });
    check('shift.close', s.id, { shiftId: s.id, reportHash: s.reportHash });
  }
  for (const [key] of bySubject) {
    const [action, id] = key.split(/:(.*)/s) as [string, string];
    if (action === 'payment' || action === 'refund') problems.push({ subject: id, problem: `${action} ${id} is in the audit log but gone from its table` });
  }
  return { ok: problems.length === 0, records: rows.length, head: prev, problems };
}
