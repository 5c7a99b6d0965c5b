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

/**
 * Appends one record to the chain inside the caller's transaction. The advisory lock holds
 * other appenders until commit, so every record links to the one committed before it.
 */
export async function appendAudit(tx: Tx, r: { at: number; actor: string; action: string; subject: string; body: unknown }): Promise<number> {
  await tx.execute(sql`select pg_advisory_xact_lock(7302)`);
  const [last] = await tx.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
  const seq = (last?.seq ?? 0) + 1;
  const body = JSON.parse(canonical(r.body)) as unknown;
  const rec = { seq, at: new Date(r.at), actor: r.actor, action: r.action, subject: r.subject, body };
  await tx.insert(auditLog).values({ ...rec, prevHash: last?.hash ?? GENESIS, hash: recordHash(last?.hash ?? GENESIS, rec) });
  return seq;
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
