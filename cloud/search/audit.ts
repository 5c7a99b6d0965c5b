import { chainPending } from '../audit/chain.ts';
import { and, eq, ilike, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { CloudContext } from '../context.ts';
import { auditLog } from '../db/schema/index.ts';
import { cursorParam, dayParam, limitParam, onDays, page, pageView, searchText, sortParam } from './paging.ts';
import { likeText } from './users.ts';

export const auditRecordView = z.object({
  seq: z.number().int(), at: z.string(), actor: z.string(), action: z.string(), subject: z.string(), body: z.unknown(),
  hash: z.string().describe('SHA-256 of the previous hash and this record: GET /audit/verify checks the chain'),
}).meta({ id: 'AuditRecord' });

export const auditQuery = z.object({
  q: searchText.optional().describe('Part of the subject (an order, a gate, a user id...)'),
  actor: z.string().trim().min(1).max(64).optional().describe('Username, exactly'),
  action: z.string().trim().min(1).max(64).optional().describe('Action, exactly (mode, lane_rules, refund, ...)'),
  from: dayParam.optional(),
  to: dayParam.optional(),
  sort: sortParam(['seq'], '-seq'),
  limit: limitParam,
  cursor: cursorParam,
}).strict();
export const auditPage = pageView(auditRecordView).meta({ id: 'AuditPage' });

/**
 * The audit chain, newest first, searched by who, what and on which days. Reads only: the
 * chain's one writer is cloud/office/audit.ts.
 */
export async function searchAudit(ctx: CloudContext, q: z.output<typeof auditQuery>) {
  await chainPending(ctx.db);
  const where: SQL[] = [...onDays(auditLog.at, q.from, q.to, ctx.config.timeZone)];
  if (q.q) where.push(or(ilike(auditLog.subject, likeText(q.q)), ilike(auditLog.action, likeText(q.q)))!);
  if (q.actor) where.push(eq(auditLog.actor, q.actor));
  if (q.action) where.push(eq(auditLog.action, q.action));
  const p = await page<typeof auditLog.$inferSelect>({
    sorts: { seq: { column: auditLog.seq, value: (r) => r.seq } },
    sort: q.sort, id: auditLog.seq, idOf: (r) => r.seq, cursor: q.cursor, limit: q.limit,
    run: (after, orderBy, n) => ctx.db.select().from(auditLog).where(and(...where, after)).orderBy(...orderBy).limit(n),
  });
  return { items: p.items.map((r) => ({ seq: r.seq, at: r.at.toISOString(), actor: r.actor, action: r.action, subject: r.subject, body: r.body, hash: r.hash })), next: p.next };
}
