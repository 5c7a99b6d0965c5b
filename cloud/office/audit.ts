/**
 * The entry the office's writers (and the ledger) call: the audit chain itself lives in
 * cloud/audit/ (README there). Kept so `appendAudit(tx, ...)` and `auditedTx(db, fn)` stay
 * where every writer imports them from.
 */
import type { payments, refunds } from '../db/schema/index.ts';

export { appendAudit, auditActor, auditedTx, auditSavepoint, canonical, sha256, type AuditInput, type Tx } from '../audit/chain.ts';
export { verifyAudit, type AuditFinding, type AuditVerdict } from '../audit/verify.ts';

/** What an action record of a payment holds: every column. */
export function paymentRecord(p: typeof payments.$inferSelect) {
  return {
    id: p.id, orderId: p.orderId, shiftId: p.shiftId, userId: p.userId, method: p.method, amountFen: p.amountFen,
    tenderedFen: p.tenderedFen, changeFen: p.changeFen, reference: p.reference, refundId: p.refundId, createdAt: p.createdAt.toISOString(),
  };
}
export function refundRecord(r: typeof refunds.$inferSelect) {
  return { id: r.id, orderId: r.orderId, userId: r.userId, shiftId: r.shiftId, amountFen: r.amountFen, reason: r.reason, ticketIds: r.ticketIds, createdAt: r.createdAt.toISOString() };
}
